//===- Linker.h - Link compiled models with the runtime ---------*- C++ -*-===//

#ifndef WEFT_BACKENDS_LINKER_H
#define WEFT_BACKENDS_LINKER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace mlir::weft {

struct LinkOptions {
  /// The executable, or for a library `<folder>/<name>` (libraryOutputs).
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

/// What --emit=lib writes: `<folder>/lib<name>.a`, `lib<name>.so` and
/// `<name>.h` for `output` = `<folder>/<name>`.
struct LibraryOutputs {
  std::string staticLibrary, sharedLibrary, header;
};
LibraryOutputs libraryOutputs(llvm::StringRef output);

/// Links `options.objects` with the parts of the runtime that the C API of
/// runtime/weft_lib.h needs into a static and a shared library. Every
/// symbol is made local but the API, renamed from `weft_lib_*` to
/// `<prefix>_*`: libraries of several models link into one program, and the
/// shared one exports nothing else. `apiFunctions` are the API's names
/// (weft_lib_create, ...). Nothing is left under the output names on
/// failure.
bool linkLibrary(const LinkOptions &options, llvm::StringRef prefix,
                 llvm::ArrayRef<std::string> apiFunctions, std::string &error);

/// The folder of the libraries that belong to the running tool
/// (`<prefix>/lib` next to `<prefix>/bin/weftc`).
std::string findLibraryDir(const char *argv0, void *mainAddress);

} // namespace mlir::weft

#endif // WEFT_BACKENDS_LINKER_H
