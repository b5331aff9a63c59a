//===- ManagedBuffers.cpp - Buffers both the host and the GPU read --------===//
//
// See weft-managed-buffers and weft-host-shared-allocations in Passes.td.
// The first makes buffers GPU allocations before gpu-async-region, which
// then queues them like launches instead of waiting for the GPU before
// each; the second makes them what upstream and Weft's runtime lower:
// upstream lowers only a synchronous `gpu.alloc host_shared` (to
// `mgpuMemAlloc`), and has no synchronous `gpu.dealloc`, so the free is a
// call of Weft's runtime (runtime/Cuda.cpp), which takes the address
// `mgpuMemAlloc` returned (a gpu.alloc's aligned and allocated pointers are
// one).
//
//===----------------------------------------------------------------------===//

#include "passes/GpuStream.h"
#include "passes/Passes.h"

namespace mlir::weft {
#define GEN_PASS_DEF_MANAGEDBUFFERSPASS
#define GEN_PASS_DEF_HOSTSHAREDALLOCATIONSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

func::FuncOp declareFree(ModuleOp module) {
  if (auto existing = module.lookupSymbol<func::FuncOp>(weft::kFreeFunction))
    return existing;
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  auto type = b.getFunctionType({b.getIndexType()}, {});
  auto free =
      func::FuncOp::create(b, module.getLoc(), weft::kFreeFunction, type);
  free.setPrivate();
  return free;
}

struct ManagedBuffersPass
    : public weft::impl::ManagedBuffersPassBase<ManagedBuffersPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<memref::AllocOp> allocs;
    SmallVector<memref::DeallocOp> deallocs;
    for (auto function : module.getOps<func::FuncOp>()) {
      function.walk([&](memref::AllocOp op) { allocs.push_back(op); });
      function.walk([&](memref::DeallocOp op) { deallocs.push_back(op); });
    }
    for (memref::AllocOp alloc : allocs) {
      if (!alloc.getType().getLayout().isIdentity()) {
        alloc.emitOpError("with a layout has no managed-memory lowering");
        return signalPassFailure();
      }
      OpBuilder b(alloc);
      auto managed = gpu::AllocOp::create(
          b, alloc.getLoc(), alloc.getType(), /*asyncToken=*/Type(),
          /*asyncDependencies=*/ValueRange(), alloc.getDynamicSizes(),
          alloc.getSymbolOperands(), /*hostShared=*/true);
      alloc.replaceAllUsesWith(managed.getMemref());
      alloc.erase();
    }
    for (memref::DeallocOp dealloc : deallocs) {
      OpBuilder b(dealloc);
      gpu::DeallocOp::create(b, dealloc.getLoc(), /*asyncToken=*/Type(),
                             /*asyncDependencies=*/ValueRange(),
                             dealloc.getMemref());
      dealloc.erase();
    }
  }
};

struct HostSharedAllocationsPass
    : public weft::impl::HostSharedAllocationsPassBase<
          HostSharedAllocationsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::AllocOp> allocs;
    SmallVector<gpu::DeallocOp> deallocs;
    for (auto function : module.getOps<func::FuncOp>()) {
      function.walk([&](gpu::AllocOp op) { allocs.push_back(op); });
      function.walk([&](gpu::DeallocOp op) { deallocs.push_back(op); });
    }
    for (gpu::AllocOp alloc : allocs) {
      if (!alloc.getAsyncToken())
        continue;
      OpBuilder b(alloc);
      auto now = gpu::AllocOp::create(
          b, alloc.getLoc(), alloc.getMemref().getType(), /*asyncToken=*/Type(),
          /*asyncDependencies=*/ValueRange(), alloc.getDynamicSizes(),
          alloc.getSymbolOperands(), alloc.getHostShared());
      alloc.getAsyncToken().replaceAllUsesWith(
          weft::tokenBefore(b, alloc.getLoc(), alloc.getAsyncDependencies()));
      alloc.getMemref().replaceAllUsesWith(now.getMemref());
      alloc.erase();
    }
    if (!deallocs.empty()) {
      func::FuncOp free = declareFree(module);
      for (gpu::DeallocOp dealloc : deallocs)
        lowerFree(dealloc, free);
    }
    removeEmptyWaits(module);
  }

  static void lowerFree(gpu::DeallocOp dealloc, func::FuncOp free) {
    OpBuilder b(dealloc);
    Value address = memref::ExtractAlignedPointerAsIndexOp::create(
        b, dealloc.getLoc(), dealloc.getMemref());
    func::CallOp::create(b, dealloc.getLoc(), free, ValueRange{address});
    if (Value token = dealloc.getAsyncToken())
      token.replaceAllUsesWith(weft::tokenBefore(
          b, dealloc.getLoc(), dealloc.getAsyncDependencies()));
    dealloc.erase();
  }

  /// A chain that queued only allocations and frees now queues nothing:
  /// its host wait waits for no kernel (gpu-async-region starts a chain
  /// only once the stream has been waited for), so it goes, and the
  /// chain's start with it. Runs before library calls are lowered, whose
  /// tokens still stand for queued work here.
  static void removeEmptyWaits(ModuleOp module) {
    auto isEmptyStart = [](Value token) {
      auto start = token.getDefiningOp<gpu::WaitOp>();
      return start && start.getAsyncToken() &&
             start.getAsyncDependencies().empty();
    };
    SmallVector<gpu::WaitOp> waits;
    module.walk([&](gpu::WaitOp wait) {
      if (!wait.getAsyncToken() && !wait.getAsyncDependencies().empty() &&
          llvm::all_of(wait.getAsyncDependencies(), isEmptyStart))
        waits.push_back(wait);
    });
    for (gpu::WaitOp wait : waits) {
      SmallVector<Operation *> starts;
      for (Value token : wait.getAsyncDependencies())
        starts.push_back(token.getDefiningOp());
      wait.erase();
      for (Operation *start : starts)
        if (start->use_empty())
          start->erase();
    }
  }
};

} // namespace
