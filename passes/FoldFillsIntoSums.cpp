//===- FoldFillsIntoSums.cpp - A sum's start value in its kernel ----------===//
//
// See weft-fold-fills-into-sums in Passes.td. Bufferized, a reduction's
// start value is a linalg.fill of its output buffer: on the GPU a kernel of
// its own that writes the whole buffer, which the reduction's kernel then
// reads back. The thread that computes an output element can start from the
// constant instead. Whether the reduction writes every element the fill
// wrote is a fact of the linalg op (its output map), which the loops it
// becomes no longer show; so this pass decides at the linalg level, makes
// the loops of the pair itself and marks them for weft-loops-to-gpu.
//
//===----------------------------------------------------------------------===//

#include "passes/GpuAccumulations.h"
#include "passes/GpuLaunches.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
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

/// Whether every iteration of `op`'s parallel dimensions writes its own
/// element of its one output, and together they write all of it: the
/// output's map lists each parallel dimension once and nothing else.
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
  return int64_t(seen.count()) == op.getNumParallelLoops();
}

/// The reduction that `fill` starts, if it comes next (only operations
/// without memory effects between them, such as a reshape of the buffer),
/// its output is the filled buffer or a reshape of it, it writes every
/// element of that once, and it reads the buffer no other way.
linalg::GenericOp sumStartedBy(linalg::FillOp fill) {
  Value buffer = fill.getDpsInitOperand(0)->get();
  for (Operation *op = fill->getNextNode(); op; op = op->getNextNode()) {
    auto sum = dyn_cast<linalg::GenericOp>(op);
    if (!sum) {
      if (isMemoryEffectFree(op))
        continue;
      return {};
    }
    if (sum.getNumReductionLoops() == 0 || !sum.hasPureBufferSemantics() ||
        !writesEveryElementOnce(sum) ||
        weft::reshapeSource(sum.getDpsInitOperand(0)->get()) != buffer)
      return {};
    for (OpOperand *input : sum.getDpsInputOperands())
      if (views(input->get(), buffer))
        return {};
    return sum;
  }
  return {};
}

/// `op` as parallel loops (upstream's conversion), erased; the loops.
FailureOr<linalg::LinalgLoops> toParallelLoops(RewriterBase &rewriter,
                                               linalg::LinalgOp op) {
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::LinalgLoops> loops =
      linalg::linalgOpToParallelLoops(rewriter, op);
  if (succeeded(loops))
    rewriter.eraseOp(op);
  return loops;
}

struct FoldFillsIntoSumsPass
    : public weft::impl::FoldFillsIntoSumsPassBase<FoldFillsIntoSumsPass> {
  void runOnOperation() override {
    SmallVector<std::tuple<linalg::FillOp, linalg::GenericOp, TypedAttr>> pairs;
    getOperation()->walk([&](linalg::FillOp fill) {
      TypedAttr value;
      if (!fill.hasPureBufferSemantics() ||
          !matchPattern(fill.getDpsInputOperand(0)->get(), m_Constant(&value)))
        return;
      if (linalg::GenericOp sum = sumStartedBy(fill))
        pairs.push_back({fill, sum, value});
    });
    IRRewriter rewriter(&getContext());
    for (auto [fill, sum, value] : pairs) {
      Value output = sum.getDpsInitOperand(0)->get();
      Value buffer = fill.getDpsInitOperand(0)->get();
      FailureOr<linalg::LinalgLoops> sumLoops = toParallelLoops(rewriter, sum);
      if (failed(sumLoops) || sumLoops->empty())
        continue;
      // The marks are on the sum's reads of its output and the fill's
      // store, which canonicalization keeps when it rebuilds a loop (a unit
      // dimension dropped).
      sumLoops->front()->walk([&](memref::LoadOp load) {
        if (load.getMemRef() == output)
          load->setAttr(weft::kStartsFrom, value);
      });
      FailureOr<linalg::LinalgLoops> fillLoops =
          toParallelLoops(rewriter, fill);
      if (failed(fillLoops) || fillLoops->empty())
        continue;
      fillLoops->front()->walk([&](memref::StoreOp store) {
        if (store.getMemRef() == buffer)
          store->setAttr(weft::kStartOfSum, rewriter.getUnitAttr());
      });
    }
  }
};

} // namespace
