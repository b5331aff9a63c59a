//===- GpuStream.h - Tokens on the runtime's one stream --------*- C++ -*-===//
//
// Weft's CUDA runtime queues every launch, library call, allocation and
// free on one stream, in the order the host issues them. So once
// gpu-async-region has chained them by tokens, an operation the runtime
// does at once on the host (a cached allocation, a free, queuing a library
// call) needs no token of its own: the work after it is ordered behind it
// by the stream.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_GPUSTREAM_H
#define WEFT_PASSES_GPUSTREAM_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::weft {

/// The runtime's free (runtime/Cuda.cpp): returns a block to its cache at
/// once; later work on the one stream may reuse it.
constexpr llvm::StringLiteral kFreeFunction = "weft_cuda_free";

/// A wait that makes the host wait (no token of its own).
inline bool isHostWait(Operation *op) {
  auto wait = dyn_cast<gpu::WaitOp>(op);
  return wait && !wait.getAsyncToken();
}

/// The token that stands for an operation with `dependencies` once it is
/// lowered to a host call: its one dependency, or a `gpu.wait async` that
/// joins several.
inline Value tokenBefore(OpBuilder &b, Location loc, ValueRange dependencies) {
  if (dependencies.size() == 1)
    return dependencies.front();
  return gpu::WaitOp::create(b, loc, b.getType<gpu::AsyncTokenType>(),
                             dependencies)
      .getAsyncToken();
}

} // namespace mlir::weft

#endif // WEFT_PASSES_GPUSTREAM_H
