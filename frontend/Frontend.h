//===- Frontend.h - Model file to checked AST to weft IR --------*- C++ -*-===//

#ifndef WEFT_FRONTEND_FRONTEND_H
#define WEFT_FRONTEND_FRONTEND_H

#include "frontend/AST.h"

#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>

namespace weft {

/// Parses the main buffer of `sourceMgr` and, if `check`, runs Sema on it.
/// Returns null after printing diagnostics to `out` if the file has any
/// error.
std::unique_ptr<ast::Module> parseModelFile(llvm::SourceMgr &sourceMgr,
                                            bool check = true,
                                            llvm::raw_ostream &out = llvm::errs());

} // namespace weft

#endif // WEFT_FRONTEND_FRONTEND_H
