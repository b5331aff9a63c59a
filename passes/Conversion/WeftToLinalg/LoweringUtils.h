//===- LoweringUtils.h - Builders shared by the weft-to-linalg patterns ---===//

#ifndef WEFT_PASSES_CONVERSION_WEFTTOLINALG_LOWERINGUTILS_H
#define WEFT_PASSES_CONVERSION_WEFTTOLINALG_LOWERINGUTILS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::weft::lowering {

inline Value f32Const(OpBuilder &b, Location loc, double value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
}

// Scalar arithmetic, short enough to read formulas in the patterns.
inline Value addf(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::AddFOp::create(b, loc, x, y);
}
inline Value subf(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::SubFOp::create(b, loc, x, y);
}
inline Value mulf(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::MulFOp::create(b, loc, x, y);
}
inline Value divf(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::DivFOp::create(b, loc, x, y);
}

/// An empty tensor of `type`, its dynamic dimensions taken from `like`.
/// `dimsOfLike[i]` names the dimension of `like` that dimension i of `type`
/// has when it is dynamic.
inline Value emptyTensor(OpBuilder &b, Location loc, RankedTensorType type,
                         Value like, ArrayRef<int64_t> dimsOfLike) {
  SmallVector<Value> dynamic;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (type.isDynamicDim(i))
      dynamic.push_back(tensor::DimOp::create(b, loc, like, dimsOfLike[i]));
  return tensor::EmptyOp::create(b, loc, type, dynamic);
}

/// A tensor of `type` filled with `value`.
inline Value filledTensor(OpBuilder &b, Location loc, RankedTensorType type,
                          Value like, ArrayRef<int64_t> dimsOfLike,
                          double value) {
  Value empty = emptyTensor(b, loc, type, like, dimsOfLike);
  return linalg::FillOp::create(b, loc, ValueRange{f32Const(b, loc, value)},
                                ValueRange{empty})
      .getResult(0);
}

/// out += lhs * rhs over the loops `maps` and `iterators` describe, as a
/// linalg.generic accumulating into `init` (contractions, convolutions).
Value multiplyAccumulate(OpBuilder &b, Location loc, Value lhs, Value rhs,
                         Value init, ArrayRef<AffineMap> maps,
                         ArrayRef<utils::IteratorType> iterators);

/// `source` copied into every position of `dest` (all parallel loops over
/// `dest`); `sourceMap` says which loops index the source: a bias
/// broadcast over the batch and spatial dimensions.
Value broadcastInto(OpBuilder &b, Location loc, Value source, Value dest,
                    AffineMap sourceMap);

/// Builds a generic op's body: receives one scalar per input and output.
using BodyBuilder = function_ref<void(OpBuilder &, Location, ValueRange)>;
/// Computes one scalar from the scalars of the inputs.
using ScalarFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// [0, 1, ..., rank - 1].
SmallVector<int64_t> identityDims(int64_t rank);

/// `numResults` tensors shaped like `like`, computed by all-parallel loops
/// over its dimensions; input i is read through `inputMaps[i]` (the
/// identity for an operand of the same shape, fewer results to broadcast).
SmallVector<Value> mapOver(OpBuilder &b, Location loc, Value like,
                           ValueRange inputs, ArrayRef<AffineMap> inputMaps,
                           unsigned numResults, BodyBuilder body);

/// An elementwise linalg.generic over operands of one shape; `body` receives
/// one scalar per input and output and yields one per result.
SmallVector<Value> elementwise(OpBuilder &b, Location loc, ValueRange inputs,
                               unsigned numResults, BodyBuilder body);

/// Like elementwise with one result, where `scalar` computes an element from
/// the inputs' elements.
Value mapElements(OpBuilder &b, Location loc, ValueRange inputs,
                  ScalarFn scalar);

/// Reduces each row of the [B, C] tensor `x` to one value: `combine(acc,
/// element(x[b, c], rowValues, c))` starting from `initial`. Returns a [B]
/// tensor. `extraRowInputs` are [B] tensors whose row value `element` also
/// receives.
Value reduceRows(OpBuilder &b, Location loc, Value x, ValueRange extraRowInputs,
                 double initial,
                 function_ref<Value(OpBuilder &, Location, Value element,
                                    ValueRange rowValues, Value column)>
                     element,
                 function_ref<Value(OpBuilder &, Location, Value, Value)> combine);

/// Row sums of `element(x[b, c], rowValues)`.
Value sumRows(OpBuilder &b, Location loc, Value x, ValueRange extraRowInputs,
              function_ref<Value(OpBuilder &, Location, Value, ValueRange)> element);

/// Row sums of the [B, C] tensor `x`.
Value sumRows(OpBuilder &b, Location loc, Value x);

/// Row maxima and sums of exp(x - max): the stable softmax denominators of
/// the [B, C] tensor `x`.
std::pair<Value, Value> softmaxStatistics(OpBuilder &b, Location loc, Value x);

/// A [B, C] result from [B, C] tensors `full` and [B] tensors `perRow`:
/// `scalar` receives the elements of `full`, then the row values.
Value mapRows(OpBuilder &b, Location loc, ValueRange full, ValueRange perRow,
              ScalarFn scalar);

/// `x` seen as rows along its last dimension: [B, C] as is, higher ranks
/// with the leading dimensions collapsed, rank 1 as one row.
Value asRows(OpBuilder &b, Location loc, Value x);
/// The inverse of asRows for a tensor of `type`, dynamic sizes from `like`.
Value fromRows(OpBuilder &b, Location loc, Value rows, Value like);

/// The sum over every element of `element(inputs...)`, inputs of one
/// shape, as a scalar f32 (read from a rank-0 tensor).
Value sumAll(OpBuilder &b, Location loc, ValueRange inputs, ScalarFn element);

/// The number of elements of `x` (dimension 0 may be dynamic), as f32.
Value elementCount(OpBuilder &b, Location loc, Value x);
/// The size of dimension `dim` of `x`, as f32.
Value dimAsFloat(OpBuilder &b, Location loc, Value x, int64_t dim);

/// A rank-0 f32 tensor holding `scalar`.
Value scalarTensor(OpBuilder &b, Location loc, Value scalar);
/// `total / count` as a rank-0 f32 tensor: a loss's mean.
Value meanTensor(OpBuilder &b, Location loc, Value total, Value count);

/// Lowers an op computed element by element from operands of one shape:
/// `scalar` says what one element of the result is.
template <typename OpTy, Value (*scalar)(OpBuilder &, Location, ValueRange)>
struct ElementwiseLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  using OpAdaptor = typename OpConversionPattern<OpTy>::OpAdaptor;
  LogicalResult matchAndRewrite(OpTy op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, mapElements(rewriter, op.getLoc(),
                                       adaptor.getOperands(), scalar));
    return success();
  }
};

/// Adds the convolution and pooling patterns (ConvolutionLowering.cpp).
void populateConvolutionLoweringPatterns(RewritePatternSet &patterns);
/// Adds the activation and dropout patterns (ActivationLowering.cpp).
void populateActivationLoweringPatterns(RewritePatternSet &patterns);
/// Adds the loss patterns and their gradients (LossLowering.cpp).
void populateLossLoweringPatterns(RewritePatternSet &patterns);
/// Adds batch normalisation and global pooling (NormalizationLowering.cpp).
void populateNormalizationLoweringPatterns(RewritePatternSet &patterns);
/// Adds optimizer updates and gradient clipping (OptimizerLowering.cpp).
void populateOptimizerLoweringPatterns(RewritePatternSet &patterns);

} // namespace mlir::weft::lowering

#endif // WEFT_PASSES_CONVERSION_WEFTTOLINALG_LOWERINGUTILS_H
