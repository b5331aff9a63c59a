//===- MLIRGen.h - From the checked AST to the weft dialect -----*- C++ -*-===//

#ifndef WEFT_FRONTEND_MLIRGEN_H
#define WEFT_FRONTEND_MLIRGEN_H

#include "frontend/AST.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/SourceMgr.h"

namespace weft {

/// Emits the selected model of `module` (which Sema has checked) as a weft
/// module: parameter declarations, `@forward` and `@loss`, and the model's
/// description (`weft.inputs`, `weft.outputs`, `weft.train`). Every op is
/// located at its source in `filename` (or the imported file `sourceMgr`
/// names), named after its layer's path.
mlir::OwningOpRef<mlir::ModuleOp>
mlirGen(mlir::MLIRContext &context, const ast::Module &module,
        llvm::StringRef filename, const llvm::SourceMgr *sourceMgr = nullptr);

} // namespace weft

#endif // WEFT_FRONTEND_MLIRGEN_H
