//===- Linker.h - Link compiled models with the runtime ---------*- C++ -*-===//

#ifndef WEFT_BACKENDS_LINKER_H
#define WEFT_BACKENDS_LINKER_H

#include <string>
#include <vector>

namespace mlir::weft {

struct LinkOptions {
  std::string output;
  std::vector<std::string> objects;
  /// The libraries folder of the running tool (findLibraryDir): the host's
  /// runtime is there, another target's under `<triple>/`.
  std::string libraryDir;
  /// The target, as canonicalCpuTarget spells it.
  std::string triple;
};

/// Links `objects` with the Weft runtime for `options.triple` and its main()
/// into an executable, through the C++ compiler driver Weft was built with
/// (the host) or Debian's cross driver. Returns false with `error` set
/// (including the linker's own output) on failure.
bool linkExecutable(const LinkOptions &options, std::string &error);

/// The folder of the libraries that belong to the running tool
/// (`<prefix>/lib` next to `<prefix>/bin/weftc`).
std::string findLibraryDir(const char *argv0, void *mainAddress);

} // namespace mlir::weft

#endif // WEFT_BACKENDS_LINKER_H
