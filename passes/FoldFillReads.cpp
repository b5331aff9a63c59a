//===- FoldFillReads.cpp - Reads of a filled tensor are its value ---------===//
//
// See weft-fold-fill-reads in Passes.td. Partial sums start from a filled
// buffer; once their first read is hoisted out of the reduction loops it
// reads the fill, and as a broadcast constant the buffer needs no memory.
//
//===----------------------------------------------------------------------===//

#include "passes/Broadcasts.h"
#include "passes/ForallOutputs.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::weft {
#define GEN_PASS_DEF_FOLDFILLREADSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

/// vector.transfer_read of linalg.fill(%v) -> vector.broadcast %v. Only
/// unmasked, in-bounds reads: padding would need a select.
struct ReadOfFillToBroadcast : OpRewritePattern<vector::TransferReadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::TransferReadOp read,
                                PatternRewriter &rewriter) const override {
    auto fill =
        weft::initialValue(read.getBase()).getDefiningOp<linalg::FillOp>();
    if (!fill || read.getMask() || read.hasOutOfBoundsDim())
      return failure();
    rewriter.replaceOpWithNewOp<vector::BroadcastOp>(
        read, read.getVectorType(), fill.getInputs()[0]);
    return success();
  }
};

/// vector.transfer_read of a broadcast (isBroadcast) -> a read of the
/// broadcast's input, broadcast along the dimensions it lacks: a block
/// whose output starts from a bias reads the bias, and the broadcast
/// output, a pass over memory, is no longer needed.
struct ReadOfBroadcastToSourceRead : OpRewritePattern<vector::TransferReadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::TransferReadOp read,
                                PatternRewriter &rewriter) const override {
    auto broadcast =
        weft::initialValue(read.getBase()).getDefiningOp<linalg::GenericOp>();
    if (!weft::isBroadcast(broadcast) || read.getMask() ||
        read.hasOutOfBoundsDim())
      return failure();
    AffineMap sourceMap =
        broadcast.getMatchingIndexingMap(broadcast.getDpsInputOperand(0));
    // The source's indices are the read's, at the dimensions it keeps.
    SmallVector<Value> indices;
    for (unsigned k = 0; k < sourceMap.getNumResults(); ++k)
      indices.push_back(read.getIndices()[sourceMap.getDimPosition(k)]);
    // Each vector dimension read along one of the source's dimensions
    // reads along it there; along any other, the value is broadcast.
    MLIRContext *context = rewriter.getContext();
    SmallVector<AffineExpr> results;
    for (AffineExpr result : read.getPermutationMap().getResults()) {
      auto dim = dyn_cast<AffineDimExpr>(result);
      std::optional<unsigned> position =
          dim ? sourceMap.getResultPosition(dim) : std::nullopt;
      results.push_back(position ? getAffineDimExpr(*position, context)
                                 : getAffineConstantExpr(0, context));
    }
    auto map = AffineMap::get(sourceMap.getNumResults(), 0, results, context);
    SmallVector<bool> inBounds(results.size(), true);
    rewriter.replaceOpWithNewOp<vector::TransferReadOp>(
        read, read.getVectorType(), broadcast.getDpsInputOperand(0)->get(),
        indices, AffineMapAttr::get(map), read.getPadding(), /*mask=*/Value(),
        rewriter.getBoolArrayAttr(inBounds));
    return success();
  }
};

struct FoldFillReadsPass
    : public weft::impl::FoldFillReadsPassBase<FoldFillReadsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ReadOfFillToBroadcast, ReadOfBroadcastToSourceRead>(
        &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
