//===- Activations.h - Elementwise ops after a kernel -----------*- C++ -*-===//
//
// A convolution or dense layer is followed by its activation, one input to
// one output element by element. Passes that change how a kernel writes its
// result apply the activation as they write (a block's epilogue in
// weft-tile-and-vectorize, the copy back in weft-transpose-for-lanes), so
// that it is no pass over memory of its own.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_ACTIVATIONS_H
#define WEFT_PASSES_ACTIVATIONS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace mlir::weft {

/// Whether `op` maps one input to its output element by element (an
/// activation): all loops parallel, every map the identity, and its output
/// only written.
inline bool isActivation(linalg::GenericOp op) {
  if (!op || !op.hasPureTensorSemantics() ||
      op.getNumParallelLoops() != op.getNumLoops() ||
      op.getNumDpsInputs() != 1 || op.getNumDpsInits() != 1 ||
      op.payloadUsesValueFromOperand(op.getDpsInitOperand(0)))
    return false;
  return llvm::all_of(op.getIndexingMapsArray(),
                      [](AffineMap map) { return map.isIdentity(); });
}

} // namespace mlir::weft

#endif // WEFT_PASSES_ACTIVATIONS_H
