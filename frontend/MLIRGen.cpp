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
    return in.isClassLabel ? mlir::Type(batched({}, builder.getI32Type()))
                           : mlir::Type(batched(in.shape, builder.getF32Type()));
  }

  void declareParameters(const ModelDecl &model);
  void emitForward(const ModelDecl &model);
  void emitLoss(const ModelDecl &model);
  mlir::Value emitExpr(const Expr &e);
  void describe(const Module &module);

  mlir::OpBuilder builder;
  std::string filename;
  mlir::ModuleOp theModule;
  llvm::StringMap<mlir::Value> values;
  llvm::StringMap<const LayerDecl *> layers;
};

void MLIRGenImpl::declareParameters(const ModelDecl &model) {
  // PyTorch's state_dict order: layers as declared, weight before bias.
  for (const LayerDecl &layer : model.layers) {
    layers[layer.name] = &layer;
    if (!layer.used)
      continue;
    auto declare = [&](llvm::StringRef suffix, llvm::ArrayRef<int64_t> shape) {
      mlir::weft::ParameterOp::create(
          builder, layerLoc(layer.name, layer.range),
          (layer.name + "." + suffix).str(),
          mlir::RankedTensorType::get(shape, builder.getF32Type()),
          "uniform_fan_in", layer.inFeatures);
    };
    declare("weight", {layer.units, layer.inFeatures});
    if (layer.useBias)
      declare("bias", {layer.units});
  }
}

mlir::Value MLIRGenImpl::emitExpr(const Expr &e) {
  mlir::Type f32 = builder.getF32Type();
  if (auto *id = dyn_cast<IdentExpr>(&e))
    return values.lookup(id->name);
  if (auto *bin = dyn_cast<BinaryExpr>(&e)) {
    mlir::Value l = emitExpr(*bin->lhs), r = emitExpr(*bin->rhs);
    return mlir::weft::AddOp::create(builder, loc(e.range), l, r);
  }
  auto &call = cast<CallExpr>(e);
  mlir::Value input = emitExpr(*call.args[0].value);
  auto resultType = batched(e.type->shape, f32);
  if (call.callee == "relu")
    return mlir::weft::ReluOp::create(builder, loc(e.range), input);
  if (call.callee == "flatten")
    return mlir::weft::ReshapeOp::create(builder, loc(e.range), resultType,
                                         input);
  const LayerDecl &layer = *layers.lookup(call.callee);
  mlir::Location at = layerLoc(layer.name, e.range);
  auto load = [&](llvm::StringRef suffix, llvm::ArrayRef<int64_t> shape) {
    return mlir::weft::LoadOp::create(
        builder, at, mlir::RankedTensorType::get(shape, f32),
        (layer.name + "." + suffix).str());
  };
  mlir::Value weight = load("weight", {layer.units, layer.inFeatures});
  mlir::Value bias = layer.useBias ? load("bias", {layer.units}) : mlir::Value();
  mlir::Value out =
      mlir::weft::DenseOp::create(builder, at, input, weight, bias);
  if (layer.activation == "relu")
    out = mlir::weft::ReluOp::create(builder, at, out);
  return out;
}

void MLIRGenImpl::emitForward(const ModelDecl &model) {
  llvm::SmallVector<mlir::Type> argTypes;
  for (const InputDecl &in : model.inputs)
    if (!in.isClassLabel)
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
    if (!in.isClassLabel)
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
    if (!in.isClassLabel)
      dataArgs.push_back(value);
  }
  auto forward = theModule.lookupSymbol<mlir::func::FuncOp>("forward");
  mlir::Value output =
      mlir::func::CallOp::create(builder, at, forward, dataArgs).getResult(0);
  auto &call = cast<CallExpr>(*model.loss);
  mlir::Value labels =
      inputs.lookup(cast<IdentExpr>(*call.args[1].value).name);
  mlir::Value loss = mlir::weft::SoftmaxCrossEntropyOp::create(
      builder, layerLoc("loss", call.range), output, labels);
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
        b.getNamedAttr("kind", b.getStringAttr(in.isClassLabel ? "class" : "data")),
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
