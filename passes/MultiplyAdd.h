//===- MultiplyAdd.h - Kernels that add up products -------------*- C++ -*-===//
//
// Convolutions and dense layers, forward and backward, are generics whose
// payload is `out + a * b`. weft-tile-and-vectorize skips steps where a
// factor reads zero padding; weft-gpu-library-calls hands such kernels to
// cuDNN and cuBLAS.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_MULTIPLYADD_H
#define WEFT_PASSES_MULTIPLYADD_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace mlir::weft {

/// Whether `op`'s payload is `out + a * b` (in either order) with `input`'s
/// value one of the factors, so that a step where it is zero adds nothing.
inline bool addsProductOf(linalg::GenericOp op, OpOperand *input) {
  Block &body = op.getRegion().front();
  if (body.getOperations().size() != 3)
    return false;
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield->getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  Value out = body.getArgument(op.getDpsInitOperand(0)->getOperandNumber());
  Value product = add.getLhs() == out ? add.getRhs() : add.getLhs();
  if (add.getLhs() != out && add.getRhs() != out)
    return false;
  auto multiply = product.getDefiningOp<arith::MulFOp>();
  Value factor = body.getArgument(input->getOperandNumber());
  return multiply && multiply->getBlock() == &body &&
         (multiply.getLhs() == factor || multiply.getRhs() == factor);
}

/// Whether `op` is `out += a * b` of its two inputs into its one f32
/// output.
inline bool isMultiplyAdd(linalg::GenericOp op) {
  return op.getNumDpsInputs() == 2 && op.getNumDpsInits() == 1 &&
         getElementTypeOrSelf(op.getDpsInits()[0].getType()).isF32() &&
         addsProductOf(op, op.getDpsInputOperand(0)) &&
         addsProductOf(op, op.getDpsInputOperand(1));
}

} // namespace mlir::weft

#endif // WEFT_PASSES_MULTIPLYADD_H
