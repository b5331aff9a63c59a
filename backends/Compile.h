//===- Compile.h - Running Weft's pipelines with IR inspection --*- C++ -*-===//
//
// What weftc does between MLIRGen and the linker, as library calls: run the
// pipelines up to a stage, with the pass manager's IR printing and timing.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_BACKENDS_COMPILE_H
#define WEFT_BACKENDS_COMPILE_H

#include "backends/cuda/CudaPipeline.h"
#include "passes/KernelStats.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace mlir::weft {

/// How far to lower a weft module.
enum class Stage {
  Weft,        // MLIRGen's output, verified.
  Linalg,      // Trained (autodiff, optimizers) and lowered to linalg.
  LLVMDialect, // Bufferized and lowered to the LLVM dialect.
};

/// IR inspection, through MLIR's pass manager instrumentation.
struct InspectionOptions {
  bool printAfterAll = false;
  /// Pass arguments (as in `weft-opt --help`), e.g. "weft-autodiff".
  std::vector<std::string> printAfter, printBefore;
  /// One numbered file per pass under this folder.
  std::string printTreeDir;
  bool timing = false;
  /// Debug line tables from the ops' model-file locations, so that
  /// `perf report --sort srcline` names the layer a hot loop came from.
  bool lineTables = false;
  /// Filled with each function's kernel statistics (weftc --stats) when
  /// lowering reaches the LLVM dialect.
  std::vector<KernelStats> *stats = nullptr;
  /// Remarks from the CPU pipeline (weftc --remarks=fusion,kernels).
  bool fusionRemarks = false, kernelRemarks = false;
};

/// Lowers `module` in place to `stage`, blocking kernels for vector registers
/// of `vectorWidth` f32 lanes. Diagnostics go to the context's handler;
/// returns failure if a pass failed.
LogicalResult lowerToStage(ModuleOp module, Stage stage,
                           const InspectionOptions &inspection,
                           int64_t vectorWidth = 16);

/// Lowers `module` in place to the LLVM dialect with both a CPU and a CUDA
/// path (--target=cuda): the entry points as for the CPU, and beside them
/// `weft_cuda_<entry>`, whose loops run as kernels of one embedded fatbin.
/// Both paths start from the same linalg, so they compute the same thing.
LogicalResult lowerToCpuAndCuda(ModuleOp module,
                                const InspectionOptions &inspection,
                                int64_t vectorWidth, const CudaOptions &cuda);

/// Lowers `module` in place to the LLVM dialect for the CPU through the
/// CUDA pipeline's kernels, each run as CPU loops (weftc
/// --emulate-gpu-kernels): the GPU lowering's arithmetic, testable here.
/// Library calls (`cuda`'s cudnn and cublas) stay calls of the runtime,
/// which needs the libraries (tests give it stand-ins).
LogicalResult lowerWithEmulatedGpuKernels(ModuleOp module,
                                          const InspectionOptions &inspection,
                                          CudaOptions cuda);

/// The PTX of the model's kernels (--emit=ptx): `module` is lowered in
/// place through the CUDA pipeline, its kernels compiled to PTX only.
FailureOr<std::string> lowerToPtx(ModuleOp module,
                                  const InspectionOptions &inspection,
                                  CudaOptions cuda);

} // namespace mlir::weft

#endif // WEFT_BACKENDS_COMPILE_H
