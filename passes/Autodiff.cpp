//===- Autodiff.cpp - Reverse-mode differentiation of the loss ------------===//
//
// Builds @loss_grad from @loss. The pass knows nothing about particular ops:
// each differentiable op builds its own vector-Jacobian product through
// DifferentiableOpInterface, and this pass only orders the work (reverse
// program order, so every use of a value is differentiated before the value's
// definition) and sums the contributions of values used more than once.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/weft/IR/WeftOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::weft {
#define GEN_PASS_DEF_WEFTAUTODIFFPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;
using namespace mlir::weft;

namespace {

/// The gradient of the loss with respect to each value reached so far.
class GradientMap {
public:
  Value lookup(Value v) const { return grads.lookup(v); }

  /// Adds `grad` to the gradient of `v`: a value with several uses receives
  /// one contribution per use.
  void accumulate(OpBuilder &b, Location loc, Value v, Value grad) {
    Value &slot = grads[v];
    slot = slot ? AddOp::create(b, loc, slot, grad).getResult() : grad;
  }

private:
  DenseMap<Value, Value> grads;
};

struct WeftAutodiffPass
    : public weft::impl::WeftAutodiffPassBase<WeftAutodiffPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  LogicalResult differentiate(func::FuncOp gradFn);
};

} // namespace

/// Emits a zero tensor of `type` (the gradient of a parameter the loss does
/// not depend on).
static Value zeros(OpBuilder &b, Location loc, RankedTensorType type) {
  return arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, b.getF32FloatAttr(0.0f)));
}

/// Makes `fn` compute the loss as training does. Dropout draws its masks
/// from a seed, a new last argument of `fn` (one stream per dropout op, so
/// their masks differ). Batch normalisation uses the batch's statistics and
/// stores the moved running statistics back into their buffers.
static LogicalResult enterTrainingMode(func::FuncOp fn) {
  MLIRContext *ctx = fn.getContext();
  Block &body = fn.front();
  Value seed = body.addArgument(IntegerType::get(ctx, 32), fn.getLoc());
  fn.setType(FunctionType::get(ctx, body.getArgumentTypes(), fn.getResultTypes()));
  fn.setArgAttr(body.getNumArguments() - 1, "weft.name",
                StringAttr::get(ctx, "seed"));
  int64_t stream = 0;
  SmallVector<Operation *> ops;
  for (Operation &op : body)
    ops.push_back(&op);
  OpBuilder b(ctx);
  for (Operation *op : ops) {
    if (auto dropout = dyn_cast<DropoutOp>(op)) {
      if (!dropout.getSeed()) {
        dropout.getSeedMutable().assign(seed);
        dropout.setStream(++stream);
      }
      continue;
    }
    auto norm = dyn_cast<BatchNorm2DOp>(op);
    if (!norm)
      continue;
    auto meanLoad = norm.getRunningMean().getDefiningOp<LoadOp>();
    auto varLoad = norm.getRunningVar().getDefiningOp<LoadOp>();
    if (!meanLoad || !varLoad)
      return norm.emitOpError("needs its running statistics read by weft.load "
                              "from weft.buffer declarations to be trained");
    b.setInsertionPoint(norm);
    auto train = BatchNorm2DTrainOp::create(
        b, norm.getLoc(), norm.getInput(), norm.getWeight(), norm.getBias(),
        norm.getRunningMean(), norm.getRunningVar(), norm.getEpsAttr(),
        norm.getMomentumAttr());
    StoreOp::create(b, norm.getLoc(), train.getNewRunningMean(),
                    meanLoad.getVariable());
    StoreOp::create(b, norm.getLoc(), train.getNewRunningVar(),
                    varLoad.getVariable());
    norm.replaceAllUsesWith(train.getOutput());
    norm.erase();
  }
  return success();
}

LogicalResult WeftAutodiffPass::differentiate(func::FuncOp gradFn) {
  ModuleOp module = getOperation();
  Block &body = gradFn.front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  OpBuilder b(ret);

  // d(loss)/d(loss) = 1.
  Value loss = ret.getOperand(0);
  auto scalar = RankedTensorType::get({}, b.getF32Type());
  GradientMap grads;
  grads.accumulate(
      b, ret.getLoc(), loss,
      arith::ConstantOp::create(
          b, ret.getLoc(), DenseElementsAttr::get(scalar, b.getF32FloatAttr(1.0f))));

  llvm::StringMap<Value> paramGrads;
  SmallVector<Operation *> forwardOps;
  for (Operation &op : body.without_terminator())
    forwardOps.push_back(&op);

  for (Operation *op : llvm::reverse(forwardOps)) {
    SmallVector<Value> resultGrads;
    for (Value r : op->getResults())
      resultGrads.push_back(grads.lookup(r));
    if (llvm::none_of(resultGrads, [](Value g) { return bool(g); }))
      continue;

    // A load of a parameter is a leaf: its gradient is the parameter's.
    if (auto load = dyn_cast<LoadOp>(op)) {
      Value &slot = paramGrads[load.getVariable()];
      slot = slot ? AddOp::create(b, getGradientLoc(op), slot, resultGrads[0])
                        .getResult()
                  : resultGrads[0];
      continue;
    }
    if (isa<func::CallOp>(op))
      return op->emitError("cannot differentiate through a call; run the "
                           "'inline' pass before 'weft-autodiff'");
    auto diff = dyn_cast<DifferentiableOpInterface>(op);
    if (!diff)
      return op->emitError("training through '")
             << op->getName()
             << "' is not supported yet: it has no gradient (no "
                "DifferentiableOpInterface)";

    SmallVector<Value> operandGrads;
    if (failed(diff.buildVectorJacobianProduct(b, resultGrads, operandGrads)))
      return failure();
    for (auto [operand, grad] : llvm::zip(op->getOperands(), operandGrads))
      if (grad)
        grads.accumulate(b, getGradientLoc(op), operand, grad);
  }

  // Return the loss, then one gradient per parameter in declaration order.
  SmallVector<Value> results{loss};
  SmallVector<Attribute> gradientOf;
  for (auto param : module.getOps<ParameterOp>()) {
    Value g = paramGrads.lookup(param.getSymName());
    results.push_back(g ? g : zeros(b, param.getLoc(), param.getTensorType()));
    gradientOf.push_back(FlatSymbolRefAttr::get(param.getSymNameAttr()));
  }
  func::ReturnOp::create(b, ret.getLoc(), results);
  ret.erase();
  gradFn.setType(FunctionType::get(&getContext(), gradFn.getArgumentTypes(),
                                   TypeRange(ValueRange(results))));
  gradFn->setAttr("weft.gradients", b.getArrayAttr(gradientOf));
  return success();
}

void WeftAutodiffPass::runOnOperation() {
  ModuleOp module = getOperation();
  auto lossFn = module.lookupSymbol<func::FuncOp>(lossFunction);
  if (!lossFn) {
    module.emitError("weft-autodiff: no function @")
        << lossFunction << " to differentiate";
    return signalPassFailure();
  }
  auto lossType = lossFn.getNumResults() > 0
                      ? dyn_cast<RankedTensorType>(lossFn.getResultTypes()[0])
                      : RankedTensorType();
  if (!lossType || lossType.getRank() != 0 || !lossType.getElementType().isF32())
    return lossFn.emitError("weft-autodiff: the first result of @")
               << lossFunction << " must be the loss, a tensor<f32>",
           signalPassFailure();
  if (!lossFn.getBody().hasOneBlock())
    return lossFn.emitError("weft-autodiff: @")
               << lossFunction << " must be a single block",
           signalPassFailure();
  if (module.lookupSymbol("loss_grad"))
    return module.emitError("weft-autodiff: @loss_grad already exists"),
           signalPassFailure();

  OpBuilder b(module.getContext());
  b.setInsertionPointAfter(lossFn);
  auto gradFn = cast<func::FuncOp>(b.clone(*lossFn));
  gradFn.setSymName("loss_grad");
  if (failed(enterTrainingMode(gradFn)) || failed(differentiate(gradFn)))
    return signalPassFailure();
}
