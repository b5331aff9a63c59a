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

/// The flat memref `buffer` read as a tensor. `restrict` promises
/// bufferization that no other tensor aliases it, and without `writable` it
/// is never written in place: writes go through writeBuffer.
Value readFlatBuffer(OpBuilder &b, Location loc, Value buffer);

/// A view of `type`'s static shape into the rank-1 memref `flatBuffer`,
/// starting `offset` elements in (a variable's place among the parameters).
Value bufferViewOf(OpBuilder &b, Location loc, Value flatBuffer, int64_t offset,
                   RankedTensorType type);

/// Writes `tensor` into the memref `dest`: one of its shape, or a rank-1 one
/// that takes it flattened row-major (possibly a subview of a larger buffer).
void writeBuffer(OpBuilder &b, Location loc, Value tensor, Value dest);

} // namespace mlir::weft

#endif // WEFT_PASSES_TENSORUTILS_H
