//===- FuseSums.cpp - Sums computed in the loop nest of what they sum -----===//
//
// See weft-fuse-sums in Passes.td. A layer's backward pass computes the
// gradient of its output before the activation (relu's mask applied to the
// incoming gradient) and then sums it over the batch and the image for the
// bias gradient. The gradient has other users (the weight and input
// gradients), so upstream's elementwise fusion, which fuses a producer only
// into its sole user, leaves two loop nests, and the sum reads the whole
// gradient back from memory. This pass makes the sum a second output of the
// producer: one loop nest writes the gradient and adds it up as it goes.
// The fusion itself is upstream's `fuseElementwiseOps`, which keeps a
// result that other ops read; what this pass adds is the choice of sums,
// the move that keeps those readers after the fused op, sums read through
// a reshape, and merged loops.
//
//===----------------------------------------------------------------------===//

#include "passes/LayerNames.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::weft {
#define GEN_PASS_DEF_FUSESUMSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

/// Whether `op` adds up its one input, read element by element, into its
/// one output over its reduction loops (a bias gradient).
bool isSum(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInputs() != 1 ||
      op.getNumDpsInits() != 1 || op.getNumReductionLoops() == 0 ||
      !op.getMatchingIndexingMap(op.getDpsInputOperand(0)).isIdentity() ||
      !op.getMatchingIndexingMap(op.getDpsInitOperand(0))
           .isProjectedPermutation())
    return false;
  Block &body = op.getRegion().front();
  if (body.getOperations().size() != 2)
    return false;
  auto add = dyn_cast<arith::AddFOp>(body.front());
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (!add || yield.getOperand(0) != add.getResult())
    return false;
  Value in = body.getArgument(0), out = body.getArgument(1);
  return (add.getLhs() == in && add.getRhs() == out) ||
         (add.getLhs() == out && add.getRhs() == in);
}

/// Whether `op` computes its one output element by element over exactly its
/// loops (every loop parallel, the output's map the identity).
bool isElementwise(linalg::GenericOp op) {
  return op && op.hasPureTensorSemantics() && op.getNumDpsInits() == 1 &&
         op.getNumParallelLoops() == op.getNumLoops() &&
         op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isIdentity();
}

/// `sum` reading `collapse_shape(x)` rewritten to read `x`, with a loop per
/// dimension of `x`, when every group of dimensions the reshape merged is
/// summed away whole (a pool's windows merged back into an image, then
/// summed over the image) and `x` is computed element by element, so that
/// the sum can then be fused; null otherwise. The elements are added in the
/// same order.
linalg::GenericOp sumOfUncollapsed(RewriterBase &rewriter,
                                   linalg::GenericOp sum) {
  auto collapse =
      sum.getDpsInputs()[0].getDefiningOp<tensor::CollapseShapeOp>();
  if (!collapse ||
      !isElementwise(collapse.getSrc().getDefiningOp<linalg::GenericOp>()))
    return {};
  MLIRContext *context = rewriter.getContext();
  SmallVector<utils::IteratorType> iterators = sum.getIteratorTypesArray();
  SmallVector<utils::IteratorType> expandedIterators;
  SmallVector<unsigned> expandedDim;
  for (auto [dim, group] :
       llvm::enumerate(collapse.getReassociationIndices())) {
    if (iterators[dim] == utils::IteratorType::parallel && group.size() != 1)
      return {};
    expandedDim.push_back(group.front());
    expandedIterators.append(group.size(), iterators[dim]);
  }
  AffineMap out = sum.getMatchingIndexingMap(sum.getDpsInitOperand(0));
  SmallVector<AffineExpr> results;
  for (unsigned i = 0; i < out.getNumResults(); ++i)
    results.push_back(
        getAffineDimExpr(expandedDim[out.getDimPosition(i)], context));
  unsigned rank = expandedIterators.size();
  SmallVector<AffineMap> maps{AffineMap::getMultiDimIdentityMap(rank, context),
                              AffineMap::get(rank, 0, results, context)};
  rewriter.setInsertionPoint(sum);
  auto expanded = linalg::GenericOp::create(
      rewriter, sum.getLoc(), sum->getResultTypes(),
      ValueRange{collapse.getSrc()}, sum.getDpsInits(), maps,
      expandedIterators);
  rewriter.cloneRegionBefore(sum.getRegion(), expanded.getRegion(),
                             expanded.getRegion().end());
  rewriter.replaceOp(sum, expanded->getResults());
  return expanded;
}

/// Merges runs of neighbouring loops of one kind (the image's rows and
/// columns, both summed) into one loop where every operand is contiguous
/// along them: LLVM vectorises only the innermost loop, and a 2-wide pool
/// window or an 11-wide row vectorises poorly on its own.
void collapseRuns(RewriterBase &rewriter, linalg::GenericOp op) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<ReassociationIndices> runs;
  for (int64_t d = 0, e = iterators.size(); d < e; ++d) {
    if (d > 0 && iterators[d] == iterators[d - 1])
      runs.back().push_back(d);
    else
      runs.push_back({d});
  }
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  SmallVector<ReassociationIndices> folded;
  for (ReassociationIndices &run : runs)
    if (run.size() > 1 && linalg::areDimSequencesPreserved(maps, {run}))
      folded.push_back(run);
  if (folded.empty())
    return;
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::CollapseResult> collapsed =
      linalg::collapseOpIterationDims(op, folded, rewriter);
  if (succeeded(collapsed))
    rewriter.replaceOp(op, collapsed->results);
}

struct FuseSumsPass : public weft::impl::FuseSumsPassBase<FuseSumsPass> {
  using FuseSumsPassBase::FuseSumsPassBase;

  void runOnOperation() override {
    SmallVector<linalg::GenericOp> sums;
    getOperation().walk([&](linalg::GenericOp op) {
      if (isSum(op))
        sums.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    DominanceInfo dominance(getOperation());
    for (linalg::GenericOp sum : sums) {
      auto producer = sum.getDpsInputs()[0].getDefiningOp<linalg::GenericOp>();
      if (!producer)
        if (linalg::GenericOp uncollapsed = sumOfUncollapsed(rewriter, sum)) {
          sum = uncollapsed;
          producer = sum.getDpsInputs()[0].getDefiningOp<linalg::GenericOp>();
        }
      if (!isElementwise(producer) ||
          producer->getBlock() != sum->getBlock())
        continue;
      OpOperand *summed = sum.getDpsInputOperand(0);
      if (!linalg::areElementwiseOpsFusable(summed))
        continue;
      // Upstream's elementwise fusion keeps the producer's result as an
      // output when other ops read it, but puts the fused op where the sum
      // was, after those readers. The sum (and the zero fill it adds into)
      // moves up to just after the producer first.
      if (failed(moveValueDefinitions(rewriter, sum.getDpsInits(), producer,
                                      dominance))) {
        if (remarks)
          sum.emitRemark("not fused: a sum, " + weft::describeLayer(sum) +
                         ", whose output is made after " +
                         weft::describeLayer(producer) + " and cannot move");
        continue;
      }
      rewriter.moveOpAfter(sum, producer);
      // The addition may be reassociated, as the sum's own loop nest would
      // be once vectorised, so that LLVM vectorises the fused loop.
      // Set only for the fusion: a sum left alone keeps its own flags.
      auto add = cast<arith::AddFOp>(sum.getRegion().front().front());
      arith::FastMathFlags flags = add.getFastmath();
      rewriter.modifyOpInPlace(add, [&] {
        add.setFastmath(arith::FastMathFlags::reassoc |
                        arith::FastMathFlags::contract);
      });
      rewriter.setInsertionPoint(sum);
      FailureOr<linalg::ElementwiseOpFusionResult> fused =
          linalg::fuseElementwiseOps(rewriter, summed);
      if (failed(fused)) {
        rewriter.modifyOpInPlace(add, [&] { add.setFastmath(flags); });
        continue;
      }
      if (remarks)
        sum.emitRemark("fused a sum, " + weft::describeLayer(sum) + ", into " +
                       weft::describeLayer(producer) +
                       ": one loop nest writes its values and adds them up");
      for (auto [original, replacement] : fused->replacements)
        rewriter.replaceAllUsesWith(original, replacement);
      rewriter.eraseOp(sum);
      if (producer->use_empty())
        rewriter.eraseOp(producer);
      collapseRuns(rewriter, cast<linalg::GenericOp>(fused->fusedOp));
    }
  }
};

} // namespace
