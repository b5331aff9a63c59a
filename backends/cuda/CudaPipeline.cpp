//===- CudaPipeline.cpp - From linalg to GPU kernels and host code --------===//
//
// The same fusion and buffer planning as the CPU pipeline, then each loop
// nest becomes a kernel (weft-loops-to-gpu) and upstream takes over: kernel
// outlining, NVVM, the host's calls of the GPU runtime, and
// gpu-module-to-binary (PTX), then weft-cuda-fatbin: the toolkit's ptxas
// for each architecture and fatbinary.
//
//===----------------------------------------------------------------------===//

#include "backends/cuda/CudaPipeline.h"

#include "backends/SharedPipeline.h"
#include "backends/cpu/CpuPipeline.h"
#include "passes/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"

using namespace mlir;

std::string mlir::weft::defaultCudaToolkit() {
  SmallVector<std::string> candidates;
  for (const char *variable : {"CUDA_PATH", "CUDA_HOME"})
    if (std::optional<std::string> value = llvm::sys::Process::GetEnv(variable))
      candidates.push_back(*value);
  candidates.push_back("/usr/local/cuda");
  for (const std::string &root : candidates) {
    SmallString<128> ptxas(root);
    llvm::sys::path::append(ptxas, "bin", "ptxas");
    if (llvm::sys::fs::can_execute(ptxas))
      return root;
  }
  return "";
}

std::optional<unsigned> mlir::weft::cudaArchNumber(StringRef arch) {
  unsigned number = 0;
  // NVVM's oldest target is sm_20.
  if (!arch.consume_front("sm_") || arch.getAsInteger(10, number) ||
      number < 20)
    return std::nullopt;
  return number;
}

std::string mlir::weft::ptxArch(const std::vector<std::string> &archs) {
  return *llvm::min_element(archs, [](StringRef a, StringRef b) {
    return cudaArchNumber(a).value_or(~0u) < cudaArchNumber(b).value_or(~0u);
  });
}

std::string mlir::weft::ptxFeatures(llvm::StringRef chip) {
  return llvm::StringSwitch<std::string>(chip)
      .StartsWith("sm_90", "+ptx78")
      .StartsWith("sm_100", "+ptx86")
      .StartsWith("sm_120", "+ptx87")
      .StartsWith("sm_89", "+ptx78")
      .StartsWith("sm_86", "+ptx71")
      .StartsWith("sm_87", "+ptx74")
      .Default("+ptx70");
}

void mlir::weft::buildLinalgToCudaPipeline(OpPassManager &pm,
                                           const CudaOptions &options) {
  addFusionPasses(pm, /*fusionRemarks=*/false);
  pm.addPass(createCSEPass());
  addBufferizationPasses(pm, /*stackBuffersInParallelLoops=*/false);
  pm.addPass(weft::createCopiesToLinalgPass());
  // tanh and erf as arithmetic, as on the CPU: both targets compute the
  // same function.
  pm.addPass(weft::createApproximateMathPass());
  if (options.cudnn || options.cublas) {
    weft::GpuLibraryCallsPassOptions libraries;
    libraries.cudnn = options.cudnn;
    libraries.cublas = options.cublas;
    libraries.tf32 = options.tf32;
    pm.addNestedPass<func::FuncOp>(weft::createGpuLibraryCallsPass(libraries));
  }
  // Parallel dimensions first, reductions spread over threads where the
  // parallel ones are too few; then parallel dimensions become scf.parallel,
  // reductions scf.for inside.
  pm.addNestedPass<func::FuncOp>(weft::createSpreadReductionsPass());
  // Then a product's thread computes a few outputs that share loads.
  weft::RegisterTilesPassOptions tiles;
  tiles.factor = options.outputsPerThread;
  pm.addNestedPass<func::FuncOp>(weft::createRegisterTilesPass(tiles));
  // A sum's thread starts from its fill's constant, and the fill goes.
  pm.addNestedPass<func::FuncOp>(weft::createFoldFillsIntoSumsPass());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  pm.addPass(createCanonicalizerPass());
  weft::LoopsToGpuPassOptions kernels;
  kernels.blockSize = options.blockSize;
  pm.addNestedPass<func::FuncOp>(weft::createLoopsToGpuPass(kernels));
  // What host code reads or writes of a buffer runs on the GPU too, so that
  // the host neither waits for it nor moves its managed page; scalars it
  // computed from kernels' results for later kernels go through buffers.
  pm.addNestedPass<func::FuncOp>(weft::createCarryScalarsPass());
  pm.addNestedPass<func::FuncOp>(weft::createScalarsToGpuPass());
  if (options.emulateOnCpu) {
    pm.addNestedPass<func::FuncOp>(weft::createEmulateGpuLaunchesPass());
    pm.addPass(weft::createLowerGpuLibraryCallsPass());
    addCpuLoopsToLLVMPasses(pm);
    return;
  }
  // Constants (loop bounds, strides, the divisors that number threads) are
  // copied into the kernels instead of passed as arguments, so that LLVM
  // folds them: a division by a constant is a multiplication, a 3x3
  // window's loops unroll.
  pm.addPass(createGpuLaunchSinkIndexComputationsPass());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(weft::createMergeGpuModulesPass());
  // One chain of launches per entry point: a call would end the chain with
  // a wait in the callee.
  pm.addPass(weft::createInlineHostCallsPass());
  // Launches, library calls, allocations and frees are queued without
  // waiting for each: upstream's async region pass chains them by tokens and
  // waits only before host code with side effects (a read of a result, a
  // call, the return). All run on the runtime's one stream, so the order is
  // the host's. Then what upstream cannot lower (a queued host-shared
  // allocation, a free, a library call) becomes runtime calls.
  pm.addPass(weft::createManagedBuffersPass());
  pm.addNestedPass<func::FuncOp>(createGpuAsyncRegionPass());
  pm.addNestedPass<func::FuncOp>(weft::createWaitsIntoBranchesPass());
  pm.addPass(weft::createHostSharedAllocationsPass());
  // The runtime waits before it reads a result: an entry point returns
  // with its work queued.
  pm.addPass(weft::createQueuedReturnsPass());
  pm.addPass(weft::createLowerGpuLibraryCallsPass());
  GpuNVVMAttachTargetOptions target;
  target.chip = ptxArch(options.archs);
  target.features = ptxFeatures(target.chip);
  target.optLevel = 3;
  pm.addPass(createGpuNVVMAttachTarget(target));

  pm.addPass(createLowerAffinePass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  // Kernels: NVVM, math through libdevice.
  pm.addNestedPass<gpu::GPUModuleOp>(createConvertGpuOpsToNVVMOps());
  pm.addNestedPass<gpu::GPUModuleOp>(createCanonicalizerPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createReconcileUnrealizedCastsPass());
  // Host: everything else to LLVM, launches as mgpu* calls.
  pm.addPass(createGpuToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
  // PTX, then machine code for every architecture in one fatbin (upstream's
  // fatbin holds one).
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = "isa";
  binary.toolkitPath = options.toolkit;
  pm.addPass(createGpuModuleToBinaryPass(binary));
  if (options.format == "fatbin") {
    weft::CudaFatbinPassOptions fatbin;
    // Oldest first, each once, whatever order --cuda-arch gave.
    fatbin.archs.assign(options.archs.begin(), options.archs.end());
    llvm::sort(fatbin.archs, [](StringRef a, StringRef b) {
      return cudaArchNumber(a).value_or(~0u) < cudaArchNumber(b).value_or(~0u);
    });
    fatbin.archs.erase(llvm::unique(fatbin.archs), fatbin.archs.end());
    fatbin.toolkit = options.toolkit;
    pm.addPass(weft::createCudaFatbinPass(fatbin));
  }
}

void mlir::weft::registerCudaPipeline() {
  PassPipelineRegistration<>(
      "weft-linalg-to-cuda-pipeline",
      "Bufferize linalg on tensors and lower it to GPU kernels (a fatbin "
      "for sm_80 and sm_90) and host code",
      [](OpPassManager &pm) {
        CudaOptions options;
        options.toolkit = defaultCudaToolkit();
        buildLinalgToCudaPipeline(pm, options);
      });
}
