//===- TemporariesTest.cpp - The cache of the generated code's buffers ----===//

#include "runtime/Temporaries.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

using namespace weft;

namespace {

// Sizes no other test of this binary allocates, so counts are this test's.
constexpr size_t kSize = 12345;

TEST(TemporariesTest, FreedBlocksAreReusedBySize) {
  releaseCachedTemporaries();
  TemporaryStats before = temporaryStats();
  void *first = _mlir_memref_to_llvm_alloc(kSize);
  ASSERT_NE(first, nullptr);
  std::memset(first, 0xab, kSize); // The whole block is usable.
  _mlir_memref_to_llvm_free(first);
  void *second = _mlir_memref_to_llvm_alloc(kSize);
  EXPECT_EQ(second, first);
  // Another size is a block of its own.
  void *other = _mlir_memref_to_llvm_alloc(kSize + 1);
  EXPECT_NE(other, first);
  TemporaryStats after = temporaryStats();
  EXPECT_EQ(after.systemAllocations - before.systemAllocations, 2u);
  EXPECT_EQ(after.reused - before.reused, 1u);
  EXPECT_EQ(after.bytesInUse - before.bytesInUse, 2 * kSize + 1);
  EXPECT_GE(after.peakBytesInUse, after.bytesInUse);
  _mlir_memref_to_llvm_free(second);
  _mlir_memref_to_llvm_free(other);
  EXPECT_EQ(temporaryStats().bytesInUse, before.bytesInUse);
  EXPECT_EQ(temporaryStats().cachedBytes, 2 * kSize + 1);
}

TEST(TemporariesTest, BlocksAreAlignedForVectors) {
  for (size_t size : {size_t(1), size_t(100), size_t(4096)}) {
    void *block = _mlir_memref_to_llvm_aligned_alloc(64, size);
    ASSERT_NE(block, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(block) % 64, 0u);
    _mlir_memref_to_llvm_free(block);
  }
}

TEST(TemporariesTest, ReleaseEmptiesTheCache) {
  void *block = _mlir_memref_to_llvm_alloc(kSize);
  _mlir_memref_to_llvm_free(block);
  EXPECT_GT(temporaryStats().cachedBytes, 0u);
  releaseCachedTemporaries();
  EXPECT_EQ(temporaryStats().cachedBytes, 0u);
  uint64_t system = temporaryStats().systemAllocations;
  _mlir_memref_to_llvm_free(_mlir_memref_to_llvm_alloc(kSize));
  EXPECT_EQ(temporaryStats().systemAllocations, system + 1);
}

TEST(TemporariesTest, FreeingNullDoesNothing) {
  TemporaryStats before = temporaryStats();
  _mlir_memref_to_llvm_free(nullptr);
  EXPECT_EQ(temporaryStats().bytesInUse, before.bytesInUse);
}

} // namespace
