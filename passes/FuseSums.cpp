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
//
//===----------------------------------------------------------------------===//

#include "passes/LayerNames.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/IRMapping.h"
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

/// `producer` with `sum` as a second output: the same loops, reduction
/// where the sum reduces, and a body that yields its value and adds it to
/// the sum. The addition may be reassociated, as the sum's own loop nest
/// would be once vectorised, so that LLVM vectorises the fused loop.
linalg::GenericOp fuseSum(RewriterBase &rewriter, linalg::GenericOp producer,
                          linalg::GenericOp sum) {
  // The producer's own output tensor (a fresh one). Writing over its input
  // (the incoming gradient, dead after this) would save a buffer, but
  // one-shot bufferization lets an input and an output share one only when
  // every loop is parallel, and copies otherwise.
  SmallVector<Value> inits{producer.getDpsInitOperand(0)->get(),
                           sum.getDpsInitOperand(0)->get()};
  SmallVector<AffineMap> maps;
  for (OpOperand *input : producer.getDpsInputOperands())
    maps.push_back(producer.getMatchingIndexingMap(input));
  maps.push_back(producer.getMatchingIndexingMap(producer.getDpsInitOperand(0)));
  maps.push_back(sum.getMatchingIndexingMap(sum.getDpsInitOperand(0)));
  SmallVector<Type> types{producer->getResult(0).getType(),
                          sum->getResult(0).getType()};

  rewriter.setInsertionPoint(producer);
  auto fused = linalg::GenericOp::create(
      rewriter, producer.getLoc(), types, producer.getDpsInputs(), inits, maps,
      sum.getIteratorTypesArray());
  Block &from = producer.getRegion().front();
  SmallVector<Type> argTypes(from.getArgumentTypes());
  SmallVector<Location> argLocs(from.getNumArguments(), producer.getLoc());
  Type sumType = sum.getRegion().front().getArgument(1).getType();
  argTypes.push_back(sumType);
  argLocs.push_back(sum.getLoc());
  Block *body = rewriter.createBlock(&fused.getRegion(), {}, argTypes, argLocs);
  IRMapping mapping;
  mapping.map(from.getArguments(), body->getArguments().drop_back());
  for (Operation &op : from.without_terminator())
    rewriter.clone(op, mapping);
  Value value =
      mapping.lookup(cast<linalg::YieldOp>(from.getTerminator()).getOperand(0));
  auto reassociable = arith::FastMathFlagsAttr::get(
      rewriter.getContext(),
      arith::FastMathFlags::reassoc | arith::FastMathFlags::contract);
  Value total = arith::AddFOp::create(rewriter, sum.getLoc(),
                                      body->getArguments().back(), value,
                                      reassociable);
  linalg::YieldOp::create(rewriter, producer.getLoc(),
                          ValueRange{value, total});
  return fused;
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
      // The fused op takes the producer's place, so the sum's output
      // tensor (a zero fill) must be made before it.
      if (failed(moveValueDefinitions(rewriter, sum.getDpsInits(), producer,
                                      dominance))) {
        if (remarks)
          sum.emitRemark("not fused: a sum, " + weft::describeLayer(sum) +
                         ", whose output is made after " +
                         weft::describeLayer(producer) + " and cannot move");
        continue;
      }
      if (remarks)
        sum.emitRemark("fused a sum, " + weft::describeLayer(sum) + ", into " +
                       weft::describeLayer(producer) +
                       ": one loop nest writes its values and adds them up");
      linalg::GenericOp fused = fuseSum(rewriter, producer, sum);
      rewriter.replaceAllUsesWith(producer->getResult(0), fused->getResult(0));
      rewriter.replaceAllUsesWith(sum->getResult(0), fused->getResult(1));
      rewriter.eraseOp(sum);
      rewriter.eraseOp(producer);
      collapseRuns(rewriter, fused);
    }
  }
};

} // namespace
