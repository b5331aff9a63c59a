//===- LoopsToGpu.cpp - Loop nests as GPU kernels -------------------------===//
//
// See weft-loops-to-gpu in Passes.td. Upstream's route (gpu-map-parallel-
// loops, convert-parallel-loops-to-gpu) maps each dimension of a parallel
// loop to a grid or block dimension of its own; a kernel over [batch, 10]
// would then run blocks of one thread, or need per-loop tiling first. One
// thread per iteration, numbered across all dimensions, fills every block
// whatever the loop's shape, and needs no mapping attributes.
//
//===----------------------------------------------------------------------===//

#include "passes/GpuAccumulations.h"
#include "passes/GpuLaunches.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/CSE.h"

namespace mlir::weft {
#define GEN_PASS_DEF_LOOPSTOGPUPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

/// One thread per iteration of `loop`, `blockSize` threads a block.
LogicalResult launchParallel(scf::ParallelOp loop, int64_t blockSize) {
  if (loop.getNumResults() != 0)
    return loop.emitOpError("with reductions has no GPU lowering in Weft");
  OpBuilder b(loop);
  Location loc = loop.getLoc();
  SmallVector<Value> trips;
  Value total;
  for (auto [lb, ub, step] :
       llvm::zip(loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
    trips.push_back(weft::tripCount(b, loc, lb, ub, step));
    total = total ? b.createOrFold<arith::MulIOp>(loc, total, trips.back())
                  : trips.back();
  }
  Value threads = arith::ConstantIndexOp::create(b, loc, blockSize);
  // At least one block: an empty loop (a batch of 0) launches one block
  // whose threads all stop at the bound check.
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value blocks = b.createOrFold<arith::MaxSIOp>(
      loc, b.createOrFold<arith::CeilDivSIOp>(loc, total, threads), one);
  gpu::LaunchOp launch = weft::createLaunch(b, loc, blocks, threads, one);
  Value id = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, launch.getBlockIds().x, threads),
      launch.getThreadIds().x);
  Value inRange =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, id, total);
  auto guard = scf::IfOp::create(b, loc, inRange, /*withElseRegion=*/false);
  b.setInsertionPoint(guard.thenBlock()->getTerminator());
  // Row-major: the last dimension varies fastest; what is left for the
  // first is already below its trip count.
  IRMapping mapping;
  Value rest = id;
  for (int64_t d = int64_t(trips.size()) - 1; d >= 0; --d) {
    Value index =
        d == 0 ? rest : b.createOrFold<arith::RemSIOp>(loc, rest, trips[d]);
    if (d > 0)
      rest = b.createOrFold<arith::DivSIOp>(loc, rest, trips[d]);
    Value scaled = b.createOrFold<arith::MulIOp>(loc, index, loop.getStep()[d]);
    mapping.map(
        loop.getInductionVars()[d],
        b.createOrFold<arith::AddIOp>(loc, scaled, loop.getLowerBound()[d]));
  }
  for (Operation &op : loop.getBody()->without_terminator())
    b.clone(op, mapping);
  loop.erase();
  return success();
}

bool touchesMemory(Operation *op) {
  return op
      ->walk([](Operation *inner) {
        return isa<memref::LoadOp, memref::StoreOp>(inner)
                   ? WalkResult::interrupt()
                   : WalkResult::advance();
      })
      .wasInterrupted();
}

struct LoopsToGpuPass : public weft::impl::LoopsToGpuPassBase<LoopsToGpuPass> {
  using LoopsToGpuPassBase::LoopsToGpuPassBase;

  void runOnOperation() override {
    SmallVector<Operation *> outermost;
    getOperation()->walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (isa<gpu::LaunchOp>(op))
        return WalkResult::skip();
      if (isa<scf::ParallelOp>(op) ||
          (isa<scf::ForOp>(op) && touchesMemory(op))) {
        outermost.push_back(op);
        return WalkResult::skip();
      }
      return WalkResult::advance();
    });
    for (Operation *op : outermost) {
      if (auto loop = dyn_cast<scf::ParallelOp>(op)) {
        weft::unrollNestedParallelLoops(loop, weft::kMostUnrolledOutputs);
        weft::keepAccumulatorsInRegisters(loop);
        if (failed(weft::makeSharedSumsAtomic(loop)))
          return signalPassFailure();
        // The unrolled copies load what they share once each; with their
        // sums in registers nothing is stored between those loads.
        IRRewriter rewriter(loop);
        DominanceInfo dominance(loop);
        eliminateCommonSubExpressions(rewriter, dominance, loop);
        if (failed(launchParallel(loop, blockSize)))
          return signalPassFailure();
      } else {
        auto serial = cast<scf::ForOp>(op);
        if (serial.getNumResults() != 0) {
          serial.emitOpError("with results has no GPU lowering in Weft");
          return signalPassFailure();
        }
        // Inside the launch, so that what the outermost loop keeps in
        // registers is loaded and stored by the GPU thread.
        weft::keepAccumulatorsInRegisters(
            weft::launchOneThread(serial.getOperation()));
      }
    }
  }
};

} // namespace
