//===- Diagnostics.h - Messages about a model file --------------*- C++ -*-===//
//
// One engine for every frontend message: `file:line:col: error: ...`, the
// source line and a caret under the span, through llvm::SourceMgr.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_FRONTEND_DIAGNOSTICS_H
#define WEFT_FRONTEND_DIAGNOSTICS_H

#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <utility>
#include <vector>

namespace weft {

/// A span of the source: 1-based lines and columns, end exclusive.
struct SourceRange {
  int line = 0, column = 0, endLine = 0, endColumn = 0;
  /// The llvm::SourceMgr buffer (an imported file); 0 is the main file.
  unsigned buffer = 0;
};

class Diagnostics {
public:
  /// Messages go to `out` (the fuzzer passes llvm::nulls()).
  Diagnostics(llvm::SourceMgr &sourceMgr, unsigned bufferId,
              llvm::raw_ostream &out)
      : sourceMgr(sourceMgr), bufferId(bufferId), out(out) {}

  void error(SourceRange range, const llvm::Twine &message);
  void warning(SourceRange range, const llvm::Twine &message);
  /// Attaches to the error or warning just reported.
  void note(SourceRange range, const llvm::Twine &message);

  unsigned errorCount() const { return errors; }

  /// While a context is pushed, every error and warning is followed by a
  /// note at `range` (innermost first): "in block 'Res' used by layer
  /// 'stack.2'". Errors inside a block body then say which use failed.
  void pushContext(SourceRange range, std::string message) {
    contexts.push_back({range, std::move(message)});
  }
  void popContext() { contexts.pop_back(); }

  /// After this many errors the rest are counted but not printed.
  static constexpr unsigned kErrorLimit = 20;
  llvm::SourceMgr &getSourceMgr() { return sourceMgr; }
  unsigned getBufferId() const { return bufferId; }

private:
  void report(SourceRange range, llvm::SourceMgr::DiagKind kind,
              const llvm::Twine &message);
  void reportWithContext(SourceRange range, llvm::SourceMgr::DiagKind kind,
                         const llvm::Twine &message);

  llvm::SourceMgr &sourceMgr;
  unsigned bufferId;
  llvm::raw_ostream &out;
  unsigned errors = 0;
  std::vector<std::pair<SourceRange, std::string>> contexts;
  /// Whether the last error or warning was printed (its notes follow it).
  bool lastPrinted = true;
};

} // namespace weft

#endif // WEFT_FRONTEND_DIAGNOSTICS_H
