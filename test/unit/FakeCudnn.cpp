//===- FakeCudnn.cpp - A libcudnn.so.9 on the CPU, for tests --------------===//
//
// The cuDNN functions runtime/CudaLibraries.cpp loads, computed on host
// memory by their documented definitions: NCHW tensors with any strides,
// KCRS filters, padding, strides, dilation, groups, convolution (flipped
// filter) or cross-correlation, out = alpha * result + beta * out. A shape
// that does not fit the convolution's geometry is rejected as cuDNN rejects
// it. With --emulate-gpu-kernels builds, tests check what Weft hands cuDNN
// (which form, which descriptors, which padding and mode) against the CPU
// build, where no GPU is. It checks Weft's side only: that real cuDNN
// computes the same is for the GPU run (bench/gpu/run.sh).
//
//===----------------------------------------------------------------------===//

#include "FakeCudaLibraries.h"
#include "FakeLog.h"

#include <cstddef>
#include <utility>
#include <vector>

namespace {

constexpr int kSuccess = 0, kBadParam = 3;
constexpr int kConvolution = 0;
FakeCudnnControl control;

struct Tensor {
  int n = 0, c = 0, h = 0, w = 0;
  int nStride = 0, cStride = 0, hStride = 0, wStride = 0;
  size_t at(int i, int j, int k, int l) const {
    return size_t(i) * nStride + size_t(j) * cStride + size_t(k) * hStride +
           size_t(l) * wStride;
  }
};
struct Filter {
  int k = 0, c = 0, r = 0, s = 0;
  size_t at(int i, int j, int a, int b) const {
    return ((size_t(i) * c + j) * r + a) * s + b;
  }
};
struct Convolution {
  int padH = 0, padW = 0, strideH = 1, strideW = 1, dilationH = 1,
      dilationW = 1, mode = 1, groups = 1, math = 0;
};
struct Perf {
  int algorithm, status;
  float time;
  size_t memory;
  int determinism, mathType, reserved[3];
};

/// Calls `term(x, w, y)` with the element offsets of every product of the
/// forward convolution y = conv(x, w); false if the shapes do not fit.
template <typename Fn>
bool forEachProduct(const Tensor &x, const Filter &w, const Convolution &conv,
                    const Tensor &y, Fn term) {
  int groups = conv.groups;
  if (groups < 1 || x.c != w.c * groups || w.k % groups != 0 || y.c != w.k ||
      y.n != x.n)
    return false;
  int extentH = (w.r - 1) * conv.dilationH + 1;
  int extentW = (w.s - 1) * conv.dilationW + 1;
  if (y.h != (x.h + 2 * conv.padH - extentH) / conv.strideH + 1 ||
      y.w != (x.w + 2 * conv.padW - extentW) / conv.strideW + 1)
    return false;
  int outputsPerGroup = w.k / groups;
  for (int n = 0; n < y.n; ++n)
    for (int k = 0; k < y.c; ++k)
      for (int p = 0; p < y.h; ++p)
        for (int q = 0; q < y.w; ++q)
          for (int c = 0; c < w.c; ++c)
            for (int r = 0; r < w.r; ++r)
              for (int s = 0; s < w.s; ++s) {
                int row = p * conv.strideH - conv.padH + r * conv.dilationH;
                int column = q * conv.strideW - conv.padW + s * conv.dilationW;
                if (row < 0 || row >= x.h || column < 0 || column >= x.w)
                  continue;
                // Convolution mode flips the filter.
                int fr = conv.mode == kConvolution ? w.r - 1 - r : r;
                int fs = conv.mode == kConvolution ? w.s - 1 - s : s;
                int channel = (k / outputsPerGroup) * w.c + c;
                term(x.at(n, channel, row, column), w.at(k, c, fr, fs),
                     y.at(n, k, p, q));
              }
  return true;
}

/// out[i] = alpha * sum[i] + beta * out[i] over the offsets `offsets`.
void blend(const void *alpha, const void *beta, const std::vector<float> &sum,
           const std::vector<size_t> &offsets, float *out) {
  float a = *static_cast<const float *>(alpha);
  float b = *static_cast<const float *>(beta);
  for (size_t i = 0; i < offsets.size(); ++i)
    out[offsets[i]] = a * sum[i] + (b == 0 ? 0 : b * out[offsets[i]]);
}

std::vector<size_t> offsetsOf(const Tensor &t) {
  std::vector<size_t> offsets;
  for (int i = 0; i < t.n; ++i)
    for (int j = 0; j < t.c; ++j)
      for (int k = 0; k < t.h; ++k)
        for (int l = 0; l < t.w; ++l)
          offsets.push_back(t.at(i, j, k, l));
  return offsets;
}

std::vector<size_t> offsetsOf(const Filter &f) {
  std::vector<size_t> offsets(size_t(f.k) * f.c * f.r * f.s);
  for (size_t i = 0; i < offsets.size(); ++i)
    offsets[i] = i;
  return offsets;
}

/// Dense index of `offset` among `offsets` (both in increasing order for
/// packed tensors; a map for strided ones).
struct Dense {
  std::vector<size_t> offsets;
  std::vector<long> index;
  explicit Dense(std::vector<size_t> all) : offsets(std::move(all)) {
    size_t largest = 0;
    for (size_t o : offsets)
      largest = o > largest ? o : largest;
    index.assign(largest + 1, -1);
    for (size_t i = 0; i < offsets.size(); ++i)
      index[offsets[i]] = long(i);
  }
};

/// result = alpha * sum + beta * result over the elements at `offsets`,
/// the sum running over the products of the forward convolution y =
/// conv(x, w): `term(x, w, y)` names the result element a product adds to
/// and the product. The call that all three directions are; counts itself
/// in `calls`.
template <typename Term>
int convolve(const Tensor &x, const Filter &w, const Convolution &conv,
             const Tensor &y, void *workspace, size_t workspaceBytes,
             const void *alpha, const void *beta, std::vector<size_t> offsets,
             float *result, int &calls, Term term) {
  if (!workspace || workspaceBytes < 256)
    return kBadParam;
  Dense out(std::move(offsets));
  std::vector<float> sum(out.offsets.size(), 0.0f);
  if (!forEachProduct(x, w, conv, y, [&](size_t xi, size_t wi, size_t yi) {
        auto [element, product] = term(xi, wi, yi);
        sum[out.index[element]] += product;
      }))
    return kBadParam;
  blend(alpha, beta, sum, out.offsets, result);
  ++calls;
  return kSuccess;
}

/// With WEFT_FAKE_CUDA_LOG set, what was called is appended to that file
/// at exit, so that a test sees the library was used.
struct LogAtExit {
  ~LogAtExit() {
    appendToFakeLog("fake cuDNN: %d forward, %d backward-data, %d "
                    "backward-filter, math type %d\n",
                    control.forward, control.backwardData,
                    control.backwardFilter, control.lastMathType);
  }
} logAtExit;

int algorithms(const Convolution *conv, int requested, int *returned,
               Perf *results) {
  if (requested < 1)
    return kBadParam;
  results[0] = Perf{0, kSuccess, 0.0f, 256, 0, conv->math, {}};
  *returned = 1;
  return kSuccess;
}

} // namespace

extern "C" {

FakeCudnnControl *fakeCudnnControl() { return &control; }

int cudnnCreate(void **handle) {
  *handle = &control;
  return kSuccess;
}
int cudnnSetStream(void *, void *stream) {
  control.stream = stream;
  return kSuccess;
}
const char *cudnnGetErrorString(int status) {
  return status == kBadParam ? "CUDNN_STATUS_BAD_PARAM" : "CUDNN_STATUS_?";
}
int cudnnCreateTensorDescriptor(void **d) {
  *d = new Tensor;
  return kSuccess;
}
int cudnnSetTensor4dDescriptorEx(void *d, int type, int n, int c, int h, int w,
                                 int ns, int cs, int hs, int ws) {
  if (type != 0 || n <= 0 || c <= 0 || h <= 0 || w <= 0)
    return kBadParam;
  *static_cast<Tensor *>(d) = Tensor{n, c, h, w, ns, cs, hs, ws};
  return kSuccess;
}
int cudnnCreateFilterDescriptor(void **d) {
  *d = new Filter;
  return kSuccess;
}
int cudnnSetFilter4dDescriptor(void *d, int type, int format, int k, int c,
                               int r, int s) {
  if (type != 0 || format != 0 || k <= 0 || c <= 0 || r <= 0 || s <= 0)
    return kBadParam;
  *static_cast<Filter *>(d) = Filter{k, c, r, s};
  return kSuccess;
}
int cudnnCreateConvolutionDescriptor(void **d) {
  *d = new Convolution;
  return kSuccess;
}
int cudnnSetConvolution2dDescriptor(void *d, int padH, int padW, int u, int v,
                                    int dilationH, int dilationW, int mode,
                                    int type) {
  if (type != 0 || u < 1 || v < 1 || dilationH < 1 || dilationW < 1)
    return kBadParam;
  auto *conv = static_cast<Convolution *>(d);
  conv->padH = padH, conv->padW = padW, conv->strideH = u, conv->strideW = v;
  conv->dilationH = dilationH, conv->dilationW = dilationW, conv->mode = mode;
  return kSuccess;
}
int cudnnSetConvolutionGroupCount(void *d, int groups) {
  static_cast<Convolution *>(d)->groups = groups;
  return kSuccess;
}
int cudnnSetConvolutionMathType(void *d, int math) {
  static_cast<Convolution *>(d)->math = math;
  control.lastMathType = math;
  return kSuccess;
}
int cudnnGetConvolutionForwardAlgorithm_v7(void *, void *, void *, void *conv,
                                           void *, int requested, int *returned,
                                           Perf *results) {
  return algorithms(static_cast<Convolution *>(conv), requested, returned,
                    results);
}
int cudnnGetConvolutionBackwardDataAlgorithm_v7(void *, void *, void *,
                                                void *conv, void *,
                                                int requested, int *returned,
                                                Perf *results) {
  return algorithms(static_cast<Convolution *>(conv), requested, returned,
                    results);
}
int cudnnGetConvolutionBackwardFilterAlgorithm_v7(void *, void *, void *,
                                                  void *conv, void *,
                                                  int requested, int *returned,
                                                  Perf *results) {
  return algorithms(static_cast<Convolution *>(conv), requested, returned,
                    results);
}
int cudnnGetConvolutionForwardWorkspaceSize(void *, void *, void *, void *,
                                            void *, int, size_t *bytes) {
  *bytes = 256;
  return kSuccess;
}
int cudnnGetConvolutionBackwardDataWorkspaceSize(void *, void *, void *, void *,
                                                 void *, int, size_t *bytes) {
  *bytes = 256;
  return kSuccess;
}
int cudnnGetConvolutionBackwardFilterWorkspaceSize(void *, void *, void *,
                                                   void *, void *, int,
                                                   size_t *bytes) {
  *bytes = 256;
  return kSuccess;
}

int cudnnConvolutionForward(void *, const void *alpha, void *xDesc,
                            const void *x, void *wDesc, const void *w,
                            void *convDesc, int, void *workspace,
                            size_t workspaceBytes, const void *beta,
                            void *yDesc, void *y) {
  const auto *xs = static_cast<const float *>(x);
  const auto *ws = static_cast<const float *>(w);
  auto &yt = *static_cast<Tensor *>(yDesc);
  return convolve(*static_cast<Tensor *>(xDesc), *static_cast<Filter *>(wDesc),
                  *static_cast<Convolution *>(convDesc), yt, workspace,
                  workspaceBytes, alpha, beta, offsetsOf(yt),
                  static_cast<float *>(y), control.forward,
                  [&](size_t xi, size_t wi, size_t yi) {
                    return std::make_pair(yi, xs[xi] * ws[wi]);
                  });
}

int cudnnConvolutionBackwardData(void *, const void *alpha, void *wDesc,
                                 const void *w, void *dyDesc, const void *dy,
                                 void *convDesc, int, void *workspace,
                                 size_t workspaceBytes, const void *beta,
                                 void *dxDesc, void *dx) {
  const auto *ws = static_cast<const float *>(w);
  const auto *dys = static_cast<const float *>(dy);
  auto &dxt = *static_cast<Tensor *>(dxDesc);
  return convolve(dxt, *static_cast<Filter *>(wDesc),
                  *static_cast<Convolution *>(convDesc),
                  *static_cast<Tensor *>(dyDesc), workspace, workspaceBytes,
                  alpha, beta, offsetsOf(dxt), static_cast<float *>(dx),
                  control.backwardData, [&](size_t xi, size_t wi, size_t yi) {
                    return std::make_pair(xi, dys[yi] * ws[wi]);
                  });
}

int cudnnConvolutionBackwardFilter(void *, const void *alpha, void *xDesc,
                                   const void *x, void *dyDesc, const void *dy,
                                   void *convDesc, int, void *workspace,
                                   size_t workspaceBytes, const void *beta,
                                   void *dwDesc, void *dw) {
  const auto *xs = static_cast<const float *>(x);
  const auto *dys = static_cast<const float *>(dy);
  auto &dwf = *static_cast<Filter *>(dwDesc);
  return convolve(*static_cast<Tensor *>(xDesc), dwf,
                  *static_cast<Convolution *>(convDesc),
                  *static_cast<Tensor *>(dyDesc), workspace, workspaceBytes,
                  alpha, beta, offsetsOf(dwf), static_cast<float *>(dw),
                  control.backwardFilter, [&](size_t xi, size_t wi, size_t yi) {
                    return std::make_pair(wi, xs[xi] * dys[yi]);
                  });
}

} // extern "C"
