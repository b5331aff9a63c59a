//===- ScalarsToGpu.cpp - The host's scalar reads and writes as kernels ---===//
//
// See weft-scalars-to-gpu in Passes.td. After weft-loops-to-gpu, what a
// step's host code still loads and stores are single elements: a rank-0
// fill (the start of a sum), the mean of the loss, a copy of a result. Each
// made the host wait for the GPU (gpu-async-region puts a wait before every
// host access) and, on managed memory, moved the page that holds the
// element to the host and back. Code that only moves values between
// buffers, with arithmetic on the way, runs as well in a kernel of one
// thread, queued behind the others.
//
//===----------------------------------------------------------------------===//

#include "passes/GpuLaunches.h"
#include "passes/Passes.h"

#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::weft {
#define GEN_PASS_DEF_SCALARSTOGPUPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

bool isMemoryAccess(Operation *op) {
  return isa<memref::LoadOp, memref::StoreOp>(op);
}

/// Whether a kernel can reach `buffer`'s memory: an entry point's argument
/// or an allocation (both managed memory on this path), seen through views.
/// The host's stack and constant globals are not.
bool reachableFromGpu(Value buffer) {
  buffer = weft::rootOf(buffer);
  if (auto argument = dyn_cast<BlockArgument>(buffer))
    return isa<FunctionOpInterface>(argument.getOwner()->getParentOp());
  return buffer.getDefiningOp<memref::AllocOp>() ||
         buffer.getDefiningOp<gpu::AllocOp>();
}

/// A load or store the GPU can make.
bool isDeviceAccess(Operation *op) {
  if (auto load = dyn_cast<memref::LoadOp>(op))
    return reachableFromGpu(load.getMemRef());
  if (auto store = dyn_cast<memref::StoreOp>(op))
    return reachableFromGpu(store.getMemRef());
  return false;
}

/// Whether code in `launch` reads or writes `buffer` or a view of it.
bool launchUses(gpu::LaunchOp launch, Value buffer) {
  auto usesBuffer = [&](Operation *op) {
    return llvm::any_of(op->getOperands(), [&](Value v) {
      return isa<MemRefType>(v.getType()) && weft::rootOf(v) == buffer;
    });
  };
  return launch
      ->walk([&](Operation *op) {
        return usesBuffer(op) ? WalkResult::interrupt() : WalkResult::advance();
      })
      .wasInterrupted();
}

/// Moves each free in `run` after the last of `launches` that uses its
/// buffer: a free stands after its buffer's last use, which may now be in
/// a kernel queued after it (the loss's sum is freed once read, and the
/// read moves into the kernel that stores the mean).
void freeAfterLaunches(ArrayRef<Operation *> run,
                       ArrayRef<gpu::LaunchOp> launches) {
  for (Operation *op : run) {
    auto free = dyn_cast<memref::DeallocOp>(op);
    if (!free)
      continue;
    Value buffer = weft::rootOf(free.getMemref());
    for (gpu::LaunchOp launch : llvm::reverse(launches)) {
      if (launch->isBeforeInBlock(free))
        break;
      if (launchUses(launch, buffer)) {
        free->moveAfter(launch);
        break;
      }
    }
  }
}

/// A stretch of consecutive scalar code in one block, and which of its ops
/// go to the GPU.
class Run {
public:
  explicit Run(ArrayRef<Operation *> ops) : ops(ops) {}

  /// The ops that can move, in segments: the memory accesses that stay on
  /// the host cut the run, so that each segment's kernel, queued where the
  /// segment's last moved op was, keeps its order with them.
  SmallVector<SmallVector<Operation *>> kernels() {
    // What depends on a loaded value is device code; pure code that does
    // not stays on the host, where the kernel takes its values as
    // arguments.
    for (Operation *op : ops) {
      bool deviceCode = isMemoryAccess(op)
                            ? isDeviceAccess(op)
                            : llvm::any_of(op->getOperands(), [&](Value v) {
                                return moved.contains(v.getDefiningOp());
                              });
      if (deviceCode)
        moved.insert(op);
    }
    // Keep on the host what the host needs (a result used past the run, or
    // by host code), and what crosses a segment; repeat until nothing more
    // has to stay, since each op kept may keep its operands.
    while (true) {
      SmallVector<SmallVector<Operation *>> segments = split();
      DenseMap<Operation *, size_t> segmentOf;
      for (auto [index, segment] : llvm::enumerate(segments))
        for (Operation *op : segment)
          segmentOf[op] = index;
      llvm::SetVector<Operation *> stay;
      for (auto [index, segment] : llvm::enumerate(segments)) {
        // A segment without a store would compute nothing that lasts.
        if (llvm::none_of(segment, llvm::IsaPred<memref::StoreOp>))
          stay.insert(segment.begin(), segment.end());
        for (Operation *op : segment)
          for (Operation *user : op->getUsers())
            if (!segmentOf.contains(user) || segmentOf[user] != index)
              stay.insert(op);
      }
      if (stay.empty())
        return segments;
      for (Operation *op : stay)
        moved.remove(op);
    }
  }

private:
  SmallVector<SmallVector<Operation *>> split() const {
    SmallVector<SmallVector<Operation *>> segments(1);
    for (Operation *op : ops) {
      if (moved.contains(op))
        segments.back().push_back(op);
      else if (isMemoryAccess(op) && !segments.back().empty())
        segments.emplace_back();
    }
    if (segments.back().empty())
      segments.pop_back();
    return segments;
  }

  ArrayRef<Operation *> ops;
  llvm::SetVector<Operation *> moved;
};

/// The runs of scalar code in `block`, each with at least one memory
/// access.
SmallVector<SmallVector<Operation *>> runsIn(Block &block) {
  SmallVector<SmallVector<Operation *>> runs(1);
  for (Operation &op : block) {
    if (weft::isElementCode(&op))
      runs.back().push_back(&op);
    else if (!runs.back().empty())
      runs.emplace_back();
  }
  llvm::erase_if(runs, [](ArrayRef<Operation *> run) {
    return llvm::none_of(run, isMemoryAccess);
  });
  return runs;
}

struct ScalarsToGpuPass
    : public weft::impl::ScalarsToGpuPassBase<ScalarsToGpuPass> {
  void runOnOperation() override {
    SmallVector<Block *> blocks;
    getOperation()->walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (isa<gpu::LaunchOp>(op))
        return WalkResult::skip();
      for (Region &region : op->getRegions())
        for (Block &block : region)
          blocks.push_back(&block);
      return WalkResult::advance();
    });
    for (Block *block : blocks)
      for (SmallVector<Operation *> &ops : runsIn(*block)) {
        SmallVector<gpu::LaunchOp> launches;
        for (SmallVector<Operation *> &kernel : Run(ops).kernels())
          launches.push_back(weft::launchOneThread(kernel));
        freeAfterLaunches(ops, launches);
      }
  }
};

} // namespace
