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

/// A last reduction at least this long is split when threads are too few;
/// shorter ones are not worth the atomic additions.
constexpr int64_t kLongReduction = 64;

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

/// The result of `map` that is dimension `dim`, if `dim` appears there only
/// as a result of its own; std::nullopt if it is absent; failure if it is
/// part of a larger expression (a window's `p + r`), which no reshape
/// splits.
FailureOr<std::optional<unsigned>> plainResult(AffineMap map, unsigned dim) {
  std::optional<unsigned> found;
  for (auto [i, result] : llvm::enumerate(map.getResults())) {
    if (!result.isFunctionOfDim(dim))
      continue;
    auto plain = dyn_cast<AffineDimExpr>(result);
    if (!plain || found)
      return failure();
    found = i;
  }
  return found;
}

/// The largest divisor of `extent` that is at most `most`.
int64_t largestDivisorAtMost(int64_t extent, int64_t most) {
  for (int64_t d = std::min(extent, most); d > 1; --d)
    if (extent % d == 0)
      return d;
  return 1;
}

/// `op` with dimension `dim` of `extent` iterations split in two, the
/// outer of `extent / inner` and the inner of `inner` (dimensions `dim` and
/// `dim + 1` of the result, both of `dim`'s kind): every operand that
/// `dim` indexes is reshaped to match. Fails where `dim` is part of a
/// larger index or the payload reads its indices.
FailureOr<linalg::GenericOp> splitDimension(IRRewriter &rewriter,
                                            linalg::GenericOp op, unsigned dim,
                                            int64_t inner) {
  if (!op.getRegion().front().getOps<linalg::IndexOp>().empty())
    return failure();
  int64_t extent = op.getStaticLoopRanges()[dim];
  MLIRContext *context = op.getContext();
  unsigned dims = op.getNumLoops() + 1;
  // Old dimension d: d before `dim`, d + 1 after it; `dim` itself is the
  // pair (dim, dim + 1).
  SmallVector<AffineExpr> renamed;
  for (unsigned d = 0; d < op.getNumLoops(); ++d)
    renamed.push_back(getAffineDimExpr(d <= dim ? d : d + 1, context));
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  SmallVector<Value> operands;
  SmallVector<AffineMap> maps;
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    FailureOr<std::optional<unsigned>> position = plainResult(map, dim);
    if (failed(position))
      return failure();
    SmallVector<AffineExpr> results;
    for (AffineExpr result : map.getResults())
      results.push_back(result.replaceDims(renamed));
    Value value = operand.get();
    if (*position) {
      unsigned at = **position;
      results.insert(results.begin() + at + 1,
                     getAffineDimExpr(dim + 1, context));
      auto type = cast<MemRefType>(value.getType());
      SmallVector<int64_t> shape(type.getShape());
      shape[at] = extent / inner;
      shape.insert(shape.begin() + at + 1, inner);
      SmallVector<ReassociationIndices> groups;
      SmallVector<OpFoldResult> sizes;
      for (int64_t i = 0, e = type.getRank(); i < e; ++i) {
        unsigned first = i <= at ? i : i + 1;
        groups.push_back(i == at ? ReassociationIndices{first, first + 1}
                                 : ReassociationIndices{first});
        if (i != at) {
          sizes.push_back(memref::getMixedSize(rewriter, loc, value, i));
          continue;
        }
        sizes.push_back(rewriter.getIndexAttr(extent / inner));
        sizes.push_back(rewriter.getIndexAttr(inner));
      }
      if (failed(
              memref::ExpandShapeOp::computeExpandedType(type, shape, groups)))
        return failure();
      value = memref::ExpandShapeOp::create(rewriter, loc, shape, value, groups,
                                            sizes);
    }
    operands.push_back(value);
    maps.push_back(AffineMap::get(dims, 0, results, context));
  }
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  iterators.insert(iterators.begin() + dim + 1, iterators[dim]);
  unsigned inputs = op.getNumDpsInputs();
  auto split = linalg::GenericOp::create(
      rewriter, loc, TypeRange{}, ArrayRef(operands).take_front(inputs),
      ArrayRef(operands).drop_front(inputs), maps, iterators);
  rewriter.inlineRegionBefore(op.getRegion(), split.getRegion(),
                              split.getRegion().end());
  rewriter.eraseOp(op);
  return split;
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
            splitDimension(rewriter, op, last, inner);
        if (succeeded(split)) {
          op = *split;
          splitAt = last;
          for (unsigned &d : parallel)
            d = d > last ? d + 1 : d;
        }
      }
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
    if (spread.empty() && !splitAt)
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
  }
};

} // namespace
