//===- Frontend.cpp - Model file to checked AST ---------------------------===//
//
// Reads the main file and, depth first, every file it imports, each once,
// into one AST; then runs Sema. Imported buffers go into the same
// llvm::SourceMgr, so a message in one of them says where it was imported.
//
//===----------------------------------------------------------------------===//

#include "frontend/Frontend.h"

#include "frontend/ParseDriver.h"
#include "frontend/Sema.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace weft;

namespace {

/// Model files are small; a bigger "import" is a mistake (or not a file).
constexpr uint64_t kMaxImportBytes = 16u << 20;
constexpr size_t kMaxImportDepth = 32;

class FileReader {
public:
  FileReader(llvm::SourceMgr &sourceMgr, ast::Module &module,
             Diagnostics &diagnostics, const FrontendOptions &options,
             llvm::raw_ostream &out)
      : sourceMgr(sourceMgr), module(module), diagnostics(diagnostics),
        options(options), out(out) {}

  /// Parses buffer `bufferId` (0: the main file). Returns false if it is
  /// not text.
  bool parse(unsigned bufferId);

private:
  void import(unsigned fromBuffer, const std::string &path, SourceRange at);
  unsigned realId(unsigned bufferId) const {
    return bufferId ? bufferId : sourceMgr.getMainFileID();
  }

  llvm::SourceMgr &sourceMgr;
  ast::Module &module;
  Diagnostics &diagnostics;
  const FrontendOptions &options;
  llvm::raw_ostream &out;
  llvm::StringSet<> read; // Canonical paths already read.
  size_t depth = 0;       // Of the import being read.
};

bool FileReader::parse(unsigned bufferId) {
  const llvm::MemoryBuffer *buffer = sourceMgr.getMemoryBuffer(realId(bufferId));
  std::string name = buffer->getBufferIdentifier().str();
  if (buffer->getBuffer().contains('\0')) {
    // Echoing a binary "source line" under a caret helps nobody.
    out << name << ": error: this is not a model file: it contains "
                   "binary data (a NUL byte)\n";
    return false;
  }
  llvm::SmallString<256> canonical;
  if (llvm::sys::fs::real_path(name, canonical))
    canonical = name; // Not on disk (standard input, a test's buffer).
  read.insert(canonical);
  ++depth;
  ParseDriver::ImportHandler onImport;
  if (options.allowImports)
    onImport = [&](const std::string &path, SourceRange at) {
      import(bufferId, path, at);
    };
  ParseDriver driver(module, diagnostics, bufferId, /*imported=*/bufferId != 0,
                     onImport);
  driver.location.initialize(&name);
  driver.parse(buffer->getBuffer());
  --depth;
  return true;
}

void FileReader::import(unsigned fromBuffer, const std::string &path,
                        SourceRange at) {
  llvm::SmallString<256> resolved(path);
  if (llvm::sys::path::is_relative(resolved)) {
    // Relative to the importing file, as C's #include "...".
    llvm::StringRef from =
        sourceMgr.getMemoryBuffer(realId(fromBuffer))->getBufferIdentifier();
    resolved = llvm::sys::path::parent_path(from);
    llvm::sys::path::append(resolved, path);
  }
  llvm::SmallString<256> canonical;
  if (std::error_code ec = llvm::sys::fs::real_path(resolved, canonical)) {
    diagnostics.error(at, "cannot import '" + resolved + "': " + ec.message());
    return;
  }
  // Each file is read once, however often it is imported, so imports may
  // form cycles.
  if (read.contains(canonical))
    return;
  uint64_t size = 0;
  if (!llvm::sys::fs::is_regular_file(canonical) ||
      llvm::sys::fs::file_size(canonical, size) || size > kMaxImportBytes) {
    diagnostics.error(at, "cannot import '" + resolved +
                              "': not a model file (a regular file of at "
                              "most 16 MiB)");
    return;
  }
  if (depth >= kMaxImportDepth) {
    diagnostics.error(at, "imports nest more than " +
                              std::to_string(kMaxImportDepth) + " files deep");
    return;
  }
  auto buffer = llvm::MemoryBuffer::getFile(canonical, /*IsText=*/true);
  if (!buffer) {
    diagnostics.error(at, "cannot import '" + resolved + "': " +
                              buffer.getError().message());
    return;
  }
  if ((*buffer)->getBuffer().contains('\0')) {
    diagnostics.error(at, "cannot import '" + resolved +
                              "': not a model file (it contains binary data)");
    return;
  }
  llvm::SMLoc importLoc =
      sourceMgr.FindLocForLineAndColumn(realId(fromBuffer), at.line, at.column);
  unsigned id = sourceMgr.AddNewSourceBuffer(std::move(*buffer), importLoc);
  parse(id);
}

} // namespace

std::unique_ptr<ast::Module>
weft::parseModelFile(llvm::SourceMgr &sourceMgr, const FrontendOptions &options,
                     llvm::raw_ostream &out) {
  Diagnostics diagnostics(sourceMgr, sourceMgr.getMainFileID(), out);
  auto module = std::make_unique<ast::Module>();
  FileReader reader(sourceMgr, *module, diagnostics, options, out);
  if (!reader.parse(0) || diagnostics.errorCount())
    return nullptr;
  if (options.check && !analyze(*module, diagnostics, options.forCodegen))
    return nullptr;
  return module;
}
