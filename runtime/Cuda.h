//===- Cuda.h - NVIDIA GPUs through the CUDA driver -------------*- C++ -*-===//
//
// The driver (libcuda.so.1) is loaded at run time with dlopen, so a model
// built with --target=cuda starts on a machine without one and says so
// only if `--device cuda` is asked for. Compiled CUDA entry points call
// the mgpu* functions upstream MLIR's gpu-to-llvm lowering emits; this
// runtime defines them (runtime/Cuda.cpp) on the same driver.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_CUDA_H
#define WEFT_RUNTIME_CUDA_H

#include <cstddef>
#include <limits>
#include <new>
#include <string>

namespace weft {
struct TemporaryStats;
} // namespace weft

namespace weft::cuda {

/// Loads the driver and makes the first GPU's primary context current;
/// throws weft::Error naming what is missing (the driver, a device) or
/// what failed. Idempotent.
void initialize();

/// The name and compute capability of the GPU, e.g. "NVIDIA H100 (sm_90)";
/// initialize()s first.
std::string deviceDescription();

/// Managed memory (readable from the host and the GPU) of at least `bytes`
/// bytes, from a cache: a step that asks for the sizes it asked for before
/// costs the driver nothing. Throws weft::Error when the GPU is full. The
/// host may use the memory at once: a cached block is handed out only
/// after the GPU has finished what was queued (it may have used it).
void *allocate(size_t bytes);
/// The same for memory that only work queued on the stream from now on
/// uses (compiled code's buffers, a library's workspace): a cached block is
/// handed out at once, since that work runs after what used it before.
void *allocateQueued(size_t bytes);
/// Returns memory from allocate() to the cache.
void release(void *pointer);
/// allocate()'s counts so far, as the CPU's temporaries are counted
/// (runtime/Temporaries.h): blocks from the driver, requests served from
/// the cache, bytes in use (a model's parameters and state included).
TemporaryStats memoryStats();
/// Waits for every kernel launched so far; throws weft::Error if one failed.
void synchronize();

/// Page-locked host memory (cuMemAllocHost) of at least `bytes` bytes: the
/// GPU's copy engines read and write it while the host goes on, and
/// kernels can read it where they are given its address. Throws
/// weft::Error when the driver refuses.
void *allocatePinned(size_t bytes);
/// Returns memory from allocatePinned() to the driver.
void releasePinned(void *pointer);
/// Queue copies on the kernels' stream, between pinned host memory and
/// GPU memory; the host reads a copy's result after waiting for it.
void copyToDevice(void *device, const void *pinnedHost, size_t bytes);
void copyToHost(void *pinnedHost, const void *device, size_t bytes);

/// A point in the work queued on the GPU: record() marks where the queue
/// stands now, wait() waits until the GPU has done everything queued
/// before that mark (at once when nothing was recorded).
class Event {
public:
  Event() = default;
  Event(const Event &) = delete;
  Event &operator=(const Event &) = delete;
  ~Event();
  void record();
  /// Throws weft::Error naming the last kernel launched if one failed.
  void wait();

private:
  void *event = nullptr;
  bool pending = false;
};

/// Memory from `Allocate` that grows on demand; what it held is not kept,
/// and nothing is written to it.
template <void *(*Allocate)(size_t), void (*Release)(void *)>
class GrowingBuffer {
public:
  GrowingBuffer() = default;
  GrowingBuffer(const GrowingBuffer &) = delete;
  GrowingBuffer &operator=(const GrowingBuffer &) = delete;
  ~GrowingBuffer() { Release(pointer); }
  /// At least `bytes` bytes.
  void *reserve(size_t bytes) {
    if (pointer && bytes <= capacity)
      return pointer;
    Release(pointer);
    pointer = nullptr;
    pointer = Allocate(bytes);
    capacity = bytes;
    return pointer;
  }

private:
  void *pointer = nullptr;
  size_t capacity = 0;
};

/// GPU memory (allocate()'s): the host never touches its pages.
using DeviceBuffer = GrowingBuffer<allocate, release>;
/// Pinned host memory.
using PinnedBuffer = GrowingBuffer<allocatePinned, releasePinned>;

/// What the CUDA driver's error code `code` means, as cuGetErrorName and
/// cuGetErrorString say ("CUDA_ERROR_OUT_OF_MEMORY: out of memory"), or
/// the number when the driver is not loaded.
std::string errorText(int code);

/// A std::allocator whose memory is managed GPU memory when `managed`, and
/// the heap's otherwise: a Model's parameters live where its device reads
/// them.
template <typename T> struct Allocator {
  using value_type = T;
  bool managed = false;

  Allocator() = default;
  explicit Allocator(bool managed) : managed(managed) {}
  template <typename U>
  Allocator(const Allocator<U> &other) : managed(other.managed) {}

  T *allocate(size_t n) {
    if (n > std::numeric_limits<size_t>::max() / sizeof(T))
      throw std::bad_alloc();
    if (managed)
      return static_cast<T *>(cuda::allocate(n * sizeof(T)));
    return static_cast<T *>(::operator new(n * sizeof(T)));
  }
  void deallocate(T *p, size_t) {
    if (managed)
      cuda::release(p);
    else
      ::operator delete(p);
  }
  template <typename U> bool operator==(const Allocator<U> &o) const {
    return managed == o.managed;
  }
  template <typename U> bool operator!=(const Allocator<U> &o) const {
    return managed != o.managed;
  }
};

} // namespace weft::cuda

#endif // WEFT_RUNTIME_CUDA_H
