//===- Broadcasts.h - Ops that only copy along new dimensions ---*- C++ -*-===//
//
// A convolution or dense layer starts its output from its bias, broadcast
// over the output by a linalg.generic. A kernel's blocks can read the bias
// instead (weft-fold-fill-reads), and then nothing needs the broadcast
// output, a whole pass over memory; weft-parallelize-loops leaves such a
// broadcast alone so that the read still sees it.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_BROADCASTS_H
#define WEFT_PASSES_BROADCASTS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace mlir::weft {

/// Whether `op` only copies its input along the output's dimensions: all
/// loops parallel, the output indexed by all of them in order, the input
/// by some of them in order (not a transpose, which weft-transpose-for-lanes
/// makes to be read contiguously), and a body that yields the input.
inline bool isBroadcast(linalg::GenericOp op) {
  if (!op || !op.hasPureTensorSemantics() || op.getNumDpsInputs() != 1 ||
      op.getNumDpsInits() != 1 || op.getNumParallelLoops() != op.getNumLoops())
    return false;
  Block &body = op.getRegion().front();
  AffineMap input = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  if (body.getOperations().size() != 1 ||
      body.getTerminator()->getOperand(0) != body.getArgument(0) ||
      !op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isIdentity() ||
      !input.isProjectedPermutation())
    return false;
  for (unsigned i = 1; i < input.getNumResults(); ++i)
    if (input.getDimPosition(i) <= input.getDimPosition(i - 1))
      return false;
  return true;
}

} // namespace mlir::weft

#endif // WEFT_PASSES_BROADCASTS_H
