//===- Cuda.cpp - The CUDA driver, loaded at run time ---------------------===//
//
// Two halves: weft::cuda (Cuda.h), which the runtime calls and which
// reports failures as weft::Error; and the mgpu* functions compiled CUDA
// entry points call. Those run inside compiled code, which an exception
// cannot unwind through, so a failure there prints its message and ends
// the process (checkpoints are written atomically, so none is left half
// written).
//
//===----------------------------------------------------------------------===//

#include "runtime/Cuda.h"

#include "runtime/Error.h"
#include "runtime/Temporaries.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

namespace {

// The few driver types and functions Weft uses, as cuda.h declares them;
// declared here so that the runtime builds without the CUDA toolkit.
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = void *;
using CUmodule = void *;
using CUfunction = void *;
using CUstream = void *;
using CUevent = void *;
constexpr unsigned kEventDisableTiming = 2;
constexpr int kComputeCapabilityMajor = 75, kComputeCapabilityMinor = 76;
constexpr unsigned kMemAttachGlobal = 1;

struct Driver {
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDeviceGetName)(char *, int, CUdevice);
  CUresult (*cuDeviceGetAttribute)(int *, int, CUdevice);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuCtxSynchronize)();
  CUresult (*cuModuleLoadData)(CUmodule *, const void *);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned,
                             unsigned, unsigned, unsigned, CUstream, void **,
                             void **);
  CUresult (*cuStreamCreate)(CUstream *, unsigned);
  CUresult (*cuStreamSynchronize)(CUstream);
  CUresult (*cuMemAllocManaged)(CUdeviceptr *, size_t, unsigned);
  CUresult (*cuMemFree)(CUdeviceptr);
  CUresult (*cuMemAllocHost)(void **, size_t);
  CUresult (*cuMemFreeHost)(void *);
  CUresult (*cuMemcpyHtoDAsync)(CUdeviceptr, const void *, size_t, CUstream);
  CUresult (*cuMemcpyDtoHAsync)(void *, CUdeviceptr, size_t, CUstream);
  CUresult (*cuEventCreate)(CUevent *, unsigned);
  CUresult (*cuEventRecord)(CUevent, CUstream);
  CUresult (*cuEventSynchronize)(CUevent);
  CUresult (*cuEventDestroy)(CUevent);
  CUresult (*cuGetErrorName)(CUresult, const char **);
  CUresult (*cuGetErrorString)(CUresult, const char **);
};

/// The process's one GPU: driver, context, stream, loaded modules and the
/// cache of managed memory.
struct State {
  std::mutex mutex;
  void *library = nullptr;
  Driver driver{};
  bool ready = false;
  CUdevice device = 0;
  CUcontext context = nullptr;
  CUstream stream = nullptr;
  std::unordered_map<CUfunction, std::string> kernelNames;
  const char *lastKernel = nullptr;
  std::multimap<size_t, void *> freeBlocks;
  std::unordered_map<void *, size_t> blockSizes;
  weft::TemporaryStats stats;
};

State &state() {
  static State s;
  return s;
}

template <typename Fn> void load(void *library, Fn &fn, const char *name) {
  fn = reinterpret_cast<Fn>(dlsym(library, name));
  if (!fn)
    weft::fail("the CUDA driver (libcuda.so.1) lacks ", name,
               "; is it older than CUDA 11?");
}

void check(CUresult result, const char *what) {
  if (result != 0)
    weft::fail("CUDA: ", what, " failed: ", weft::cuda::errorText(result));
}

/// For the mgpu* functions: a failure ends the process with its message.
void checkOrExit(CUresult result, const char *what) {
  if (result == 0)
    return;
  std::fprintf(stderr, "error: CUDA: %s failed: %s\n", what,
               weft::cuda::errorText(result).c_str());
  std::exit(1);
}

void initializeLocked(State &s) {
  // Each thread that calls the driver makes the context its own, once.
  static thread_local bool contextCurrent = false;
  if (s.ready) {
    if (!contextCurrent)
      check(s.driver.cuCtxSetCurrent(s.context), "cuCtxSetCurrent");
    contextCurrent = true;
    return;
  }
  if (!s.library) {
    s.library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!s.library)
      weft::fail("--device cuda needs NVIDIA's driver, and this machine has "
                 "none (libcuda.so.1: ",
                 dlerror(), ")");
    Driver &d = s.driver;
    load(s.library, d.cuInit, "cuInit");
    load(s.library, d.cuDeviceGetCount, "cuDeviceGetCount");
    load(s.library, d.cuDeviceGet, "cuDeviceGet");
    load(s.library, d.cuDeviceGetName, "cuDeviceGetName");
    load(s.library, d.cuDeviceGetAttribute, "cuDeviceGetAttribute");
    load(s.library, d.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
    load(s.library, d.cuCtxSetCurrent, "cuCtxSetCurrent");
    load(s.library, d.cuCtxSynchronize, "cuCtxSynchronize");
    load(s.library, d.cuModuleLoadData, "cuModuleLoadData");
    load(s.library, d.cuModuleGetFunction, "cuModuleGetFunction");
    load(s.library, d.cuLaunchKernel, "cuLaunchKernel");
    load(s.library, d.cuStreamCreate, "cuStreamCreate");
    load(s.library, d.cuStreamSynchronize, "cuStreamSynchronize");
    load(s.library, d.cuMemAllocManaged, "cuMemAllocManaged");
    load(s.library, d.cuMemFree, "cuMemFree_v2");
    load(s.library, d.cuMemAllocHost, "cuMemAllocHost_v2");
    load(s.library, d.cuMemFreeHost, "cuMemFreeHost");
    load(s.library, d.cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2");
    load(s.library, d.cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2");
    load(s.library, d.cuEventCreate, "cuEventCreate");
    load(s.library, d.cuEventRecord, "cuEventRecord");
    load(s.library, d.cuEventSynchronize, "cuEventSynchronize");
    load(s.library, d.cuEventDestroy, "cuEventDestroy_v2");
    load(s.library, d.cuGetErrorName, "cuGetErrorName");
    load(s.library, d.cuGetErrorString, "cuGetErrorString");
  }
  Driver &d = s.driver;
  check(d.cuInit(0), "cuInit (starting the driver)");
  int count = 0;
  check(d.cuDeviceGetCount(&count), "cuDeviceGetCount");
  if (count == 0)
    weft::fail("--device cuda: the CUDA driver finds no GPU on this machine");
  check(d.cuDeviceGet(&s.device, 0), "cuDeviceGet");
  check(d.cuDevicePrimaryCtxRetain(&s.context, s.device),
        "cuDevicePrimaryCtxRetain (creating a context)");
  check(d.cuCtxSetCurrent(s.context), "cuCtxSetCurrent");
  check(d.cuStreamCreate(&s.stream, 0), "cuStreamCreate");
  s.ready = true;
  contextCurrent = true;
}

/// For the mgpu* functions: the driver ready on this thread, or the process
/// ends with the reason (compiled code called without --device cuda's
/// set-up, say from a program that embeds a CUDA build).
void readyOrExit(State &s) {
  try {
    initializeLocked(s);
  } catch (const weft::Error &e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    std::exit(1);
  }
}

/// A fatbin embedded by the compiler, loaded on first use: module
/// constructors run at program start, when no one has asked for the GPU.
struct LazyModule {
  const void *image;
  CUmodule module = nullptr;
  /// Compiled code asks for a kernel at every launch, by the address of
  /// its name's constant: looked up in the driver once.
  std::unordered_map<const char *, CUfunction> functions;
};

} // namespace

void weft::cuda::initialize() {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  initializeLocked(s);
}

std::string weft::cuda::errorText(int code) {
  State &s = state();
  const char *name = nullptr, *text = nullptr;
  if (s.library && s.driver.cuGetErrorName && s.driver.cuGetErrorString) {
    s.driver.cuGetErrorName(code, &name);
    s.driver.cuGetErrorString(code, &text);
  }
  if (!name)
    return "CUDA error " + std::to_string(code);
  return std::string(name) + (text ? std::string(": ") + text : "");
}

std::string weft::cuda::deviceDescription() {
  initialize();
  State &s = state();
  char name[256] = {};
  int major = 0, minor = 0;
  check(s.driver.cuDeviceGetName(name, sizeof name - 1, s.device),
        "cuDeviceGetName");
  check(
      s.driver.cuDeviceGetAttribute(&major, kComputeCapabilityMajor, s.device),
      "cuDeviceGetAttribute");
  check(
      s.driver.cuDeviceGetAttribute(&minor, kComputeCapabilityMinor, s.device),
      "cuDeviceGetAttribute");
  return std::string(name) + " (sm_" + std::to_string(major) +
         std::to_string(minor) + ")";
}

/// A block of at least `bytes` from the cache or the driver; with
/// `forHost`, a cached block only once the GPU is idle.
static void *allocateBlock(size_t bytes, bool forHost) {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  initializeLocked(s);
  // Zero bytes is a valid request (an empty batch); the driver refuses it.
  bytes = bytes == 0 ? 1 : bytes;
  auto inUse = [&] {
    s.stats.bytesInUse += bytes;
    s.stats.peakBytesInUse =
        std::max(s.stats.peakBytesInUse, s.stats.bytesInUse);
  };
  auto cached = s.freeBlocks.find(bytes);
  if (cached != s.freeBlocks.end()) {
    // Work still queued may use the block: compiled code frees a buffer
    // once its last kernel is queued, not once it has run.
    if (forHost)
      check(s.driver.cuStreamSynchronize(s.stream),
            "waiting for the GPU before reusing its memory");
    void *p = cached->second;
    s.freeBlocks.erase(cached);
    ++s.stats.reused;
    s.stats.cachedBytes -= bytes;
    inUse();
    return p;
  }
  CUdeviceptr p = 0;
  CUresult result = s.driver.cuMemAllocManaged(&p, bytes, kMemAttachGlobal);
  if (result != 0)
    weft::fail("CUDA: could not allocate ", bytes,
               " bytes of GPU memory: ", weft::cuda::errorText(result));
  void *pointer = reinterpret_cast<void *>(static_cast<uintptr_t>(p));
  s.blockSizes[pointer] = bytes;
  ++s.stats.systemAllocations;
  inUse();
  return pointer;
}

void *weft::cuda::allocate(size_t bytes) {
  return allocateBlock(bytes, /*forHost=*/true);
}

void *weft::cuda::allocateQueued(size_t bytes) {
  return allocateBlock(bytes, /*forHost=*/false);
}

void weft::cuda::release(void *pointer) {
  if (!pointer)
    return;
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  auto size = s.blockSizes.find(pointer);
  if (size == s.blockSizes.end())
    return;
  s.freeBlocks.emplace(size->second, pointer);
  s.stats.bytesInUse -= size->second;
  s.stats.cachedBytes += size->second;
}

weft::TemporaryStats weft::cuda::memoryStats() {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return s.stats;
}

/// A wait for queued work returned `result`: the kernel that failed may be
/// any since the last wait, so the message names the last one launched.
static void checkQueuedWork(const State &s, CUresult result) {
  if (result != 0)
    weft::fail("CUDA: a kernel failed (the last launched was ",
               s.lastKernel ? s.lastKernel : "none",
               "): ", weft::cuda::errorText(result));
}

void weft::cuda::synchronize() {
  State &s = state();
  if (!s.ready)
    return;
  checkQueuedWork(s, s.driver.cuStreamSynchronize(s.stream));
}

void *weft::cuda::allocatePinned(size_t bytes) {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  initializeLocked(s);
  void *pointer = nullptr;
  CUresult result = s.driver.cuMemAllocHost(&pointer, bytes == 0 ? 1 : bytes);
  if (result != 0)
    weft::fail("CUDA: could not allocate ", bytes,
               " bytes of pinned host memory: ", errorText(result));
  return pointer;
}

void weft::cuda::releasePinned(void *pointer) {
  State &s = state();
  if (pointer && s.ready)
    s.driver.cuMemFreeHost(pointer);
}

static CUdeviceptr devicePointer(const void *pointer) {
  return static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(pointer));
}

void weft::cuda::copyToDevice(void *device, const void *pinnedHost,
                              size_t bytes) {
  State &s = state();
  if (bytes == 0)
    return;
  check(s.driver.cuMemcpyHtoDAsync(devicePointer(device), pinnedHost, bytes,
                                   s.stream),
        "queuing a copy to the GPU (cuMemcpyHtoDAsync)");
}

void weft::cuda::copyToHost(void *pinnedHost, const void *device,
                            size_t bytes) {
  State &s = state();
  if (bytes == 0)
    return;
  check(s.driver.cuMemcpyDtoHAsync(pinnedHost, devicePointer(device), bytes,
                                   s.stream),
        "queuing a copy from the GPU (cuMemcpyDtoHAsync)");
}

weft::cuda::Event::~Event() {
  State &s = state();
  if (event && s.ready)
    s.driver.cuEventDestroy(event);
}

void weft::cuda::Event::record() {
  State &s = state();
  if (!event)
    check(s.driver.cuEventCreate(&event, kEventDisableTiming), "cuEventCreate");
  check(s.driver.cuEventRecord(event, s.stream), "cuEventRecord");
  pending = true;
}

void weft::cuda::Event::wait() {
  if (!pending)
    return;
  State &s = state();
  pending = false;
  checkQueuedWork(s, s.driver.cuEventSynchronize(event));
}

//===----------------------------------------------------------------------===//
// What compiled code calls (upstream MLIR's names and signatures)
//===----------------------------------------------------------------------===//

extern "C" {

void *mgpuModuleLoad(void *data, uint64_t /*size*/) {
  return new LazyModule{data};
}

void mgpuModuleUnload(void *) {
  // At exit: the driver frees what the process loaded.
}

void *mgpuModuleGetFunction(void *handle, const char *name) {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  readyOrExit(s);
  auto *lazy = static_cast<LazyModule *>(handle);
  auto known = lazy->functions.find(name);
  if (known != lazy->functions.end())
    return known->second;
  if (!lazy->module)
    checkOrExit(s.driver.cuModuleLoadData(&lazy->module, lazy->image),
                "loading the model's GPU kernels (cuModuleLoadData)");
  CUfunction function = nullptr;
  checkOrExit(s.driver.cuModuleGetFunction(&function, lazy->module, name),
              "cuModuleGetFunction");
  s.kernelNames.emplace(function, name);
  lazy->functions.emplace(name, function);
  return function;
}

void *mgpuStreamCreate() {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  readyOrExit(s);
  return s.stream;
}

void mgpuStreamDestroy(void *) {}

void mgpuStreamSynchronize(void *stream) {
  State &s = state();
  CUresult result = s.driver.cuStreamSynchronize(stream);
  if (result != 0) {
    // Launches are queued (gpu-async-region): the kernel that failed may be
    // any since the last wait.
    std::fprintf(stderr,
                 "error: CUDA: a GPU kernel failed (the last launched was "
                 "%s): %s\n",
                 s.lastKernel ? s.lastKernel : "?",
                 weft::cuda::errorText(result).c_str());
    std::exit(1);
  }
}

// Events order work between streams. Every mgpuStreamCreate returns the
// runtime's one stream, where work runs in launch order, so waiting for an
// event is implied; only the host's wait must wait for the stream. Weft's
// pipeline emits no events today (its launches form single chains); these
// keep a model linkable should upstream's lowering emit them.
void *mgpuEventCreate() {
  static int marker;
  return &marker;
}

void mgpuEventDestroy(void *) {}

void mgpuEventRecord(void *, void *) {}

void mgpuStreamWaitEvent(void *, void *) {}

void mgpuEventSynchronize(void *) { mgpuStreamSynchronize(state().stream); }

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t sharedMemory, void *stream,
                      void **params, void **extra, size_t /*paramsCount*/) {
  State &s = state();
  auto name = s.kernelNames.find(function);
  s.lastKernel = name == s.kernelNames.end() ? nullptr : name->second.c_str();
  CUresult result = s.driver.cuLaunchKernel(
      function, unsigned(gridX), unsigned(gridY), unsigned(gridZ),
      unsigned(blockX), unsigned(blockY), unsigned(blockZ),
      unsigned(sharedMemory), stream, params, extra);
  if (result != 0) {
    std::fprintf(stderr, "error: CUDA: launching GPU kernel %s failed: %s\n",
                 s.lastKernel ? s.lastKernel : "?",
                 weft::cuda::errorText(result).c_str());
    std::exit(1);
  }
}

void *mgpuMemAlloc(uint64_t bytes, void * /*stream*/, bool /*hostShared*/) {
  try {
    return weft::cuda::allocateQueued(bytes);
  } catch (const weft::Error &e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    std::exit(1);
  }
}

void weft_cuda_free(uintptr_t pointer) {
  weft::cuda::release(reinterpret_cast<void *>(pointer));
}

} // extern "C"
