//===- ZeroPadding.h - Where a tensor is known to be zero -------*- C++ -*-===//
//
// A convolution's input gradient convolves the output gradient padded with
// zeros on every side (kernel - 1 rows): in lenet's conv2, rows 0-3 and
// 14-17 of 18. A multiply-add that reads a padding row adds zero, so a
// kernel may skip the reduction steps that read only padding.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_ZEROPADDING_H
#define WEFT_PASSES_ZEROPADDING_H

#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/Value.h"

#include <optional>

namespace mlir::weft {

/// Along one dimension of a tensor: positions [begin, end) may be nonzero,
/// the rest are zero. Positions count from `offsets`, the sum of the
/// offsets of the slices the tensor was cut out with.
struct NonzeroRange {
  int64_t begin = 0, end = 0;
  /// The padded tensor's extent along the dimension (dynamic if unknown).
  int64_t length = 0;
  SmallVector<OpFoldResult> offsets;
};

/// The nonzero range of `value` along dimension `dim`, when `value` is cut
/// out (extract_slice, reshapes that leave `dim` alone) of a tensor made by
/// inserting data into a zero fill at a static place along that dimension.
std::optional<NonzeroRange> nonzeroRangeAlong(Value value, unsigned dim);

} // namespace mlir::weft

#endif // WEFT_PASSES_ZEROPADDING_H
