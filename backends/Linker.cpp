//===- Linker.cpp - Link compiled models with the runtime -----------------===//

#include "backends/Linker.h"

#include "backends/cpu/ObjectEmitter.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#ifndef WEFT_LINKER_DRIVER
#error "WEFT_LINKER_DRIVER must name the C++ compiler driver used to link"
#endif
#ifndef WEFT_AARCH64_LINKER_DRIVER
#error "WEFT_AARCH64_LINKER_DRIVER must name the AArch64 cross driver, or be empty"
#endif

using namespace mlir::weft;

namespace {
/// Where a target's runtime is and what links against it.
struct Toolchain {
  std::string driver;     // empty: none was found when Weft was configured
  std::string runtimeDir; // libweft_runtime.a and libweft_main.a
};

Toolchain toolchainFor(const LinkOptions &options) {
  if (options.triple == canonicalCpuTarget(""))
    return {WEFT_LINKER_DRIVER, options.libraryDir};
  llvm::SmallString<256> dir(options.libraryDir);
  llvm::sys::path::append(dir, options.triple);
  std::string driver;
  if (options.triple == "aarch64-linux-gnu")
    driver = WEFT_AARCH64_LINKER_DRIVER;
  return {driver, std::string(dir)};
}
} // namespace

std::string mlir::weft::findLibraryDir(const char *argv0, void *mainAddress) {
  std::string exe = llvm::sys::fs::getMainExecutable(argv0, mainAddress);
  llvm::SmallString<256> dir(llvm::sys::path::parent_path(exe));
  llvm::sys::path::remove_filename(dir); // bin/ -> prefix
  llvm::sys::path::append(dir, "lib");
  return std::string(dir);
}

bool mlir::weft::linkExecutable(const LinkOptions &options, std::string &error) {
  Toolchain toolchain = toolchainFor(options);
  if (toolchain.driver.empty()) {
    error = "cannot link for " + options.triple +
            ": Weft was built without its cross toolchain (install it with "
            "scripts/install-deps.sh, then rebuild Weft)";
    return false;
  }
  auto runtimeLib = [&](const char *name) {
    llvm::SmallString<256> path(toolchain.runtimeDir);
    llvm::sys::path::append(path, name);
    return std::string(path);
  };
  std::string mainLib = runtimeLib("libweft_main.a");
  std::string runtime = runtimeLib("libweft_runtime.a");
  for (const std::string &lib : {mainLib, runtime})
    if (!llvm::sys::fs::exists(lib)) {
      error = "the Weft runtime library '" + lib + "' is missing";
      return false;
    }

  llvm::StringRef folder = llvm::sys::path::parent_path(options.output);
  if (folder.empty())
    folder = ".";
  if (!llvm::sys::fs::is_directory(folder) ||
      llvm::sys::fs::access(folder, llvm::sys::fs::AccessMode::Write)) {
    error = "cannot write '" + options.output + "': folder '" + folder.str() +
            (llvm::sys::fs::is_directory(folder) ? "' is not writable"
                                                 : "' does not exist");
    return false;
  }

  // Link to a temporary name and rename, so a failed link never leaves a
  // half-written executable under the requested name.
  std::string tmp = options.output + ".tmp-link";
  std::vector<std::string> args{toolchain.driver, "-o", tmp};
  args.insert(args.end(), options.objects.begin(), options.objects.end());
  args.insert(args.end(), {mainLib, runtime, "-lpng", "-ljpeg", "-lz", "-lomp",
                           "-lm", "-lpthread"});
  std::vector<llvm::StringRef> argRefs(args.begin(), args.end());

  llvm::SmallString<128> log;
  llvm::sys::fs::createTemporaryFile("weft-link", "log", log);
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, log.str(), log.str()};
  std::string execError;
  int rc = llvm::sys::ExecuteAndWait(toolchain.driver, argRefs, std::nullopt,
                                     redirects, 0, 0, &execError);
  auto output = llvm::MemoryBuffer::getFile(log);
  std::string linkerOutput = output ? (*output)->getBuffer().str() : "";
  llvm::sys::fs::remove(log);
  if (rc != 0) {
    llvm::sys::fs::remove(tmp);
    error = "linking '" + options.output + "' failed";
    if (!execError.empty())
      error += ": " + execError;
    if (!linkerOutput.empty())
      error += "\n" + linkerOutput;
    return false;
  }
  if (std::error_code ec = llvm::sys::fs::rename(tmp, options.output)) {
    llvm::sys::fs::remove(tmp);
    error = "cannot write '" + options.output + "': " + ec.message();
    return false;
  }
  return true;
}
