//===- CudaRuntimeTest.cpp - The CUDA runtime's host logic ----------------===//
//
// Runs against test/unit/FakeCudaDriver.cpp, found as libcuda.so.1 through
// LD_LIBRARY_PATH (set by CMake for this test binary only).
//
//===----------------------------------------------------------------------===//

#include "FakeCudaDriver.h"
#include "runtime/Cuda.h"
#include "runtime/Error.h"
#include "runtime/Temporaries.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

extern "C" {
void *mgpuModuleLoad(void *data, uint64_t size);
void *mgpuModuleGetFunction(void *module, const char *name);
void *mgpuStreamCreate();
void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t sharedMemory, void *stream,
                      void **params, void **extra, size_t paramsCount);
void *mgpuMemAlloc(uint64_t bytes, void *stream, bool hostShared);
void *mgpuEventCreate();
void mgpuEventRecord(void *event, void *stream);
void mgpuStreamWaitEvent(void *stream, void *event);
void mgpuEventSynchronize(void *event);
void weft_cuda_free(uintptr_t pointer);
}

namespace {

FakeCudaControl &fake() {
  void *driver = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
  if (!driver)
    driver = dlopen("libcuda.so.1", RTLD_NOW);
  EXPECT_NE(driver, nullptr) << "the fake driver is not on LD_LIBRARY_PATH";
  auto control = reinterpret_cast<FakeCudaControl *(*)()>(
      dlsym(driver, "fakeCudaControl"));
  EXPECT_NE(control, nullptr) << "libcuda.so.1 is not the fake driver";
  return *control();
}

TEST(CudaRuntime, DescribesTheDevice) {
  EXPECT_EQ(weft::cuda::deviceDescription(), "Fake GPU (sm_90)");
}

// Compiled code frees a buffer once its last kernel is queued. So a cached
// block reaches the host only after the GPU has finished what was queued,
// while queued work (compiled code's allocations) takes it at once: that
// work runs after what used the block.
TEST(CudaRuntime, HandsCachedMemoryToTheHostOnlyOnceTheGpuIsDone) {
  weft::cuda::initialize();
  void *block = weft::cuda::allocateQueued(4104);
  weft::cuda::release(block);
  int waits = fake().streamWaits;
  EXPECT_EQ(weft::cuda::allocateQueued(4104), block);
  EXPECT_EQ(fake().streamWaits, waits);
  weft::cuda::release(block);
  EXPECT_EQ(weft::cuda::allocate(4104), block);
  EXPECT_EQ(fake().streamWaits, waits + 1);
  weft::cuda::release(block);
}

TEST(CudaRuntime, ReusesFreedMemoryOfTheSameSize) {
  weft::cuda::initialize();
  int before = fake().allocations;
  void *first = mgpuMemAlloc(4096, nullptr, true);
  weft_cuda_free(reinterpret_cast<uintptr_t>(first));
  void *again = mgpuMemAlloc(4096, nullptr, true);
  EXPECT_EQ(again, first);
  EXPECT_EQ(fake().allocations, before + 1);
  void *other = mgpuMemAlloc(8192, nullptr, true);
  EXPECT_NE(other, first);
  EXPECT_EQ(fake().allocations, before + 2);
  weft_cuda_free(reinterpret_cast<uintptr_t>(again));
  weft_cuda_free(reinterpret_cast<uintptr_t>(other));
}

TEST(CudaRuntime, CountsWhatItAllocatesAndReuses) {
  weft::cuda::initialize();
  weft::TemporaryStats before = weft::cuda::memoryStats();
  void *block = mgpuMemAlloc(12345, nullptr, true);
  weft::TemporaryStats during = weft::cuda::memoryStats();
  EXPECT_EQ(during.systemAllocations, before.systemAllocations + 1);
  EXPECT_EQ(during.bytesInUse, before.bytesInUse + 12345);
  EXPECT_GE(during.peakBytesInUse, during.bytesInUse);
  weft_cuda_free(reinterpret_cast<uintptr_t>(block));
  block = mgpuMemAlloc(12345, nullptr, true);
  weft_cuda_free(reinterpret_cast<uintptr_t>(block));
  weft::TemporaryStats after = weft::cuda::memoryStats();
  EXPECT_EQ(after.systemAllocations, during.systemAllocations);
  EXPECT_EQ(after.reused, before.reused + 1);
  EXPECT_EQ(after.bytesInUse, before.bytesInUse);
  EXPECT_EQ(after.cachedBytes, before.cachedBytes + 12345);
}

TEST(CudaRuntime, AllocatorPutsVectorsInManagedMemory) {
  int before = fake().allocations;
  {
    std::vector<float, weft::cuda::Allocator<float>> v(
        1000, 1.5f, weft::cuda::Allocator<float>(true));
    EXPECT_EQ(v[999], 1.5f);
  }
  std::vector<float, weft::cuda::Allocator<float>> host(1000);
  EXPECT_EQ(fake().allocations, before + 1);
}

TEST(CudaRuntime, ReportsAGpuOutOfMemory) {
  fake().memoryBytes = 1 << 20;
  try {
    weft::cuda::allocate(size_t(1) << 21);
    FAIL() << "expected an error";
  } catch (const weft::Error &e) {
    EXPECT_STREQ(e.what(), "CUDA: could not allocate 2097152 bytes of GPU "
                           "memory: CUDA_ERROR_OUT_OF_MEMORY: out of memory");
  }
  fake().memoryBytes = size_t(1) << 30;
}

TEST(CudaRuntime, LoadsKernelsOnFirstUseOnly) {
  static const char image[] = "fatbin";
  int loads = fake().moduleLoads;
  void *module = mgpuModuleLoad(const_cast<char *>(image), sizeof image);
  // Module constructors run at program start: no driver call yet.
  EXPECT_EQ(fake().moduleLoads, loads);
  void *first = mgpuModuleGetFunction(module, "step_kernel");
  void *second = mgpuModuleGetFunction(module, "step_kernel_0");
  EXPECT_NE(first, second);
  EXPECT_EQ(fake().moduleLoads, loads + 1);
  EXPECT_EQ(mgpuModuleGetFunction(module, "step_kernel"), first);
  mgpuLaunchKernel(first, 7, 1, 1, 256, 1, 1, 0, mgpuStreamCreate(), nullptr,
                   nullptr, 0);
  EXPECT_EQ(fake().lastGridX, 7u);
  EXPECT_EQ(fake().lastBlockX, 256u);
}

TEST(CudaRuntime, NamesTheKernelThatFailed) {
  static const char image[] = "fatbin";
  void *module = mgpuModuleLoad(const_cast<char *>(image), sizeof image);
  void *kernel = mgpuModuleGetFunction(module, "loss_grad_kernel_3");
  mgpuLaunchKernel(kernel, 1, 1, 1, 1, 1, 1, 0, mgpuStreamCreate(), nullptr,
                   nullptr, 0);
  fake().failNextSynchronize = true;
  try {
    weft::cuda::synchronize();
    FAIL() << "expected an error";
  } catch (const weft::Error &e) {
    EXPECT_STREQ(e.what(), "CUDA: a kernel failed (the last launched was "
                           "loss_grad_kernel_3): CUDA_ERROR_ILLEGAL_ADDRESS: "
                           "an illegal memory access was encountered");
  }
}

// Launches are queued: the host waits at an event or a stream
// synchronisation, and a kernel's failure surfaces there, as the process's
// error (compiled code has no caller to throw to).
TEST(CudaRuntimeDeathTest, EventWaitsForTheStream) {
  static const char image[] = "fatbin";
  void *module = mgpuModuleLoad(const_cast<char *>(image), sizeof image);
  void *kernel = mgpuModuleGetFunction(module, "loss_grad_kernel_5");
  void *stream = mgpuStreamCreate();
  void *event = mgpuEventCreate();
  EXPECT_NE(event, nullptr);
  mgpuLaunchKernel(kernel, 1, 1, 1, 1, 1, 1, 0, stream, nullptr, nullptr, 0);
  mgpuEventRecord(event, stream);
  mgpuStreamWaitEvent(stream, event);
  fake().failNextSynchronize = true;
  EXPECT_EXIT(mgpuEventSynchronize(event), testing::ExitedWithCode(1),
              "error: CUDA: a GPU kernel failed \\(the last launched was "
              "loss_grad_kernel_5\\): CUDA_ERROR_ILLEGAL_ADDRESS");
  fake().failNextSynchronize = false;
}

} // namespace
