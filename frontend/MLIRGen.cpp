//===- MLIRGen.cpp - From the checked AST to the weft dialect -------------===//
//
// Sema has already rejected every bad program, so this file only translates.
// The forward section is emitted once, as @forward; @loss calls it, and the
// inliner makes one graph of them before differentiation.
//
//===----------------------------------------------------------------------===//

#include "frontend/MLIRGen.h"

#include "dialects/weft/IR/WeftOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/ScopedHashTable.h"
#include "llvm/ADT/StringMap.h"

using namespace weft;
using namespace weft::ast;
using llvm::cast;
using llvm::dyn_cast;

namespace {

class MLIRGenImpl {
public:
  MLIRGenImpl(mlir::MLIRContext &context, llvm::StringRef filename)
      : builder(&context), filename(filename) {}

  mlir::ModuleOp generate(const Module &module);

private:
  mlir::Location loc(SourceRange r) {
    return mlir::FileLineColLoc::get(builder.getStringAttr(filename), r.line,
                                     r.column);
  }
  /// The location of ops that implement layer `name`: its source, named.
  mlir::Location layerLoc(llvm::StringRef name, SourceRange r) {
    return mlir::NameLoc::get(builder.getStringAttr(name), loc(r));
  }
  mlir::RankedTensorType batched(llvm::ArrayRef<int64_t> perExample,
                                 mlir::Type element) {
    llvm::SmallVector<int64_t> shape{mlir::ShapedType::kDynamic};
    shape.append(perExample.begin(), perExample.end());
    return mlir::RankedTensorType::get(shape, element);
  }
  mlir::Type inputType(const InputDecl &in) {
    return in.labelKind == "class"
               ? mlir::Type(batched({}, builder.getI32Type()))
               : mlir::Type(batched(in.shape, builder.getF32Type()));
  }

  void declareParameters(const ModelDecl &model);
  void emitForward(const ModelDecl &model);
  void emitLoss(const ModelDecl &model);
  mlir::Value emitExpr(const Expr &e);
  mlir::Value emitActivation(llvm::StringRef activation, mlir::Value x,
                             mlir::Location at, double negativeSlope);
  void describe(const Module &module);

  mlir::OpBuilder builder;
  std::string filename;
  mlir::ModuleOp theModule;
  llvm::StringMap<mlir::Value> values;
  llvm::StringMap<const LayerDecl *> layers;
};

/// The shapes of a layer's weight and bias, in PyTorch's layout, and the
/// fan-in its initialiser uses. Empty for layers without parameters.
struct ParameterShapes {
  llvm::SmallVector<int64_t> weight, bias;
  int64_t fanIn = 0;
};

static ParameterShapes parameterShapes(const LayerDecl &layer) {
  const LayerConfig &c = layer.config;
  ParameterShapes p;
  if (layer.kind == "Dense") {
    p.weight = {c.units, layer.inputShape[0]};
    p.fanIn = layer.inputShape[0];
  } else if (layer.kind == "Conv2D") {
    int64_t perGroup = layer.inputShape[0] / c.groups;
    p.weight = {c.units, perGroup, c.kernel[0], c.kernel[1]};
    p.fanIn = perGroup * c.kernel[0] * c.kernel[1];
  } else {
    return p;
  }
  if (c.useBias)
    p.bias = {c.units};
  return p;
}

void MLIRGenImpl::declareParameters(const ModelDecl &model) {
  // PyTorch's state_dict order: layers as declared, weight before bias.
  // nn.Linear and nn.Conv2d both draw weight and bias from
  // U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
  for (const LayerDecl &layer : model.layers) {
    layers[layer.name] = &layer;
    if (!layer.used)
      continue;
    ParameterShapes shapes = parameterShapes(layer);
    auto declare = [&](llvm::StringRef suffix, llvm::ArrayRef<int64_t> shape) {
      mlir::weft::ParameterOp::create(
          builder, layerLoc(layer.name, layer.range),
          (layer.name + "." + suffix).str(),
          mlir::RankedTensorType::get(shape, builder.getF32Type()),
          "uniform_fan_in", shapes.fanIn);
    };
    if (!shapes.weight.empty())
      declare("weight", shapes.weight);
    if (!shapes.bias.empty())
      declare("bias", shapes.bias);
  }
}

/// Applies `activation` (as named in a model file) to `x`.
mlir::Value MLIRGenImpl::emitActivation(llvm::StringRef activation,
                                        mlir::Value x, mlir::Location at,
                                        double negativeSlope) {
  namespace w = mlir::weft;
  if (activation == "relu")
    return w::ReluOp::create(builder, at, x);
  if (activation == "sigmoid")
    return w::SigmoidOp::create(builder, at, x);
  if (activation == "tanh")
    return w::TanhOp::create(builder, at, x);
  if (activation == "gelu")
    return w::GeluOp::create(builder, at, x);
  if (activation == "softmax")
    return w::SoftmaxOp::create(builder, at, x);
  if (activation == "leaky_relu")
    return w::LeakyReluOp::create(builder, at, x,
                                  builder.getF64FloatAttr(negativeSlope));
  return x;
}

mlir::Value MLIRGenImpl::emitExpr(const Expr &e) {
  namespace w = mlir::weft;
  if (auto *id = dyn_cast<IdentExpr>(&e))
    return values.lookup(id->name);
  if (auto *bin = dyn_cast<BinaryExpr>(&e)) {
    mlir::Value l = emitExpr(*bin->lhs), r = emitExpr(*bin->rhs);
    if (bin->op == '*')
      return w::MulOp::create(builder, loc(e.range), l, r);
    return w::AddOp::create(builder, loc(e.range), l, r);
  }
  auto &call = cast<CallExpr>(e);
  mlir::Value input = emitExpr(*call.args[0].value);
  const LayerDecl *layer = layers.lookup(call.callee);
  // Ops of a layer are named after it; inline functions are not.
  mlir::Location at = layer ? layerLoc(layer->name, e.range) : loc(e.range);
  const LayerConfig &c = call.config;
  auto pair = [&](const int64_t (&v)[2]) {
    return builder.getDenseI64ArrayAttr({v[0], v[1]});
  };
  auto padding = builder.getDenseI64ArrayAttr(c.padding);
  auto load = [&](llvm::StringRef suffix, llvm::ArrayRef<int64_t> shape) -> mlir::Value {
    if (shape.empty())
      return mlir::Value();
    return w::LoadOp::create(
               builder, at,
               mlir::RankedTensorType::get(shape, builder.getF32Type()),
               (layer->name + "." + suffix).str())
        .getResult();
  };
  llvm::StringRef op = call.op;
  if (op == "dense" || op == "conv2d") {
    ParameterShapes shapes = parameterShapes(*layer);
    mlir::Value weight = load("weight", shapes.weight);
    mlir::Value bias = load("bias", shapes.bias);
    mlir::Value out =
        op == "dense"
            ? w::DenseOp::create(builder, at, input, weight, bias).getResult()
            : w::Conv2DOp::create(builder, at, input, weight, bias,
                                  pair(c.stride), padding, pair(c.dilation),
                                  c.groups)
                  .getResult();
    return emitActivation(c.activation, out, at, c.negativeSlope);
  }
  if (op == "max_pool")
    return w::MaxPool2DOp::create(builder, at, input, pair(c.kernel),
                                  pair(c.stride), padding);
  if (op == "avg_pool")
    return w::AvgPool2DOp::create(builder, at, input, pair(c.kernel),
                                  pair(c.stride), padding);
  if (op == "global_avg_pool")
    return w::GlobalAvgPoolOp::create(builder, at, input);
  if (op == "dropout")
    return w::DropoutOp::create(builder, at, input,
                                builder.getF64FloatAttr(c.rate));
  if (op == "flatten" || op == "reshape")
    return w::ReshapeOp::create(builder, at,
                                batched(e.type->shape, builder.getF32Type()),
                                input);
  return emitActivation(op, input, at, c.negativeSlope);
}

void MLIRGenImpl::emitForward(const ModelDecl &model) {
  llvm::SmallVector<mlir::Type> argTypes;
  for (const InputDecl &in : model.inputs)
    if (!in.isLabel())
      argTypes.push_back(inputType(in));
  auto outType = batched(model.outputType.shape, builder.getF32Type());
  auto fn = mlir::func::FuncOp::create(
      builder, loc(model.forwardRange), "forward",
      builder.getFunctionType(argTypes, {outType}));
  mlir::Block *body = fn.addEntryBlock();
  mlir::OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(body);
  unsigned arg = 0;
  for (const InputDecl &in : model.inputs)
    if (!in.isLabel())
      values[in.name] = body->getArgument(arg++);
  for (const Assignment &a : model.forward)
    values[a.name] = emitExpr(*a.value);
  mlir::func::ReturnOp::create(builder, loc(model.forwardRange),
                               values.lookup(model.outputName));
}

void MLIRGenImpl::emitLoss(const ModelDecl &model) {
  llvm::SmallVector<mlir::Type> argTypes;
  for (const InputDecl &in : model.inputs)
    argTypes.push_back(inputType(in));
  auto outType = batched(model.outputType.shape, builder.getF32Type());
  auto lossType = mlir::RankedTensorType::get({}, builder.getF32Type());
  mlir::Location at = loc(model.lossRange);
  auto fn = mlir::func::FuncOp::create(
      builder, at, "loss",
      builder.getFunctionType(argTypes, {lossType, outType}));
  mlir::Block *body = fn.addEntryBlock();
  mlir::OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(body);
  llvm::SmallVector<mlir::Value> dataArgs;
  llvm::StringMap<mlir::Value> inputs;
  for (auto [in, value] : llvm::zip(model.inputs, body->getArguments())) {
    inputs[in.name] = value;
    if (!in.isLabel())
      dataArgs.push_back(value);
  }
  auto forward = theModule.lookupSymbol<mlir::func::FuncOp>("forward");
  mlir::Value output =
      mlir::func::CallOp::create(builder, at, forward, dataArgs).getResult(0);
  mlir::Value target = inputs.lookup(model.lossTarget);
  mlir::Location lossAt = layerLoc("loss", model.loss->range);
  namespace w = mlir::weft;
  mlir::Value loss;
  if (model.lossOp == "softmax_cross_entropy")
    loss = w::SoftmaxCrossEntropyOp::create(builder, lossAt, output, target);
  else if (model.lossOp == "categorical_cross_entropy")
    loss = w::CategoricalCrossEntropyOp::create(builder, lossAt, output, target);
  else if (model.lossOp == "binary_cross_entropy")
    loss = w::BinaryCrossEntropyOp::create(builder, lossAt, output, target,
                                           model.lossFromLogits);
  else
    loss = w::MeanSquaredErrorOp::create(builder, lossAt, output, target);
  mlir::func::ReturnOp::create(builder, at, mlir::ValueRange{loss, output});
}

/// What the runtime needs to know that the IR does not say: input kinds and
/// per-example shapes, the output, and the train block.
void MLIRGenImpl::describe(const Module &module) {
  const ModelDecl &model = *module.selected;
  mlir::Builder &b = builder;
  llvm::SmallVector<mlir::Attribute> inputs;
  for (const InputDecl &in : model.inputs)
    inputs.push_back(b.getDictionaryAttr({
        b.getNamedAttr("name", b.getStringAttr(in.name)),
        b.getNamedAttr("kind", b.getStringAttr(in.isLabel() ? in.labelKind : "data")),
        b.getNamedAttr("shape", b.getDenseI64ArrayAttr(in.shape)),
        b.getNamedAttr("num_classes", b.getI64IntegerAttr(in.numClasses)),
    }));
  mlir::Attribute output = b.getDictionaryAttr({
      b.getNamedAttr("name", b.getStringAttr(model.outputName)),
      b.getNamedAttr("shape", b.getDenseI64ArrayAttr(model.outputType.shape)),
  });
  const TrainConfig &t = module.train;
  mlir::Attribute train = b.getDictionaryAttr({
      b.getNamedAttr("data_format", b.getStringAttr(t.dataFormat)),
      b.getNamedAttr("data_path", b.getStringAttr(t.dataPath)),
      b.getNamedAttr("optimizer", b.getStringAttr(t.optimizer)),
      b.getNamedAttr("lr", b.getF64FloatAttr(t.lr)),
      b.getNamedAttr("momentum", b.getF64FloatAttr(t.momentum)),
      b.getNamedAttr("beta1", b.getF64FloatAttr(t.beta1)),
      b.getNamedAttr("beta2", b.getF64FloatAttr(t.beta2)),
      b.getNamedAttr("eps", b.getF64FloatAttr(t.eps)),
      b.getNamedAttr("weight_decay", b.getF64FloatAttr(t.weightDecay)),
      b.getNamedAttr("batch", b.getI64IntegerAttr(t.batch)),
      b.getNamedAttr("epochs", b.getI64IntegerAttr(t.epochs)),
      b.getNamedAttr("seed", b.getI64IntegerAttr(t.seed)),
      b.getNamedAttr("validation", b.getF64FloatAttr(t.validationSplit)),
      b.getNamedAttr("metrics", b.getStrArrayAttr(llvm::SmallVector<llvm::StringRef>(
                                    t.metrics.begin(), t.metrics.end()))),
      b.getNamedAttr("image_size", b.getDenseI64ArrayAttr(t.imageSize)),
      b.getNamedAttr("rescale", b.getF64FloatAttr(t.rescale)),
      b.getNamedAttr("augment",
                     b.getDictionaryAttr({
                         b.getNamedAttr("shear", b.getF64FloatAttr(t.shear)),
                         b.getNamedAttr("zoom", b.getF64FloatAttr(t.zoom)),
                         b.getNamedAttr("rotation", b.getF64FloatAttr(t.rotation)),
                         b.getNamedAttr("flip", b.getStringAttr(t.flip)),
                     })),
  });
  theModule->setAttr("weft.model", b.getStringAttr(model.name));
  theModule->setAttr("weft.inputs", b.getArrayAttr(inputs));
  theModule->setAttr("weft.outputs", b.getArrayAttr({output}));
  theModule->setAttr("weft.train", train);
}

mlir::ModuleOp MLIRGenImpl::generate(const Module &module) {
  const ModelDecl &model = *module.selected;
  theModule = mlir::ModuleOp::create(loc(model.range));
  builder.setInsertionPointToEnd(theModule.getBody());
  describe(module);
  declareParameters(model);
  emitForward(model);
  emitLoss(model);
  if (mlir::failed(mlir::verify(theModule))) {
    theModule.emitError("internal error: MLIRGen produced invalid IR");
    theModule.erase();
    return nullptr;
  }
  return theModule;
}

} // namespace

mlir::OwningOpRef<mlir::ModuleOp> weft::mlirGen(mlir::MLIRContext &context,
                                                const Module &module,
                                                llvm::StringRef filename) {
  context.getOrLoadDialect<mlir::weft::WeftDialect>();
  context.getOrLoadDialect<mlir::func::FuncDialect>();
  return MLIRGenImpl(context, filename).generate(module);
}
