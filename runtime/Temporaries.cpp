//===- Temporaries.cpp - A cache of the generated code's buffers ----------===//
//
// See Temporaries.h. Blocks are cached by their exact size: a step's
// allocations repeat exactly (only the batch changes their sizes, and a run
// uses a couple of batch sizes). Each block starts with a header holding its
// size, so a free knows where the block goes. The cache is bounded, so that
// a program calling the model at many batch sizes does not keep every
// size's blocks forever: past the bound, freed blocks go back to the system.
//
//===----------------------------------------------------------------------===//

#include "runtime/Temporaries.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace {

/// Room before each block for its size, keeping the block as aligned as the
/// allocation (a cache line: enough for any vector the code loads).
constexpr size_t kHeader = 64;
constexpr size_t kAlignment = 64;
/// Freed blocks are kept up to this many bytes, or twice the most ever in
/// use if that is more.
constexpr uint64_t kMinimumCache = uint64_t(256) << 20;

struct Cache {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void *>> freeBlocks;
  weft::TemporaryStats stats;
};

Cache &cache() {
  // Never destroyed: generated code may free a block during static
  // destruction (a model instance owned by a static object).
  static Cache *instance = new Cache;
  return *instance;
}

size_t &sizeOf(void *block) { return *static_cast<size_t *>(block); }

} // namespace

void *_mlir_memref_to_llvm_alloc(size_t size) {
  Cache &c = cache();
  void *block = nullptr;
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.freeBlocks.find(size);
    if (it != c.freeBlocks.end() && !it->second.empty()) {
      block = it->second.back();
      it->second.pop_back();
      c.stats.cachedBytes -= size;
      ++c.stats.reused;
    } else {
      ++c.stats.systemAllocations;
    }
    c.stats.bytesInUse += size;
    c.stats.peakBytesInUse = std::max(c.stats.peakBytesInUse, c.stats.bytesInUse);
  }
  if (!block) {
    size_t total = (kHeader + size + kAlignment - 1) / kAlignment * kAlignment;
    block = std::aligned_alloc(kAlignment, total);
    // The generated code neither checks for null nor can pass an exception
    // through its frames: say what happened and stop here.
    if (!block) {
      std::fprintf(stderr,
                   "error: out of memory: the compiled model needs %.1f MiB "
                   "more for a temporary buffer (%.1f MiB in use)\n",
                   double(size) / (1 << 20),
                   double(weft::temporaryStats().bytesInUse) / (1 << 20));
      std::exit(1);
    }
    sizeOf(block) = size;
  }
  return static_cast<char *>(block) + kHeader;
}

void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t size) {
  // Every block is aligned to kAlignment, more than any vector the code
  // loads needs; the generated code could not handle a null block.
  if (alignment > kAlignment) {
    std::fprintf(stderr,
                 "error: the compiled model asks for %zu-byte aligned "
                 "temporaries; the runtime provides %zu\n",
                 alignment, kAlignment);
    std::exit(1);
  }
  return _mlir_memref_to_llvm_alloc(size);
}

void _mlir_memref_to_llvm_free(void *pointer) {
  if (!pointer)
    return;
  void *block = static_cast<char *>(pointer) - kHeader;
  size_t size = sizeOf(block);
  Cache &c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    c.stats.bytesInUse -= size;
    uint64_t bound = std::max(kMinimumCache, 2 * c.stats.peakBytesInUse);
    if (c.stats.cachedBytes + size <= bound) {
      c.freeBlocks[size].push_back(block);
      c.stats.cachedBytes += size;
      return;
    }
  }
  std::free(block);
}

weft::TemporaryStats weft::temporaryStats() {
  Cache &c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.stats;
}

void weft::releaseCachedTemporaries() {
  Cache &c = cache();
  std::unordered_map<size_t, std::vector<void *>> blocks;
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    blocks.swap(c.freeBlocks);
    c.stats.cachedBytes = 0;
  }
  for (auto &[size, list] : blocks)
    for (void *block : list)
      std::free(block);
}
