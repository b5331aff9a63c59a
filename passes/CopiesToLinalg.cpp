//===- CopiesToLinalg.cpp - memref.copy as linalg.copy --------------------===//
//
// See weft-copies-to-linalg in Passes.td: compiled models must not depend
// on MLIR's runtime library for strided copies.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::weft {
#define GEN_PASS_DEF_COPIESTOLINALGPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

/// Whether `copy` copies a buffer onto itself: its source is its target
/// collapsed and expanded back (what a vector write into a reshaped view of
/// a buffer leaves behind once bufferized; a pool's positions op did this
/// for every row of every image).
bool copiesOntoItself(memref::CopyOp copy) {
  auto expand = copy.getSource().getDefiningOp<memref::ExpandShapeOp>();
  if (!expand)
    return false;
  auto collapse = expand.getSrc().getDefiningOp<memref::CollapseShapeOp>();
  return collapse && collapse.getSrc() == copy.getTarget() &&
         collapse.getReassociationIndices() ==
             expand.getReassociationIndices() &&
         expand.getResultType().getShape() == collapse.getSrcType().getShape();
}

struct CopiesToLinalgPass
    : public weft::impl::CopiesToLinalgPassBase<CopiesToLinalgPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation()->walk([&](memref::CopyOp copy) { copies.push_back(copy); });
    IRRewriter rewriter(&getContext());
    for (memref::CopyOp copy : copies) {
      if (copiesOntoItself(copy)) {
        rewriter.eraseOp(copy);
        continue;
      }
      rewriter.setInsertionPoint(copy);
      rewriter.replaceOpWithNewOp<linalg::CopyOp>(copy, copy.getSource(),
                                                  copy.getTarget());
    }
  }
};
} // namespace
