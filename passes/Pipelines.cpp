//===- Pipelines.cpp - Weft's named pass pipelines ------------------------===//
//
// The pipelines weftc runs, registered by name so that
// `weft-opt --weft-training-pipeline` replays exactly the same passes.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::weft::buildWeftTrainingPipeline(OpPassManager &pm) {
  // Differentiation needs @loss as one block, so @forward is inlined into it
  // first (and stays, for inference).
  pm.addPass(createInlinerPass());
  pm.addPass(createWeftAutodiffPass());
  pm.addPass(createWeftOptimizersPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void mlir::weft::buildWeftToLinalgPipeline(OpPassManager &pm) {
  pm.addPass(createWeftEntryPointsPass());
  pm.addPass(createInlinerPass());
  pm.addPass(createSymbolDCEPass());
  pm.addPass(createWeftBindVariablesPass());
  pm.addPass(createConvertWeftToLinalgPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void mlir::weft::registerWeftPipelines() {
  PassPipelineRegistration<>(
      "weft-training-pipeline",
      "Differentiate @loss and build a training step per optimizer",
      buildWeftTrainingPipeline);
  PassPipelineRegistration<>(
      "weft-to-linalg-pipeline",
      "Expose the C ABI entry points and lower weft to linalg on tensors",
      buildWeftToLinalgPipeline);
}
