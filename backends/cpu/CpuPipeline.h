//===- CpuPipeline.h - From weft to the LLVM dialect for CPUs ---*- C++ -*-===//

#ifndef WEFT_BACKENDS_CPU_CPUPIPELINE_H
#define WEFT_BACKENDS_CPU_CPUPIPELINE_H

#include "passes/KernelStats.h"

#include "mlir/Pass/PassManager.h"

namespace mlir::weft {

/// linalg on tensors (the output of buildWeftToLinalgPipeline) down to the
/// LLVM dialect: fusion, bufferization, deallocation, loops, LLVM. With
/// `stats`, each function's kernels are counted into it once bufferized
/// (weft-kernel-stats).
void buildLinalgToLLVMPipeline(OpPassManager &pm,
                               std::vector<KernelStats> *stats = nullptr);

/// The whole CPU pipeline from MLIRGen's weft module to the LLVM dialect:
/// what `weftc` runs and `weft-opt --weft-cpu-pipeline` replays.
void buildWeftCpuPipeline(OpPassManager &pm);

/// Registers `weft-cpu-pipeline` and `weft-linalg-to-llvm-pipeline`.
void registerCpuPipeline();

} // namespace mlir::weft

#endif // WEFT_BACKENDS_CPU_CPUPIPELINE_H
