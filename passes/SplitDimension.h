//===- SplitDimension.h - A generic's dimension as two ----------*- C++ -*-===//
//
// weft-spread-reductions splits a long reduction so that its inner part
// runs in threads; weft-register-tiles splits a parallel dimension so that
// each thread computes several outputs. Both reshape the operands the
// dimension indexes and leave the loop nest's order to the caller.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_SPLITDIMENSION_H
#define WEFT_PASSES_SPLITDIMENSION_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::weft {

/// The GPU threads a dimension of `extent` iterations gives, as both passes
/// count them to decide; a dynamic extent (the batch) counts as 32.
inline int64_t threadsAlong(int64_t extent) {
  return ShapedType::isDynamic(extent) ? 32 : extent;
}

/// The result of `map` that is dimension `dim`, if `dim` appears there only
/// as a result of its own; std::nullopt if it is absent; failure if it is
/// part of a larger expression (a window's `p + r`), which no reshape
/// splits.
FailureOr<std::optional<unsigned>> plainResult(AffineMap map, unsigned dim);

/// `op` with dimension `dim` of `extent` iterations split in two, the
/// outer of `extent / inner` and the inner of `inner` (dimensions `dim` and
/// `dim + 1` of the result, both of `dim`'s kind): every operand that
/// `dim` indexes is reshaped to match. Fails where `dim` is part of a
/// larger index or the payload reads its indices.
FailureOr<linalg::GenericOp> splitDimension(RewriterBase &rewriter,
                                            linalg::GenericOp op, unsigned dim,
                                            int64_t inner);

} // namespace mlir::weft

#endif // WEFT_PASSES_SPLITDIMENSION_H
