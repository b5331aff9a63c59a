//===- NormalizationLowering.cpp - Batch normalisation, global pooling ----===//
//
// Both reduce [N, C, H, W] tensors per channel. Batch statistics take two
// passes (mean, then the mean squared deviation), as PyTorch does, which
// stays accurate where E[x^2] - E[x]^2 would cancel.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/WeftToLinalg/LoweringUtils.h"

#include "dialects/weft/IR/WeftOps.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mlir::weft;
using namespace mlir::weft::lowering;

namespace {

/// Loops (n, c, h, w) over an [N, C, H, W] tensor; per-channel [C] tensors
/// are read at c.
struct ChannelMaps {
  explicit ChannelMaps(MLIRContext *ctx) {
    AffineExpr n, c, h, w;
    bindDims(ctx, n, c, h, w);
    full = AffineMap::get(4, 0, {n, c, h, w}, ctx);
    channel = AffineMap::get(4, 0, {c}, ctx);
  }
  AffineMap full, channel;
};

/// sum over (n, h, w) of `element(fullValues, channelValues)` per channel:
/// `full` are [N, C, H, W] tensors, `perChannel` [C] ones. Returns [C].
Value sumPerChannel(OpBuilder &b, Location loc, ValueRange full,
                    ValueRange perChannel, ScalarFn element) {
  ChannelMaps maps(b.getContext());
  auto inType = cast<RankedTensorType>(full.front().getType());
  auto outType = RankedTensorType::get({inType.getDimSize(1)}, b.getF32Type());
  Value init = filledTensor(b, loc, outType, full.front(), {1}, 0.0);
  SmallVector<Value> inputs(full);
  inputs.append(perChannel.begin(), perChannel.end());
  SmallVector<AffineMap> indexing(full.size(), maps.full);
  indexing.append(perChannel.size() + 1, maps.channel);
  using utils::IteratorType;
  return linalg::GenericOp::create(
             b, loc, outType, inputs, ValueRange{init}, indexing,
             {IteratorType::reduction, IteratorType::parallel,
              IteratorType::reduction, IteratorType::reduction},
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               Value e = element(nb, nloc, args.drop_back());
               linalg::YieldOp::create(nb, nloc,
                                       addf(nb, nloc, args.back(), e));
             })
      .getResult(0);
}

/// An [N, C, H, W] result from [N, C, H, W] tensors `full` and [C] tensors
/// `perChannel`; `scalar` receives their elements in that order.
Value mapWithChannels(OpBuilder &b, Location loc, ValueRange full,
                      ValueRange perChannel, ScalarFn scalar) {
  ChannelMaps maps(b.getContext());
  SmallVector<Value> inputs(full);
  inputs.append(perChannel.begin(), perChannel.end());
  SmallVector<AffineMap> indexing(full.size(), maps.full);
  indexing.append(perChannel.size(), maps.channel);
  return mapOver(b, loc, full.front(), inputs, indexing, 1,
                 [&](OpBuilder &nb, Location nloc, ValueRange args) {
                   linalg::YieldOp::create(nb, nloc,
                                           scalar(nb, nloc, args.drop_back()));
                 })[0];
}

Value identity(OpBuilder &, Location, ValueRange args) { return args[0]; }

/// N * H * W, the number of values each channel's statistics cover.
Value perChannelCount(OpBuilder &b, Location loc, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  return divf(b, loc, elementCount(b, loc, x),
              f32Const(b, loc, double(type.getDimSize(1))));
}

/// 1 / sqrt(var + eps), per channel.
Value inverseStd(OpBuilder &b, Location loc, Value var, double eps) {
  return mapElements(b, loc, {var}, [&](OpBuilder &nb, Location l, ValueRange a) {
    return math::RsqrtOp::create(nb, l, addf(nb, l, a[0], f32Const(nb, l, eps)))
        .getResult();
  });
}

/// (x - mean) * invstd * weight + bias; the operands after x are [C].
Value normalize(OpBuilder &b, Location loc, Value x, Value mean, Value invstd,
                Value weight, Value bias) {
  return mapWithChannels(b, loc, {x}, {mean, invstd, weight, bias},
                         [](OpBuilder &nb, Location l, ValueRange a) {
                           Value xhat = mulf(nb, l, subf(nb, l, a[0], a[1]), a[2]);
                           return addf(nb, l, mulf(nb, l, xhat, a[3]), a[4]);
                         });
}

/// Evaluation: the running statistics normalise.
struct BatchNorm2DLowering : OpConversionPattern<BatchNorm2DOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(BatchNorm2DOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value invstd = inverseStd(rewriter, loc, adaptor.getRunningVar(),
                              op.getEps().convertToDouble());
    rewriter.replaceOp(op, normalize(rewriter, loc, adaptor.getInput(),
                                     adaptor.getRunningMean(), invstd,
                                     adaptor.getWeight(), adaptor.getBias()));
    return success();
  }
};

/// Training: the batch's statistics normalise, and the running statistics
/// move towards them (with the unbiased variance, as PyTorch).
struct BatchNorm2DTrainLowering : OpConversionPattern<BatchNorm2DTrainOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(BatchNorm2DTrainOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    Value count = perChannelCount(rewriter, loc, x);
    auto divideByCount = [&](OpBuilder &b, Location l, ValueRange a) {
      return divf(b, l, a[0], count);
    };
    Value sum = sumPerChannel(rewriter, loc, {x}, {}, identity);
    Value mean = mapElements(rewriter, loc, {sum}, divideByCount);
    Value squares = sumPerChannel(rewriter, loc, {x}, {mean},
                                  [](OpBuilder &b, Location l, ValueRange a) {
                                    Value d = subf(b, l, a[0], a[1]);
                                    return mulf(b, l, d, d);
                                  });
    Value var = mapElements(rewriter, loc, {squares}, divideByCount);
    Value invstd = inverseStd(rewriter, loc, var, op.getEps().convertToDouble());
    Value y = normalize(rewriter, loc, x, mean, invstd, adaptor.getWeight(),
                        adaptor.getBias());

    double momentum = op.getMomentum().convertToDouble();
    auto moveTowards = [&](Value running, Value batchValue, Value factor) {
      return mapElements(rewriter, loc, {running, batchValue},
                         [&](OpBuilder &b, Location l, ValueRange a) {
                           Value kept = mulf(b, l, a[0], f32Const(b, l, 1.0 - momentum));
                           Value moved = mulf(b, l, mulf(b, l, a[1], factor),
                                              f32Const(b, l, momentum));
                           return addf(b, l, kept, moved);
                         });
    };
    // M / (M - 1) turns the biased variance into the unbiased one.
    Value bessel = divf(rewriter, loc, count,
                        subf(rewriter, loc, count, f32Const(rewriter, loc, 1.0)));
    Value newMean = moveTowards(adaptor.getRunningMean(), mean,
                                f32Const(rewriter, loc, 1.0));
    Value newVar = moveTowards(adaptor.getRunningVar(), var, bessel);
    rewriter.replaceOp(op, {y, mean, invstd, newMean, newVar});
    return success();
  }
};

/// dbias = sum(dy), dweight = sum(dy * xhat),
/// dx = weight * invstd / M * (M dy - dbias - xhat * dweight).
struct BatchNorm2DGradLowering : OpConversionPattern<BatchNorm2DGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(BatchNorm2DGradOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput(), dy = adaptor.getGrad();
    Value mean = adaptor.getMean(), invstd = adaptor.getInvstd();
    Value count = perChannelCount(rewriter, loc, x);
    Value dbias = sumPerChannel(rewriter, loc, {dy}, {}, identity);
    Value dweight = sumPerChannel(rewriter, loc, {x, dy}, {mean, invstd},
                                  [](OpBuilder &b, Location l, ValueRange a) {
                                    Value xhat = mulf(b, l, subf(b, l, a[0], a[2]), a[3]);
                                    return mulf(b, l, a[1], xhat);
                                  });
    Value dx = mapWithChannels(
        rewriter, loc, {x, dy}, {mean, invstd, adaptor.getWeight(), dbias, dweight},
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value xv = a[0], g = a[1], mu = a[2], is = a[3], w = a[4], db = a[5],
                dw = a[6];
          Value xhat = mulf(b, l, subf(b, l, xv, mu), is);
          Value centered = subf(b, l, subf(b, l, mulf(b, l, g, count), db),
                                mulf(b, l, xhat, dw));
          return mulf(b, l, divf(b, l, mulf(b, l, w, is), count), centered);
        });
    rewriter.replaceOp(op, {dx, dweight, dbias});
    return success();
  }
};

/// The mean over (h, w): a sum per (n, c), divided by H * W.
struct GlobalAvgPoolLowering : OpConversionPattern<GlobalAvgPoolOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(GlobalAvgPoolOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = adaptor.getInput();
    Value area = mulf(rewriter, loc, dimAsFloat(rewriter, loc, x, 2),
                      dimAsFloat(rewriter, loc, x, 3));
    Value init = filledTensor(rewriter, loc, op.getType(), x, {0, 1}, 0.0);
    AffineExpr n, c, h, w;
    bindDims(ctx, n, c, h, w);
    using utils::IteratorType;
    Value sums =
        linalg::GenericOp::create(
            rewriter, loc, op.getType(), ValueRange{x}, ValueRange{init},
            SmallVector<AffineMap>{AffineMap::get(4, 0, {n, c, h, w}, ctx),
                                   AffineMap::get(4, 0, {n, c}, ctx)},
            {IteratorType::parallel, IteratorType::parallel,
             IteratorType::reduction, IteratorType::reduction},
            [](OpBuilder &b, Location l, ValueRange args) {
              linalg::YieldOp::create(b, l, addf(b, l, args[1], args[0]));
            })
            .getResult(0);
    rewriter.replaceOp(op, mapElements(rewriter, loc, {sums},
                                       [&](OpBuilder &b, Location l, ValueRange a) {
                                         return divf(b, l, a[0], area);
                                       }));
    return success();
  }
};

} // namespace

void mlir::weft::lowering::populateNormalizationLoweringPatterns(
    RewritePatternSet &patterns) {
  patterns.add<BatchNorm2DGradLowering, BatchNorm2DLowering,
               BatchNorm2DTrainLowering, GlobalAvgPoolLowering>(
      patterns.getContext());
}
