//===- FoldFillsIntoSums.cpp - A sum's start value in its kernel ----------===//
//
// See weft-fold-fills-into-sums in Passes.td. Bufferized, a reduction's
// start value is written by an operation of its own: a linalg.fill of a
// constant, or the broadcast of a bias a convolution or a dense layer sums
// onto. On the GPU that is a kernel that writes the whole buffer, which the
// reduction's kernel then reads back. The thread that computes an output
// element can compute its start instead. Whether the reduction writes
// every element the start wrote is a fact of the linalg op (its output
// map), which the loops it becomes no longer show; so this pass decides at
// the linalg level and makes the reduction's loops itself, with its sums
// in registers, where the read of each start is one load it can replace.
//
//===----------------------------------------------------------------------===//

#include "passes/GpuAccumulations.h"
#include "passes/GpuLaunches.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Affine/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/SmallBitVector.h"

namespace mlir::weft {
#define GEN_PASS_DEF_FOLDFILLSINTOSUMSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

/// Whether `value` views `buffer` through any views (a part of it, too).
bool views(Value value, Value buffer) {
  while (value != buffer) {
    auto view = value.getDefiningOp<ViewLikeOpInterface>();
    if (!view)
      return false;
    value = view.getViewSource();
  }
  return true;
}

/// Whether `view` is `buffer` or a reshape of it (expand_shape,
/// collapse_shape, any number of them): the same elements. `buffer` may be
/// a reshape itself (a gradient's fill writes its parameter's shape).
bool reshapes(Value view, Value buffer) {
  while (view != buffer) {
    Operation *op = view.getDefiningOp();
    if (!isa_and_nonnull<memref::ExpandShapeOp, memref::CollapseShapeOp>(op))
      return false;
    view = op->getOperand(0);
  }
  return true;
}

/// Whether every iteration of `op`'s parallel dimensions writes its own
/// element of its one output, and together they write all of it: the
/// output's map lists each parallel dimension once and nothing else, but
/// for dimensions of one iteration (a group of one).
bool writesEveryElementOnce(linalg::GenericOp op) {
  if (op.getNumDpsInits() != 1)
    return false;
  AffineMap map = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  llvm::SmallBitVector seen(op.getNumLoops());
  for (AffineExpr result : map.getResults()) {
    auto dim = dyn_cast<AffineDimExpr>(result);
    if (!dim || seen.test(dim.getPosition()) ||
        iterators[dim.getPosition()] != utils::IteratorType::parallel)
      return false;
    seen.set(dim.getPosition());
  }
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  for (auto [dim, iterator] : llvm::enumerate(iterators))
    if (iterator == utils::IteratorType::parallel && !seen.test(dim) &&
        ranges[dim] != 1)
      return false;
  return true;
}

/// Whether a sum's thread can compute what `op` writes to an element of its
/// output on its own, where the sum starts: `op` is a fill of a constant,
/// or an elementwise generic (a broadcast) over its whole output that reads
/// neither that output nor anything sharing memory with it, by operations
/// without memory effects.
bool isStart(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1)
    return false;
  if (auto fill = dyn_cast<linalg::FillOp>(op.getOperation()))
    return matchPattern(fill.getDpsInputOperand(0)->get(), m_Constant());
  // The body is copied into the sum's loops: it must not ask a linalg op
  // for its iteration (linalg.index).
  auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!generic || generic.getNumReductionLoops() != 0 ||
      generic.hasIndexSemantics())
    return false;
  OpOperand *output = generic.getDpsInitOperand(0);
  if (!generic.getMatchingIndexingMap(output).isIdentity() ||
      generic.payloadUsesValueFromOperand(output))
    return false;
  Value memory = weft::rootOf(output->get());
  for (OpOperand *input : generic.getDpsInputOperands())
    if (weft::rootOf(input->get()) == memory)
      return false;
  return llvm::all_of(generic.getBody()->without_terminator(),
                      [](Operation &inner) { return isPure(&inner); });
}

/// The reduction that `start` starts, if it comes next (only operations
/// without memory effects between them, such as a reshape of the buffer),
/// it has parallel dimensions (a thread of its own for each output), its
/// output is the written buffer or a reshape of it, it writes every
/// element of that once, and it reads the buffer no other way.
linalg::GenericOp sumStartedBy(linalg::LinalgOp start) {
  Value buffer = start.getDpsInitOperand(0)->get();
  for (Operation *op = start->getNextNode(); op; op = op->getNextNode()) {
    auto sum = dyn_cast<linalg::GenericOp>(op);
    if (!sum) {
      if (isMemoryEffectFree(op))
        continue;
      return {};
    }
    if (sum.getNumReductionLoops() == 0 || sum.getNumParallelLoops() == 0 ||
        !sum.hasPureBufferSemantics() || !writesEveryElementOnce(sum) ||
        !reshapes(sum.getDpsInitOperand(0)->get(), buffer))
      return {};
    for (OpOperand *input : sum.getDpsInputOperands())
      if (views(input->get(), buffer))
        return {};
    return sum;
  }
  return {};
}

/// The indices into `buffer` of the element that `view`, a reshape of it,
/// has at `indices`.
SmallVector<Value> indicesInSource(PatternRewriter &rewriter, Location loc,
                                   Value view, ValueRange indices,
                                   Value buffer) {
  SmallVector<Value> current(indices);
  while (view != buffer) {
    SmallVector<Value> source;
    if (auto expand = view.getDefiningOp<memref::ExpandShapeOp>()) {
      memref::resolveSourceIndicesExpandShape(loc, rewriter, expand, current,
                                              source, /*startsInbounds=*/true);
      view = expand.getSrc();
    } else {
      auto collapse = view.getDefiningOp<memref::CollapseShapeOp>();
      memref::resolveSourceIndicesCollapseShape(loc, rewriter, collapse,
                                                current, source);
      view = collapse.getSrc();
    }
    current = std::move(source);
  }
  return current;
}

/// What `start` writes to the element of `buffer`, its output, that
/// `view` (a reshape of it) has at `indices`, computed at the rewriter's
/// insertion point.
Value valueWritten(PatternRewriter &rewriter, Location loc,
                   linalg::LinalgOp start, Value view, ValueRange indices) {
  if (auto fill = dyn_cast<linalg::FillOp>(start.getOperation()))
    return fill.getDpsInputOperand(0)->get();
  // The output's map is the identity: the element's indices are the
  // iteration's. Each input is read where its map puts that iteration.
  auto generic = cast<linalg::GenericOp>(start.getOperation());
  SmallVector<OpFoldResult> iteration = getAsOpFoldResult(indicesInSource(
      rewriter, loc, view, indices, generic.getDpsInitOperand(0)->get()));
  IRMapping mapping;
  for (OpOperand *input : generic.getDpsInputOperands()) {
    BlockArgument argument = generic.getMatchingBlockArgument(input);
    if (argument.getType() == input->get().getType()) {
      mapping.map(argument, input->get()); // a scalar
      continue;
    }
    AffineMap map = generic.getMatchingIndexingMap(input);
    SmallVector<Value> at;
    for (unsigned i = 0; i < map.getNumResults(); ++i)
      at.push_back(getValueOrCreateConstantIndexOp(
          rewriter, loc,
          affine::makeComposedFoldedAffineApply(
              rewriter, loc, map.getSubMap({i}), iteration)));
    mapping.map(argument,
                memref::LoadOp::create(rewriter, loc, input->get(), at));
  }
  for (Operation &op : generic.getBody()->without_terminator())
    rewriter.clone(op, mapping);
  return mapping.lookupOrDefault(
      generic.getBody()->getTerminator()->getOperand(0));
}

/// `sum` as parallel loops whose sums are carried in registers, each
/// starting from what `start` wrote instead of reading it; `start` goes.
/// Where a sum's start stays in memory (not carried in a register), the
/// loops read `start`'s output, which stays.
void fold(PatternRewriter &rewriter, linalg::LinalgOp start,
          linalg::GenericOp sum) {
  Value output = sum.getDpsInitOperand(0)->get();
  rewriter.setInsertionPoint(sum);
  FailureOr<linalg::LinalgLoops> loops =
      linalg::linalgOpToParallelLoops(rewriter, sum);
  if (failed(loops) || loops->empty())
    return;
  rewriter.eraseOp(sum);
  auto root = dyn_cast<scf::ParallelOp>(loops->front());
  if (!root)
    return;
  // The loops index the output through an affine.apply of each induction
  // variable, one for the read and one for the write: folded, the read and
  // the write of an element have the same indices.
  SmallVector<Operation *> applies;
  root.walk([&](affine::AffineApplyOp apply) { applies.push_back(apply); });
  RewritePatternSet patterns(rewriter.getContext());
  affine::AffineApplyOp::getCanonicalizationPatterns(patterns,
                                                     rewriter.getContext());
  (void)applyOpPatternsGreedily(applies, std::move(patterns));
  weft::unrollNestedParallelLoops(root, weft::kMostUnrolledOutputs);
  weft::keepAccumulatorsInRegisters(root);
  // Carried in registers, each sum's start is one read of the output
  // before its loops, directly in the parallel loop's body.
  SmallVector<memref::LoadOp> starts;
  bool inMemory = false;
  root.getBody()->walk([&](memref::LoadOp load) {
    if (load.getMemRef() != output)
      return;
    if (load->getParentOp() == root)
      starts.push_back(load);
    else
      inMemory = true;
  });
  if (inMemory || starts.empty())
    return;
  for (memref::LoadOp load : starts) {
    rewriter.setInsertionPoint(load);
    rewriter.replaceOp(load, valueWritten(rewriter, load.getLoc(), start,
                                          output, load.getIndices()));
  }
  rewriter.eraseOp(start);
}

/// A copy of a buffer that a fill of a constant wrote just before (only
/// operations without memory effects between them) as a fill of its
/// output: bufferization starts two sums from one filled buffer so (the
/// softmax's sum copies a zeroed buffer another sum starts from).
void copiesOfFillsAsFills(func::FuncOp function, RewriterBase &rewriter) {
  SmallVector<std::pair<linalg::CopyOp, linalg::FillOp>> copies;
  function.walk([&](linalg::CopyOp copy) {
    if (!copy.hasPureBufferSemantics())
      return;
    Value source = copy.getDpsInputOperand(0)->get();
    for (Operation *op = copy->getPrevNode(); op; op = op->getPrevNode()) {
      auto fill = dyn_cast<linalg::FillOp>(op);
      if (fill && fill.getDpsInitOperand(0)->get() == source) {
        if (isStart(fill))
          copies.push_back({copy, fill});
        return;
      }
      if (!isMemoryEffectFree(op))
        return;
    }
  });
  for (auto [copy, fill] : copies) {
    rewriter.setInsertionPoint(copy);
    rewriter.replaceOpWithNewOp<linalg::FillOp>(
        copy, fill.getDpsInputOperand(0)->get(),
        copy.getDpsInitOperand(0)->get());
  }
}

struct FoldFillsIntoSumsPass
    : public weft::impl::FoldFillsIntoSumsPassBase<FoldFillsIntoSumsPass> {
  void runOnOperation() override {
    PatternRewriter rewriter(&getContext());
    copiesOfFillsAsFills(getOperation(), rewriter);
    SmallVector<std::pair<linalg::LinalgOp, linalg::GenericOp>> pairs;
    getOperation()->walk([&](linalg::LinalgOp start) {
      if (!isStart(start))
        return;
      if (linalg::GenericOp sum = sumStartedBy(start))
        pairs.push_back({start, sum});
    });
    for (auto [start, sum] : pairs)
      fold(rewriter, start, sum);
  }
};

} // namespace
