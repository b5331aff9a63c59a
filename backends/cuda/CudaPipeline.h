//===- CudaPipeline.h - From linalg to GPU kernels and host code -*- C++
//-*-===//

#ifndef WEFT_BACKENDS_CUDA_CUDAPIPELINE_H
#define WEFT_BACKENDS_CUDA_CUDAPIPELINE_H

#include "mlir/Pass/PassManager.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::weft {

/// How kernels are compiled for NVIDIA GPUs.
struct CudaOptions {
  /// The architectures the kernels are assembled for (machine code for
  /// each); the PTX embedded beside it is the oldest one's, which newer GPUs
  /// compile when they load it.
  std::vector<std::string> archs = {"sm_80", "sm_90"};
  /// "fatbin" (machine code and PTX, embedded in the host object) or "isa"
  /// (PTX only: what --emit=ptx prints).
  std::string format = "fatbin";
  /// The CUDA toolkit whose ptxas and fatbinary make the fatbin
  /// (defaultCudaToolkit()).
  std::string toolkit;
  /// Threads per block of each kernel.
  int64_t blockSize = 256;
  /// Output elements each thread of a convolution or matrix product
  /// computes, sharing the loads they have in common (weft-register-tiles);
  /// 1 for one each.
  int64_t outputsPerThread = 4;
  /// Runs each kernel's blocks and threads as CPU loops instead
  /// (weft-emulate-gpu-launches), and lowers everything for the CPU: tests
  /// check the kernels against the CPU build where no GPU is present.
  bool emulateOnCpu = false;
  /// Convolutions as cuDNN calls, matrix products as cuBLAS calls
  /// (weft-gpu-library-calls) instead of generated kernels.
  bool cudnn = false, cublas = false;
  /// Whether those libraries may round f32 to TF32 on tensor cores.
  bool tf32 = true;
};

/// NN of an architecture named sm_NN that NVVM knows; none otherwise.
std::optional<unsigned> cudaArchNumber(llvm::StringRef arch);

/// The oldest of `archs` (sm_NN, smallest NN): the PTX's target.
std::string ptxArch(const std::vector<std::string> &archs);

/// Where the CUDA toolkit is: $CUDA_PATH, else $CUDA_HOME, else
/// /usr/local/cuda; empty if none of them holds bin/ptxas.
std::string defaultCudaToolkit();

/// The PTX ISA version LLVM's NVPTX backend writes for `chip`: the oldest
/// that knows the chip (7.0 for sm_80, 7.8 for sm_90), so that the PTX
/// assembles with any ptxas from CUDA 11 on.
std::string ptxFeatures(llvm::StringRef chip);

/// linalg on tensors (the output of buildWeftToLinalgPipeline) down to the
/// LLVM dialect with the kernels in a gpu.binary: fusion and buffer
/// planning as on the CPU, each loop nest a kernel, buffers in CUDA
/// managed memory, host code calling the runtime's mgpu* functions.
void buildLinalgToCudaPipeline(OpPassManager &pm, const CudaOptions &options);

/// Registers `weft-linalg-to-cuda-pipeline`.
void registerCudaPipeline();

} // namespace mlir::weft

#endif // WEFT_BACKENDS_CUDA_CUDAPIPELINE_H
