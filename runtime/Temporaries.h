//===- Temporaries.h - The generated code's temporary buffers ---*- C++ -*-===//
//
// Every buffer the generated code allocates (activations kept for the
// backward pass, gradients, scratch) comes through the three functions
// MLIR's memref-to-LLVM lowering calls when asked for generic allocation
// functions. Freed blocks are kept, by size, and handed out again: a
// training step asks for the same sizes every time, so after the first step
// no step allocates from the system. weftc's --stats reports the most bytes
// one call keeps live at once (its peak); this cache holds about that. A
// call's buffers come as two blocks, its arenas (one of a fixed size, one
// the size of the batch), laid out by the compiler (weft-pack-buffers);
// small buffers made inside parallel loops live on the threads' stacks.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_TEMPORARIES_H
#define WEFT_RUNTIME_TEMPORARIES_H

#include <cstddef>
#include <cstdint>

extern "C" {
void *_mlir_memref_to_llvm_alloc(size_t size);
void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t size);
void _mlir_memref_to_llvm_free(void *pointer);
}

namespace weft {

struct TemporaryStats {
  /// Blocks taken from the system (malloc), and requests served by a
  /// cached block instead.
  uint64_t systemAllocations = 0;
  uint64_t reused = 0;
  /// Bytes handed to the generated code and not yet freed; the most ever.
  uint64_t bytesInUse = 0;
  uint64_t peakBytesInUse = 0;
  /// Bytes of freed blocks kept for reuse.
  uint64_t cachedBytes = 0;
};

/// The counts so far (all threads, all model instances).
TemporaryStats temporaryStats();

/// Gives every cached block back to the system.
void releaseCachedTemporaries();

} // namespace weft

#endif // WEFT_RUNTIME_TEMPORARIES_H
