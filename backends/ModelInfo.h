//===- ModelInfo.h - The model description compiled models export -*- C++ -*-===//
//
// Builds the `weft_model` object of runtime/weft_model.h into the LLVM
// module: what the runtime needs to drive a compiled model (parameter names,
// shapes and offsets, inputs, training defaults, entry points).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_BACKENDS_MODELINFO_H
#define WEFT_BACKENDS_MODELINFO_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/Module.h"

namespace mlir::weft {

/// Adds `weft_model` and a packed wrapper per entry point to `llvmModule`,
/// from the `weft.*` attributes that MLIRGen and the lowering passes left on
/// `module`. Fails, with a diagnostic on `module`, if one is missing.
LogicalResult emitModelInfo(ModuleOp module, llvm::Module &llvmModule);

} // namespace mlir::weft

#endif // WEFT_BACKENDS_MODELINFO_H
