//===- LoopWork.h - How much work a loop nest does, at compile time -*- C++ -*-===//
//
// Whether a kernel's loops are worth several threads is decided at compile
// time, from its iteration count. The batch dimension is dynamic (one
// executable trains, evaluates and predicts at any batch size), so the
// estimate takes a dynamic extent as a small training batch: training steps
// run in parallel, and a one-example prediction pays the threads' start-up
// once per kernel, microseconds.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_LOOPWORK_H
#define WEFT_PASSES_LOOPWORK_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"

namespace mlir::weft {

/// The extent assumed for a dynamic dimension (the batch).
constexpr int64_t kAssumedDynamicExtent = 16;

/// `extent`, or `batch` when it is dynamic.
inline int64_t estimatedExtent(int64_t extent,
                               int64_t batch = kAssumedDynamicExtent) {
  return ShapedType::isDynamic(extent) ? batch : extent;
}

/// Iterations of a loop nest with these ranges (or elements of a tensor of
/// this shape), a dynamic one taken as `batch`: with `batch` 1, what it
/// does or holds per batch row.
inline int64_t estimatedIterations(ArrayRef<int64_t> ranges,
                                   int64_t batch = kAssumedDynamicExtent) {
  int64_t product = 1;
  for (int64_t range : ranges)
    product *= estimatedExtent(range, batch);
  return product;
}

/// Elements of `value`'s tensor type per batch row.
inline int64_t elementsPerBatchRow(Value value) {
  return estimatedIterations(cast<ShapedType>(value.getType()).getShape(),
                             /*batch=*/1);
}

} // namespace mlir::weft

#endif // WEFT_PASSES_LOOPWORK_H
