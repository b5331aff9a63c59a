//===- ActivationLowering.cpp - Activations, their gradients, dropout -----===//
//
// Elementwise activations become one linalg.generic each; softmax and
// log_softmax work on rows along the last dimension (higher ranks are
// collapsed to rows first). The formulas follow PyTorch's forward and
// *_backward kernels, so gradients agree with torch.autograd.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/WeftToLinalg/LoweringUtils.h"

#include "dialects/weft/IR/WeftOps.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;
using namespace mlir::weft;
using namespace mlir::weft::lowering;

namespace {

//===----------------------------------------------------------------------===//
// Elementwise activations
//===----------------------------------------------------------------------===//

/// sigmoid(x) = 1 / (1 + exp(-x)); exp overflows to inf for very negative x,
/// which gives the right limit, 0.
Value sigmoidScalar(OpBuilder &b, Location loc, ValueRange args) {
  Value one = f32Const(b, loc, 1.0);
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, args[0]));
  return arith::DivFOp::create(b, loc, one, addf(b, loc, one, e));
}

/// dy * y * (1 - y), y = sigmoid(x).
Value sigmoidGradScalar(OpBuilder &b, Location loc, ValueRange args) {
  Value y = args[0], dy = args[1];
  return mulf(b, loc, dy, mulf(b, loc, y, subf(b, loc, f32Const(b, loc, 1.0), y)));
}

Value tanhScalar(OpBuilder &b, Location loc, ValueRange args) {
  return math::TanhOp::create(b, loc, args[0]);
}

/// dy * (1 - y^2), y = tanh(x).
Value tanhGradScalar(OpBuilder &b, Location loc, ValueRange args) {
  Value y = args[0], dy = args[1];
  return mulf(b, loc, dy, subf(b, loc, f32Const(b, loc, 1.0), mulf(b, loc, y, y)));
}

/// Phi(x) = (1 + erf(x / sqrt(2))) / 2, the standard normal CDF.
Value normalCdf(OpBuilder &b, Location loc, Value x) {
  Value scaled = mulf(b, loc, x, f32Const(b, loc, M_SQRT1_2));
  Value erf = math::ErfOp::create(b, loc, scaled);
  return mulf(b, loc, f32Const(b, loc, 0.5),
              addf(b, loc, f32Const(b, loc, 1.0), erf));
}

/// gelu(x) = x * Phi(x), PyTorch's default (approximate='none').
Value geluScalar(OpBuilder &b, Location loc, ValueRange args) {
  return mulf(b, loc, args[0], normalCdf(b, loc, args[0]));
}

/// dy * (Phi(x) + x * phi(x)), phi(x) = exp(-x^2 / 2) / sqrt(2 pi).
Value geluGradScalar(OpBuilder &b, Location loc, ValueRange args) {
  Value x = args[0], dy = args[1];
  Value halfSquare = mulf(b, loc, f32Const(b, loc, -0.5), mulf(b, loc, x, x));
  Value density = mulf(b, loc, math::ExpOp::create(b, loc, halfSquare),
                       f32Const(b, loc, 0.5 * M_2_SQRTPI * M_SQRT1_2));
  return mulf(b, loc, dy,
              addf(b, loc, normalCdf(b, loc, x), mulf(b, loc, x, density)));
}

using SigmoidLowering = ElementwiseLowering<SigmoidOp, sigmoidScalar>;
using SigmoidGradLowering = ElementwiseLowering<SigmoidGradOp, sigmoidGradScalar>;
using TanhLowering = ElementwiseLowering<TanhOp, tanhScalar>;
using TanhGradLowering = ElementwiseLowering<TanhGradOp, tanhGradScalar>;
using GeluLowering = ElementwiseLowering<GeluOp, geluScalar>;
using GeluGradLowering = ElementwiseLowering<GeluGradOp, geluGradScalar>;

/// leaky_relu and its gradient: the last operand (x, or the output
/// gradient) where x > 0, else negative_slope times it. PyTorch's
/// leaky_relu and leaky_relu_backward both test x > 0.
template <typename OpTy>
struct LeakyReluLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  using OpAdaptor = typename OpConversionPattern<OpTy>::OpAdaptor;
  LogicalResult matchAndRewrite(OpTy op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    double slope = op.getNegativeSlope().convertToDouble();
    rewriter.replaceOp(
        op, mapElements(rewriter, op.getLoc(), adaptor.getOperands(),
                        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
                          Value x = args.front(), v = args.back();
                          Value positive = arith::CmpFOp::create(
                              b, l, arith::CmpFPredicate::OGT, x, f32Const(b, l, 0.0));
                          return arith::SelectOp::create(
                              b, l, positive, v, mulf(b, l, v, f32Const(b, l, slope)));
                        }));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Softmax and log_softmax, along the last dimension
//===----------------------------------------------------------------------===//

/// Lowers a row-wise op: its operands are viewed as rows, `build` computes
/// the [B, C] result from them, and the result takes the op's shape again.
template <typename OpTy>
struct RowwiseLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  using OpAdaptor = typename OpConversionPattern<OpTy>::OpAdaptor;
  virtual Value build(OpBuilder &b, Location loc, ValueRange rows) const = 0;
  LogicalResult matchAndRewrite(OpTy op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    SmallVector<Value> rows;
    for (Value operand : adaptor.getOperands())
      rows.push_back(asRows(rewriter, loc, operand));
    Value result = build(rewriter, loc, rows);
    rewriter.replaceOp(op, fromRows(rewriter, loc, result,
                                    adaptor.getOperands().front()));
    return success();
  }
};

/// exp(x - max) / sum(exp(x - max)).
struct SoftmaxLowering : RowwiseLowering<SoftmaxOp> {
  using RowwiseLowering::RowwiseLowering;
  Value build(OpBuilder &b, Location loc, ValueRange rows) const override {
    auto [rowMax, sumExp] = softmaxStatistics(b, loc, rows[0]);
    return mapRows(b, loc, {rows[0]}, {rowMax, sumExp},
                   [](OpBuilder &nb, Location nloc, ValueRange a) -> Value {
                     Value e = math::ExpOp::create(nb, nloc, subf(nb, nloc, a[0], a[1]));
                     return arith::DivFOp::create(nb, nloc, e, a[2]);
                   });
  }
};

/// x - max - log(sum(exp(x - max))).
struct LogSoftmaxLowering : RowwiseLowering<LogSoftmaxOp> {
  using RowwiseLowering::RowwiseLowering;
  Value build(OpBuilder &b, Location loc, ValueRange rows) const override {
    auto [rowMax, sumExp] = softmaxStatistics(b, loc, rows[0]);
    return mapRows(b, loc, {rows[0]}, {rowMax, sumExp},
                   [](OpBuilder &nb, Location nloc, ValueRange a) -> Value {
                     Value shifted = subf(nb, nloc, a[0], a[1]);
                     return subf(nb, nloc, shifted, math::LogOp::create(nb, nloc, a[2]));
                   });
  }
};

/// y * (dy - sum(dy * y)).
struct SoftmaxGradLowering : RowwiseLowering<SoftmaxGradOp> {
  using RowwiseLowering::RowwiseLowering;
  Value build(OpBuilder &b, Location loc, ValueRange rows) const override {
    Value y = rows[0], dy = rows[1];
    Value product = mapElements(b, loc, {y, dy},
                                [](OpBuilder &nb, Location nloc, ValueRange a) {
                                  return mulf(nb, nloc, a[0], a[1]);
                                });
    Value dot = sumRows(b, loc, product);
    return mapRows(b, loc, {y, dy}, {dot},
                   [](OpBuilder &nb, Location nloc, ValueRange a) -> Value {
                     return mulf(nb, nloc, a[0], subf(nb, nloc, a[1], a[2]));
                   });
  }
};

/// dy - exp(y) * sum(dy).
struct LogSoftmaxGradLowering : RowwiseLowering<LogSoftmaxGradOp> {
  using RowwiseLowering::RowwiseLowering;
  Value build(OpBuilder &b, Location loc, ValueRange rows) const override {
    Value y = rows[0], dy = rows[1];
    Value total = sumRows(b, loc, dy);
    return mapRows(b, loc, {y, dy}, {total},
                   [](OpBuilder &nb, Location nloc, ValueRange a) -> Value {
                     Value p = math::ExpOp::create(nb, nloc, a[0]);
                     return subf(nb, nloc, a[1], mulf(nb, nloc, p, a[2]));
                   });
  }
};

//===----------------------------------------------------------------------===//
// Dropout
//===----------------------------------------------------------------------===//

Value xori(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::XOrIOp::create(b, loc, x, y);
}
Value i32Const(OpBuilder &b, Location loc, uint32_t v) {
  return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(int32_t(v)));
}

/// MurmurHash3's 32-bit finaliser: every input bit affects every output bit.
Value mix32(OpBuilder &b, Location loc, Value h) {
  auto shiftXor = [&](Value v, uint32_t s) {
    return xori(b, loc, v, arith::ShRUIOp::create(b, loc, v, i32Const(b, loc, s)));
  };
  h = shiftXor(h, 16);
  h = arith::MulIOp::create(b, loc, h, i32Const(b, loc, 0x85ebca6bu));
  h = shiftXor(h, 13);
  h = arith::MulIOp::create(b, loc, h, i32Const(b, loc, 0xc2b2ae35u));
  return shiftXor(h, 16);
}

/// In training (with a seed), keeps each element with probability
/// 1 - rate and scales it by 1 / (1 - rate); the mask is a hash of (seed,
/// stream, row-major position), so the same op on the gradient reproduces
/// it. Without a seed, the identity.
struct DropoutLowering : OpConversionPattern<DropoutOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(DropoutOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Value x = adaptor.getInput();
    double rate = op.getRate().convertToDouble();
    if (!adaptor.getSeed() || rate == 0.0) {
      rewriter.replaceOp(op, x);
      return success();
    }
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(x.getType());
    SmallVector<Value> sizes; // i32 sizes of dimensions 1.., for the position.
    for (int64_t i = 1; i < type.getRank(); ++i)
      sizes.push_back(arith::IndexCastOp::create(
          rewriter, loc, rewriter.getI32Type(),
          tensor::DimOp::create(rewriter, loc, x, i)));
    Value seed = adaptor.getSeed();
    uint32_t stream = uint32_t(op.getStream()) * 0x9e3779b9u;
    float keep = float(1.0 - rate), scale = float(1.0 / (1.0 - rate));
    rewriter.replaceOp(
        op, elementwise(rewriter, loc, {x}, 1,
                        [&](OpBuilder &b, Location l, ValueRange args) {
                          Value position = arith::IndexCastOp::create(
                              b, l, b.getI32Type(), linalg::IndexOp::create(b, l, 0));
                          for (auto [i, size] : llvm::enumerate(sizes)) {
                            Value index = arith::IndexCastOp::create(
                                b, l, b.getI32Type(), linalg::IndexOp::create(b, l, i + 1));
                            position = arith::AddIOp::create(
                                b, l, arith::MulIOp::create(b, l, position, size), index);
                          }
                          Value h = mix32(b, l, xori(b, l, position, i32Const(b, l, stream)));
                          h = mix32(b, l, xori(b, l, h, seed));
                          // 24 random bits give a uniform float in [0, 1).
                          Value bits = arith::ShRUIOp::create(b, l, h, i32Const(b, l, 8));
                          Value u = mulf(b, l, arith::UIToFPOp::create(b, l, b.getF32Type(), bits),
                                         f32Const(b, l, 1.0 / 16777216.0));
                          Value dropped = arith::CmpFOp::create(
                              b, l, arith::CmpFPredicate::OGE, u, f32Const(b, l, keep));
                          Value kept = mulf(b, l, args[0], f32Const(b, l, scale));
                          linalg::YieldOp::create(
                              b, l,
                              arith::SelectOp::create(b, l, dropped, f32Const(b, l, 0.0), kept)
                                  .getResult());
                        })[0]);
    return success();
  }
};

} // namespace

void mlir::weft::lowering::populateActivationLoweringPatterns(
    RewritePatternSet &patterns) {
  patterns.add<DropoutLowering, GeluGradLowering, GeluLowering,
               LeakyReluLowering<LeakyReluGradOp>, LeakyReluLowering<LeakyReluOp>,
               LogSoftmaxGradLowering,
               LogSoftmaxLowering, SigmoidGradLowering, SigmoidLowering,
               SoftmaxGradLowering, SoftmaxLowering, TanhGradLowering,
               TanhLowering>(patterns.getContext());
}
