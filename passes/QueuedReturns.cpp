//===- QueuedReturns.cpp - Entry points return with their work queued -----===//
//
// See weft-queued-returns in Passes.td. gpu-async-region makes the host
// wait for the GPU before a function returns, and at the end of each
// branch that queued work. An entry point's caller is the runtime, which
// waits itself before it reads a result, so a wait that nothing after it
// needs goes: the entry point returns at once, and the host queues the
// next training step (its batch, its launches) while the GPU still runs
// this one.
//
//===----------------------------------------------------------------------===//

#include "passes/GpuStream.h"
#include "passes/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::weft {
#define GEN_PASS_DEF_QUEUEDRETURNSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

/// Host code that needs no wait before it: code without effects, queued
/// GPU work (launches, library calls, joined tokens), allocations and
/// frees (the runtime's cache hands out and takes back memory at once;
/// only later work on the one stream reuses a freed block), and waits.
bool needsNoWait(Operation *op) {
  if (isMemoryEffectFree(op) ||
      isa<gpu::WaitOp, gpu::AllocOp, gpu::DeallocOp>(op))
    return true;
  if (auto async = dyn_cast<gpu::AsyncOpInterface>(op))
    return bool(async.getAsyncToken());
  auto call = dyn_cast<func::CallOp>(op);
  return call && call.getCallee() == weft::kFreeFunction;
}

/// Whether `op` and everything nested in it needs no wait (branches
/// included; a loop is not looked into).
bool allNeedNoWait(Operation *op) {
  return !op->walk([](Operation *inner) {
              bool fine =
                  needsNoWait(inner) || isa<scf::IfOp, scf::YieldOp>(inner);
              return fine ? WalkResult::advance() : WalkResult::interrupt();
            }).wasInterrupted();
}

/// Whether host wait `wait` is needless: the host code after it, up to the
/// next host wait or the entry point's return, reads and writes nothing
/// that the GPU's work might touch. It steps out of an scf.if's branch to
/// the code after the scf.if; a loop's body ends the search (its next
/// iteration would come first).
bool isNeedless(gpu::WaitOp wait) {
  for (Operation *op = wait->getNextNode(); op;) {
    if (weft::isHostWait(op) || isa<func::ReturnOp>(op))
      return true;
    if (isa<scf::YieldOp>(op)) {
      Operation *parent = op->getParentOp();
      if (!isa<scf::IfOp>(parent))
        return false;
      op = parent->getNextNode();
      continue;
    }
    if (!allNeedNoWait(op))
      return false;
    op = op->getNextNode();
  }
  return false;
}

struct QueuedReturnsPass
    : public weft::impl::QueuedReturnsPassBase<QueuedReturnsPass> {
  void runOnOperation() override {
    getOperation().walk([](func::FuncOp function) {
      if (!function->hasAttr("weft.entry") || function.isPrivate())
        return;
      // Latest first: a wait that is needless because a later one covers
      // it stays needless once the later one goes, since nothing after
      // either needs the GPU to have finished.
      SmallVector<gpu::WaitOp> waits;
      function.walk([&](gpu::WaitOp wait) {
        if (weft::isHostWait(wait))
          waits.push_back(wait);
      });
      for (gpu::WaitOp wait : llvm::reverse(waits))
        if (isNeedless(wait))
          wait.erase();
    });
  }
};

} // namespace
