//===- BufferAliases.h - The values that may point into a buffer -*- C++ -*-===//
//
// Passes that move or merge frees need every value through which a buffer
// can still be read: its views, and whatever a call it is passed to
// returns.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_BUFFERALIASES_H
#define WEFT_PASSES_BUFFERALIASES_H

#include "mlir/Dialect/Bufferization/Transforms/BufferViewFlowAnalysis.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace mlir::weft {

/// Every value that may point into `buffer`: its views (upstream's
/// analysis), and, conservatively, the results of any call it is passed to.
llvm::SmallPtrSet<Value, 16> aliasesOf(Value buffer,
                                       const BufferViewFlowAnalysis &views);

} // namespace mlir::weft

#endif // WEFT_PASSES_BUFFERALIASES_H
