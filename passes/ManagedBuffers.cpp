//===- ManagedBuffers.cpp - Buffers both the host and the GPU read --------===//
//
// See weft-managed-buffers in Passes.td. Upstream lowers a synchronous
// `gpu.alloc host_shared` to `mgpuMemAlloc`, but has no synchronous
// `gpu.dealloc`: the free is a call of Weft's runtime (runtime/Cuda*.cpp),
// which takes the address `mgpuMemAlloc` returned (a gpu.alloc's aligned
// and allocated pointers are one).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

namespace mlir::weft {
#define GEN_PASS_DEF_MANAGEDBUFFERSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kFreeFunction = "weft_cuda_free";

func::FuncOp declareFree(ModuleOp module) {
  if (auto existing = module.lookupSymbol<func::FuncOp>(kFreeFunction))
    return existing;
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  auto type = b.getFunctionType({b.getIndexType()}, {});
  auto free = func::FuncOp::create(b, module.getLoc(), kFreeFunction, type);
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
    if (deallocs.empty())
      return;
    func::FuncOp free = declareFree(module);
    for (memref::DeallocOp dealloc : deallocs) {
      OpBuilder b(dealloc);
      Value address = memref::ExtractAlignedPointerAsIndexOp::create(
          b, dealloc.getLoc(), dealloc.getMemref());
      func::CallOp::create(b, dealloc.getLoc(), free, ValueRange{address});
      dealloc.erase();
    }
  }
};

} // namespace
