//===- FakeCublas.cpp - A libcublas.so.13 on the CPU, for tests -----------===//
//
// The cuBLAS functions runtime/CudaLibraries.cpp loads, on host memory:
// cublasSgemm by its definition, C = alpha op(A) op(B) + beta C in
// column-major storage, with cuBLAS's checks of the leading dimensions. See
// FakeCudnn.cpp for what tests use it for.
//
//===----------------------------------------------------------------------===//

#include "FakeCudaLibraries.h"
#include "FakeLog.h"

namespace {
constexpr int kSuccess = 0, kInvalidValue = 7, kTranspose = 1;
FakeCublasControl control;

/// As in FakeCudnn.cpp: the calls, appended to $WEFT_FAKE_CUDA_LOG at exit.
struct LogAtExit {
  ~LogAtExit() {
    appendToFakeLog("fake cuBLAS: %d gemm, math mode %d\n", control.gemms,
                    control.lastMathMode);
  }
} logAtExit;
} // namespace

extern "C" {

FakeCublasControl *fakeCublasControl() { return &control; }

int cublasCreate_v2(void **handle) {
  *handle = &control;
  return kSuccess;
}
int cublasSetStream_v2(void *, void *stream) {
  control.stream = stream;
  return kSuccess;
}
int cublasSetMathMode(void *, int mode) {
  control.lastMathMode = mode;
  return kSuccess;
}
int cublasSgemm_v2(void *, int transA, int transB, int m, int n, int k,
                   const float *alpha, const float *a, int lda, const float *b,
                   int ldb, const float *beta, float *c, int ldc) {
  // op(A) is m x k, op(B) is k x n, C is m x n.
  int aRows = transA == kTranspose ? k : m;
  int bRows = transB == kTranspose ? n : k;
  if (m < 0 || n < 0 || k < 0 || lda < (aRows > 1 ? aRows : 1) ||
      ldb < (bRows > 1 ? bRows : 1) || ldc < (m > 1 ? m : 1))
    return kInvalidValue;
  auto opA = [&](int i, int l) {
    return transA == kTranspose ? a[l + long(i) * lda] : a[i + long(l) * lda];
  };
  auto opB = [&](int l, int j) {
    return transB == kTranspose ? b[j + long(l) * ldb] : b[l + long(j) * ldb];
  };
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < m; ++i) {
      float sum = 0;
      for (int l = 0; l < k; ++l)
        sum += opA(i, l) * opB(l, j);
      float &out = c[i + long(j) * ldc];
      out = *alpha * sum + (*beta == 0 ? 0 : *beta * out);
    }
  ++control.gemms;
  return kSuccess;
}

} // extern "C"
