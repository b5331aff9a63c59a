//===- FlatSlices.h - Slices of flat tensors and buffers -------*- C++ -*-===//
//
// After weft-flat-gradients, the parameters, the gradients and the
// optimizer state are each one rank-1 tensor or buffer, and what an op
// reads of them is a static slice, possibly reshaped. Passes that merge ops
// over slices that follow one another find those slices here.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_FLATSLICES_H
#define WEFT_PASSES_FLATSLICES_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"

#include <optional>

namespace mlir::weft {

/// Elements [offset, offset + size) of the rank-1 `flat`.
struct FlatSlice {
  Value flat;
  int64_t offset = 0, size = 0;
};

/// `value` as a static, unit-stride slice of a rank-1 tensor or memref,
/// possibly reshaped (expand_shape).
std::optional<FlatSlice> flatSliceOf(Value value);

/// Whether `next` starts where `previous` ends, in the same flat value.
inline bool followsSlice(const FlatSlice &previous, const FlatSlice &next) {
  return previous.flat == next.flat &&
         previous.offset + previous.size == next.offset;
}

/// The rank-1 tensor `flat`'s elements [offset, offset + size).
Value extractFlatSlice(OpBuilder &b, Location loc, Value flat, int64_t offset,
                       int64_t size);

} // namespace mlir::weft

#endif // WEFT_PASSES_FLATSLICES_H
