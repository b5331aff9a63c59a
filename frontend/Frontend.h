//===- Frontend.h - Model file to checked AST to weft IR --------*- C++ -*-===//

#ifndef WEFT_FRONTEND_FRONTEND_H
#define WEFT_FRONTEND_FRONTEND_H

#include "frontend/AST.h"

#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>

namespace weft {

struct FrontendOptions {
  /// Run Sema (names, shapes, arguments) after parsing.
  bool check = true;
  /// Also refuse what code generation cannot do yet (weftc --emit=ast
  /// checks a model without it).
  bool forCodegen = true;
  /// Follow `import "FILE"`. The fuzzer turns this off: it must not read
  /// whatever paths random input names.
  bool allowImports = true;
};

/// Parses the main buffer of `sourceMgr` and the files it imports and, if
/// asked, runs Sema. Returns null after printing diagnostics to `out` if
/// there is any error.
std::unique_ptr<ast::Module> parseModelFile(llvm::SourceMgr &sourceMgr,
                                            const FrontendOptions &options = {},
                                            llvm::raw_ostream &out = llvm::errs());

} // namespace weft

#endif // WEFT_FRONTEND_FRONTEND_H
