//===- Registration.cpp - Everything a Weft tool registers ----------------===//

#include "backends/Registration.h"

#include "backends/cpu/CpuPipeline.h"
#include "backends/cuda/CudaPipeline.h"
#include "dialects/weft/IR/WeftDialect.h"
#include "passes/Passes.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"

void mlir::weft::registerWeftDialects(DialectRegistry &registry) {
  // The upstream sets are what the lowering passes need (bufferization
  // models, to-LLVM interfaces, inliner extensions); the cost is start-up
  // time only, and it keeps weftc and weft-opt in step with mlir-opt.
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<WeftDialect>();
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  // Kernels whose blocks run in parallel become OpenMP loops.
  registerOpenMPDialectTranslation(registry);
  // --target=cuda: kernels serialised by the NVVM target, embedded by the
  // GPU dialect's translation.
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  registerNVVMDialectTranslation(registry);
  registerGPUDialectTranslation(registry);
  gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
}

void mlir::weft::registerWeftPassesAndPipelines() {
  registerAllPasses();
  registerWeftPasses();
  registerWeftPipelines();
  registerCpuPipeline();
  registerCudaPipeline();
}
