//===- FoldBroadcastTransposes.cpp - Broadcasts along the lanes -----------===//
//
// See weft-fold-broadcast-transposes in Passes.td. A kernel block reads the
// values it broadcasts along its lanes (a row's input, one per row) with a
// vector.transfer_read whose permutation map ends in a broadcast: (d0) ->
// (d0, 0). Upstream lowers that read to a read of vector<R>, a broadcast to
// vector<L x R> and a transpose to vector<R x L>; LLVM then builds the
// transpose element by element (224 inserts for fc2's 2 x 112 block). The
// same value is a broadcast of vector<R x 1>, one splat per row.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::weft {
#define GEN_PASS_DEF_FOLDBROADCASTTRANSPOSESPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

/// transpose(broadcast(x)), where the broadcast only adds leading
/// dimensions and the transpose keeps x's dimensions in their order, is
/// broadcast(shape_cast(x)): x with unit dimensions where the added ones
/// land, stretched.
struct TransposeOfLeadingBroadcast : OpRewritePattern<vector::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(vector::TransposeOp transpose,
                                PatternRewriter &rewriter) const override {
    auto broadcast = transpose.getVector().getDefiningOp<vector::BroadcastOp>();
    if (!broadcast)
      return failure();
    auto source = dyn_cast<VectorType>(broadcast.getSourceType());
    VectorType wide = broadcast.getResultVectorType();
    if (!source || source.isScalable() || wide.isScalable())
      return failure();
    int64_t added = wide.getRank() - source.getRank();
    // Only added dimensions: the source's match the result's trailing ones.
    if (wide.getShape().drop_front(added) != source.getShape())
      return failure();

    VectorType result = transpose.getResultVectorType();
    SmallVector<int64_t> unitShape;
    int64_t lastSourceDim = -1;
    for (int64_t from : transpose.getPermutation()) {
      if (from < added) {
        unitShape.push_back(1);
        continue;
      }
      if (from < lastSourceDim)
        return failure();
      lastSourceDim = from;
      unitShape.push_back(wide.getDimSize(from));
    }
    auto unitType = VectorType::get(unitShape, source.getElementType());
    Value withUnits = vector::ShapeCastOp::create(
        rewriter, transpose.getLoc(), unitType, broadcast.getSource());
    rewriter.replaceOpWithNewOp<vector::BroadcastOp>(transpose, result,
                                                     withUnits);
    return success();
  }
};

struct FoldBroadcastTransposesPass
    : public weft::impl::FoldBroadcastTransposesPassBase<
          FoldBroadcastTransposesPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<TransposeOfLeadingBroadcast>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
