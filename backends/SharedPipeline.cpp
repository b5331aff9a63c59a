//===- SharedPipeline.cpp - Passes every target runs ----------------------===//

#include "backends/SharedPipeline.h"

#include "passes/Passes.h"

#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::weft::addFusionPasses(OpPassManager &pm, bool fusionRemarks) {
  // Upstream's elementwise fusion, explained on request.
  pm.addPass(weft::createFuseElementwisePass({fusionRemarks}));
  pm.addNestedPass<func::FuncOp>(weft::createFuseSumsPass({fusionRemarks}));
  // The gradients in one buffer, and then the updates of all parameters in
  // one loop over it, and clipping's norm in another.
  pm.addPass(weft::createFlatGradientsPass({fusionRemarks}));
  pm.addNestedPass<func::FuncOp>(weft::createFuseUpdatesPass({fusionRemarks}));
  pm.addNestedPass<func::FuncOp>(
      weft::createFuseSliceSumsPass({fusionRemarks}));
  pm.addPass(createCanonicalizerPass());
  // Updates write into the parameters themselves, while each is still one op.
  pm.addNestedPass<func::FuncOp>(weft::createWriteInPlacePass());
}

void mlir::weft::addBufferizationPasses(OpPassManager &pm,
                                        bool stackBuffersInParallelLoops) {
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  // A function's buffer results (the gradients loss_grad returns) become
  // buffers its callers pass in: their size is fixed, so the caller can
  // lay them out with its own, and deallocation needs no run-time check of
  // who owns what the callee returned.
  pm.addPass(weft::createResultsToOutParamsPass());
  // A small buffer that each iteration of a parallel loop makes (a tile of
  // a pooled gradient) lives on its thread's stack, freed at the end of the
  // iteration, instead of coming from the runtime's cache under its lock.
  // Only directly in an scf.forall: in a sequential loop the stack would
  // grow at every iteration.
  if (stackBuffersInParallelLoops)
    pm.addNestedPass<func::FuncOp>(
        bufferization::createPromoteBuffersToStackPass([](Value buffer) {
          constexpr int64_t kMaxStackBufferBytes = 64 * 1024;
          auto type = cast<MemRefType>(buffer.getType());
          Operation *alloc = buffer.getDefiningOp();
          auto loop = alloc->getParentOfType<LoopLikeOpInterface>();
          if (!type.hasStaticShape() || !loop || !isa<scf::ForallOp>(loop))
            return false;
          // The data layout sizes any element (an index too).
          uint64_t elementBytes =
              DataLayout::closest(alloc).getTypeSize(type.getElementType());
          return uint64_t(type.getNumElements()) * elementBytes <=
                 uint64_t(kMaxStackBufferBytes);
        }));
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  // A parallel block writes its tile in place and then "copies" the tile to
  // itself; once CSE has made the two views one value, canonicalisation
  // drops the copy.
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
  // Deallocation frees at the end of the block; temporaries die sooner.
  pm.addNestedPass<func::FuncOp>(weft::createFreeAfterLastUsePass());
  // A call's buffers take two allocations, laid out here: one for those of
  // a fixed size (gradients, now the caller's, flipped kernels, the
  // optimizer's scalars), one for those the size of the batch.
  pm.addNestedPass<func::FuncOp>(weft::createPackBuffersPass());
}
