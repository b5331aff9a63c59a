//===- CudaLibraries.h - cuDNN and cuBLAS calls of compiled code -*- C++
//-*-===//
//
// What a `weft.gpu_library_call` becomes (passes/GpuLibraryCalls.cpp) and
// runtime/CudaLibraries.cpp defines: the compiler numbers the convolutions
// with ConvolutionKind, and compiled code passes its buffers as MLIR memref
// descriptors (the C interface of a func.func marked llvm.emit_c_interface).
// Plain C++, so that the compiler, the runtime and tests share it.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_CUDALIBRARIES_H
#define WEFT_RUNTIME_CUDALIBRARIES_H

#include <cstdint>

namespace weft::cuda {

/// The three convolutions Weft writes, as the `kind` argument of
/// weft_cudnn_convolution.
enum ConvolutionKind : int64_t {
  /// y[n,g,k,p,q] += x[n,g,c,p+r,q+s] * w[g,k,c,r,s]
  Forward = 0,
  /// dx[n,g,k,p,q] += dy[n,g,c,p+r,q+s] * w[g,c,k,r,s] (dy padded, w flipped)
  BackwardData = 1,
  /// dw[g,k,c,r,s] += x[n,g,c,p+r,q+s] * dy[n,g,k,p,q]
  BackwardFilter = 2,
};

/// An f32 memref descriptor of `Rank` as MLIR lays it out.
template <int Rank> struct MemRef {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizes[Rank];
  int64_t strides[Rank];

  float *data() const { return aligned + offset; }
  bool empty() const {
    for (int64_t size : sizes)
      if (size == 0)
        return true;
    return false;
  }
};

} // namespace weft::cuda

extern "C" {
/// out += the convolution `kind` (ConvolutionKind) of a and b, queued on
/// the GPU's stream; `tf32` lets cuDNN use TF32 tensor cores.
void _mlir_ciface_weft_cudnn_convolution(weft::cuda::MemRef<5> *a,
                                         weft::cuda::MemRef<5> *b,
                                         weft::cuda::MemRef<5> *c, int64_t kind,
                                         int64_t tf32);
/// c[m, n] += a[m, k] b[k, n] in row-major buffers, `transposeA` when a is
/// stored [k, m] and `transposeB` when b is stored [n, k].
void _mlir_ciface_weft_cublas_gemm(weft::cuda::MemRef<2> *a,
                                   weft::cuda::MemRef<2> *b,
                                   weft::cuda::MemRef<2> *c, int64_t transposeA,
                                   int64_t transposeB, int64_t tf32);
}

#endif // WEFT_RUNTIME_CUDALIBRARIES_H
