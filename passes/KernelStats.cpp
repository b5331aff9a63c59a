//===- KernelStats.cpp - What a compiled function does, counted -----------===//
//
// See weft-kernel-stats in Passes.td. Counting walks the IR once: it works
// on linalg on tensors or on buffers, before and after tiling, since every
// float op is weighed by the trip counts of the loops and linalg ops around
// it.
//
//===----------------------------------------------------------------------===//

#include "passes/KernelStats.h"
#include "passes/BufferConventions.h"

#include "passes/LoopWork.h"
#include "passes/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Interfaces/ValueBoundsOpInterface.h"

#include "llvm/Support/FormatVariadic.h"

#include <functional>

namespace mlir::weft {
#define GEN_PASS_DEF_KERNELSTATSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;
using namespace mlir::weft;

namespace {

/// Iterations of a loop from `lower` to `upper` by `step`; a bound that is
/// not a constant is the batch (the only dynamic extent Weft has).
double tripCount(OpFoldResult lower, OpFoldResult upper, OpFoldResult step,
                 int64_t batch) {
  std::optional<int64_t> lb = getConstantIntValue(lower);
  std::optional<int64_t> ub = getConstantIntValue(upper);
  std::optional<int64_t> st = getConstantIntValue(step);
  double span = (ub ? double(*ub) : double(batch)) - (lb ? double(*lb) : 0.0);
  double by = st && *st > 0 ? double(*st) : 1.0;
  return span <= 0 ? 0.0 : std::ceil(span / by);
}

/// Iterations of `op`'s loop `d`, of static `range` or else dynamic: a
/// tile of a loop cut into chunks (`min(chunk, n - i)`) runs at most the
/// chunk; anything else dynamic is the batch.
int64_t loopExtent(linalg::LinalgOp op, unsigned d, int64_t range,
                   int64_t batch) {
  Value operand;
  unsigned dim = 0;
  if (!ShapedType::isDynamic(range) ||
      failed(op.mapIterationSpaceDimToOperandDim(d, operand, dim)))
    return estimatedExtent(range, batch);
  FailureOr<int64_t> bound = ValueBoundsConstraintSet::computeConstantBound(
      presburger::BoundType::UB,
      ValueBoundsConstraintSet::Variable(operand, dim),
      /*stopCondition=*/nullptr, /*closedUB=*/true);
  return succeeded(bound) ? *bound : estimatedExtent(range, batch);
}

/// How many times `op` runs in one call of its function: the trip counts
/// of every loop and linalg op around it.
double timesRun(Operation *op, int64_t batch) {
  double times = 1;
  for (Operation *parent = op->getParentOp();
       parent && !isa<func::FuncOp>(parent); parent = parent->getParentOp()) {
    if (auto loop = dyn_cast<scf::ForOp>(parent)) {
      times *= tripCount(loop.getLowerBound(), loop.getUpperBound(),
                         loop.getStep(), batch);
    } else if (auto loop = dyn_cast<scf::ForallOp>(parent)) {
      for (auto [lb, ub, st] :
           llvm::zip(loop.getMixedLowerBound(), loop.getMixedUpperBound(),
                     loop.getMixedStep()))
        times *= tripCount(lb, ub, st, batch);
    } else if (auto loop = dyn_cast<scf::ParallelOp>(parent)) {
      for (auto [lb, ub, st] : llvm::zip(loop.getLowerBound(),
                                         loop.getUpperBound(), loop.getStep()))
        times *= tripCount(lb, ub, st, batch);
    } else if (auto linalgOp = dyn_cast<linalg::LinalgOp>(parent)) {
      for (auto [d, range] : llvm::enumerate(linalgOp.getStaticLoopRanges()))
        times *= double(loopExtent(linalgOp, d, range, batch));
    }
  }
  return times;
}

/// Floating-point operations one execution of `op` performs: one per lane
/// of an arithmetic op, two for a fused multiply-add, one per element
/// reduced.
double flopsOf(Operation *op) {
  auto lanes = [](Type type) -> double {
    if (auto vector = dyn_cast<VectorType>(type))
      return double(vector.getNumElements());
    return isa<FloatType>(type) ? 1.0 : 0.0;
  };
  if (isa<vector::FMAOp>(op))
    return 2 * lanes(op->getResult(0).getType());
  if (auto reduction = dyn_cast<vector::MultiDimReductionOp>(op))
    return lanes(reduction.getSourceVectorType());
  if (auto reduction = dyn_cast<vector::ReductionOp>(op))
    return lanes(reduction.getSourceVectorType());
  bool arithmetic =
      isa<arith::AddFOp, arith::SubFOp, arith::MulFOp, arith::DivFOp,
          arith::MaximumFOp, arith::MinimumFOp, arith::MaxNumFOp,
          arith::MinNumFOp, arith::NegFOp, arith::CmpFOp>(op) ||
      (op->getDialect() && op->getDialect()->getNamespace() == "math");
  if (!arithmetic || op->getNumResults() != 1)
    return 0;
  // A comparison's result is i1; count the lanes it compares.
  Type type = isa<arith::CmpFOp>(op) ? op->getOperand(0).getType()
                                     : op->getResult(0).getType();
  return lanes(type);
}

/// Bytes of one element of `type` (an index counts as 64 bits).
double elementBytes(Type type) {
  if (auto vector = dyn_cast<VectorType>(type))
    return double(vector.getNumElements()) *
           elementBytes(vector.getElementType());
  if (type.isIntOrFloat())
    return double(type.getIntOrFloatBitWidth()) / 8.0;
  return 8.0;
}

double bytesOf(MemRefType type, int64_t batch) {
  double elements = 1;
  for (int64_t dim : type.getShape())
    elements *= double(estimatedExtent(dim, batch));
  return elements * elementBytes(type.getElementType());
}

/// The allocation `buffer` is, or is a view of (deallocation frees the base
/// buffer it takes from the memref's metadata).
memref::AllocOp allocationOf(Value buffer) {
  while (Operation *def = buffer.getDefiningOp()) {
    if (auto alloc = dyn_cast<memref::AllocOp>(def))
      return alloc;
    if (auto metadata = dyn_cast<memref::ExtractStridedMetadataOp>(def))
      buffer = metadata.getSource();
    else if (auto view = dyn_cast<ViewLikeOpInterface>(def))
      buffer = view.getViewSource();
    else
      return {};
  }
  return {};
}

/// Walks `function` in program order, adding each allocation's bytes when
/// it is made and taking them away when it is freed; the most at any point.
/// A loop body counts once (its allocations are freed in the same
/// iteration), and both sides of a conditional free count as taken.
double peakLiveBytes(func::FuncOp function, int64_t batch) {
  llvm::DenseMap<Operation *, double> live;
  double now = 0, peak = 0;
  function.walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
      double bytes = bytesOf(alloc.getType(), batch);
      live[alloc] = bytes;
      now += bytes;
      peak = std::max(peak, now);
    } else if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
      auto it = live.find(allocationOf(dealloc.getMemref()));
      if (it != live.end()) {
        now -= it->second;
        live.erase(it);
      }
    }
  });
  return peak;
}

struct KernelStatsPass
    : public weft::impl::KernelStatsPassBase<KernelStatsPass> {
  using KernelStatsPassBase::KernelStatsPassBase;
  std::vector<KernelStats> *sink = nullptr;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    int64_t atBatch = batch > 0 ? int64_t(batch) : trainBatch(module);
    if (atBatch <= 0)
      atBatch = 1;
    module.walk([&](func::FuncOp function) {
      // dealloc_helper is bufferization's, not the model's.
      if (function.isExternal() || function.getSymName() == "dealloc_helper")
        return;
      KernelStats stats = countKernelStats(function, atBatch);
      if (sink) {
        sink->push_back(stats);
        return;
      }
      function.emitRemark(llvm::formatv(
          "at batch {0}: {1} kernels ({2} parallel), {3:F0} flops, {4:F0} "
          "allocations, {5:F0} bytes of temporaries, at most {6:F0} live, "
          "{7:F0} in arenas",
          atBatch, stats.kernels, stats.parallelKernels, stats.flops,
          stats.allocations, stats.temporaryBytes, stats.peakBytes,
          stats.arenaBytes));
    });
  }
};

} // namespace

KernelStats mlir::weft::countKernelStats(func::FuncOp function, int64_t batch) {
  KernelStats stats;
  stats.function = function.getSymName().str();
  // Kernels at the top level, and in conditionals as if they ran (gradient
  // clipping's norm runs only when clipping is on).
  std::function<void(Region &)> countKernels = [&](Region &region) {
    for (Operation &op : region.getOps()) {
      if (isa<linalg::LinalgOp, memref::CopyOp, scf::ForOp>(op))
        ++stats.kernels;
      if (isa<scf::ForallOp, scf::ParallelOp>(op)) {
        ++stats.kernels;
        ++stats.parallelKernels;
      }
      if (auto conditional = dyn_cast<scf::IfOp>(op))
        for (Region &branch : conditional->getRegions())
          countKernels(branch);
    }
  };
  countKernels(function.getBody());
  function.walk([&](Operation *op) {
    if (double flops = flopsOf(op))
      stats.flops += flops * timesRun(op, batch);
    if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
      double times = timesRun(op, batch);
      stats.allocations += times;
      stats.temporaryBytes += times * bytesOf(alloc.getType(), batch);
      if (alloc->hasAttr(weft::kStaticArenaAttr) ||
          alloc->hasAttr(weft::kBatchArenaAttr))
        stats.arenaBytes += bytesOf(alloc.getType(), batch);
    }
  });
  stats.peakBytes = peakLiveBytes(function, batch);
  return stats;
}

int64_t mlir::weft::trainBatch(ModuleOp module) {
  auto train = module->getAttrOfType<DictionaryAttr>("weft.train");
  if (!train)
    return 0;
  auto batch = train.getAs<IntegerAttr>("batch");
  return batch ? batch.getInt() : 0;
}

void mlir::weft::printKernelStatsTable(llvm::raw_ostream &os,
                                       const std::vector<KernelStats> &stats,
                                       int64_t batch) {
  os << llvm::formatv(
      "kernels, flops and temporaries per call, at batch {0}:\n", batch);
  os << llvm::formatv(
      "  {0,-28} {1,8} {2,9} {3,12} {4,12} {5,12} {6,10} {7,10}\n", "function",
      "kernels", "parallel", "MFLOP", "allocations", "temp MiB", "peak MiB",
      "arena MiB");
  constexpr double MiB = 1024.0 * 1024.0;
  for (const KernelStats &row : stats)
    os << llvm::formatv(
        "  {0,-28} {1,8} {2,9} {3,12:F1} {4,12:F0} {5,12:F2} {6,10:F2} "
        "{7,10:F2}\n",
        row.function, row.kernels, row.parallelKernels, row.flops / 1e6,
        row.allocations, row.temporaryBytes / MiB, row.peakBytes / MiB,
        row.arenaBytes / MiB);
}

std::unique_ptr<Pass>
mlir::weft::createKernelStatsPass(int64_t batch,
                                  std::vector<KernelStats> *sink) {
  auto pass =
      std::make_unique<KernelStatsPass>(weft::KernelStatsPassOptions{batch});
  pass->sink = sink;
  return pass;
}
