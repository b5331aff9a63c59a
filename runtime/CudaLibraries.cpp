//===- CudaLibraries.cpp - cuDNN and cuBLAS, loaded at run time -----------===//
//
// What a `weft.gpu_library_call` becomes (passes/GpuLibraryCalls.cpp): a
// convolution queued on cuDNN, a matrix product on cuBLAS, on the stream
// every generated kernel runs on (runtime/Cuda.cpp). Both libraries are
// loaded with dlopen on first use, from the library path or the CUDA
// toolkit, so a model built without --cuda-libraries never needs them.
//
// As with the mgpu* functions, a failure prints its message and ends the
// process: no exception unwinds through compiled code.
//
//===----------------------------------------------------------------------===//

#include "runtime/CudaLibraries.h"

#include "runtime/Cuda.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace {

using weft::cuda::BackwardData;
using weft::cuda::BackwardFilter;
using weft::cuda::ConvolutionKind;
using weft::cuda::Forward;
using weft::cuda::MemRef;

/// The runtime's one stream (runtime/Cuda.cpp), which every launch is
/// queued on; it ends the process saying why where there is no GPU.
extern "C" void *mgpuStreamCreate();

[[noreturn]] void libraryFailure(const std::string &message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  std::exit(1);
}

/// dlopens the first of `names` found on the library path, then in the CUDA
/// toolkit's lib64 ($CUDA_PATH, $CUDA_HOME, /usr/local/cuda).
void *openLibrary(const char *what, std::initializer_list<const char *> names) {
  std::vector<std::string> folders = {""};
  for (const char *variable : {"CUDA_PATH", "CUDA_HOME"})
    if (const char *root = std::getenv(variable))
      folders.push_back(std::string(root) + "/lib64/");
  folders.push_back("/usr/local/cuda/lib64/");
  for (const std::string &folder : folders)
    for (const char *name : names)
      if (void *library =
              dlopen((folder + name).c_str(), RTLD_NOW | RTLD_LOCAL))
        return library;
  libraryFailure(std::string("this model was built with --cuda-libraries and "
                             "calls ") +
                 what + ", which was not found (" + *names.begin() +
                 " on the library path or in the CUDA toolkit's lib64); "
                 "install it, or rebuild the model without --cuda-libraries");
}

template <typename Fn> void load(void *library, Fn &fn, const char *name) {
  fn = reinterpret_cast<Fn>(dlsym(library, name));
  if (!fn)
    libraryFailure(std::string("the loaded library lacks ") + name);
}

//===----------------------------------------------------------------------===//
// cuDNN (the legacy convolution API, which cuDNN 8 and 9 both have)
//===----------------------------------------------------------------------===//

using Handle = void *;
constexpr int kCudnnFloat = 0, kCudnnNchw = 0;
constexpr int kCudnnConvolution = 0, kCudnnCrossCorrelation = 1;
constexpr int kCudnnDefaultMath = 0, kCudnnFmaMath = 3;

/// cudnnConvolution{Fwd,BwdData,BwdFilter}AlgoPerf_t: the three are laid
/// out alike.
struct AlgorithmPerformance {
  int algorithm;
  int status;
  float time;
  size_t memory;
  int determinism;
  int mathType;
  int reserved[3];
};

struct Cudnn {
  int (*create)(Handle *);
  int (*setStream)(Handle, void *);
  const char *(*errorString)(int);
  int (*createTensor)(Handle *);
  int (*setTensor)(Handle, int, int, int, int, int, int, int, int, int);
  int (*createFilter)(Handle *);
  int (*setFilter)(Handle, int, int, int, int, int, int);
  int (*createConvolution)(Handle *);
  int (*setConvolution)(Handle, int, int, int, int, int, int, int, int);
  int (*setGroupCount)(Handle, int);
  int (*setMathType)(Handle, int);
  // Heuristics, workspace size and the call, per kind; the arguments are
  // (handle, the two operand descriptors, convolution, result descriptor)
  // in the order each function takes them.
  int (*forwardAlgorithms)(Handle, Handle, Handle, Handle, Handle, int, int *,
                           AlgorithmPerformance *);
  int (*forwardWorkspace)(Handle, Handle, Handle, Handle, Handle, int,
                          size_t *);
  int (*forward)(Handle, const void *, Handle, const void *, Handle,
                 const void *, Handle, int, void *, size_t, const void *,
                 Handle, void *);
  int (*backwardDataAlgorithms)(Handle, Handle, Handle, Handle, Handle, int,
                                int *, AlgorithmPerformance *);
  int (*backwardDataWorkspace)(Handle, Handle, Handle, Handle, Handle, int,
                               size_t *);
  int (*backwardData)(Handle, const void *, Handle, const void *, Handle,
                      const void *, Handle, int, void *, size_t, const void *,
                      Handle, void *);
  int (*backwardFilterAlgorithms)(Handle, Handle, Handle, Handle, Handle, int,
                                  int *, AlgorithmPerformance *);
  int (*backwardFilterWorkspace)(Handle, Handle, Handle, Handle, Handle, int,
                                 size_t *);
  int (*backwardFilter)(Handle, const void *, Handle, const void *, Handle,
                        const void *, Handle, int, void *, size_t, const void *,
                        Handle, void *);
};

/// A convolution's descriptors and algorithm, made once per shape.
struct ConvolutionPlan {
  Handle first = nullptr, second = nullptr, result = nullptr;
  Handle convolution = nullptr;
  int algorithm = 0;
  size_t workspaceBytes = 0;
};

/// A descriptor's sizes and strides, with the call's kind and math: what a
/// plan is made for.
using PlanKey = std::array<int64_t, 32>;

struct Libraries {
  std::mutex mutex;
  Cudnn cudnn{};
  Handle cudnnHandle = nullptr;
  std::map<PlanKey, ConvolutionPlan> plans;
  void *workspace = nullptr;
  size_t workspaceBytes = 0;

  struct {
    int (*create)(Handle *);
    int (*setStream)(Handle, void *);
    int (*setMathMode)(Handle, int);
    int (*sgemm)(Handle, int, int, int, int, int, const float *, const float *,
                 int, const float *, int, const float *, float *, int);
  } cublas{};
  Handle cublasHandle = nullptr;
};

Libraries &libraries() {
  static Libraries l;
  return l;
}

void checkCudnn(int status, const char *what) {
  if (status == 0)
    return;
  const char *text = libraries().cudnn.errorString
                         ? libraries().cudnn.errorString(status)
                         : "unknown";
  libraryFailure(std::string("cuDNN: ") + what + " failed: " + text + " (" +
                 std::to_string(status) + ")");
}

void checkCublas(int status, const char *what) {
  if (status != 0)
    libraryFailure(std::string("cuBLAS: ") + what + " failed: status " +
                   std::to_string(status));
}

Handle cudnnReady(Libraries &l) {
  if (l.cudnnHandle)
    return l.cudnnHandle;
  void *library = openLibrary("cuDNN", {"libcudnn.so.9", "libcudnn.so.8"});
  Cudnn &d = l.cudnn;
  load(library, d.create, "cudnnCreate");
  load(library, d.setStream, "cudnnSetStream");
  load(library, d.errorString, "cudnnGetErrorString");
  load(library, d.createTensor, "cudnnCreateTensorDescriptor");
  load(library, d.setTensor, "cudnnSetTensor4dDescriptorEx");
  load(library, d.createFilter, "cudnnCreateFilterDescriptor");
  load(library, d.setFilter, "cudnnSetFilter4dDescriptor");
  load(library, d.createConvolution, "cudnnCreateConvolutionDescriptor");
  load(library, d.setConvolution, "cudnnSetConvolution2dDescriptor");
  load(library, d.setGroupCount, "cudnnSetConvolutionGroupCount");
  load(library, d.setMathType, "cudnnSetConvolutionMathType");
  load(library, d.forwardAlgorithms, "cudnnGetConvolutionForwardAlgorithm_v7");
  load(library, d.forwardWorkspace, "cudnnGetConvolutionForwardWorkspaceSize");
  load(library, d.forward, "cudnnConvolutionForward");
  load(library, d.backwardDataAlgorithms,
       "cudnnGetConvolutionBackwardDataAlgorithm_v7");
  load(library, d.backwardDataWorkspace,
       "cudnnGetConvolutionBackwardDataWorkspaceSize");
  load(library, d.backwardData, "cudnnConvolutionBackwardData");
  load(library, d.backwardFilterAlgorithms,
       "cudnnGetConvolutionBackwardFilterAlgorithm_v7");
  load(library, d.backwardFilterWorkspace,
       "cudnnGetConvolutionBackwardFilterWorkspaceSize");
  load(library, d.backwardFilter, "cudnnConvolutionBackwardFilter");
  void *stream = mgpuStreamCreate();
  checkCudnn(d.create(&l.cudnnHandle), "cudnnCreate");
  checkCudnn(d.setStream(l.cudnnHandle, stream), "cudnnSetStream");
  return l.cudnnHandle;
}

int toInt(int64_t value) {
  if (value < 0 || value > INT32_MAX)
    libraryFailure("a dimension or stride of " + std::to_string(value) +
                   " does not fit the GPU library's int");
  return static_cast<int>(value);
}

/// A [n, g, c, h, w] buffer as cuDNN's [n, g*c, h, w] tensor.
Handle tensorOf(Libraries &l, const MemRef<5> &b) {
  if (b.sizes[1] != 1 && b.strides[1] != b.sizes[2] * b.strides[2])
    libraryFailure("cuDNN: a convolution buffer's groups and channels are "
                   "not one dimension");
  Handle tensor = nullptr;
  checkCudnn(l.cudnn.createTensor(&tensor), "cudnnCreateTensorDescriptor");
  checkCudnn(l.cudnn.setTensor(tensor, kCudnnFloat, toInt(b.sizes[0]),
                               toInt(b.sizes[1] * b.sizes[2]),
                               toInt(b.sizes[3]), toInt(b.sizes[4]),
                               toInt(b.strides[0]), toInt(b.strides[2]),
                               toInt(b.strides[3]), toInt(b.strides[4])),
             "cudnnSetTensor4dDescriptorEx");
  return tensor;
}

/// A packed [g, k, c, r, s] buffer as cuDNN's [g*k, c, r, s] filter.
Handle filterOf(Libraries &l, const MemRef<5> &b) {
  int64_t expected = 1;
  for (int i = 4; i >= 0; --i) {
    if (b.sizes[i] != 1 && b.strides[i] != expected)
      libraryFailure("cuDNN: a convolution's weights are not packed");
    expected *= b.sizes[i];
  }
  Handle filter = nullptr;
  checkCudnn(l.cudnn.createFilter(&filter), "cudnnCreateFilterDescriptor");
  checkCudnn(l.cudnn.setFilter(filter, kCudnnFloat, kCudnnNchw,
                               toInt(b.sizes[0] * b.sizes[1]),
                               toInt(b.sizes[2]), toInt(b.sizes[3]),
                               toInt(b.sizes[4])),
             "cudnnSetFilter4dDescriptor");
  return filter;
}

/// The first algorithm cuDNN's heuristics rank that runs here and, for
/// strict f32, computes in f32; the descriptor is set to its math.
template <typename Query>
int chooseAlgorithm(Libraries &l, Handle convolution, bool tf32, Query query) {
  AlgorithmPerformance results[8] = {};
  int count = 0;
  checkCudnn(query(8, &count, results), "choosing a convolution algorithm");
  for (int i = 0; i < count; ++i) {
    if (results[i].status != 0 ||
        (!tf32 && results[i].mathType != kCudnnFmaMath))
      continue;
    checkCudnn(l.cudnn.setMathType(convolution, results[i].mathType),
               "cudnnSetConvolutionMathType");
    return results[i].algorithm;
  }
  libraryFailure("cuDNN has no algorithm for a convolution of the model");
}

ConvolutionPlan makePlan(Libraries &l, Handle handle, ConvolutionKind kind,
                         bool tf32, const MemRef<5> &a, const MemRef<5> &b,
                         const MemRef<5> &c) {
  Cudnn &d = l.cudnn;
  ConvolutionPlan plan;
  plan.first = tensorOf(l, a);
  plan.second = kind == BackwardFilter ? tensorOf(l, b) : filterOf(l, b);
  plan.result = kind == BackwardFilter ? filterOf(l, c) : tensorOf(l, c);
  checkCudnn(d.createConvolution(&plan.convolution),
             "cudnnCreateConvolutionDescriptor");
  // The input gradient is the forward pass's adjoint on the flipped,
  // transposed weights: a true convolution padded by the window less one.
  int padRows = kind == BackwardData ? toInt(b.sizes[3] - 1) : 0;
  int padColumns = kind == BackwardData ? toInt(b.sizes[4] - 1) : 0;
  int mode = kind == BackwardData ? kCudnnConvolution : kCudnnCrossCorrelation;
  checkCudnn(d.setConvolution(plan.convolution, padRows, padColumns, 1, 1, 1, 1,
                              mode, kCudnnFloat),
             "cudnnSetConvolution2dDescriptor");
  checkCudnn(d.setGroupCount(plan.convolution, toInt(a.sizes[1])),
             "cudnnSetConvolutionGroupCount");
  checkCudnn(
      d.setMathType(plan.convolution, tf32 ? kCudnnDefaultMath : kCudnnFmaMath),
      "cudnnSetConvolutionMathType");
  // The three kinds' queries take the same arguments in the order cuDNN
  // names them, which for the input gradient puts the weights first.
  bool weightsFirst = kind == BackwardData;
  Handle first = weightsFirst ? plan.second : plan.first;
  Handle second = weightsFirst ? plan.first : plan.second;
  auto algorithms = kind == Forward        ? d.forwardAlgorithms
                    : kind == BackwardData ? d.backwardDataAlgorithms
                                           : d.backwardFilterAlgorithms;
  auto workspaceSize = kind == Forward        ? d.forwardWorkspace
                       : kind == BackwardData ? d.backwardDataWorkspace
                                              : d.backwardFilterWorkspace;
  plan.algorithm = chooseAlgorithm(
      l, plan.convolution, tf32,
      [&](int count, int *returned, AlgorithmPerformance *results) {
        return algorithms(handle, first, second, plan.convolution, plan.result,
                          count, returned, results);
      });
  checkCudnn(workspaceSize(handle, first, second, plan.convolution, plan.result,
                           plan.algorithm, &plan.workspaceBytes),
             "sizing a convolution's workspace");
  return plan;
}

/// A workspace of at least `bytes`, shared by every call: they run one
/// after another on the one stream.
void *workspace(Libraries &l, size_t bytes) {
  if (bytes <= l.workspaceBytes)
    return l.workspace;
  try {
    weft::cuda::release(l.workspace);
    l.workspace = weft::cuda::allocateQueued(bytes);
  } catch (const std::exception &e) {
    libraryFailure(e.what());
  }
  l.workspaceBytes = bytes;
  return l.workspace;
}

} // namespace

extern "C" {

void _mlir_ciface_weft_cudnn_convolution(MemRef<5> *a, MemRef<5> *b,
                                         MemRef<5> *c, int64_t kind,
                                         int64_t tf32) {
  if (kind < Forward || kind > BackwardFilter)
    libraryFailure("cuDNN: unknown convolution kind " + std::to_string(kind));
  if (a->empty() || b->empty() || c->empty())
    return; // An empty batch: nothing to add.
  Libraries &l = libraries();
  std::lock_guard<std::mutex> lock(l.mutex);
  Handle handle = cudnnReady(l);
  PlanKey key{};
  size_t i = 0;
  for (const MemRef<5> *buffer : {a, b, c})
    for (int d = 0; d < 5; ++d) {
      key[i++] = buffer->sizes[d];
      key[i++] = buffer->strides[d];
    }
  key[i++] = kind;
  key[i++] = tf32;
  auto known = l.plans.find(key);
  if (known == l.plans.end())
    known = l.plans
                .emplace(key, makePlan(l, handle, ConvolutionKind(kind),
                                       tf32 != 0, *a, *b, *c))
                .first;
  const ConvolutionPlan &plan = known->second;
  void *space = workspace(l, plan.workspaceBytes);
  // As for the plan: the input gradient names the weights first.
  Cudnn &d = l.cudnn;
  bool weightsFirst = kind == BackwardData;
  auto run = kind == Forward        ? d.forward
             : kind == BackwardData ? d.backwardData
                                    : d.backwardFilter;
  const char *name = kind == Forward        ? "cudnnConvolutionForward"
                     : kind == BackwardData ? "cudnnConvolutionBackwardData"
                                            : "cudnnConvolutionBackwardFilter";
  const float one = 1.0f;
  checkCudnn(run(handle, &one, weightsFirst ? plan.second : plan.first,
                 weightsFirst ? b->data() : a->data(),
                 weightsFirst ? plan.first : plan.second,
                 weightsFirst ? a->data() : b->data(), plan.convolution,
                 plan.algorithm, space, plan.workspaceBytes, &one, plan.result,
                 c->data()),
             name);
}

void _mlir_ciface_weft_cublas_gemm(MemRef<2> *a, MemRef<2> *b, MemRef<2> *c,
                                   int64_t transposeA, int64_t transposeB,
                                   int64_t tf32) {
  int64_t m = c->sizes[0], n = c->sizes[1];
  int64_t k = transposeA ? a->sizes[0] : a->sizes[1];
  if (m == 0 || n == 0 || k == 0)
    return;
  for (const MemRef<2> *buffer : {a, b, c})
    if (buffer->strides[1] != 1 && buffer->sizes[1] != 1)
      libraryFailure("cuBLAS: a matrix's rows are not contiguous");
  Libraries &l = libraries();
  std::lock_guard<std::mutex> lock(l.mutex);
  auto &blas = l.cublas;
  if (!l.cublasHandle) {
    void *library = openLibrary(
        "cuBLAS", {"libcublas.so.13", "libcublas.so.12", "libcublas.so.11"});
    load(library, blas.create, "cublasCreate_v2");
    load(library, blas.setStream, "cublasSetStream_v2");
    load(library, blas.setMathMode, "cublasSetMathMode");
    load(library, blas.sgemm, "cublasSgemm_v2");
    void *stream = mgpuStreamCreate();
    checkCublas(blas.create(&l.cublasHandle), "cublasCreate");
    checkCublas(blas.setStream(l.cublasHandle, stream), "cublasSetStream");
  }
  constexpr int kDefaultMath = 0, kTf32Math = 3, kNoTranspose = 0,
                kTranspose = 1;
  checkCublas(blas.setMathMode(l.cublasHandle, tf32 ? kTf32Math : kDefaultMath),
              "cublasSetMathMode");
  // cuBLAS is column-major: a row-major c is c^T, and c^T = b^T a^T.
  // A matrix of one row may have any row distance; cuBLAS asks for at
  // least a row's length.
  auto leading = [](const MemRef<2> *buffer) {
    return toInt(buffer->sizes[0] == 1 ? std::max<int64_t>(buffer->sizes[1], 1)
                                       : buffer->strides[0]);
  };
  const float one = 1.0f;
  checkCublas(blas.sgemm(l.cublasHandle, transposeB ? kTranspose : kNoTranspose,
                         transposeA ? kTranspose : kNoTranspose, toInt(n),
                         toInt(m), toInt(k), &one, b->data(), leading(b),
                         a->data(), leading(a), &one, c->data(), leading(c)),
              "cublasSgemm");
}

} // extern "C"
