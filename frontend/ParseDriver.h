//===- ParseDriver.h - State shared by the lexer and parser -----*- C++ -*-===//

#ifndef WEFT_FRONTEND_PARSEDRIVER_H
#define WEFT_FRONTEND_PARSEDRIVER_H

#include "frontend/AST.h"
#include "frontend/Diagnostics.h"
#include "frontend/Parser.hpp"

#include "llvm/ADT/StringExtras.h"

#include <functional>

namespace weft {

/// What the Flex scanner and the Bison parser share: the AST under
/// construction, the current location and the diagnostics engine.
class ParseDriver {
public:
  /// `importFile` is called for each `import "PATH"`; null refuses them.
  using ImportHandler =
      std::function<void(const std::string &path, SourceRange at)>;

  ParseDriver(ast::Module &module, Diagnostics &diagnostics,
              unsigned bufferId = 0, bool imported = false,
              ImportHandler onImport = nullptr)
      : module(module), diagnostics(diagnostics), bufferId(bufferId),
        imported(imported), onImport(std::move(onImport)) {}

  /// Parses `text` into `module`. Returns false after reporting errors.
  bool parse(llvm::StringRef text);

  void importFile(const std::string &path, SourceRange at) {
    if (onImport)
      onImport(path, at);
    else
      diagnostics.error(at, "imports are not available here");
  }

  ast::Module &module;
  Diagnostics &diagnostics;
  /// The llvm::SourceMgr buffer being read (0: the main file).
  unsigned bufferId;
  /// Whether this file was imported by another: its train blocks are not
  /// used.
  bool imported;
  ImportHandler onImport;
  ast::ModelDecl *currentModel = nullptr;
  weft::location location;
  void *scanner = nullptr;
};

} // namespace weft

#endif // WEFT_FRONTEND_PARSEDRIVER_H
