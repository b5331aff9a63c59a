//===- Frontend.cpp - Model file to checked AST ---------------------------===//

#include "frontend/Frontend.h"

#include "frontend/ParseDriver.h"
#include "frontend/Sema.h"

#include "llvm/Support/raw_ostream.h"

using namespace weft;

std::unique_ptr<ast::Module> weft::parseModelFile(llvm::SourceMgr &sourceMgr,
                                                  bool check,
                                                  llvm::raw_ostream &out) {
  unsigned bufferId = sourceMgr.getMainFileID();
  Diagnostics diagnostics(sourceMgr, bufferId, out);
  auto module = std::make_unique<ast::Module>();
  ParseDriver driver(*module, diagnostics);
  std::string name =
      sourceMgr.getMemoryBuffer(bufferId)->getBufferIdentifier().str();
  llvm::StringRef text = sourceMgr.getMemoryBuffer(bufferId)->getBuffer();
  if (text.contains('\0')) {
    // Echoing a binary "source line" under a caret helps nobody.
    out << name << ": error: this is not a model file: it contains "
                            "binary data (a NUL byte)\n";
    return nullptr;
  }
  driver.location.initialize(&name);
  if (!driver.parse(sourceMgr.getMemoryBuffer(bufferId)->getBuffer()))
    return nullptr;
  if (check && !analyze(*module, diagnostics))
    return nullptr;
  return module;
}
