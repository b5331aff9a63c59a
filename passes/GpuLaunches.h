//===- GpuLaunches.h - Kernels as gpu.launch ops ----------------*- C++ -*-===//
//
// weft-loops-to-gpu and weft-scalars-to-gpu both make launches before
// outlining: one thread per iteration of a parallel loop, or one thread
// for code that has nothing to spread (a full reduction, an element's
// read or write).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_GPULAUNCHES_H
#define WEFT_PASSES_GPULAUNCHES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::weft {

/// The buffer `buffer` views, through every view.
inline Value rootOf(Value buffer) {
  while (auto view = buffer.getDefiningOp<ViewLikeOpInterface>())
    buffer = view.getViewSource();
  return buffer;
}

/// The buffer `value` reshapes (expand_shape, collapse_shape: the same
/// elements), or `value` itself.
inline Value reshapeSource(Value value) {
  while (Operation *op = value.getDefiningOp()) {
    if (!isa<memref::ExpandShapeOp, memref::CollapseShapeOp>(op))
      break;
    value = op->getOperand(0);
  }
  return value;
}

/// The number of iterations of a loop dimension: ceil((ub - lb) / step),
/// folded where the bounds are constants, so that a kernel divides thread
/// numbers by constants (which LLVM turns into multiplications).
inline Value tripCount(OpBuilder &b, Location loc, Value lb, Value ub,
                       Value step) {
  Value span = b.createOrFold<arith::SubIOp>(loc, ub, lb);
  return b.createOrFold<arith::CeilDivSIOp>(loc, span, step);
}

/// Host code a kernel of one thread can run as it is: element reads and
/// writes, frees, and arithmetic without regions or effects. A terminator
/// (an scf.yield of a loaded value) is none: it belongs to its block.
inline bool isElementCode(Operation *op) {
  if (op->hasTrait<OpTrait::IsTerminator>())
    return false;
  return isa<memref::LoadOp, memref::StoreOp, memref::DeallocOp>(op) ||
         (op->getNumRegions() == 0 && isPure(op));
}

/// A launch of `blocks` blocks of `threads` threads (x only; `one` sizes y
/// and z) at the builder; returns it with the builder inside its body,
/// before the terminator.
inline gpu::LaunchOp createLaunch(OpBuilder &b, Location loc, Value blocks,
                                  Value threads, Value one) {
  auto launch =
      gpu::LaunchOp::create(b, loc, blocks, one, one, threads, one, one);
  b.setInsertionPointToEnd(&launch.getBody().front());
  auto terminator = gpu::TerminatorOp::create(b, loc);
  b.setInsertionPoint(terminator);
  return launch;
}

/// `ops` (in order, each defined before its users, all in one block) moved
/// into a launch of one thread, queued where the last of them was.
inline gpu::LaunchOp launchOneThread(ArrayRef<Operation *> ops) {
  Operation *last = ops.back();
  OpBuilder b(last->getContext());
  b.setInsertionPointAfter(last);
  Value one = arith::ConstantIndexOp::create(b, last->getLoc(), 1);
  gpu::LaunchOp launch = createLaunch(b, last->getLoc(), one, one, one);
  for (Operation *op : ops)
    op->moveBefore(launch.getBody().front().getTerminator());
  return launch;
}

} // namespace mlir::weft

#endif // WEFT_PASSES_GPULAUNCHES_H
