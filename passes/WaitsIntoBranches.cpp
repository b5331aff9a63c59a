//===- WaitsIntoBranches.cpp - Wait only in the branch that reads ---------===//
//
// See weft-waits-into-branches in Passes.td. gpu-async-region waits for the
// GPU before any op with side effects, an scf.if included, even when only
// one of its branches touches memory: the clip-norm's branch reads the
// gradients' squared sums on the host, and its other branch, taken when
// clipping is off, yields 1. The wait moves into the branches that need
// it, so a step without clipping queues its updates behind the gradients
// without stopping.
//
//===----------------------------------------------------------------------===//

#include "passes/GpuStream.h"
#include "passes/Passes.h"

#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::weft {
#define GEN_PASS_DEF_WAITSINTOBRANCHESPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

/// Whether what follows `branch`, up to the next host wait, is only queued
/// work or code without effects: then nothing after the branch relied on
/// the wait before it. Every queue is the runtime's one stream, so the next
/// wait covers the work the moved one waited for.
bool onlyQueuedUntilNextWait(scf::IfOp branch) {
  for (Operation *op = branch->getNextNode(); op; op = op->getNextNode()) {
    if (weft::isHostWait(op))
      return true;
    auto async = dyn_cast<gpu::AsyncOpInterface>(op);
    if (!(async && async.getAsyncToken()) && !isMemoryEffectFree(op))
      return false;
  }
  return false;
}

/// The scf.if that `wait` stands before, past code without effects.
scf::IfOp branchAfter(gpu::WaitOp wait) {
  for (Operation *op = wait->getNextNode(); op; op = op->getNextNode()) {
    if (auto branch = dyn_cast<scf::IfOp>(op))
      return branch;
    if (!isMemoryEffectFree(op))
      return nullptr;
  }
  return nullptr;
}

struct WaitsIntoBranchesPass
    : public weft::impl::WaitsIntoBranchesPassBase<WaitsIntoBranchesPass> {
  void runOnOperation() override {
    SmallVector<gpu::WaitOp> waits;
    getOperation()->walk([&](gpu::WaitOp wait) {
      if (weft::isHostWait(wait))
        waits.push_back(wait);
    });
    for (gpu::WaitOp wait : waits) {
      scf::IfOp branch = branchAfter(wait);
      if (!branch || !onlyQueuedUntilNextWait(branch))
        continue;
      for (Region &region : branch->getRegions()) {
        if (region.empty() || llvm::all_of(region.front(), [](Operation &op) {
              return isMemoryEffectFree(&op);
            }))
          continue;
        OpBuilder b = OpBuilder::atBlockBegin(&region.front());
        gpu::WaitOp::create(b, wait.getLoc(), Type(),
                            wait.getAsyncDependencies());
      }
      wait.erase();
    }
  }
};

} // namespace
