//===- CudaLibrariesTest.cpp - The runtime's cuDNN and cuBLAS calls -------===//
//
// Runs against the stand-in libcudnn.so.9 and libcublas.so.13 of
// test/unit/FakeCudnn.cpp and FakeCublas.cpp (and the fake driver), found
// through LD_LIBRARY_PATH: what runtime/CudaLibraries.cpp hands the
// libraries, on buffers small enough to check by hand.
//
//===----------------------------------------------------------------------===//

#include "runtime/CudaLibraries.h"
#include "FakeCudaLibraries.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

namespace {

using weft::cuda::MemRef;

/// A row-major buffer descriptor over `data`.
template <int Rank>
MemRef<Rank> over(std::vector<float> &data, std::array<int64_t, Rank> sizes) {
  MemRef<Rank> b{data.data(), data.data(), 0, {}, {}};
  int64_t stride = 1;
  for (int i = Rank - 1; i >= 0; --i) {
    b.sizes[i] = sizes[i];
    b.strides[i] = stride;
    stride *= sizes[i];
  }
  return b;
}

template <typename Control>
Control &control(const char *library, const char *function) {
  void *handle = dlopen(library, RTLD_NOW);
  EXPECT_NE(handle, nullptr) << library << " is not on LD_LIBRARY_PATH";
  auto get = reinterpret_cast<Control *(*)()>(dlsym(handle, function));
  EXPECT_NE(get, nullptr) << library << " is not the stand-in";
  return *get();
}

FakeCublasControl &cublas() {
  return control<FakeCublasControl>("libcublas.so.13", "fakeCublasControl");
}

// c[m, n] += a[m, k] b[k, n] on row-major buffers, b stored [n, k] (a dense
// layer's weights): cuBLAS reads them column-major, with TF32 allowed.
TEST(CudaLibraries, MultipliesRowMajorMatricesIntoTheOutput) {
  std::vector<float> a = {1, 2, 3, 4, 5, 6};  // [2, 3]
  std::vector<float> bt = {1, 0, 1, 0, 1, 1}; // [2, 3]: b transposed
  std::vector<float> c = {10, 20, 30, 40};    // [2, 2], added to
  auto A = over<2>(a, {2, 3}), B = over<2>(bt, {2, 3}), C = over<2>(c, {2, 2});
  _mlir_ciface_weft_cublas_gemm(&A, &B, &C, 0, 1, 1);
  EXPECT_EQ(c, (std::vector<float>{10 + 4, 20 + 5, 30 + 10, 40 + 11}));
  EXPECT_EQ(cublas().lastMathMode, 3); // CUBLAS_TF32_TENSOR_OP_MATH
  // a stored [k, m]: the weight gradient's shape, in strict f32.
  std::vector<float> at = {1, 4, 2, 5, 3, 6}; // [3, 2]: a transposed
  std::vector<float> b = {1, 0, 0, 1, 1, 1};  // [3, 2]
  std::vector<float> d(4, 0.0f);
  auto At = over<2>(at, {3, 2}), Bn = over<2>(b, {3, 2}),
       D = over<2>(d, {2, 2});
  _mlir_ciface_weft_cublas_gemm(&At, &Bn, &D, 1, 0, 0);
  EXPECT_EQ(d, (std::vector<float>{4, 5, 10, 11}));
  EXPECT_EQ(cublas().lastMathMode, 0); // CUBLAS_DEFAULT_MATH
}

// An empty batch leaves the output as it is and asks nothing of cuBLAS.
TEST(CudaLibraries, SkipsAnEmptyProduct) {
  std::vector<float> a, b = {1, 2}, c;
  auto A = over<2>(a, {0, 2}), B = over<2>(b, {1, 2}), C = over<2>(c, {0, 1});
  int before = cublas().gemms;
  _mlir_ciface_weft_cublas_gemm(&A, &B, &C, 0, 1, 1);
  EXPECT_EQ(cublas().gemms, before);
}

TEST(CudaLibrariesDeathTest, RefusesColumnsThatAreNotContiguous) {
  std::vector<float> a(6), b(6), c(4);
  auto A = over<2>(a, {2, 3}), B = over<2>(b, {3, 2}), C = over<2>(c, {2, 2});
  A.strides[0] = 1, A.strides[1] = 2; // column-major storage
  EXPECT_EXIT(_mlir_ciface_weft_cublas_gemm(&A, &B, &C, 0, 0, 1),
              testing::ExitedWithCode(1),
              "cuBLAS: a matrix's rows are not contiguous");
}

// The input gradient as Weft writes it, out[n,g,k,p,q] += sum over c, r, s
// of dy[n,g,c,p+r,q+s] * w[g,c,k,r,s] (dy padded, w flipped), is cuDNN's
// backward data in convolution mode, padded by the window less one.
TEST(CudaLibraries, InputGradientIsBackwardData) {
  const int N = 2, C = 3, K = 2, R = 2, S = 3, H = 5, W = 6;
  const int P = H - R + 1, Q = W - S + 1;
  std::vector<float> dy(N * C * H * W), w(C * K * R * S), out(N * K * P * Q);
  for (size_t i = 0; i < dy.size(); ++i)
    dy[i] = float((i * 7) % 11) - 5;
  for (size_t i = 0; i < w.size(); ++i)
    w[i] = float((i * 5) % 7) - 3;
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = float(i % 3);
  std::vector<float> expected = out;
  for (int n = 0; n < N; ++n)
    for (int k = 0; k < K; ++k)
      for (int p = 0; p < P; ++p)
        for (int q = 0; q < Q; ++q)
          for (int c = 0; c < C; ++c)
            for (int r = 0; r < R; ++r)
              for (int s = 0; s < S; ++s)
                expected[((n * K + k) * P + p) * Q + q] +=
                    dy[((n * C + c) * H + p + r) * W + q + s] *
                    w[((c * K + k) * R + r) * S + s];
  auto DY = over<5>(dy, {N, 1, C, H, W});
  auto WT = over<5>(w, {1, C, K, R, S});
  auto OUT = over<5>(out, {N, 1, K, P, Q});
  _mlir_ciface_weft_cudnn_convolution(&DY, &WT, &OUT, weft::cuda::BackwardData,
                                      0);
  EXPECT_EQ(out, expected);
  auto &cudnn = control<FakeCudnnControl>("libcudnn.so.9", "fakeCudnnControl");
  EXPECT_EQ(cudnn.lastMathType, 3); // CUDNN_FMA_MATH: strict f32
  EXPECT_GE(cudnn.backwardData, 1);
}

} // namespace
