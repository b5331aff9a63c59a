//===- CpuPipeline.h - From weft to the LLVM dialect for CPUs ---*- C++ -*-===//

#ifndef WEFT_BACKENDS_CPU_CPUPIPELINE_H
#define WEFT_BACKENDS_CPU_CPUPIPELINE_H

#include "passes/KernelStats.h"

#include "mlir/Pass/PassManager.h"

namespace mlir::weft {

/// What the CPU pipeline reports as it runs.
struct CpuPipelineReports {
  /// Each elementwise fusion decision, as a remark (weft-fuse-elementwise).
  bool fusionRemarks = false;
  /// How each kernel is blocked or parallelised, as a remark
  /// (weft-tile-and-vectorize, weft-parallelize-loops).
  bool kernelRemarks = false;
  /// Filled with each function's kernel statistics once bufferized
  /// (weft-kernel-stats).
  std::vector<KernelStats> *stats = nullptr;
};

/// linalg on tensors (the output of buildWeftToLinalgPipeline) down to the
/// LLVM dialect: fusion, bufferization, deallocation, loops, LLVM. Kernels
/// are blocked for vector registers of `vectorWidth` f32 lanes (the
/// target's: vectorLanesF32).
void buildLinalgToLLVMPipeline(OpPassManager &pm,
                               const CpuPipelineReports &reports = {},
                               int64_t vectorWidth = 16);

/// Bufferized linalg, vector and scf loops to the LLVM dialect for a CPU:
/// the CPU pipeline's last steps, also what runs emulated GPU kernels.
/// Loop-carried vectors are kept in registers of `vectorWidth` f32 lanes.
void addCpuLoopsToLLVMPasses(OpPassManager &pm, int64_t vectorWidth = 16);

/// The whole CPU pipeline from MLIRGen's weft module to the LLVM dialect:
/// what `weftc` runs and `weft-opt --weft-cpu-pipeline` replays.
void buildWeftCpuPipeline(OpPassManager &pm);

/// Registers `weft-cpu-pipeline` and `weft-linalg-to-llvm-pipeline`.
void registerCpuPipeline();

} // namespace mlir::weft

#endif // WEFT_BACKENDS_CPU_CPUPIPELINE_H
