//===- FoldFillReads.cpp - Reads of a filled tensor are its value ---------===//
//
// See weft-fold-fill-reads in Passes.td. Partial sums start from a filled
// buffer; once their first read is hoisted out of the reduction loops it
// reads the fill, and as a broadcast constant the buffer needs no memory.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::weft {
#define GEN_PASS_DEF_FOLDFILLREADSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

/// The fill `tensor` holds, if any. Inside an scf.forall a shared output's
/// block argument is, as a value, the loop's initial tensor (the writes of
/// other iterations are visible only in the loop's result).
linalg::FillOp filledBy(Value tensor) {
  if (auto arg = dyn_cast<BlockArgument>(tensor))
    if (auto forall = dyn_cast<scf::ForallOp>(arg.getOwner()->getParentOp()))
      if (arg.getArgNumber() >= forall.getRank()) // not an induction variable
        tensor = forall.getTiedOpOperand(arg)->get();
  return tensor.getDefiningOp<linalg::FillOp>();
}

/// vector.transfer_read of linalg.fill(%v) -> vector.broadcast %v. Only
/// unmasked, in-bounds reads: padding would need a select.
struct ReadOfFillToBroadcast : OpRewritePattern<vector::TransferReadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::TransferReadOp read,
                                PatternRewriter &rewriter) const override {
    linalg::FillOp fill = filledBy(read.getBase());
    if (!fill || read.getMask() || read.hasOutOfBoundsDim())
      return failure();
    rewriter.replaceOpWithNewOp<vector::BroadcastOp>(
        read, read.getVectorType(), fill.getInputs()[0]);
    return success();
  }
};

struct FoldFillReadsPass
    : public weft::impl::FoldFillReadsPassBase<FoldFillReadsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ReadOfFillToBroadcast>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
