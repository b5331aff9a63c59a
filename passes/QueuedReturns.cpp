//===- QueuedReturns.cpp - Entry points return with their work queued -----===//
//
// See weft-queued-returns in Passes.td. gpu-async-region makes the host
// wait for the GPU before a function returns. An entry point's caller is
// the runtime, which waits itself before it reads a result, so the entry
// point can return at once: the host then queues the next training step
// (its batch, its launches) while the GPU still runs this one.
//
//===----------------------------------------------------------------------===//

#include "passes/GpuStream.h"
#include "passes/Passes.h"

#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::weft {
#define GEN_PASS_DEF_QUEUEDRETURNSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

/// A wait that makes the host wait (no token of its own).
bool isHostWait(Operation *op) {
  auto wait = dyn_cast<gpu::WaitOp>(op);
  return wait && !wait.getAsyncToken();
}

/// The host wait before `ret` with nothing between them but code without
/// effects and frees: the runtime's cache takes a freed block back at once,
/// and only later work on the one stream reuses it.
gpu::WaitOp waitBefore(func::ReturnOp ret) {
  for (Operation *op = ret->getPrevNode(); op; op = op->getPrevNode()) {
    if (isHostWait(op))
      return cast<gpu::WaitOp>(op);
    auto call = dyn_cast<func::CallOp>(op);
    bool isFree = call && call.getCallee() == weft::kFreeFunction;
    if (!isFree && !isMemoryEffectFree(op))
      return nullptr;
  }
  return nullptr;
}

struct QueuedReturnsPass
    : public weft::impl::QueuedReturnsPassBase<QueuedReturnsPass> {
  void runOnOperation() override {
    getOperation().walk([](func::FuncOp function) {
      if (!function->hasAttr("weft.entry") || function.isPrivate())
        return;
      function.walk([](func::ReturnOp ret) {
        if (gpu::WaitOp wait = waitBefore(ret))
          wait.erase();
      });
    });
  }
};

} // namespace
