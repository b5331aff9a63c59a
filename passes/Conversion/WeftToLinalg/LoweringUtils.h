//===- LoweringUtils.h - Builders shared by the weft-to-linalg patterns ---===//

#ifndef WEFT_PASSES_CONVERSION_WEFTTOLINALG_LOWERINGUTILS_H
#define WEFT_PASSES_CONVERSION_WEFTTOLINALG_LOWERINGUTILS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::weft::lowering {

inline Value f32Const(OpBuilder &b, Location loc, double value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
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

/// Adds the convolution and pooling patterns (ConvolutionLowering.cpp).
void populateConvolutionLoweringPatterns(RewritePatternSet &patterns);

} // namespace mlir::weft::lowering

#endif // WEFT_PASSES_CONVERSION_WEFTTOLINALG_LOWERINGUTILS_H
