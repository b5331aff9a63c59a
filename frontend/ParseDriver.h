//===- ParseDriver.h - State shared by the lexer and parser -----*- C++ -*-===//

#ifndef WEFT_FRONTEND_PARSEDRIVER_H
#define WEFT_FRONTEND_PARSEDRIVER_H

#include "frontend/AST.h"
#include "frontend/Diagnostics.h"
#include "frontend/Parser.hpp"

#include "llvm/ADT/StringExtras.h"

namespace weft {

/// What the Flex scanner and the Bison parser share: the AST under
/// construction, the current location and the diagnostics engine.
class ParseDriver {
public:
  ParseDriver(ast::Module &module, Diagnostics &diagnostics)
      : module(module), diagnostics(diagnostics) {}

  /// Parses `text` into `module`. Returns false after reporting errors.
  bool parse(llvm::StringRef text);

  ast::Module &module;
  Diagnostics &diagnostics;
  ast::ModelDecl *currentModel = nullptr;
  weft::location location;
  void *scanner = nullptr;
};

} // namespace weft

#endif // WEFT_FRONTEND_PARSEDRIVER_H
