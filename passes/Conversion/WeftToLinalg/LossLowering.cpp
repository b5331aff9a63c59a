//===- LossLowering.cpp - Losses and their gradients ----------------------===//
//
// Every loss is a mean, as PyTorch's default reduction is: cross-entropies
// over the batch, binary cross-entropy and mse over all elements. The
// gradient ops read the loss gradient (a rank-0 tensor) once, outside the
// loops, and scale by it and by the mean's count.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/WeftToLinalg/LoweringUtils.h"

#include "dialects/weft/IR/WeftOps.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mlir::weft;
using namespace mlir::weft::lowering;

namespace {

/// loss_grad / count, a scalar the gradient loops multiply by.
Value gradientScale(OpBuilder &b, Location loc, Value lossGrad, Value count) {
  return divf(b, loc, tensor::ExtractOp::create(b, loc, lossGrad, ValueRange{}),
              count);
}

/// Whether `column` (an index) equals the class label `label` (an i32).
Value isLabel(OpBuilder &b, Location loc, Value column, Value label) {
  Value labelIndex = arith::IndexCastOp::create(b, loc, b.getIndexType(), label);
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, column,
                               labelIndex);
}

/// log(sum(exp(x))) of a row from its statistics: max + log(sumExp).
Value logSumExp(OpBuilder &b, Location loc, Value rowMax, Value sumExp) {
  return addf(b, loc, rowMax, math::LogOp::create(b, loc, sumExp));
}

/// exp(x - max) / sumExp.
Value softmaxOf(OpBuilder &b, Location loc, Value x, Value rowMax, Value sumExp) {
  return divf(b, loc, math::ExpOp::create(b, loc, subf(b, loc, x, rowMax)), sumExp);
}

//===----------------------------------------------------------------------===//
// Cross-entropy against class indices
//===----------------------------------------------------------------------===//

/// mean_b (logsumexp(x[b]) - x[b, label[b]]).
struct SoftmaxCrossEntropyLowering : OpConversionPattern<SoftmaxCrossEntropyOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(SoftmaxCrossEntropyOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getLogits();
    auto [rowMax, sumExp] = softmaxStatistics(rewriter, loc, x);
    // The logit of each example's own class.
    Value picked = sumRows(rewriter, loc, x, {adaptor.getLabels()},
                           [](OpBuilder &b, Location l, Value e, ValueRange row) -> Value {
                             Value column = linalg::IndexOp::create(b, l, 1);
                             return arith::SelectOp::create(b, l, isLabel(b, l, column, row[0]),
                                                            e, f32Const(b, l, 0.0));
                           });
    Value total = sumAll(rewriter, loc, {rowMax, sumExp, picked},
                         [](OpBuilder &b, Location l, ValueRange a) {
                           return subf(b, l, logSumExp(b, l, a[0], a[1]), a[2]);
                         });
    rewriter.replaceOp(op, meanTensor(rewriter, loc, total,
                                      dimAsFloat(rewriter, loc, x, 0)));
    return success();
  }
};

/// (softmax(x) - one_hot(label)) * loss_grad / B.
struct SoftmaxCrossEntropyGradLowering
    : OpConversionPattern<SoftmaxCrossEntropyGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(SoftmaxCrossEntropyGradOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getLogits();
    auto [rowMax, sumExp] = softmaxStatistics(rewriter, loc, x);
    Value scale = gradientScale(rewriter, loc, adaptor.getLossGrad(),
                                dimAsFloat(rewriter, loc, x, 0));
    rewriter.replaceOp(
        op, mapRows(rewriter, loc, {x}, {rowMax, sumExp, adaptor.getLabels()},
                    [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                      Value column = linalg::IndexOp::create(b, l, 1);
                      Value target = arith::SelectOp::create(
                          b, l, isLabel(b, l, column, a[3]), f32Const(b, l, 1.0),
                          f32Const(b, l, 0.0));
                      Value p = softmaxOf(b, l, a[0], a[1], a[2]);
                      return mulf(b, l, subf(b, l, p, target), scale);
                    }));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Cross-entropy against target distributions (one-hot labels)
//===----------------------------------------------------------------------===//

/// mean_b sum_c t[b, c] * (logsumexp(x[b]) - x[b, c]).
struct CategoricalCrossEntropyLowering
    : OpConversionPattern<CategoricalCrossEntropyOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(CategoricalCrossEntropyOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput(), t = adaptor.getTarget();
    auto [rowMax, sumExp] = softmaxStatistics(rewriter, loc, x);
    Value terms = mapRows(rewriter, loc, {x, t}, {rowMax, sumExp},
                          [](OpBuilder &b, Location l, ValueRange a) {
                            Value lse = logSumExp(b, l, a[2], a[3]);
                            return mulf(b, l, a[1], subf(b, l, lse, a[0]));
                          });
    Value total = sumAll(rewriter, loc, {terms},
                         [](OpBuilder &, Location, ValueRange a) { return a[0]; });
    rewriter.replaceOp(op, meanTensor(rewriter, loc, total,
                                      dimAsFloat(rewriter, loc, x, 0)));
    return success();
  }
};

/// (softmax(x) * sum_c t - t) * loss_grad / B; sum_c t is 1 for one-hot
/// targets and kept for soft ones.
struct CategoricalCrossEntropyGradLowering
    : OpConversionPattern<CategoricalCrossEntropyGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(CategoricalCrossEntropyGradOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput(), t = adaptor.getTarget();
    auto [rowMax, sumExp] = softmaxStatistics(rewriter, loc, x);
    Value targetSum = sumRows(rewriter, loc, t);
    Value scale = gradientScale(rewriter, loc, adaptor.getLossGrad(),
                                dimAsFloat(rewriter, loc, x, 0));
    rewriter.replaceOp(
        op, mapRows(rewriter, loc, {x, t}, {rowMax, sumExp, targetSum},
                    [&](OpBuilder &b, Location l, ValueRange a) {
                      Value p = softmaxOf(b, l, a[0], a[2], a[3]);
                      return mulf(b, l, subf(b, l, mulf(b, l, p, a[4]), a[1]), scale);
                    }));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Binary cross-entropy and mean squared error, means over all elements
//===----------------------------------------------------------------------===//

/// PyTorch's binary_cross_entropy clamps each log at -100, so p = 0 or 1
/// gives a large finite loss instead of inf.
Value clampedLog(OpBuilder &b, Location loc, Value p) {
  return arith::MaximumFOp::create(b, loc, math::LogOp::create(b, loc, p),
                                   f32Const(b, loc, -100.0));
}

/// -(t log p + (1 - t) log(1 - p)), or from logits x (PyTorch's
/// binary_cross_entropy_with_logits): max(x, 0) - x t + log1p(exp(-|x|)).
Value binaryCrossEntropyTerm(OpBuilder &b, Location loc, Value input,
                             Value target, bool fromLogits) {
  Value one = f32Const(b, loc, 1.0);
  if (fromLogits) {
    Value relu = arith::MaximumFOp::create(b, loc, input, f32Const(b, loc, 0.0));
    Value negAbs = arith::NegFOp::create(b, loc, math::AbsFOp::create(b, loc, input));
    Value softplus = math::Log1pOp::create(b, loc, math::ExpOp::create(b, loc, negAbs));
    return addf(b, loc, subf(b, loc, relu, mulf(b, loc, input, target)), softplus);
  }
  Value positive = mulf(b, loc, target, clampedLog(b, loc, input));
  Value negative = mulf(b, loc, subf(b, loc, one, target),
                        clampedLog(b, loc, subf(b, loc, one, input)));
  return arith::NegFOp::create(b, loc, addf(b, loc, positive, negative));
}

struct BinaryCrossEntropyLowering : OpConversionPattern<BinaryCrossEntropyOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(BinaryCrossEntropyOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    bool fromLogits = op.getFromLogits();
    Value total = sumAll(rewriter, loc, {adaptor.getInput(), adaptor.getTarget()},
                         [&](OpBuilder &b, Location l, ValueRange a) {
                           return binaryCrossEntropyTerm(b, l, a[0], a[1], fromLogits);
                         });
    rewriter.replaceOp(op, meanTensor(rewriter, loc, total,
                                      elementCount(rewriter, loc, adaptor.getInput())));
    return success();
  }
};

/// (p - t) / max(p (1 - p), 1e-12), PyTorch's binary_cross_entropy_backward;
/// from logits, sigmoid(x) - t. Both times loss_grad / numel.
struct BinaryCrossEntropyGradLowering
    : OpConversionPattern<BinaryCrossEntropyGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(BinaryCrossEntropyGradOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    bool fromLogits = op.getFromLogits();
    Value x = adaptor.getInput();
    Value scale = gradientScale(rewriter, loc, adaptor.getLossGrad(),
                                elementCount(rewriter, loc, x));
    rewriter.replaceOp(
        op, mapElements(rewriter, loc, {x, adaptor.getTarget()},
                        [&](OpBuilder &b, Location l, ValueRange a) {
                          Value one = f32Const(b, l, 1.0);
                          Value g;
                          if (fromLogits) {
                            Value e = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, a[0]));
                            g = subf(b, l, divf(b, l, one, addf(b, l, one, e)), a[1]);
                          } else {
                            Value variance = mulf(b, l, a[0], subf(b, l, one, a[0]));
                            Value denom = arith::MaximumFOp::create(b, l, variance,
                                                                    f32Const(b, l, 1e-12));
                            g = divf(b, l, subf(b, l, a[0], a[1]), denom);
                          }
                          return mulf(b, l, g, scale);
                        }));
    return success();
  }
};

/// mean((x - t)^2).
struct MeanSquaredErrorLowering : OpConversionPattern<MeanSquaredErrorOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(MeanSquaredErrorOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value total = sumAll(rewriter, loc, {adaptor.getInput(), adaptor.getTarget()},
                         [](OpBuilder &b, Location l, ValueRange a) {
                           Value d = subf(b, l, a[0], a[1]);
                           return mulf(b, l, d, d);
                         });
    rewriter.replaceOp(op, meanTensor(rewriter, loc, total,
                                      elementCount(rewriter, loc, adaptor.getInput())));
    return success();
  }
};

/// 2 (x - t) * loss_grad / numel.
struct MeanSquaredErrorGradLowering : OpConversionPattern<MeanSquaredErrorGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(MeanSquaredErrorGradOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    Value scale = gradientScale(rewriter, loc, adaptor.getLossGrad(),
                                elementCount(rewriter, loc, x));
    Value twiceScale = mulf(rewriter, loc, scale, f32Const(rewriter, loc, 2.0));
    rewriter.replaceOp(
        op, mapElements(rewriter, loc, {x, adaptor.getTarget()},
                        [&](OpBuilder &b, Location l, ValueRange a) {
                          return mulf(b, l, subf(b, l, a[0], a[1]), twiceScale);
                        }));
    return success();
  }
};

} // namespace

void mlir::weft::lowering::populateLossLoweringPatterns(
    RewritePatternSet &patterns) {
  patterns.add<BinaryCrossEntropyGradLowering, BinaryCrossEntropyLowering,
               CategoricalCrossEntropyGradLowering,
               CategoricalCrossEntropyLowering, MeanSquaredErrorGradLowering,
               MeanSquaredErrorLowering, SoftmaxCrossEntropyGradLowering,
               SoftmaxCrossEntropyLowering>(patterns.getContext());
}
