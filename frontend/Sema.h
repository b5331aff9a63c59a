//===- Sema.h - Names, shapes and arguments of a model file -----*- C++ -*-===//

#ifndef WEFT_FRONTEND_SEMA_H
#define WEFT_FRONTEND_SEMA_H

#include "frontend/AST.h"

namespace weft {

/// Resolves names, evaluates constant arguments, infers every shape and
/// checks the train block. Reports each problem through `diagnostics` and
/// returns false if there was any error; on success the AST is annotated
/// (ast::Module::selected, ast::Module::train, layer input sizes, types).
/// `forCodegen` also reports what is valid Weft but cannot be compiled yet.
bool analyze(ast::Module &module, Diagnostics &diagnostics,
             bool forCodegen = true);

} // namespace weft

#endif // WEFT_FRONTEND_SEMA_H
