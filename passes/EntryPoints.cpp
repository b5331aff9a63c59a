//===- EntryPoints.cpp - The compiled model's flat C ABI ------------------===//
//
// The runtime calls every compiled function the same way, whatever the
// model: flat buffers only, so one C declaration serves all models. This
// pass lays out the parameter and state buffers and wraps each model
// function in an entry point that reshapes flat inputs into the model's
// tensors and writes results back into flat outputs.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/TensorUtils.h"

#include "dialects/weft/IR/WeftOps.h"

namespace mlir::weft {
#define GEN_PASS_DEF_WEFTENTRYPOINTSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;
using namespace mlir::weft;

namespace {

/// The four buffers every entry point takes first.
enum CommonArg : unsigned { kParams = 0, kState, kHyper, kGrads, kNumCommon };

struct WeftEntryPointsPass
    : public weft::impl::WeftEntryPointsPassBase<WeftEntryPointsPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  void assignLayout();
  void buildEntryPoint(func::FuncOp fn, StringRef entryName);
};

} // namespace

void WeftEntryPointsPass::assignLayout() {
  ModuleOp module = getOperation();
  OpBuilder b(&getContext());
  int64_t paramOffset = 0;
  llvm::StringMap<int64_t> stateOffsets; // One running offset per group.
  for (Operation &op : module.getOps()) {
    // Buffers (running statistics) live among the parameters, in
    // declaration order, so that checkpoints and state_dicts list them
    // where PyTorch does.
    if (auto param = dyn_cast<ParameterOp>(op)) {
      param->setAttr("offset", b.getI64IntegerAttr(paramOffset));
      paramOffset += param.getTensorType().getNumElements();
    } else if (auto buffer = dyn_cast<BufferOp>(op)) {
      buffer->setAttr("offset", b.getI64IntegerAttr(paramOffset));
      paramOffset += buffer.getTensorType().getNumElements();
    } else if (auto state = dyn_cast<StateOp>(op)) {
      int64_t &offset = stateOffsets[state.getGroup()];
      state->setAttr("offset", b.getI64IntegerAttr(offset));
      offset += state.getTensorType().getNumElements();
    }
  }
}

void WeftEntryPointsPass::buildEntryPoint(func::FuncOp fn, StringRef entryName) {
  ModuleOp module = getOperation();
  MLIRContext *ctx = &getContext();
  OpBuilder b(ctx);
  Location loc = fn.getLoc();
  auto flatOf = [&](Type elementType) {
    return MemRefType::get({ShapedType::kDynamic}, elementType);
  };
  auto gradientOf = fn->getAttrOfType<ArrayAttr>("weft.gradients");
  unsigned numNonGradResults =
      fn.getNumResults() - (gradientOf ? gradientOf.size() : 0);

  SmallVector<Type> argTypes(kNumCommon, flatOf(b.getF32Type()));
  SmallVector<unsigned> tensorArgs, scalarArgs;
  for (auto [i, type] : llvm::enumerate(fn.getArgumentTypes())) {
    if (auto tensorType = dyn_cast<RankedTensorType>(type)) {
      tensorArgs.push_back(i);
      argTypes.push_back(flatOf(tensorType.getElementType()));
    } else {
      scalarArgs.push_back(i);
    }
  }
  for (Type type : fn.getResultTypes().take_front(numNonGradResults))
    argTypes.push_back(flatOf(cast<RankedTensorType>(type).getElementType()));

  b.setInsertionPointToEnd(module.getBody());
  auto entry = func::FuncOp::create(b, loc, ("weft_" + entryName).str(),
                                    FunctionType::get(ctx, argTypes, {}));
  entry->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  entry->setAttr("weft.entry", b.getStringAttr(entryName));
  Block *body = entry.addEntryBlock();
  b.setInsertionPointToStart(body);
  ValueRange args = body->getArguments();

  // Inputs: the batch size comes from the first input's length.
  SmallVector<Value> callArgs(fn.getNumArguments());
  Value batch;
  for (auto [k, argIndex] : llvm::enumerate(tensorArgs)) {
    auto type = cast<RankedTensorType>(fn.getArgumentTypes()[argIndex]);
    Value flat = readFlatBuffer(b, loc, args[kNumCommon + k]);
    if (!batch)
      batch = batchSizeOf(b, loc, flat, type);
    callArgs[argIndex] = unflattenTensor(b, loc, flat, type, batch);
  }
  // Scalars (the seed, hyperparameters) come from `hyper`, in order.
  if (!scalarArgs.empty()) {
    Value hyper = readFlatBuffer(b, loc, args[kHyper]);
    for (auto [k, argIndex] : llvm::enumerate(scalarArgs)) {
      Value index = arith::ConstantIndexOp::create(b, loc, k);
      Value value = tensor::ExtractOp::create(b, loc, hyper, index);
      // An i32 scalar (the step's random seed) travels in a float's bits.
      Type type = fn.getArgumentTypes()[argIndex];
      if (type != value.getType())
        value = arith::BitcastOp::create(b, loc, type, value);
      callArgs[argIndex] = value;
    }
  }

  auto call = func::CallOp::create(b, loc, fn, callArgs);
  unsigned nextOut = kNumCommon + tensorArgs.size();
  for (unsigned i = 0; i < numNonGradResults; ++i)
    writeBuffer(b, loc, call.getResult(i), args[nextOut + i]);
  if (gradientOf) {
    for (auto [i, attr] : llvm::enumerate(gradientOf)) {
      auto param = module.lookupSymbol<ParameterOp>(cast<FlatSymbolRefAttr>(attr));
      int64_t offset = param->getAttrOfType<IntegerAttr>("offset").getInt();
      Value view = bufferViewOf(b, loc, args[kGrads], offset,
                                param.getTensorType());
      writeBuffer(b, loc, call.getResult(numNonGradResults + i), view);
    }
  }
  func::ReturnOp::create(b, loc);
  fn.setPrivate();
}

void WeftEntryPointsPass::runOnOperation() {
  ModuleOp module = getOperation();
  assignLayout();
  // Model function -> entry point name; the runtime looks them up by name.
  SmallVector<std::pair<func::FuncOp, std::string>> entries;
  for (auto fn : module.getOps<func::FuncOp>()) {
    StringRef name = fn.getSymName();
    if (name == "forward")
      entries.push_back({fn, "forward"});
    else if (name == "loss")
      entries.push_back({fn, "eval_step"});
    else if (name == "loss_grad")
      entries.push_back({fn, "gradients"});
    else if (name.starts_with("train_step_"))
      entries.push_back({fn, name.str()});
  }
  if (entries.empty()) {
    module.emitError("weft-entry-points: no model function (@forward, @loss, "
                     "@loss_grad, @train_step_*) to expose");
    return signalPassFailure();
  }
  for (auto &[fn, name] : entries)
    buildEntryPoint(fn, name);
  // The gradient function is most of the code: the gradients entry point
  // and every training step call it, and inlining it into each would
  // compile the forward and backward passes once per caller. Its callers
  // add nothing it could fuse with (the optimizer update consumes finished
  // gradients), so one shared copy costs nothing at run time.
  // Argument names served the entry points just built; what stays out of
  // line must carry nothing the LLVM translation does not know.
  if (auto gradFn = module.lookupSymbol<func::FuncOp>("loss_grad")) {
    gradFn.setNoInline(true);
    for (unsigned i = 0, e = gradFn.getNumArguments(); i != e; ++i)
      gradFn.removeArgAttr(i, "weft.name");
  }
}
