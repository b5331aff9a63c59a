//===- ConvolutionLowering.cpp - Convolutions and pools to linalg ---------===//
//
// Convolution, pooling and their gradients as linalg.generic ops on tensors.
// Groups become explicit dimensions ([N, C, H, W] -> [N, G, C/G, H, W]), so
// every map is affine and one pattern covers grouped and plain convolution.
//
// Gradients with respect to the input are gathers, not scatters: the output
// gradient is spread onto a zero tensor at stride s (tensor.insert_slice with
// strides) and padded by the kernel's reach, after which the gradient of each
// input element is a stride-1 window sum with the kernel flipped. No atomic
// or overlapping writes, so the result is an ordinary parallel loop nest.
//
// Pools whose windows tile the input (stride equal to the kernel, no
// padding: the usual 2x2 pool) take a shorter road: a reshape views the
// input as [N, C, OH, KH, OW, KW], so windows are plain loops, and the
// gradient is written window by window, with no spreading, padding or
// zero-filled buffers.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/WeftToLinalg/LoweringUtils.h"

#include "dialects/weft/IR/WeftOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

using namespace mlir;
using namespace mlir::weft;
using namespace mlir::weft::lowering;

namespace {

using utils::IteratorType;

/// The window attributes of a convolution or pool, per spatial dimension.
struct Window {
  int64_t kernel[2], stride[2], dilation[2] = {1, 1};
  int64_t padLow[2], padHigh[2];

  Window(ArrayRef<int64_t> kernelSizes, ArrayRef<int64_t> strides,
         ArrayRef<int64_t> padding, ArrayRef<int64_t> dilations = {1, 1}) {
    for (int d = 0; d < 2; ++d) {
      kernel[d] = kernelSizes[d];
      stride[d] = strides[d];
      dilation[d] = dilations[d];
      padLow[d] = padding[d];
      padHigh[d] = padding[2 + d];
    }
  }
  /// How far the kernel reaches past its first element.
  int64_t reach(int d) const { return dilation[d] * (kernel[d] - 1); }
};

/// A [N, C, H, W]-shaped tensor of `sizes` (N from `like`) filled with
/// `fill`, with `source` written into it from `offset` at `stride`: padding
/// when the stride is 1, and the spreading of an output gradient for the
/// gather form of a backward pass otherwise.
Value placeStrided(OpBuilder &b, Location loc, Value source, Value like,
                   const int64_t offset[2], const int64_t stride[2],
                   const int64_t sizes[2], double fill) {
  auto sourceType = cast<RankedTensorType>(source.getType());
  if (offset[0] == 0 && offset[1] == 0 && stride[0] == 1 && stride[1] == 1 &&
      sizes[0] == sourceType.getDimSize(2) && sizes[1] == sourceType.getDimSize(3))
    return source; // Nothing to pad or spread.
  auto type = RankedTensorType::get(
      {ShapedType::kDynamic, sourceType.getDimSize(1), sizes[0], sizes[1]},
      b.getF32Type());
  Value dest = filledTensor(b, loc, type, like, {0, 0, 0, 0}, fill);
  SmallVector<OpFoldResult> offsets{b.getIndexAttr(0), b.getIndexAttr(0),
                                    b.getIndexAttr(offset[0]),
                                    b.getIndexAttr(offset[1])};
  SmallVector<OpFoldResult> shape{tensor::getMixedSize(b, loc, source, 0),
                                  b.getIndexAttr(sourceType.getDimSize(1)),
                                  b.getIndexAttr(sourceType.getDimSize(2)),
                                  b.getIndexAttr(sourceType.getDimSize(3))};
  SmallVector<OpFoldResult> strides{b.getIndexAttr(1), b.getIndexAttr(1),
                                    b.getIndexAttr(stride[0]),
                                    b.getIndexAttr(stride[1])};
  return tensor::InsertSliceOp::create(b, loc, source, dest, offsets, shape,
                                       strides);
}

/// The type of the input padded as the window says.
RankedTensorType paddedType(RankedTensorType type, const Window &w) {
  return RankedTensorType::get(
      {ShapedType::kDynamic, type.getDimSize(1),
       type.getDimSize(2) + w.padLow[0] + w.padHigh[0],
       type.getDimSize(3) + w.padLow[1] + w.padHigh[1]},
      type.getElementType());
}

/// The input padded with `fill` on every side the window says.
Value padInput(OpBuilder &b, Location loc, Value input, const Window &w,
               double fill) {
  RankedTensorType padded =
      paddedType(cast<RankedTensorType>(input.getType()), w);
  int64_t one[2] = {1, 1};
  int64_t sizes[2] = {padded.getDimSize(2), padded.getDimSize(3)};
  return placeStrided(b, loc, input, input, w.padLow, one, sizes, fill);
}

/// The [N, C, H, W] interior of a padded gradient.
Value unpad(OpBuilder &b, Location loc, Value padded, const Window &w,
            RankedTensorType type) {
  SmallVector<OpFoldResult> offsets{b.getIndexAttr(0), b.getIndexAttr(0),
                                    b.getIndexAttr(w.padLow[0]),
                                    b.getIndexAttr(w.padLow[1])};
  SmallVector<OpFoldResult> sizes{tensor::getMixedSize(b, loc, padded, 0),
                                  b.getIndexAttr(type.getDimSize(1)),
                                  b.getIndexAttr(type.getDimSize(2)),
                                  b.getIndexAttr(type.getDimSize(3))};
  SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(b, loc, type, padded, offsets, sizes,
                                        strides);
}

/// Splits dimension `dim` (of static size C) into [groups, C / groups].
Value splitGroups(OpBuilder &b, Location loc, Value t, int64_t dim,
                  int64_t groups) {
  auto type = cast<RankedTensorType>(t.getType());
  SmallVector<int64_t> shape;
  SmallVector<ReassociationIndices> groupsOf;
  for (int64_t i = 0, out = 0; i < type.getRank(); ++i) {
    if (i == dim) {
      shape.append({groups, type.getDimSize(i) / groups});
      groupsOf.push_back({out, out + 1});
      out += 2;
    } else {
      shape.push_back(type.getDimSize(i));
      groupsOf.push_back({out++});
    }
  }
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(shape, b.getF32Type()), t, groupsOf);
}

/// Merges dimensions `dim` and `dim + 1`, undoing splitGroups.
Value mergeGroups(OpBuilder &b, Location loc, Value t, int64_t dim) {
  int64_t rank = cast<RankedTensorType>(t.getType()).getRank();
  SmallVector<ReassociationIndices> groupsOf;
  for (int64_t i = 0; i < rank; ++i) {
    if (i == dim) {
      groupsOf.push_back({i, i + 1});
      ++i;
    } else {
      groupsOf.push_back({i});
    }
  }
  return tensor::CollapseShapeOp::create(b, loc, t, groupsOf);
}

/// An unread [KH, KW] operand whose map (kh, kw) tells linalg the bounds
/// of the window loops, which appear in no other operand on their own (as
/// the window operand of linalg's pooling ops).
Value windowShape(OpBuilder &b, Location loc, const Window &w) {
  return tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{w.kernel[0], w.kernel[1]},
                                 b.getF32Type());
}

/// Whether the windows tile the input: each element in at most one window.
bool windowsTile(const Window &w) {
  for (int d = 0; d < 2; ++d)
    if (w.stride[d] != w.kernel[d] || w.padLow[d] || w.padHigh[d])
      return false;
  return true;
}

/// The [N, C, OH, KH, OW, KW] type of tiling windows over an [N, C, H, W]
/// input whose pooled type is `pooled`.
RankedTensorType windowsType(RankedTensorType pooled, const Window &w) {
  return RankedTensorType::get(
      {ShapedType::kDynamic, pooled.getDimSize(1), pooled.getDimSize(2),
       w.kernel[0], pooled.getDimSize(3), w.kernel[1]},
      pooled.getElementType());
}

/// The reassociation between [N, C, H, W] and its windows.
SmallVector<ReassociationIndices> windowDims() {
  return {{0}, {1}, {2, 3}, {4, 5}};
}

/// [N, C, H, W] input `x` viewed as its tiling windows. Rows and columns
/// past the last whole window (a pool rounds its output size down) are
/// dropped first.
Value asWindows(OpBuilder &b, Location loc, Value x, const Window &w,
                RankedTensorType pooled) {
  RankedTensorType windows = windowsType(pooled, w);
  auto type = cast<RankedTensorType>(x.getType());
  auto covered = RankedTensorType::get(
      {ShapedType::kDynamic, type.getDimSize(1),
       pooled.getDimSize(2) * w.kernel[0], pooled.getDimSize(3) * w.kernel[1]},
      type.getElementType());
  // Tiling windows have no padding: `unpad` just keeps the covered corner.
  if (covered != type)
    x = unpad(b, loc, x, w, covered);
  SmallVector<OpFoldResult> shape{tensor::getMixedSize(b, loc, x, 0)};
  for (int64_t d = 1; d < windows.getRank(); ++d)
    shape.push_back(b.getIndexAttr(windows.getDimSize(d)));
  return tensor::ExpandShapeOp::create(b, loc, windows, x, windowDims(),
                                       shape);
}

/// The [N, C, H, W] gradient whose tiling windows are `windows`; rows and
/// columns in no window get zero.
Value fromWindows(OpBuilder &b, Location loc, Value windows,
                  RankedTensorType type) {
  Value covered = tensor::CollapseShapeOp::create(b, loc, windows, windowDims());
  int64_t origin[2] = {0, 0}, one[2] = {1, 1};
  int64_t sizes[2] = {type.getDimSize(2), type.getDimSize(3)};
  return placeStrided(b, loc, covered, covered, origin, one, sizes, 0.0);
}

/// dx over tiling windows, loops (n, c, oh, kh, ow, kw), all parallel:
/// `element(b, loc, perWindow..., kh, kw)` where `perWindow` are the
/// [N, C, OH, OW] operands (the output gradient, the argmax), read once for
/// each element of their window.
Value mapWindows(OpBuilder &b, Location loc, ValueRange perWindow,
                 const Window &w, RankedTensorType type,
                 function_ref<Value(OpBuilder &, Location, ValueRange, Value,
                                    Value)>
                     element) {
  MLIRContext *ctx = b.getContext();
  auto pooled = cast<RankedTensorType>(perWindow.front().getType());
  RankedTensorType windows = windowsType(pooled, w);
  AffineExpr n, c, oh, kh, ow, kw;
  bindDims(ctx, n, c, oh, kh, ow, kw);
  auto map = [&](ArrayRef<AffineExpr> e) { return AffineMap::get(6, 0, e, ctx); };
  SmallVector<AffineMap> maps(perWindow.size(), map({n, c, oh, ow}));
  maps.push_back(map({n, c, oh, kh, ow, kw}));
  Value init = emptyTensor(b, loc, windows, perWindow.front(), {0});
  Value dx =
      linalg::GenericOp::create(
          b, loc, windows, perWindow, ValueRange{init}, maps,
          SmallVector<IteratorType>(6, IteratorType::parallel),
          [&](OpBuilder &nb, Location nloc, ValueRange args) {
            Value khIndex = linalg::IndexOp::create(nb, nloc, 3);
            Value kwIndex = linalg::IndexOp::create(nb, nloc, 5);
            linalg::YieldOp::create(
                nb, nloc,
                element(nb, nloc, args.drop_back(), khIndex, kwIndex));
          })
          .getResult(0);
  return fromWindows(b, loc, dx, type);
}

/// kh * KW + kw as f32 (the flat kernel position PyTorch's argmax uses).
Value flatKernelPosition(OpBuilder &b, Location loc, Value kh, Value kw,
                         int64_t kernelWidth) {
  Value flat = arith::AddIOp::create(
      b, loc,
      arith::MulIOp::create(b, loc, kh,
                            arith::ConstantIndexOp::create(b, loc, kernelWidth)),
      kw);
  Value asInt = arith::IndexCastOp::create(b, loc, b.getI64Type(), flat);
  return arith::SIToFPOp::create(b, loc, b.getF32Type(), asInt);
}

SmallVector<IteratorType> iteratorsOf(int parallel, int reduction) {
  SmallVector<IteratorType> iterators(parallel, IteratorType::parallel);
  iterators.append(reduction, IteratorType::reduction);
  return iterators;
}

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

struct Conv2DLowering : OpConversionPattern<Conv2DOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(Conv2DOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &b) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = b.getContext();
    auto weightType = cast<RankedTensorType>(op.getWeight().getType());
    Window w({weightType.getDimSize(2), weightType.getDimSize(3)},
             op.getStride(), op.getPadding(), op.getDilation());
    int64_t groups = op.getGroups();
    auto type = op.getType();
    Value x = splitGroups(b, loc, padInput(b, loc, adaptor.getInput(), w, 0.0),
                          1, groups);
    Value weight = splitGroups(b, loc, adaptor.getWeight(), 0, groups);
    // Loops (n, g, f, oh, ow, c, kh, kw): y[n, g, f, oh, ow] +=
    //   x[n, g, c, oh*s + kh*d, ow*s + kw*d] * w[g, f, c, kh, kw].
    AffineExpr n, g, f, oh, ow, c, kh, kw;
    bindDims(ctx, n, g, f, oh, ow, c, kh, kw);
    auto map = [&](ArrayRef<AffineExpr> e) { return AffineMap::get(8, 0, e, ctx); };
    auto outType = RankedTensorType::get(
        {ShapedType::kDynamic, groups, type.getDimSize(1) / groups,
         type.getDimSize(2), type.getDimSize(3)},
        b.getF32Type());
    Value init;
    if (Value bias = adaptor.getBias()) {
      Value empty = emptyTensor(b, loc, outType, adaptor.getInput(), {0});
      init = broadcastInto(b, loc, splitGroups(b, loc, bias, 0, groups), empty,
                           AffineMap::get(5, 0, {getAffineDimExpr(1, ctx),
                                                 getAffineDimExpr(2, ctx)},
                                          ctx));
    } else {
      init = filledTensor(b, loc, outType, adaptor.getInput(), {0}, 0.0);
    }
    Value y = multiplyAccumulate(
        b, loc, x, weight, init,
        {map({n, g, c, oh * w.stride[0] + kh * w.dilation[0],
              ow * w.stride[1] + kw * w.dilation[1]}),
         map({g, f, c, kh, kw}), map({n, g, f, oh, ow})},
        iteratorsOf(5, 3));
    b.replaceOp(op, mergeGroups(b, loc, y, 1));
    return success();
  }
};

struct Conv2DGradWeightLowering : OpConversionPattern<Conv2DGradWeightOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(Conv2DGradWeightOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &b) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = b.getContext();
    auto type = op.getType();
    Window w({type.getDimSize(2), type.getDimSize(3)}, op.getStride(),
             op.getPadding(), op.getDilation());
    int64_t groups = op.getGroups();
    Value x = splitGroups(b, loc, padInput(b, loc, adaptor.getInput(), w, 0.0),
                          1, groups);
    Value dy = splitGroups(b, loc, adaptor.getGrad(), 1, groups);
    // Loops (g, f, c, kh, kw, n, oh, ow): dw[g, f, c, kh, kw] +=
    //   x[n, g, c, oh*s + kh*d, ow*s + kw*d] * dy[n, g, f, oh, ow].
    AffineExpr g, f, c, kh, kw, n, oh, ow;
    bindDims(ctx, g, f, c, kh, kw, n, oh, ow);
    auto map = [&](ArrayRef<AffineExpr> e) { return AffineMap::get(8, 0, e, ctx); };
    auto outType = RankedTensorType::get(
        {groups, type.getDimSize(0) / groups, type.getDimSize(1),
         type.getDimSize(2), type.getDimSize(3)},
        b.getF32Type());
    Value init = filledTensor(b, loc, outType, x, {}, 0.0);
    Value dw = multiplyAccumulate(
        b, loc, x, dy, init,
        {map({n, g, c, oh * w.stride[0] + kh * w.dilation[0],
              ow * w.stride[1] + kw * w.dilation[1]}),
         map({n, g, f, oh, ow}), map({g, f, c, kh, kw})},
        iteratorsOf(5, 3));
    b.replaceOp(op, mergeGroups(b, loc, dw, 0));
    return success();
  }
};

/// The output gradient spread at the stride onto a zero tensor and padded
/// by the kernel's reach, so that the gradient of padded input row h is
/// sum over kh of spread[h + kh*d] * kernel[K - 1 - kh].
Value spreadGradient(OpBuilder &b, Location loc, Value dy, const Window &w,
                     RankedTensorType inputType, double fill) {
  int64_t offset[2], sizes[2];
  for (int d = 0; d < 2; ++d) {
    offset[d] = w.reach(d);
    sizes[d] = inputType.getDimSize(2 + d) + w.padLow[d] + w.padHigh[d] +
               w.reach(d);
  }
  return placeStrided(b, loc, dy, dy, offset, w.stride, sizes, fill);
}

struct Conv2DGradInputLowering : OpConversionPattern<Conv2DGradInputOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(Conv2DGradInputOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &b) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = b.getContext();
    auto type = op.getType();
    auto weightType = cast<RankedTensorType>(op.getWeight().getType());
    int64_t k[2] = {weightType.getDimSize(2), weightType.getDimSize(3)};
    Window w({k[0], k[1]}, op.getStride(), op.getPadding(), op.getDilation());
    int64_t groups = op.getGroups();
    Value z = splitGroups(
        b, loc, spreadGradient(b, loc, adaptor.getGrad(), w, type, 0.0), 1,
        groups);
    Value weight = splitGroups(b, loc, adaptor.getWeight(), 0, groups);
    // The kernel flipped, flipped[.., kh, kw] = weight[.., K-1-kh, K-1-kw]:
    // a copy as small as the weight, after which the gradient is indexed
    // like a forward convolution (h + kh), which tiles into exact windows
    // where h - kh would make every tile of z reach the whole kernel.
    auto weightSplit = cast<RankedTensorType>(weight.getType());
    {
      AffineExpr g, f, c, kh, kw;
      bindDims(ctx, g, f, c, kh, kw);
      Value empty = tensor::EmptyOp::create(b, loc, weightSplit.getShape(),
                                            b.getF32Type());
      weight = broadcastInto(
          b, loc, weight, empty,
          AffineMap::get(5, 0, {g, f, c, k[0] - 1 - kh, k[1] - 1 - kw}, ctx));
    }
    // Loops (n, g, c, h, w, f, kh, kw): dx[n, g, c, h, w] +=
    //   z[n, g, f, h + kh*d, w + kw*d] * flipped[g, f, c, kh, kw]
    // (the kernel loops index the weight directly, so linalg can bound
    // them from its shape).
    AffineExpr n, g, c, h, x, f, kh, kw;
    bindDims(ctx, n, g, c, h, x, f, kh, kw);
    auto map = [&](ArrayRef<AffineExpr> e) { return AffineMap::get(8, 0, e, ctx); };
    RankedTensorType padded = paddedType(type, w);
    auto outType = RankedTensorType::get(
        {ShapedType::kDynamic, groups, type.getDimSize(1) / groups,
         padded.getDimSize(2), padded.getDimSize(3)},
        b.getF32Type());
    Value init = filledTensor(b, loc, outType, adaptor.getGrad(), {0}, 0.0);
    Value dx = multiplyAccumulate(
        b, loc, z, weight, init,
        {map({n, g, f, h + kh * w.dilation[0], x + kw * w.dilation[1]}),
         map({g, f, c, kh, kw}), map({n, g, c, h, x})},
        iteratorsOf(5, 3));
    b.replaceOp(op, unpad(b, loc, mergeGroups(b, loc, dx, 1), w, type));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

/// Loops (n, c, oh, ow, kh, kw) over the windows of padded input `x`:
/// `combine(acc, x[n, c, oh*s + kh, ow*s + kw])` into [N, C, OH, OW].
Value poolWindows(OpBuilder &b, Location loc, Value x, const Window &w,
                  RankedTensorType outType, double initial,
                  function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  MLIRContext *ctx = b.getContext();
  AffineExpr n, c, oh, ow, kh, kw;
  bindDims(ctx, n, c, oh, ow, kh, kw);
  auto map = [&](ArrayRef<AffineExpr> e) { return AffineMap::get(6, 0, e, ctx); };
  Value init = filledTensor(b, loc, outType, x, {0}, initial);
  if (windowsTile(w)) {
    // Loops (n, c, oh, kh, kw, ow): the output column innermost, a
    // contiguous row of the output for LLVM to vectorise.
    bindDims(ctx, n, c, oh, kh, kw, ow);
    return linalg::GenericOp::create(
               b, loc, outType, ValueRange{asWindows(b, loc, x, w, outType)},
               ValueRange{init},
               SmallVector<AffineMap>{map({n, c, oh, kh, ow, kw}),
                                      map({n, c, oh, ow})},
               SmallVector<IteratorType>{
                   IteratorType::parallel, IteratorType::parallel,
                   IteratorType::parallel, IteratorType::reduction,
                   IteratorType::reduction, IteratorType::parallel},
               [&](OpBuilder &nb, Location nloc, ValueRange args) {
                 linalg::YieldOp::create(nb, nloc,
                                         combine(nb, nloc, args[1], args[0]));
               })
        .getResult(0);
  }
  return linalg::GenericOp::create(
             b, loc, outType, ValueRange{x, windowShape(b, loc, w)},
             ValueRange{init},
             SmallVector<AffineMap>{
                 map({n, c, oh * w.stride[0] + kh, ow * w.stride[1] + kw}),
                 map({kh, kw}), map({n, c, oh, ow})},
             iteratorsOf(4, 2),
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               linalg::YieldOp::create(nb, nloc, combine(nb, nloc, args[2], args[0]));
             })
      .getResult(0);
}

struct MaxPool2DLowering : OpConversionPattern<MaxPool2DOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(MaxPool2DOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &b) const override {
    Location loc = op.getLoc();
    Window w(op.getKernel(), op.getStride(), op.getPadding());
    double lowest = -std::numeric_limits<double>::infinity();
    Value x = padInput(b, loc, adaptor.getInput(), w, lowest);
    b.replaceOp(op, poolWindows(b, loc, x, w, op.getType(), lowest,
                                [](OpBuilder &nb, Location nloc, Value acc, Value v) {
                                  return arith::MaximumFOp::create(nb, nloc, acc, v)
                                      .getResult();
                                }));
    return success();
  }
};

struct AvgPool2DLowering : OpConversionPattern<AvgPool2DOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(AvgPool2DOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &b) const override {
    Location loc = op.getLoc();
    Window w(op.getKernel(), op.getStride(), op.getPadding());
    // PyTorch's default count_include_pad=True: padding counts as zeros.
    Value x = padInput(b, loc, adaptor.getInput(), w, 0.0);
    double scale = 1.0 / double(w.kernel[0] * w.kernel[1]);
    b.replaceOp(op, poolWindows(b, loc, x, w, op.getType(), 0.0,
                                [&](OpBuilder &nb, Location nloc, Value acc, Value v) {
                                  Value scaled = arith::MulFOp::create(
                                      nb, nloc, v, f32Const(nb, nloc, scale));
                                  return arith::AddFOp::create(nb, nloc, acc, scaled)
                                      .getResult();
                                }));
    return success();
  }
};

/// Loops (n, c, h, w, kh, kw) over the spread output gradients `z` (and
/// `extra`, spread alike) that reach padded input element (h, w):
/// sum of `term(z, extra, kh, kw)` into [N, C, Hp, Wp].
Value gatherWindows(OpBuilder &b, Location loc, ValueRange spread,
                    const Window &w, RankedTensorType paddedOut,
                    function_ref<Value(OpBuilder &, Location, ValueRange)> term) {
  MLIRContext *ctx = b.getContext();
  AffineExpr n, c, h, x, kh, kw;
  bindDims(ctx, n, c, h, x, kh, kw);
  auto map = [&](ArrayRef<AffineExpr> e) { return AffineMap::get(6, 0, e, ctx); };
  SmallVector<AffineMap> maps(spread.size(), map({n, c, h + kh, x + kw}));
  maps.append({map({kh, kw}), map({n, c, h, x})});
  SmallVector<Value> inputs(spread);
  inputs.push_back(windowShape(b, loc, w));
  Value init = filledTensor(b, loc, paddedOut, spread.front(), {0}, 0.0);
  return linalg::GenericOp::create(
             b, loc, paddedOut, inputs, ValueRange{init}, maps,
             iteratorsOf(4, 2),
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               Value t = term(nb, nloc, args.drop_back(2));
               linalg::YieldOp::create(
                   nb, nloc,
                   arith::AddFOp::create(nb, nloc, args.back(), t).getResult());
             })
      .getResult(0);
}

/// The flat kernel position (kh * KW + kw, as f32) of the first maximum of
/// each window (PyTorch's tie rule), as [N, C, OH, OW]. `x` is read through
/// `inputMap` over loops whose kernel loops are `khLoop` and `kwLoop`.
Value firstMaxPositions(OpBuilder &b, Location loc, Value x, const Window &w,
                        RankedTensorType pooled, AffineMap inputMap,
                        AffineMap outputMap, ArrayRef<IteratorType> iterators,
                        unsigned khLoop, unsigned kwLoop, Value windowBounds) {
  double lowest = -std::numeric_limits<double>::infinity();
  Value maxInit = filledTensor(b, loc, pooled, x, {0}, lowest);
  Value argInit = filledTensor(b, loc, pooled, x, {0}, 0.0);
  SmallVector<Value> inputs{x};
  SmallVector<AffineMap> maps{inputMap};
  if (windowBounds) {
    inputs.push_back(windowBounds);
    maps.push_back(AffineMap::get(6, 0,
                                  {getAffineDimExpr(khLoop, b.getContext()),
                                   getAffineDimExpr(kwLoop, b.getContext())},
                                  b.getContext()));
  }
  maps.append({outputMap, outputMap});
  size_t numInputs = inputs.size();
  return linalg::GenericOp::create(
             b, loc, TypeRange{pooled, pooled}, inputs,
             ValueRange{maxInit, argInit}, maps, iterators,
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               Value value = args[0], max = args[numInputs],
                     arg = args[numInputs + 1];
               // One statement each: argument order is unspecified in C++,
               // and the IR should not depend on the host compiler.
               Value kh = linalg::IndexOp::create(nb, nloc, khLoop);
               Value kw = linalg::IndexOp::create(nb, nloc, kwLoop);
               Value position =
                   flatKernelPosition(nb, nloc, kh, kw, w.kernel[1]);
               Value greater = arith::CmpFOp::create(
                   nb, nloc, arith::CmpFPredicate::OGT, value, max);
               linalg::YieldOp::create(
                   nb, nloc,
                   ValueRange{
                       arith::SelectOp::create(nb, nloc, greater, value, max),
                       arith::SelectOp::create(nb, nloc, greater, position,
                                               arg)});
             })
      .getResult(1);
}

struct MaxPool2DGradLowering : OpConversionPattern<MaxPool2DGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(MaxPool2DGradOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &b) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = b.getContext();
    auto type = op.getType();
    auto gradType = cast<RankedTensorType>(op.getGrad().getType());
    Window w(op.getKernel(), op.getStride(), op.getPadding());
    auto map = [&](ArrayRef<AffineExpr> e) { return AffineMap::get(6, 0, e, ctx); };
    AffineExpr d[6];
    bindDimsList(ctx, MutableArrayRef<AffineExpr>(d));

    if (windowsTile(w)) {
      // Loops (n, c, oh, kh, kw, ow), as the forward pool; then each input
      // element takes its window's gradient if it was that window's maximum.
      Value argmax = firstMaxPositions(
          b, loc, asWindows(b, loc, adaptor.getInput(), w, gradType), w,
          gradType, map({d[0], d[1], d[2], d[3], d[5], d[4]}),
          map({d[0], d[1], d[2], d[5]}),
          {IteratorType::parallel, IteratorType::parallel,
           IteratorType::parallel, IteratorType::reduction,
           IteratorType::reduction, IteratorType::parallel},
          3, 4, Value());
      b.replaceOp(op, mapWindows(
                          b, loc, ValueRange{adaptor.getGrad(), argmax}, w, type,
                          [&](OpBuilder &nb, Location nloc, ValueRange args,
                              Value kh, Value kw) {
                            Value hit = arith::CmpFOp::create(
                                nb, nloc, arith::CmpFPredicate::OEQ, args[1],
                                flatKernelPosition(nb, nloc, kh, kw, w.kernel[1]));
                            return arith::SelectOp::create(
                                       nb, nloc, hit, args[0],
                                       f32Const(nb, nloc, 0.0))
                                .getResult();
                          }));
      return success();
    }

    double lowest = -std::numeric_limits<double>::infinity();
    Value x = padInput(b, loc, adaptor.getInput(), w, lowest);
    // Loops (n, c, oh, ow, kh, kw) over the padded input's windows.
    Value argmax = firstMaxPositions(
        b, loc, x, w, gradType,
        map({d[0], d[1], d[2] * w.stride[0] + d[4], d[3] * w.stride[1] + d[5]}),
        map({d[0], d[1], d[2], d[3]}), iteratorsOf(4, 2), 4, 5,
        windowShape(b, loc, w));
    Value grads = spreadGradient(b, loc, adaptor.getGrad(), w, type, 0.0);
    Value positions = spreadGradient(b, loc, argmax, w, type, -1.0);
    Value dx = gatherWindows(
        b, loc, ValueRange{grads, positions}, w, paddedType(type, w),
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          // Loop (kh, kw) meets the window whose kernel position is
          // (K-1-kh, K-1-kw); it takes the gradient if that was the max.
          Value kh = arith::SubIOp::create(
              nb, nloc, arith::ConstantIndexOp::create(nb, nloc, w.kernel[0] - 1),
              linalg::IndexOp::create(nb, nloc, 4));
          Value kw = arith::SubIOp::create(
              nb, nloc, arith::ConstantIndexOp::create(nb, nloc, w.kernel[1] - 1),
              linalg::IndexOp::create(nb, nloc, 5));
          Value hit = arith::CmpFOp::create(
              nb, nloc, arith::CmpFPredicate::OEQ, args[1],
              flatKernelPosition(nb, nloc, kh, kw, w.kernel[1]));
          return arith::SelectOp::create(nb, nloc, hit, args[0],
                                         f32Const(nb, nloc, 0.0))
              .getResult();
        });
    b.replaceOp(op, unpad(b, loc, dx, w, type));
    return success();
  }
};

struct AvgPool2DGradLowering : OpConversionPattern<AvgPool2DGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(AvgPool2DGradOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &b) const override {
    Location loc = op.getLoc();
    auto type = op.getType();
    Window w(op.getKernel(), op.getStride(), op.getPadding());
    double scale = 1.0 / double(w.kernel[0] * w.kernel[1]);
    if (windowsTile(w)) {
      b.replaceOp(op, mapWindows(b, loc, ValueRange{adaptor.getGrad()}, w, type,
                                 [&](OpBuilder &nb, Location nloc,
                                     ValueRange args, Value, Value) {
                                   return mulf(nb, nloc, args[0],
                                               f32Const(nb, nloc, scale));
                                 }));
      return success();
    }
    Value grads = spreadGradient(b, loc, adaptor.getGrad(), w, type, 0.0);
    Value dx = gatherWindows(b, loc, ValueRange{grads}, w, paddedType(type, w),
                             [&](OpBuilder &nb, Location nloc, ValueRange args) {
                               return arith::MulFOp::create(
                                          nb, nloc, args[0],
                                          f32Const(nb, nloc, scale))
                                   .getResult();
                             });
    b.replaceOp(op, unpad(b, loc, dx, w, type));
    return success();
  }
};

} // namespace

void mlir::weft::lowering::populateConvolutionLoweringPatterns(
    RewritePatternSet &patterns) {
  patterns.add<Conv2DLowering, Conv2DGradInputLowering, Conv2DGradWeightLowering,
               MaxPool2DLowering, MaxPool2DGradLowering, AvgPool2DLowering,
               AvgPool2DGradLowering>(patterns.getContext());
}
