//===- SharedPipeline.h - Passes every target runs ---------------*- C++
//-*-===//
//
// The steps from fused linalg on tensors to planned buffers that do not
// depend on where the kernels run: the CPU and CUDA pipelines both call
// them, so that both compute with the same fused ops and buffer layout.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_BACKENDS_SHAREDPIPELINE_H
#define WEFT_BACKENDS_SHAREDPIPELINE_H

#include "mlir/Pass/PassManager.h"

namespace mlir::weft {

/// Upstream's elementwise fusion, sums computed in their producer's loops,
/// and updates written into the variables they update.
void addFusionPasses(OpPassManager &pm, bool fusionRemarks);

/// One-shot bufferization, callee results as caller buffers, ownership-based
/// deallocation with each free right after the last use, and the call's
/// buffers packed into two arenas. With `stackBuffersInParallelLoops`, a
/// small buffer made in an scf.forall iteration lives on the thread's
/// stack.
void addBufferizationPasses(OpPassManager &pm,
                            bool stackBuffersInParallelLoops);

} // namespace mlir::weft

#endif // WEFT_BACKENDS_SHAREDPIPELINE_H
