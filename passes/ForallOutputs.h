//===- ForallOutputs.h - What reads of a forall's outputs see -*- C++ -*-===//
//
// Inside an scf.forall, a shared output's block argument is, as a value,
// the loop's initial tensor: the writes of other iterations are visible
// only in the loop's result. Passes that ask what a block's read sees
// (weft-fold-fill-reads, weft-vectorize-windows) look through it.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_FORALLOUTPUTS_H
#define WEFT_PASSES_FORALLOUTPUTS_H

#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::weft {

/// The initial tensor of the scf.forall output `tensor` is the block
/// argument of, or `tensor` itself if it is none.
inline Value initialValue(Value tensor) {
  if (auto arg = dyn_cast<BlockArgument>(tensor))
    if (auto forall = dyn_cast<scf::ForallOp>(arg.getOwner()->getParentOp()))
      if (arg.getArgNumber() >= forall.getRank()) // not an induction variable
        return forall.getTiedOpOperand(arg)->get();
  return tensor;
}

} // namespace mlir::weft

#endif // WEFT_PASSES_FORALLOUTPUTS_H
