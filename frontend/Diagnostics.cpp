//===- Diagnostics.cpp - Messages about a model file ----------------------===//

#include "frontend/Diagnostics.h"

#include "llvm/Support/raw_ostream.h"

using namespace weft;

void Diagnostics::report(SourceRange range, llvm::SourceMgr::DiagKind kind,
                         const llvm::Twine &message) {
  unsigned buffer = range.buffer ? range.buffer : bufferId;
  llvm::SMLoc start =
      range.line > 0
          ? sourceMgr.FindLocForLineAndColumn(buffer, range.line, range.column)
          : llvm::SMLoc();
  llvm::SmallVector<llvm::SMRange, 1> ranges;
  if (start.isValid() && range.endLine == range.line &&
      range.endColumn > range.column + 1)
    ranges.push_back(llvm::SMRange(
        start, llvm::SMLoc::getFromPointer(start.getPointer() +
                                           (range.endColumn - range.column))));
  sourceMgr.PrintMessage(out, start, kind, message, ranges);
}

void Diagnostics::reportWithContext(SourceRange range,
                                    llvm::SourceMgr::DiagKind kind,
                                    const llvm::Twine &message) {
  report(range, kind, message);
  for (auto it = contexts.rbegin(); it != contexts.rend(); ++it)
    report(it->first, llvm::SourceMgr::DK_Note, it->second);
}

void Diagnostics::error(SourceRange range, const llvm::Twine &message) {
  ++errors;
  lastPrinted = errors <= kErrorLimit;
  if (lastPrinted)
    reportWithContext(range, llvm::SourceMgr::DK_Error, message);
  else if (errors == kErrorLimit + 1)
    out << "error: too many errors (" << kErrorLimit
        << "); stopped reporting\n";
}

void Diagnostics::warning(SourceRange range, const llvm::Twine &message) {
  lastPrinted = errors < kErrorLimit;
  if (lastPrinted)
    reportWithContext(range, llvm::SourceMgr::DK_Warning, message);
}

void Diagnostics::note(SourceRange range, const llvm::Twine &message) {
  if (lastPrinted)
    report(range, llvm::SourceMgr::DK_Note, message);
}
