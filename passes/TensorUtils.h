//===- TensorUtils.h - Reshaping between flat buffers and tensors -*- C++ -*-===//
//
// The C ABI passes every tensor as a flat buffer; these helpers convert
// between that view and the model's shaped tensors (batch first, dynamic).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_TENSORUTILS_H
#define WEFT_PASSES_TENSORUTILS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace mlir::weft {

/// Returns `tensor` as a rank-1 tensor in row-major order (a rank-0 tensor
/// becomes a one-element tensor).
Value flattenTensor(OpBuilder &b, Location loc, Value tensor);

/// Reshapes the rank-1 `flat` into `type`. Dynamic dimensions of `type` (the
/// batch) take the value `batch`.
Value unflattenTensor(OpBuilder &b, Location loc, Value flat,
                      RankedTensorType type, Value batch);

/// The batch size of a flat buffer holding tensors of `type`: its length
/// divided by the per-example element count. Null if `type` has no dynamic
/// leading dimension.
Value batchSizeOf(OpBuilder &b, Location loc, Value flat,
                  RankedTensorType type);

/// The sizes of `tensor` as values, dynamic ones read with tensor.dim.
SmallVector<OpFoldResult> sizesOf(OpBuilder &b, Location loc, Value tensor);

} // namespace mlir::weft

#endif // WEFT_PASSES_TENSORUTILS_H
