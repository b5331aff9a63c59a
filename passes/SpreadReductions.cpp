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
// adding it to the output atomically (weft-loops-to-gpu).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::weft {
#define GEN_PASS_DEF_SPREADREDUCTIONSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

/// The threads a dimension of `extent` iterations gives; a dynamic extent
/// (the batch) counts as 32.
int64_t threadsAlong(int64_t extent) {
  return ShapedType::isDynamic(extent) ? 32 : extent;
}

/// Whether output `init` of `op` is a sum: its payload yields
/// `addf(out, x)` and reads `out` nowhere else, so that threads may each
/// add a part of the sum to the output.
bool isSumOutput(linalg::GenericOp op, OpOperand &init) {
  Block &body = op.getRegion().front();
  BlockArgument out = op.getMatchingBlockArgument(&init);
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  unsigned result = init.getOperandNumber() - op.getNumDpsInputs();
  auto add = yield.getOperand(result).getDefiningOp<arith::AddFOp>();
  return add && out.hasOneUse() &&
         (add.getLhs() == out || add.getRhs() == out);
}

/// Whether every output that `dims` do not index is a sum.
bool sumsWhereShared(linalg::GenericOp op, ArrayRef<unsigned> dims) {
  for (OpOperand &init : op.getDpsInitsMutable()) {
    AffineMap map = op.getMatchingIndexingMap(&init);
    bool indexedByAll = llvm::all_of(dims, [&](unsigned d) {
      return map.isFunctionOfDim(d);
    });
    if (!indexedByAll && !isSumOutput(op, init))
      return false;
  }
  return true;
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
    SmallVector<unsigned> parallel, reduction;
    int64_t threads = 1;
    for (auto [d, iterator] : llvm::enumerate(iterators)) {
      if (iterator == utils::IteratorType::parallel) {
        parallel.push_back(d);
        threads *= threadsAlong(extents[d]);
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
      threads *= threadsAlong(extents[d]);
    }
    SmallVector<unsigned> order(spread);
    llvm::append_range(order, parallel);
    llvm::append_range(order, ArrayRef(reduction).drop_front(spread.size()));
    if (!llvm::equal(order, llvm::seq<unsigned>(0, order.size()))) {
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::GenericOp> reordered =
          linalg::interchangeGenericOp(rewriter, op, order);
      if (failed(reordered))
        return;
      op = *reordered;
    }
    if (spread.empty())
      return;
    SmallVector<Attribute> types;
    for (auto [d, iterator] : llvm::enumerate(op.getIteratorTypesArray()))
      types.push_back(linalg::IteratorTypeAttr::get(
          &getContext(), d < spread.size() ? utils::IteratorType::parallel
                                           : iterator));
    op.setIteratorTypesAttr(ArrayAttr::get(&getContext(), types));
  }
};

} // namespace
