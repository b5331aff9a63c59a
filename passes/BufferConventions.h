//===- BufferConventions.h - What buffer passes agree on --------*- C++ -*-===//
//
// Constants that several passes over buffers must agree on, in one place.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_BUFFERCONVENTIONS_H
#define WEFT_PASSES_BUFFERCONVENTIONS_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>

namespace mlir::weft {

/// What bufferization gives every buffer it allocates (a cache line), and
/// so the alignment of arenas and the granularity of offsets in them. The
/// runtime's temporaries (runtime/Temporaries.cpp) are aligned as much.
constexpr int64_t kBufferAlignment = 64;

/// The attributes weft-pack-buffers puts on the allocation of each arena,
/// which weft-kernel-stats reports.
constexpr llvm::StringLiteral kStaticArenaAttr = "weft.static_arena";
constexpr llvm::StringLiteral kBatchArenaAttr = "weft.batch_arena";

} // namespace mlir::weft

#endif // WEFT_PASSES_BUFFERCONVENTIONS_H
