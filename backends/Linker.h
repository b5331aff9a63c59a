//===- Linker.h - Link compiled models with the runtime ---------*- C++ -*-===//

#ifndef WEFT_BACKENDS_LINKER_H
#define WEFT_BACKENDS_LINKER_H

#include <string>
#include <vector>

namespace mlir::weft {

struct LinkOptions {
  std::string output;
  std::vector<std::string> objects;
  /// Folder holding libweft_runtime.a and libweft_main.a.
  std::string runtimeDir;
};

/// Links `objects` with the Weft runtime and its main() into an executable,
/// through the C++ compiler driver Weft was built with. Returns false with
/// `error` set (including the linker's own output) on failure.
bool linkExecutable(const LinkOptions &options, std::string &error);

/// The folder of the runtime libraries that belong to the running tool
/// (`<prefix>/lib` next to `<prefix>/bin/weftc`).
std::string findRuntimeDir(const char *argv0, void *mainAddress);

} // namespace mlir::weft

#endif // WEFT_BACKENDS_LINKER_H
