//===- OptimizerLowering.cpp - Parameter updates and gradient clipping ----===//
//
// Each update is one elementwise loop over a parameter, its gradient and its
// state, yielding the new parameter and state together. Hyperparameters are
// run-time scalars; mode switches (Nesterov, decoupled weight decay) are 0/1
// factors, exact in floating point, so one compiled step serves every run.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/WeftToLinalg/LoweringUtils.h"

#include "dialects/weft/IR/WeftOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::weft;
using namespace mlir::weft::lowering;

namespace {

struct SgdUpdateLowering : OpConversionPattern<SgdUpdateOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(SgdUpdateOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Value lr = adaptor.getLr(), momentum = adaptor.getMomentum(),
          decay = adaptor.getWeightDecay(), nesterov = adaptor.getNesterov();
    rewriter.replaceOp(
        op, elementwise(
                rewriter, op.getLoc(),
                {adaptor.getParam(), adaptor.getGrad(), adaptor.getMomentumBuffer()},
                2, [&](OpBuilder &b, Location l, ValueRange args) {
                  Value p = args[0], g = args[1], buf = args[2];
                  // g' = g + wd p;  buf' = momentum buf + g'.
                  g = addf(b, l, g, mulf(b, l, decay, p));
                  Value newBuf = addf(b, l, mulf(b, l, momentum, buf), g);
                  // d = buf' + nesterov (g' + momentum buf' - buf').
                  Value ahead = addf(b, l, g, mulf(b, l, momentum, newBuf));
                  Value d = addf(b, l, newBuf,
                                 mulf(b, l, nesterov, subf(b, l, ahead, newBuf)));
                  Value newP = subf(b, l, p, mulf(b, l, lr, d));
                  linalg::YieldOp::create(b, l, ValueRange{newP, newBuf});
                }));
    return success();
  }
};

struct AdamUpdateLowering : OpConversionPattern<AdamUpdateOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(AdamUpdateOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    Value beta1 = adaptor.getBeta1(), beta2 = adaptor.getBeta2(),
          eps = adaptor.getEps(), decay = adaptor.getWeightDecay(),
          lr = adaptor.getLr(), decoupled = adaptor.getDecoupled();
    // Once per tensor, as torch.optim.Adam computes them: the bias
    // corrections step_size = lr / (1 - beta1^t) and sqrt(1 - beta2^t), the
    // L2 factor (1 - decoupled) wd and AdamW's shrink 1 - decoupled lr wd.
    Value one = f32Const(b, loc, 1.0);
    Value bc1 = subf(b, loc, one, math::PowFOp::create(b, loc, beta1, adaptor.getStep()));
    Value bc2 = subf(b, loc, one, math::PowFOp::create(b, loc, beta2, adaptor.getStep()));
    Value stepSize = divf(b, loc, lr, bc1);
    Value bc2Sqrt = math::SqrtOp::create(b, loc, bc2);
    Value oneMinusBeta1 = subf(b, loc, one, beta1);
    Value oneMinusBeta2 = subf(b, loc, one, beta2);
    Value l2 = mulf(b, loc, subf(b, loc, one, decoupled), decay);
    Value shrink = subf(b, loc, one, mulf(b, loc, decoupled, mulf(b, loc, lr, decay)));
    rewriter.replaceOp(
        op, elementwise(
                b, loc,
                {adaptor.getParam(), adaptor.getGrad(), adaptor.getExpAvg(),
                 adaptor.getExpAvgSq()},
                3, [&](OpBuilder &nb, Location l, ValueRange args) {
                  Value p = args[0], g = args[1], m = args[2], v = args[3];
                  g = addf(nb, l, g, mulf(nb, l, l2, p));
                  Value newM = addf(nb, l, mulf(nb, l, beta1, m),
                                    mulf(nb, l, oneMinusBeta1, g));
                  Value newV = addf(nb, l, mulf(nb, l, beta2, v),
                                    mulf(nb, l, oneMinusBeta2, mulf(nb, l, g, g)));
                  Value denom = addf(
                      nb, l, divf(nb, l, math::SqrtOp::create(nb, l, newV), bc2Sqrt), eps);
                  Value newP = subf(nb, l, mulf(nb, l, p, shrink),
                                    mulf(nb, l, stepSize, divf(nb, l, newM, denom)));
                  linalg::YieldOp::create(nb, l, ValueRange{newP, newM, newV});
                }));
    return success();
  }
};

/// norm = sqrt(sum over every gradient of g^2); each gradient times
/// min(1, max_norm / (norm + 1e-6)), or 1 when max_norm <= 0 (no clipping).
struct ClipByGlobalNormLowering : OpConversionPattern<ClipByGlobalNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ClipByGlobalNormOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    Value maxNorm = adaptor.getMaxNorm();
    Value one = f32Const(b, loc, 1.0);
    Value enabled = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                          maxNorm, f32Const(b, loc, 0.0));
    // The norm is a pass over every gradient (9% of a lenet step): only
    // when clipping is on, which the step learns at run time.
    auto ifEnabled = scf::IfOp::create(b, loc, TypeRange{b.getF32Type()},
                                       enabled, /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(ifEnabled.thenBlock());
      Value squares = f32Const(b, loc, 0.0);
      for (Value g : adaptor.getGrads())
        squares = addf(b, loc, squares,
                       sumAll(b, loc, {g}, [](OpBuilder &nb, Location l, ValueRange a) {
                         return mulf(nb, l, a[0], a[0]);
                       }));
      Value norm = math::SqrtOp::create(b, loc, squares);
      Value coef = arith::MinimumFOp::create(
          b, loc, one,
          divf(b, loc, maxNorm, addf(b, loc, norm, f32Const(b, loc, 1e-6))));
      scf::YieldOp::create(b, loc, coef);
      b.setInsertionPointToStart(ifEnabled.elseBlock());
      scf::YieldOp::create(b, loc, one);
    }
    Value scale = ifEnabled.getResult(0);
    SmallVector<Value> clipped;
    for (Value g : adaptor.getGrads())
      clipped.push_back(mapElements(b, loc, {g}, [&](OpBuilder &nb, Location l, ValueRange a) {
        return mulf(nb, l, a[0], scale);
      }));
    rewriter.replaceOp(op, clipped);
    return success();
  }
};

} // namespace

void mlir::weft::lowering::populateOptimizerLoweringPatterns(
    RewritePatternSet &patterns) {
  patterns.add<AdamUpdateLowering, ClipByGlobalNormLowering, SgdUpdateLowering>(
      patterns.getContext());
}
