//===- WeftDifferentiation.cpp - Vector-Jacobian products of weft ops -----===//
//
// Each differentiable op says here how the gradient of the loss flows back
// from its results to its operands, in weft ops, so the backward pass is
// lowered and optimised exactly like the forward pass. The autodiff pass only
// walks the graph and accumulates; it never switches over op kinds.
//
//===----------------------------------------------------------------------===//

#include "dialects/weft/IR/WeftOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace mlir::weft;

#include "dialects/weft/IR/WeftInterfaces.cpp.inc"

/// Renames `loc` to `vjp(<name>)`, keeping its file:line:col. Inlining
/// wraps locations in call sites (`callsite(fc1(...) at caller)`), so the
/// layer's name is looked for through them.
static Location gradientLocOf(Location loc, StringRef fallbackName) {
  MLIRContext *ctx = loc.getContext();
  if (auto callsite = dyn_cast<CallSiteLoc>(loc))
    return CallSiteLoc::get(gradientLocOf(callsite.getCallee(), fallbackName),
                            callsite.getCaller());
  if (auto named = dyn_cast<NameLoc>(loc))
    return NameLoc::get(
        StringAttr::get(ctx, "vjp(" + named.getName().str() + ")"),
        named.getChildLoc());
  return NameLoc::get(StringAttr::get(ctx, "vjp(" + fallbackName.str() + ")"),
                      loc);
}

namespace mlir::weft {
/// The location of the ops that differentiate `forwardOp`:
/// `loc("vjp(fc1)"("model.weft":8:3))` for an op of layer fc1, so that the
/// backward pass still points at the source line and names the layer.
Location getGradientLoc(Operation *forwardOp) {
  return gradientLocOf(forwardOp->getLoc(),
                       forwardOp->getName().getStringRef());
}
} // namespace mlir::weft

/// Prepares `operandGrads` for `op` and tells whether there is anything to
/// propagate. A single-result op whose result gradient is null contributes
/// nothing to any operand.
static bool startVjp(Operation *op, ValueRange resultGrads,
                     SmallVectorImpl<Value> &operandGrads) {
  operandGrads.assign(op->getNumOperands(), Value());
  return llvm::any_of(resultGrads, [](Value v) { return bool(v); });
}

LogicalResult DenseOp::buildVectorJacobianProduct(
    OpBuilder &b, ValueRange resultGrads, SmallVectorImpl<Value> &grads) {
  if (!startVjp(*this, resultGrads, grads))
    return success();
  Location loc = getGradientLoc(*this);
  Value dy = resultGrads[0];
  // y = x W^T + b  =>  dx = dy W,  dW = dy^T x,  db = sum_batch dy.
  grads[0] = MatmulOp::create(b, loc, dy, getWeight(), false, false);
  grads[1] = MatmulOp::create(b, loc, dy, getInput(), true, false);
  if (getBias())
    grads[2] = ReduceSumOp::create(b, loc, dy, b.getDenseI64ArrayAttr({0}));
  return success();
}

LogicalResult ReluOp::buildVectorJacobianProduct(
    OpBuilder &b, ValueRange resultGrads, SmallVectorImpl<Value> &grads) {
  if (!startVjp(*this, resultGrads, grads))
    return success();
  // relu(x) > 0 exactly where x > 0: reading the output leaves the input
  // (a convolution's or dense layer's result) with relu as its only user,
  // so the kernel can apply relu before storing it (weft-tile-and-vectorize).
  grads[0] = ReluGradOp::create(b, getGradientLoc(*this), getType(),
                                getResult(), resultGrads[0]);
  return success();
}

LogicalResult ReshapeOp::buildVectorJacobianProduct(
    OpBuilder &b, ValueRange resultGrads, SmallVectorImpl<Value> &grads) {
  if (!startVjp(*this, resultGrads, grads))
    return success();
  grads[0] = ReshapeOp::create(b, getGradientLoc(*this), getInput().getType(),
                               resultGrads[0]);
  return success();
}

LogicalResult AddOp::buildVectorJacobianProduct(
    OpBuilder &b, ValueRange resultGrads, SmallVectorImpl<Value> &grads) {
  if (!startVjp(*this, resultGrads, grads))
    return success();
  grads[0] = grads[1] = resultGrads[0];
  return success();
}

LogicalResult MulOp::buildVectorJacobianProduct(
    OpBuilder &b, ValueRange resultGrads, SmallVectorImpl<Value> &grads) {
  if (!startVjp(*this, resultGrads, grads))
    return success();
  // c = a * b  =>  da = dc * b,  db = dc * a.
  Location loc = getGradientLoc(*this);
  grads[0] = MulOp::create(b, loc, resultGrads[0], getRhs());
  grads[1] = MulOp::create(b, loc, resultGrads[0], getLhs());
  return success();
}

LogicalResult MatmulOp::buildVectorJacobianProduct(
    OpBuilder &b, ValueRange resultGrads, SmallVectorImpl<Value> &grads) {
  if (!startVjp(*this, resultGrads, grads))
    return success();
  Location loc = getGradientLoc(*this);
  Value dc = resultGrads[0], a = getLhs(), bm = getRhs();
  bool ta = getTransposeLhs(), tb = getTransposeRhs();
  // C = op(A) op(B). Each case writes dA and dB so that no explicit
  // transpose is materialised:
  //   C = A B      : dA = dC B^T,      dB = A^T dC
  //   C = A^T B    : dA = B dC^T,      dB = A dC
  //   C = A B^T    : dA = dC B,        dB = dC^T A
  //   C = A^T B^T  : dA = B^T dC^T,    dB = dC^T A^T
  if (!ta && !tb) {
    grads[0] = MatmulOp::create(b, loc, dc, bm, false, true);
    grads[1] = MatmulOp::create(b, loc, a, dc, true, false);
  } else if (ta && !tb) {
    grads[0] = MatmulOp::create(b, loc, bm, dc, false, true);
    grads[1] = MatmulOp::create(b, loc, a, dc, false, false);
  } else if (!ta && tb) {
    grads[0] = MatmulOp::create(b, loc, dc, bm, false, false);
    grads[1] = MatmulOp::create(b, loc, dc, a, true, false);
  } else {
    grads[0] = MatmulOp::create(b, loc, bm, dc, true, true);
    grads[1] = MatmulOp::create(b, loc, dc, a, true, true);
  }
  return success();
}

LogicalResult SoftmaxCrossEntropyOp::buildVectorJacobianProduct(
    OpBuilder &b, ValueRange resultGrads, SmallVectorImpl<Value> &grads) {
  if (!startVjp(*this, resultGrads, grads))
    return success();
  // The labels (operand 1) are class indices: not differentiable.
  grads[0] = SoftmaxCrossEntropyGradOp::create(
      b, getGradientLoc(*this), getLogits(), getLabels(), resultGrads[0]);
  return success();
}

LogicalResult Conv2DOp::buildVectorJacobianProduct(
    OpBuilder &b, ValueRange resultGrads, SmallVectorImpl<Value> &grads) {
  if (!startVjp(*this, resultGrads, grads))
    return success();
  Location loc = getGradientLoc(*this);
  Value dy = resultGrads[0];
  grads[0] = Conv2DGradInputOp::create(b, loc, getInput().getType(), dy,
                                       getWeight(), getStride(), getPadding(),
                                       getDilation(), getGroups());
  grads[1] = Conv2DGradWeightOp::create(b, loc, getWeight().getType(),
                                        getInput(), dy, getStride(),
                                        getPadding(), getDilation(), getGroups());
  if (getBias())
    grads[2] = ReduceSumOp::create(b, loc, dy, b.getDenseI64ArrayAttr({0, 2, 3}));
  return success();
}

LogicalResult MaxPool2DOp::buildVectorJacobianProduct(
    OpBuilder &b, ValueRange resultGrads, SmallVectorImpl<Value> &grads) {
  if (!startVjp(*this, resultGrads, grads))
    return success();
  grads[0] = MaxPool2DGradOp::create(b, getGradientLoc(*this),
                                     getInput().getType(), getInput(),
                                     resultGrads[0], getKernel(), getStride(),
                                     getPadding());
  return success();
}

LogicalResult AvgPool2DOp::buildVectorJacobianProduct(
    OpBuilder &b, ValueRange resultGrads, SmallVectorImpl<Value> &grads) {
  if (!startVjp(*this, resultGrads, grads))
    return success();
  grads[0] = AvgPool2DGradOp::create(b, getGradientLoc(*this),
                                     getInput().getType(), resultGrads[0],
                                     getKernel(), getStride(), getPadding());
  return success();
}

LogicalResult GlobalAvgPoolOp::buildVectorJacobianProduct(
    OpBuilder &b, ValueRange resultGrads, SmallVectorImpl<Value> &grads) {
  if (!startVjp(*this, resultGrads, grads))
    return success();
  // Global average pooling is average pooling with one H x W window: spread
  // the [N, C] gradient as [N, C, 1, 1] through that pool's gradient.
  Location loc = getGradientLoc(*this);
  auto inType = getInput().getType();
  int64_t h = inType.getDimSize(2), w = inType.getDimSize(3);
  if (ShapedType::isDynamic(h) || ShapedType::isDynamic(w))
    return emitOpError("needs a static spatial size to be differentiated");
  auto pooledType = RankedTensorType::get(
      {inType.getDimSize(0), inType.getDimSize(1), 1, 1}, b.getF32Type());
  Value pooled = ReshapeOp::create(b, loc, pooledType, resultGrads[0]);
  grads[0] = AvgPool2DGradOp::create(
      b, loc, inType, pooled, b.getDenseI64ArrayAttr({h, w}),
      b.getDenseI64ArrayAttr({h, w}), b.getDenseI64ArrayAttr({0, 0, 0, 0}));
  return success();
}

/// The VJP of an activation whose gradient op reads `value` (its input or
/// its output, whichever the formula needs).
template <typename GradOp>
static LogicalResult activationVjp(Operation *op, OpBuilder &b,
                                   ValueRange resultGrads, Value value,
                                   SmallVectorImpl<Value> &grads) {
  if (!startVjp(op, resultGrads, grads))
    return success();
  grads[0] = GradOp::create(b, getGradientLoc(op), resultGrads[0].getType(),
                            value, resultGrads[0]);
  return success();
}

LogicalResult SigmoidOp::buildVectorJacobianProduct(
    OpBuilder &b, ValueRange resultGrads, SmallVectorImpl<Value> &grads) {
  return activationVjp<SigmoidGradOp>(*this, b, resultGrads, getOutput(), grads);
}

LogicalResult TanhOp::buildVectorJacobianProduct(
    OpBuilder &b, ValueRange resultGrads, SmallVectorImpl<Value> &grads) {
  return activationVjp<TanhGradOp>(*this, b, resultGrads, getOutput(), grads);
}

LogicalResult GeluOp::buildVectorJacobianProduct(
    OpBuilder &b, ValueRange resultGrads, SmallVectorImpl<Value> &grads) {
  return activationVjp<GeluGradOp>(*this, b, resultGrads, getInput(), grads);
}

LogicalResult SoftmaxOp::buildVectorJacobianProduct(
    OpBuilder &b, ValueRange resultGrads, SmallVectorImpl<Value> &grads) {
  return activationVjp<SoftmaxGradOp>(*this, b, resultGrads, getOutput(), grads);
}

LogicalResult LogSoftmaxOp::buildVectorJacobianProduct(
    OpBuilder &b, ValueRange resultGrads, SmallVectorImpl<Value> &grads) {
  return activationVjp<LogSoftmaxGradOp>(*this, b, resultGrads, getOutput(),
                                         grads);
}

LogicalResult LeakyReluOp::buildVectorJacobianProduct(
    OpBuilder &b, ValueRange resultGrads, SmallVectorImpl<Value> &grads) {
  if (!startVjp(*this, resultGrads, grads))
    return success();
  grads[0] = LeakyReluGradOp::create(b, getGradientLoc(*this), getType(),
                                     getInput(), resultGrads[0],
                                     getNegativeSlopeAttr());
  return success();
}

LogicalResult DropoutOp::buildVectorJacobianProduct(
    OpBuilder &b, ValueRange resultGrads, SmallVectorImpl<Value> &grads) {
  if (!startVjp(*this, resultGrads, grads))
    return success();
  // y = x * mask / (1 - rate) is linear in x, and the mask is a function of
  // (seed, stream, position): the gradient is the same dropout applied to dy.
  if (!getSeed()) {
    grads[0] = resultGrads[0];
    return success();
  }
  grads[0] = DropoutOp::create(b, getGradientLoc(*this), getType(),
                               resultGrads[0], getSeed(), getRateAttr(),
                               getStreamAttr());
  return success();
}

LogicalResult BatchNorm2DTrainOp::buildVectorJacobianProduct(
    OpBuilder &b, ValueRange resultGrads, SmallVectorImpl<Value> &grads) {
  if (!startVjp(*this, resultGrads, grads))
    return success();
  // Only the normalised output carries a gradient: the batch statistics and
  // moved running statistics feed state updates, not the loss.
  if (!resultGrads[0])
    return success();
  auto op = BatchNorm2DGradOp::create(
      b, getGradientLoc(*this), getInput().getType(), getWeight().getType(),
      getWeight().getType(), getInput(), getWeight(), getMean(), getInvstd(),
      resultGrads[0]);
  grads[0] = op.getGradInput();
  grads[1] = op.getGradWeight();
  grads[2] = op.getGradBias();
  return success();
}

/// The VJP of a loss comparing `input` with a target: only the input gets a
/// gradient (targets are data).
template <typename GradOp, typename... Extra>
static LogicalResult pairLossVjp(Operation *op, OpBuilder &b,
                                 ValueRange resultGrads, Value input,
                                 Value target, SmallVectorImpl<Value> &grads,
                                 Extra... extra) {
  if (!startVjp(op, resultGrads, grads))
    return success();
  grads[0] = GradOp::create(b, getGradientLoc(op), input.getType(), input,
                            target, resultGrads[0], extra...);
  return success();
}

LogicalResult CategoricalCrossEntropyOp::buildVectorJacobianProduct(
    OpBuilder &b, ValueRange resultGrads, SmallVectorImpl<Value> &grads) {
  return pairLossVjp<CategoricalCrossEntropyGradOp>(
      *this, b, resultGrads, getInput(), getTarget(), grads);
}

LogicalResult BinaryCrossEntropyOp::buildVectorJacobianProduct(
    OpBuilder &b, ValueRange resultGrads, SmallVectorImpl<Value> &grads) {
  return pairLossVjp<BinaryCrossEntropyGradOp>(*this, b, resultGrads,
                                               getInput(), getTarget(), grads,
                                               getFromLogitsAttr());
}

LogicalResult MeanSquaredErrorOp::buildVectorJacobianProduct(
    OpBuilder &b, ValueRange resultGrads, SmallVectorImpl<Value> &grads) {
  return pairLossVjp<MeanSquaredErrorGradOp>(*this, b, resultGrads, getInput(),
                                             getTarget(), grads);
}
