//===- SpreadReductions.cpp - GPU threads for reductions ------------------===//
//
// See weft-spread-reductions in Passes.td. weft-loops-to-gpu gives each
// iteration of a kernel's parallel loops a thread and runs reductions
// sequentially inside it. Autodiff's weight and bias gradients reduce over
// the batch, and their generics list the batch first: as loops, a
// sequential batch loop around everything ran the whole gradient in one GPU
// thread (595 ms of an 800 ms fashion_cnn step at batch 256). Parallel
// dimensions first fixes the nest; when they alone give too few threads (a
// bias gradient has one output per channel), the outer reduction dimensions
// run in threads too, each thread summing its part of the reduction and
// adding it to the output atomically (weft-loops-to-gpu). A last
// reduction over the batch, whose extent is known only at run time, is
// dealt out to threads in turn instead: as loops, since no reshape splits
// a dimension of unknown extent exactly.
//
//===----------------------------------------------------------------------===//

#include "passes/GpuLaunches.h"
#include "passes/Passes.h"
#include "passes/SplitDimension.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::weft {
#define GEN_PASS_DEF_SPREADREDUCTIONSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

/// A last reduction at least this long is split when threads are too few;
/// shorter ones are not worth the atomic additions.
constexpr int64_t kLongReduction = 64;

/// A reduction of a dynamic extent is dealt out to at most this many
/// threads for each output (each adds its part atomically): the batch
/// sizes trained with, one or two iterations each.
constexpr int64_t kMostDealtOut = 256;

/// Whether output `init` of `op` is a sum: its payload yields
/// `addf(out, x)` and reads `out` nowhere else, so that threads may each
/// add a part of the sum to the output.
bool isSumOutput(linalg::GenericOp op, OpOperand &init) {
  Block &body = op.getRegion().front();
  BlockArgument out = op.getMatchingBlockArgument(&init);
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  unsigned result = init.getOperandNumber() - op.getNumDpsInputs();
  auto add = yield.getOperand(result).getDefiningOp<arith::AddFOp>();
  return add && out.hasOneUse() && (add.getLhs() == out || add.getRhs() == out);
}

/// Whether every output that `dims` do not index is a sum.
bool sumsWhereShared(linalg::GenericOp op, ArrayRef<unsigned> dims) {
  for (OpOperand &init : op.getDpsInitsMutable()) {
    AffineMap map = op.getMatchingIndexingMap(&init);
    bool indexedByAll =
        llvm::all_of(dims, [&](unsigned d) { return map.isFunctionOfDim(d); });
    if (!indexedByAll && !isSumOutput(op, init))
      return false;
  }
  return true;
}

/// `op` as loops whose last, a sequential reduction, has its iterations
/// dealt out in turn to a new first thread dimension of `most` threads at
/// most (fewer when it has fewer iterations): thread t runs iterations t,
/// t + threads, ... The caller has checked that the outputs the reduction
/// does not index are sums.
void dealOutLastLoop(RewriterBase &rewriter, linalg::GenericOp op,
                     int64_t most) {
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::LinalgLoops> loops =
      linalg::linalgOpToParallelLoops(rewriter, op);
  if (failed(loops) || loops->empty())
    return;
  rewriter.eraseOp(op);
  auto last = dyn_cast<scf::ForOp>(loops->back());
  if (!last)
    return;
  Operation *outer = loops->front();
  Location loc = last.getLoc();
  // The bounds of every loop are computed before the nest.
  rewriter.setInsertionPoint(outer);
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  Value trips = weft::tripCount(rewriter, loc, last.getLowerBound(),
                                last.getUpperBound(), last.getStep());
  Value threads = rewriter.createOrFold<arith::MinSIOp>(
      loc, trips, arith::ConstantIndexOp::create(rewriter, loc, most));
  // The new dimension comes first, so that neighbouring threads still
  // differ in the innermost parallel dimension.
  SmallVector<Value> lower{zero}, upper{threads}, steps{one};
  Block *body = nullptr;
  auto parallel = dyn_cast<scf::ParallelOp>(outer);
  if (parallel) {
    llvm::append_range(lower, parallel.getLowerBound());
    llvm::append_range(upper, parallel.getUpperBound());
    llvm::append_range(steps, parallel.getStep());
    body = parallel.getBody();
  }
  auto dealt = scf::ParallelOp::create(rewriter, loc, lower, upper, steps);
  Block *dealtBody = dealt.getBody();
  if (parallel) {
    rewriter.eraseOp(dealtBody->getTerminator());
    rewriter.mergeBlocks(body, dealtBody,
                         ValueRange(dealt.getInductionVars()).drop_front());
    rewriter.eraseOp(parallel);
  } else {
    rewriter.moveOpBefore(outer, dealtBody->getTerminator());
  }
  Value thread = dealt.getInductionVars().front();
  rewriter.setInsertionPoint(last);
  Value first = rewriter.createOrFold<arith::AddIOp>(
      loc, last.getLowerBound(),
      rewriter.createOrFold<arith::MulIOp>(loc, thread, last.getStep()));
  Value stride =
      rewriter.createOrFold<arith::MulIOp>(loc, last.getStep(), threads);
  rewriter.modifyOpInPlace(last, [&] {
    last.setLowerBound(first);
    last.setStep(stride);
  });
}

/// The largest divisor of `extent` that is at most `most`.
int64_t largestDivisorAtMost(int64_t extent, int64_t most) {
  for (int64_t d = std::min(extent, most); d > 1; --d)
    if (extent % d == 0)
      return d;
  return 1;
}

struct SpreadReductionsPass
    : public weft::impl::SpreadReductionsPassBase<SpreadReductionsPass> {
  using SpreadReductionsPassBase::SpreadReductionsPassBase;

  void runOnOperation() override {
    SmallVector<linalg::GenericOp> reductions;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (op.getNumReductionLoops() > 0 && op.hasPureBufferSemantics())
        reductions.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : reductions)
      schedule(rewriter, op);
  }

  /// Reorders `op`'s dimensions as [spread reductions, parallel, sequential
  /// reductions] and marks the spread ones parallel.
  void schedule(IRRewriter &rewriter, linalg::GenericOp op) {
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    SmallVector<int64_t> extents = op.getStaticLoopRanges();
    // An empty dimension has no iterations to spread; nor is it a divisor.
    if (llvm::is_contained(extents, 0))
      return;
    SmallVector<unsigned> parallel, reduction;
    int64_t threads = 1;
    for (auto [d, iterator] : llvm::enumerate(iterators)) {
      if (iterator == utils::IteratorType::parallel) {
        parallel.push_back(d);
        threads *= weft::threadsAlong(extents[d]);
      } else {
        reduction.push_back(d);
      }
    }
    // The outer reductions run in threads while there are too few; the
    // last stays sequential, so that each thread sums a row before its
    // one atomic addition.
    SmallVector<unsigned> spread;
    for (unsigned d : ArrayRef(reduction).drop_back()) {
      if (threads >= minThreads)
        break;
      SmallVector<unsigned> candidate(spread);
      candidate.push_back(d);
      if (!sumsWhereShared(op, candidate))
        break;
      spread = candidate;
      threads *= weft::threadsAlong(extents[d]);
    }
    // Too few threads still, with one sequential reduction left: a long one
    // (conv1's bias gradient sums 676 positions in each of 8192 threads)
    // is split, the inner part over threads, last among them, so that
    // neighbouring threads read neighbouring elements; each thread then
    // sums every inner-th element. `splitAt` is the split dimension, now its
    // outer part; the inner part follows it.
    std::optional<unsigned> splitAt;
    if (threads < minThreads && spread.size() + 1 == reduction.size()) {
      unsigned last = reduction.back();
      int64_t extent = extents[last];
      SmallVector<unsigned> shared(spread);
      shared.push_back(last);
      int64_t inner = ShapedType::isDynamic(extent)
                          ? 1
                          : largestDivisorAtMost(
                                extent, llvm::divideCeil(minThreads, threads));
      if (extent >= kLongReduction && inner > 1 &&
          sumsWhereShared(op, shared)) {
        FailureOr<linalg::GenericOp> split =
            weft::splitDimension(rewriter, op, last, inner);
        if (succeeded(split)) {
          op = *split;
          splitAt = last;
          for (unsigned &d : parallel)
            d = d > last ? d + 1 : d;
        }
      }
    }
    // Too few threads still, and the one reduction left sequential is of a
    // dynamic extent (a dense layer's weight or bias gradient, a loss: a
    // sum over the batch, in 10 to 640 threads that each ran every
    // example): its iterations are dealt out to threads.
    bool dealOut = threads < minThreads && !splitAt &&
                   spread.size() + 1 == reduction.size() &&
                   ShapedType::isDynamic(extents[reduction.back()]);
    if (dealOut) {
      SmallVector<unsigned> shared(spread);
      shared.push_back(reduction.back());
      dealOut = sumsWhereShared(op, shared);
    }
    SmallVector<unsigned> order(spread);
    llvm::append_range(order, parallel);
    if (splitAt) {
      order.push_back(*splitAt + 1);
      order.push_back(*splitAt);
    } else {
      llvm::append_range(order, ArrayRef(reduction).drop_front(spread.size()));
    }
    if (!llvm::equal(order, llvm::seq<unsigned>(0, order.size()))) {
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::GenericOp> reordered =
          linalg::interchangeGenericOp(rewriter, op, order);
      if (failed(reordered))
        return;
      op = *reordered;
    }
    if (spread.empty() && !splitAt && !dealOut)
      return;
    // In the new order: the spread reductions, the parallel dimensions, the
    // split's inner part, then what stays sequential.
    size_t threadDims = spread.size() + parallel.size() + (splitAt ? 1 : 0);
    SmallVector<Attribute> types;
    for (auto [d, iterator] : llvm::enumerate(op.getIteratorTypesArray()))
      types.push_back(linalg::IteratorTypeAttr::get(
          &getContext(),
          d < threadDims ? utils::IteratorType::parallel : iterator));
    op.setIteratorTypesAttr(ArrayAttr::get(&getContext(), types));
    if (dealOut) {
      uint64_t wanted = llvm::divideCeil(minThreads, threads);
      dealOutLastLoop(rewriter, op,
                      std::min<int64_t>(kMostDealtOut,
                                        int64_t(llvm::PowerOf2Ceil(wanted))));
    }
  }
};

} // namespace
