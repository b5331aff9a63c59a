//===- EmulateGpuLaunches.cpp - Kernels as CPU loops, for tests -----------===//
//
// See weft-emulate-gpu-launches in Passes.td. Without a GPU, the kernels'
// arithmetic and indexing can still be run and compared with the CPU build;
// only what lies below the gpu dialect (NVVM, ptxas, the driver) is not.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/IR/IRMapping.h"

namespace mlir::weft {
#define GEN_PASS_DEF_EMULATEGPULAUNCHESPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

LogicalResult emulate(gpu::LaunchOp launch) {
  if (launch.hasClusterSize() || launch.getDynamicSharedMemorySize() ||
      !launch.getAsyncDependencies().empty() || launch.getAsyncToken())
    return launch.emitOpError("with clusters, shared memory or async tokens "
                              "has no CPU emulation");
  bool synchronizes =
      launch.getBody()
          .walk([](gpu::BarrierOp) { return WalkResult::interrupt(); })
          .wasInterrupted();
  if (synchronizes)
    return launch.emitOpError("with barriers has no CPU emulation");
  OpBuilder b(launch);
  Location loc = launch.getLoc();
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
  gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
  IRMapping mapping;
  auto bindSizes = [&](gpu::KernelDim3 args, gpu::KernelDim3 values) {
    mapping.map(args.x, values.x);
    mapping.map(args.y, values.y);
    mapping.map(args.z, values.z);
  };
  bindSizes(launch.getGridSize(), grid);
  bindSizes(launch.getBlockSize(), block);
  // Blocks outside threads, z outside y outside x.
  std::pair<Value, Value> loops[] = {
      {grid.z, launch.getBlockIds().z},   {grid.y, launch.getBlockIds().y},
      {grid.x, launch.getBlockIds().x},   {block.z, launch.getThreadIds().z},
      {block.y, launch.getThreadIds().y}, {block.x, launch.getThreadIds().x}};
  for (auto [size, index] : loops) {
    auto loop = scf::ForOp::create(b, loc, zero, size, one);
    mapping.map(index, loop.getInductionVar());
    b.setInsertionPoint(loop.getBody()->getTerminator());
  }
  Block &body = launch.getBody().front();
  for (Operation &op : body.without_terminator())
    b.clone(op, mapping);
  launch.erase();
  return success();
}

struct EmulateGpuLaunchesPass
    : public weft::impl::EmulateGpuLaunchesPassBase<EmulateGpuLaunchesPass> {
  void runOnOperation() override {
    SmallVector<gpu::LaunchOp> launches;
    getOperation().walk(
        [&](gpu::LaunchOp launch) { launches.push_back(launch); });
    for (gpu::LaunchOp launch : launches)
      if (failed(emulate(launch)))
        return signalPassFailure();
  }
};

} // namespace
