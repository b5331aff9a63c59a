//===- RegisterTiles.cpp - Several outputs a GPU thread -------------------===//
//
// See weft-register-tiles in Passes.td. One thread per output element reads
// both operands of a product from memory for every multiplication: a
// convolution's thread loads an input element and a weight for each step of
// its sum, and the 64 threads of conv2's output channels at one position
// load the same input elements 64 times. A thread that computes a few
// output channels loads each input element once for all of them and keeps
// their sums in registers (weft-loops-to-gpu unrolls the inner dimension
// this pass makes). The weights it loads per channel are the same for
// neighbouring threads (one broadcast read a warp).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/SplitDimension.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::weft {
#define GEN_PASS_DEF_REGISTERTILESPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

/// How many of `op`'s inputs a thread would load once for all `dim`'s
/// iterations instead of once for each, among those that neighbouring
/// threads read at different places (that `fastest` indexes): a load that
/// `fastest` does not index is one broadcast read a warp already.
int64_t sharedLoads(linalg::GenericOp op, unsigned dim, unsigned fastest) {
  int64_t shared = 0;
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    if (!map.isFunctionOfDim(dim) && map.isFunctionOfDim(fastest))
      ++shared;
  }
  return shared;
}

/// Whether splitting `dim` keeps every output element one thread's: every
/// output has `dim` as an index of its own (so the unrolled copies store
/// to different elements), and no operand has it inside a larger index.
bool splittable(linalg::GenericOp op, unsigned dim) {
  for (OpOperand &operand : op->getOpOperands()) {
    FailureOr<std::optional<unsigned>> position =
        weft::plainResult(op.getMatchingIndexingMap(&operand), dim);
    if (failed(position))
      return false;
    if (op.isDpsInit(&operand) && !*position)
      return false;
  }
  return true;
}

struct RegisterTilesPass
    : public weft::impl::RegisterTilesPassBase<RegisterTilesPass> {
  using RegisterTilesPassBase::RegisterTilesPassBase;

  void runOnOperation() override {
    if (factor < 2)
      return;
    SmallVector<linalg::GenericOp> reductions;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (op.getNumReductionLoops() > 0 && op.hasPureBufferSemantics() &&
          op.getRegion().front().getOps<linalg::IndexOp>().empty())
        reductions.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : reductions)
      tile(rewriter, op);
  }

  /// The parallel dimension whose split shares the most loads, if any.
  std::optional<unsigned> choose(linalg::GenericOp op) {
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    SmallVector<int64_t> extents = op.getStaticLoopRanges();
    // weft-spread-reductions put the threads' dimensions first; the last
    // of them varies fastest between neighbouring threads.
    unsigned threadDims = 0;
    int64_t threads = 1;
    while (threadDims < iterators.size() &&
           iterators[threadDims] == utils::IteratorType::parallel)
      threads *= weft::threadsAlong(extents[threadDims++]);
    if (threadDims < 2 || threads / factor < minThreads ||
        llvm::any_of(ArrayRef(iterators).drop_front(threadDims),
                     [](utils::IteratorType iterator) {
                       return iterator == utils::IteratorType::parallel;
                     }))
      return std::nullopt;
    unsigned fastest = threadDims - 1;
    std::optional<unsigned> best;
    int64_t bestShared = 0;
    for (unsigned d = 0; d < fastest; ++d) {
      if (ShapedType::isDynamic(extents[d]) || extents[d] % factor != 0 ||
          !splittable(op, d))
        continue;
      int64_t shared = sharedLoads(op, d, fastest);
      if (shared > bestShared) {
        best = d;
        bestShared = shared;
      }
    }
    return best;
  }

  /// Splits the chosen dimension by `factor` and moves the inner part after
  /// the reductions, the innermost loop of each thread.
  void tile(IRRewriter &rewriter, linalg::GenericOp op) {
    std::optional<unsigned> dim = choose(op);
    if (!dim)
      return;
    FailureOr<linalg::GenericOp> split =
        weft::splitDimension(rewriter, op, *dim, factor);
    if (failed(split))
      return;
    SmallVector<unsigned> order;
    for (unsigned d = 0; d < split->getNumLoops(); ++d)
      if (d != *dim + 1)
        order.push_back(d);
    order.push_back(*dim + 1);
    rewriter.setInsertionPoint(*split);
    (void)linalg::interchangeGenericOp(rewriter, *split, order);
  }
};

} // namespace
