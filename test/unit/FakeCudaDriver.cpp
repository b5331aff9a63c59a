//===- FakeCudaDriver.cpp - A libcuda.so.1 without a GPU, for tests -------===//
//
// The driver functions runtime/Cuda.cpp loads, on host memory: allocations
// are malloc, a module is its image pointer, a launch is recorded, not run.
// CudaRuntimeTest drives it through fakeCudaControl() to count calls and
// make calls fail, and so tests the runtime's host logic (lazy module
// loading, the allocation cache, error messages) where no GPU is.
//
//===----------------------------------------------------------------------===//

#include "FakeCudaDriver.h"
#include "FakeLog.h"

#include <cstdlib>
#include <cstring>

namespace {
FakeCudaControl control;
constexpr int kSuccess = 0, kOutOfMemory = 2, kIllegalAddress = 700;

/// With WEFT_FAKE_CUDA_LOG set, what the process asked of the driver is
/// appended to that file at exit, so that a test of a compiled model sees
/// how its host code queued work and where it waited.
struct LogAtExit {
  ~LogAtExit() {
    appendToFakeLog("fake CUDA driver: %d launches, %d stream waits, %d event "
                    "waits, %d copies to the GPU, %d copies back\n",
                    control.launches, control.streamWaits, control.eventWaits,
                    control.copiesToDevice, control.copiesToHost);
  }
} logAtExit;
} // namespace

extern "C" {

FakeCudaControl *fakeCudaControl() { return &control; }

int cuInit(unsigned) { return 0; }
int cuDeviceGetCount(int *count) {
  *count = control.devices;
  return 0;
}
int cuDeviceGet(int *device, int ordinal) {
  *device = ordinal;
  return 0;
}
int cuDeviceGetName(char *name, int length, int) {
  std::strncpy(name, "Fake GPU", size_t(length));
  return 0;
}
int cuDeviceGetAttribute(int *value, int attribute, int) {
  *value = attribute == 75 ? 9 : 0; // compute capability 9.0
  return 0;
}
int cuDevicePrimaryCtxRetain(void **context, int) {
  *context = &control;
  return 0;
}
int cuCtxSetCurrent(void *) { return 0; }
int cuCtxSynchronize() { return 0; }
int cuModuleLoadData(void **module, const void *image) {
  ++control.moduleLoads;
  *module = const_cast<void *>(image);
  return 0;
}
int cuModuleGetFunction(void **function, void *, const char *name) {
  *function = const_cast<char *>(name);
  return 0;
}
int cuLaunchKernel(void *, unsigned gridX, unsigned, unsigned, unsigned blockX,
                   unsigned, unsigned, unsigned, void *, void **, void **) {
  ++control.launches;
  control.lastGridX = gridX;
  control.lastBlockX = blockX;
  return 0;
}
int cuStreamCreate(void **stream, unsigned) {
  *stream = &control;
  control.stream = *stream;
  return 0;
}
int cuStreamSynchronize(void *) {
  ++control.streamWaits;
  return control.failNextSynchronize
             ? (control.failNextSynchronize = false, kIllegalAddress)
             : kSuccess;
}
int cuMemAllocManaged(unsigned long long *pointer, size_t bytes, unsigned) {
  if (bytes > control.memoryBytes)
    return kOutOfMemory;
  ++control.allocations;
  // Zeros: no kernel runs, so what a step returns (its loss) is what the
  // memory held, and a compiled model's host code then sees a finite loss.
  *pointer = reinterpret_cast<unsigned long long>(std::calloc(bytes, 1));
  return 0;
}
int cuMemFree_v2(unsigned long long pointer) {
  std::free(reinterpret_cast<void *>(pointer));
  return 0;
}
int cuMemAllocHost_v2(void **pointer, size_t bytes) {
  ++control.pinnedAllocations;
  *pointer = std::malloc(bytes);
  return 0;
}
int cuMemFreeHost(void *pointer) {
  std::free(pointer);
  return 0;
}
// Host memory stands for the GPU's, so a queued copy is done at once.
int cuMemcpyHtoDAsync_v2(unsigned long long device, const void *host,
                         size_t bytes, void *stream) {
  ++control.copiesToDevice;
  control.lastCopyBytes = bytes;
  control.lastCopyStream = stream;
  std::memcpy(reinterpret_cast<void *>(device), host, bytes);
  return 0;
}
int cuMemcpyDtoHAsync_v2(void *host, unsigned long long device, size_t bytes,
                         void *stream) {
  ++control.copiesToHost;
  control.lastCopyBytes = bytes;
  control.lastCopyStream = stream;
  std::memcpy(host, reinterpret_cast<const void *>(device), bytes);
  return 0;
}
int cuEventCreate(void **event, unsigned) {
  *event = std::malloc(1);
  return 0;
}
int cuEventRecord(void *, void *) {
  ++control.eventRecords;
  return 0;
}
int cuEventSynchronize(void *) {
  ++control.eventWaits;
  return control.failNextSynchronize
             ? (control.failNextSynchronize = false, kIllegalAddress)
             : kSuccess;
}
int cuEventDestroy_v2(void *event) {
  std::free(event);
  return 0;
}
int cuGetErrorName(int code, const char **name) {
  *name = code == kOutOfMemory      ? "CUDA_ERROR_OUT_OF_MEMORY"
          : code == kIllegalAddress ? "CUDA_ERROR_ILLEGAL_ADDRESS"
                                    : "CUDA_ERROR_UNKNOWN";
  return 0;
}
int cuGetErrorString(int code, const char **text) {
  *text = code == kOutOfMemory      ? "out of memory"
          : code == kIllegalAddress ? "an illegal memory access was encountered"
                                    : "unknown error";
  return 0;
}

} // extern "C"
