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
  MLIRGenImpl(mlir::MLIRContext &context, llvm::StringRef filename,
              const llvm::SourceMgr *sourceMgr)
      : builder(&context), filename(filename), sourceMgr(sourceMgr) {}

  mlir::ModuleOp generate(const Module &module);

private:
  mlir::Location loc(SourceRange r) {
    return mlir::FileLineColLoc::get(builder.getStringAttr(fileOf(r)), r.line,
                                     r.column);
  }
  /// The file of `r`: the main file or an imported one.
  llvm::StringRef fileOf(SourceRange r) {
    return r.buffer && sourceMgr
               ? sourceMgr->getMemoryBuffer(r.buffer)->getBufferIdentifier()
               : llvm::StringRef(filename);
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

  /// Declares the parameters and buffers of `decl`'s layers, their names
  /// prefixed with `prefix` ("encoder.3."), recursively into blocks.
  void declareParameters(const ModelDecl &decl, const std::string &prefix);
  void emitForward(const ModelDecl &model);
  void emitLoss(const ModelDecl &model);
  /// Emits the statements of a model's or block's forward section; the
  /// inputs are in `values`.
  void emitStatements(const ModelDecl &decl);
  mlir::Value emitExpr(const Expr &e);
  /// A call of a block layer: its body inlined, once per repetition.
  llvm::SmallVector<mlir::Value> emitBlockCall(const LayerDecl &layer,
                                               const CallExpr &call);
  mlir::Value emitLayerOp(const LayerDecl *layer, const CallExpr &call,
                          mlir::Value input);
  mlir::Value emitActivation(llvm::StringRef activation, mlir::Value x,
                             mlir::Location at, double negativeSlope);
  void describe(const Module &module);

  mlir::OpBuilder builder;
  std::string filename;
  mlir::ModuleOp theModule;
  // The scope being emitted: a model's forward or an inlined block's body.
  llvm::StringMap<mlir::Value> values;
  llvm::StringMap<const LayerDecl *> layers;
  std::string prefix; // Of parameter and location names: "encoder.3."
  const llvm::SourceMgr *sourceMgr;
};

/// The shapes of a layer's weight and bias, in PyTorch's layout, and how
/// they start. Empty for layers without parameters.
struct ParameterShapes {
  llvm::SmallVector<int64_t> weight, bias;
  const char *init = "uniform_fan_in"; // Of the weight; the bias matches it
  int64_t fanIn = 0;                   // or, for "ones", is "zeros".
  bool runningStatistics = false;      // BatchNorm2D's buffers, [C].
};

static ParameterShapes parameterShapes(const LayerDecl &layer) {
  const LayerConfig &c = layer.config;
  const std::vector<int64_t> &in = layer.inputType.shape;
  ParameterShapes p;
  if (layer.kind == "Dense") {
    p.weight = {c.units, in.back()};
    p.fanIn = in.back();
  } else if (layer.kind == "Conv2D") {
    int64_t perGroup = in[0] / c.groups;
    p.weight = {c.units, perGroup, c.kernel[0], c.kernel[1]};
    p.fanIn = perGroup * c.kernel[0] * c.kernel[1];
  } else if (layer.kind == "BatchNorm2D") {
    // nn.BatchNorm2d: weight ones, bias zeros (affine), running stats.
    p.weight = p.bias = {in[0]};
    p.init = "ones";
    p.runningStatistics = true;
    return p;
  } else {
    return p;
  }
  if (c.useBias)
    p.bias = {c.units};
  return p;
}

void MLIRGenImpl::declareParameters(const ModelDecl &decl,
                                    const std::string &prefix) {
  // PyTorch's state_dict order: layers as declared, depth first into
  // blocks, weight before bias, buffers after parameters. nn.Linear and
  // nn.Conv2d both draw weight and bias from U(-1/sqrt(fan_in), ...).
  for (const LayerDecl &layer : decl.layers) {
    if (!layer.used)
      continue;
    std::string path = prefix + layer.name;
    if (layer.kind == "block") {
      for (auto [i, instance] : llvm::enumerate(layer.instances))
        declareParameters(*instance, path + "." +
                                         (layer.repeat ? std::to_string(i) + "."
                                                       : std::string()));
      continue;
    }
    ParameterShapes shapes = parameterShapes(layer);
    mlir::Location at = layerLoc(path, layer.range);
    auto tensor = [&](llvm::ArrayRef<int64_t> shape) {
      return mlir::RankedTensorType::get(shape, builder.getF32Type());
    };
    auto declare = [&](llvm::StringRef suffix, llvm::ArrayRef<int64_t> shape,
                       llvm::StringRef init) {
      mlir::weft::ParameterOp::create(builder, at, path + "." + suffix.str(),
                                      tensor(shape), init, shapes.fanIn);
    };
    if (!shapes.weight.empty())
      declare("weight", shapes.weight, shapes.init);
    if (!shapes.bias.empty())
      declare("bias", shapes.bias,
              llvm::StringRef(shapes.init) == "ones" ? "zeros" : shapes.init);
    if (shapes.runningStatistics) {
      mlir::weft::BufferOp::create(builder, at, path + ".running_mean",
                                   tensor(shapes.weight), "zeros");
      mlir::weft::BufferOp::create(builder, at, path + ".running_var",
                                   tensor(shapes.weight), "ones");
    }
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
  if (activation == "log_softmax")
    return w::LogSoftmaxOp::create(builder, at, x);
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
  const LayerDecl *layer = layers.lookup(call.callee);
  if (layer && layer->kind == "block")
    return emitBlockCall(*layer, call).front();
  return emitLayerOp(layer, call, emitExpr(*call.args[0].value));
}

mlir::Value MLIRGenImpl::emitLayerOp(const LayerDecl *layer,
                                     const CallExpr &call, mlir::Value input) {
  namespace w = mlir::weft;
  // Ops of a layer are named after its path, those of an inline function
  // (max_pool, flatten, relu) after the function, so that remarks and
  // gradients (`vjp(max_pool)`) can say which one they mean.
  std::string path = layer ? prefix + layer->name : std::string();
  mlir::Location at =
      layerLoc(layer ? llvm::StringRef(path) : llvm::StringRef(call.callee),
               call.range);
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
               path + "." + suffix.str())
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
  if (op == "batch_norm2d") {
    // One load per statement: argument evaluation order is unspecified.
    ParameterShapes shapes = parameterShapes(*layer);
    mlir::Value weight = load("weight", shapes.weight);
    mlir::Value bias = load("bias", shapes.bias);
    mlir::Value mean = load("running_mean", shapes.weight);
    mlir::Value var = load("running_var", shapes.weight);
    return w::BatchNorm2DOp::create(builder, at, input, weight, bias, mean, var,
                                    builder.getF64FloatAttr(c.eps),
                                    builder.getF64FloatAttr(c.momentum));
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
    // Evaluation form (no seed); @loss_grad switches it to training.
    return w::DropoutOp::create(builder, at, input.getType(), input,
                                mlir::Value(), builder.getF64FloatAttr(c.rate),
                                builder.getI64IntegerAttr(0));
  if (op == "flatten" || op == "reshape")
    return w::ReshapeOp::create(builder, at,
                                batched(call.type->shape, builder.getF32Type()),
                                input);
  return emitActivation(op, input, at, c.negativeSlope);
}

llvm::SmallVector<mlir::Value>
MLIRGenImpl::emitBlockCall(const LayerDecl &layer, const CallExpr &call) {
  llvm::SmallVector<mlir::Value> current;
  for (const Argument &arg : call.args)
    current.push_back(emitExpr(*arg.value));
  // The body sees only its inputs and layers, with names under this layer.
  llvm::StringMap<mlir::Value> outerValues = std::move(values);
  llvm::StringMap<const LayerDecl *> outerLayers = std::move(layers);
  std::string outerPrefix = prefix;
  for (auto [i, instance] : llvm::enumerate(layer.instances)) {
    values.clear();
    layers.clear();
    prefix = outerPrefix + layer.name + "." +
             (layer.repeat ? std::to_string(i) + "." : std::string());
    for (auto [in, value] : llvm::zip(instance->inputs, current))
      values[in.name] = value;
    emitStatements(*instance);
    llvm::SmallVector<mlir::Value> outputs;
    for (const ExprPtr &e : instance->returns)
      outputs.push_back(emitExpr(*e));
    // repeat(n): the first input flows on; the others go to every copy.
    if (layer.repeat)
      current.front() = outputs.front();
    else
      current = outputs;
  }
  values = std::move(outerValues);
  layers = std::move(outerLayers);
  prefix = outerPrefix;
  if (layer.repeat)
    current.resize(1);
  return current;
}

void MLIRGenImpl::emitStatements(const ModelDecl &decl) {
  for (const LayerDecl &layer : decl.layers)
    layers[layer.name] = &layer;
  for (const Assignment &a : decl.forward) {
    if (a.more.empty()) {
      values[a.name] = emitExpr(*a.value);
      continue;
    }
    auto &call = cast<CallExpr>(*a.value);
    llvm::SmallVector<mlir::Value> results =
        emitBlockCall(*layers.lookup(call.callee), call);
    values[a.name] = results[0];
    for (auto [target, value] : llvm::zip(a.more, llvm::drop_begin(results)))
      values[target.name] = value;
  }
}

void MLIRGenImpl::emitForward(const ModelDecl &model) {
  llvm::SmallVector<mlir::Type> argTypes, resultTypes;
  for (const InputDecl &in : model.inputs)
    if (!in.isLabel())
      argTypes.push_back(inputType(in));
  for (const ValueType &t : model.outputTypes)
    resultTypes.push_back(batched(t.shape, builder.getF32Type()));
  auto fn = mlir::func::FuncOp::create(
      builder, loc(model.forwardRange), "forward",
      builder.getFunctionType(argTypes, resultTypes));
  mlir::Block *body = fn.addEntryBlock();
  mlir::OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(body);
  unsigned arg = 0;
  for (const InputDecl &in : model.inputs)
    if (!in.isLabel())
      values[in.name] = body->getArgument(arg++);
  emitStatements(model);
  llvm::SmallVector<mlir::Value> results;
  for (const std::string &name : model.outputNames)
    results.push_back(values.lookup(name));
  mlir::func::ReturnOp::create(builder, loc(model.forwardRange), results);
}

void MLIRGenImpl::emitLoss(const ModelDecl &model) {
  llvm::SmallVector<mlir::Type> argTypes;
  for (const InputDecl &in : model.inputs)
    argTypes.push_back(inputType(in));
  auto outType = batched(model.outputTypes[0].shape, builder.getF32Type());
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
  llvm::SmallVector<mlir::Attribute> outputs;
  for (auto [name, type] : llvm::zip(model.outputNames, model.outputTypes))
    outputs.push_back(b.getDictionaryAttr({
        b.getNamedAttr("name", b.getStringAttr(name)),
        b.getNamedAttr("shape", b.getDenseI64ArrayAttr(type.shape)),
    }));
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
      b.getNamedAttr("nesterov", b.getBoolAttr(t.nesterov)),
      b.getNamedAttr("clip_norm", b.getF64FloatAttr(t.clipNorm)),
      b.getNamedAttr("schedule", b.getStringAttr(t.schedule)),
      b.getNamedAttr("schedule_every", b.getI64IntegerAttr(t.scheduleEvery)),
      b.getNamedAttr("gamma", b.getF64FloatAttr(t.gamma)),
      b.getNamedAttr("min_lr", b.getF64FloatAttr(t.minLr)),
      b.getNamedAttr("warmup", b.getI64IntegerAttr(t.warmupSteps)),
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
      b.getNamedAttr("early_stopping",
                     b.getDictionaryAttr({
                         b.getNamedAttr("monitor", b.getStringAttr(t.monitor)),
                         b.getNamedAttr("patience", b.getI64IntegerAttr(t.patience)),
                         b.getNamedAttr("min_delta", b.getF64FloatAttr(t.minDelta)),
                     })),
  });
  theModule->setAttr("weft.model", b.getStringAttr(model.name));
  theModule->setAttr("weft.inputs", b.getArrayAttr(inputs));
  theModule->setAttr("weft.outputs", b.getArrayAttr(outputs));
  theModule->setAttr(
      "weft.loss",
      b.getStringAttr(model.lossOp +
                      (model.lossFromLogits ? "_with_logits" : "")));
  theModule->setAttr("weft.train", train);
}

mlir::ModuleOp MLIRGenImpl::generate(const Module &module) {
  const ModelDecl &model = *module.selected;
  theModule = mlir::ModuleOp::create(loc(model.range));
  builder.setInsertionPointToEnd(theModule.getBody());
  describe(module);
  declareParameters(model, "");
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

mlir::OwningOpRef<mlir::ModuleOp>
weft::mlirGen(mlir::MLIRContext &context, const Module &module,
              llvm::StringRef filename, const llvm::SourceMgr *sourceMgr) {
  context.getOrLoadDialect<mlir::weft::WeftDialect>();
  context.getOrLoadDialect<mlir::func::FuncDialect>();
  return MLIRGenImpl(context, filename, sourceMgr).generate(module);
}
