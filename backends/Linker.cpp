//===- Linker.cpp - Link compiled models with the runtime -----------------===//
//
// Executables: the model's object, the runtime and its main(), through the
// target's C++ driver. Libraries: a relocatable link of the model with the
// runtime members the C API needs, whose symbols llvm-objcopy then makes
// local except the API (renamed to the model's prefix); the static library
// holds that one object, the shared one is linked from it with a version
// script.
//
//===----------------------------------------------------------------------===//

#include "backends/Linker.h"

#include "backends/cpu/ObjectEmitter.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#ifndef WEFT_LINKER_DRIVER
#error "WEFT_LINKER_DRIVER must name the C++ compiler driver used to link"
#endif
#ifndef WEFT_AARCH64_LINKER_DRIVER
#error "WEFT_AARCH64_LINKER_DRIVER must name the AArch64 cross driver, or be empty"
#endif
#ifndef WEFT_LLVM_TOOLS_DIR
#error "WEFT_LLVM_TOOLS_DIR must name LLVM's bin folder (llvm-objcopy, llvm-ar)"
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

/// The target's toolchain with its runtime libraries `names`, or false with
/// `error` set.
bool findToolchain(const LinkOptions &options,
                   llvm::ArrayRef<const char *> names, Toolchain &toolchain,
                   std::vector<std::string> &libraries, std::string &error) {
  toolchain = toolchainFor(options);
  if (toolchain.driver.empty()) {
    error = "cannot link for " + options.triple +
            ": Weft was built without its cross toolchain (install it with "
            "scripts/install-deps.sh, then rebuild Weft)";
    return false;
  }
  for (const char *name : names) {
    llvm::SmallString<256> path(toolchain.runtimeDir);
    llvm::sys::path::append(path, name);
    if (!llvm::sys::fs::exists(path)) {
      error = "the Weft runtime library '" + path.str().str() + "' is missing";
      return false;
    }
    libraries.push_back(std::string(path));
  }
  return true;
}

/// Whether the folder of `path` exists and is writable, else `error`.
bool checkFolder(llvm::StringRef path, std::string &error) {
  llvm::StringRef folder = llvm::sys::path::parent_path(path);
  if (folder.empty())
    folder = ".";
  if (llvm::sys::fs::is_directory(folder) &&
      !llvm::sys::fs::access(folder, llvm::sys::fs::AccessMode::Write))
    return true;
  error = "cannot write '" + path.str() + "': folder '" + folder.str() +
          (llvm::sys::fs::is_directory(folder) ? "' is not writable"
                                               : "' does not exist");
  return false;
}

/// Runs `args` (args[0] is the program); on failure sets `error` to
/// `what` failed, with the program's own output.
bool runTool(const std::vector<std::string> &args, const std::string &what,
             std::string &error) {
  std::vector<llvm::StringRef> argRefs(args.begin(), args.end());
  llvm::SmallString<128> log;
  llvm::sys::fs::createTemporaryFile("weft-link", "log", log);
  llvm::FileRemover removeLog(log);
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, log.str(),
                                                log.str()};
  std::string execError;
  int rc = llvm::sys::ExecuteAndWait(args[0], argRefs, std::nullopt, redirects,
                                     0, 0, &execError);
  if (rc == 0)
    return true;
  auto output = llvm::MemoryBuffer::getFile(log);
  error = what + " failed";
  if (!execError.empty())
    error += ": " + execError;
  if (output && !(*output)->getBuffer().empty())
    error += "\n" + (*output)->getBuffer().str();
  return false;
}

std::string llvmTool(const char *name) {
  return (llvm::Twine(WEFT_LLVM_TOOLS_DIR) + "/" + name).str();
}

/// The libraries the runtime's code calls, after the objects and archives.
void addSystemLibraries(std::vector<std::string> &args) {
  args.insert(args.end(), {"-lomp", "-lm", "-lpthread"});
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
  Toolchain toolchain;
  std::vector<std::string> libraries;
  if (!findToolchain(options, {"libweft_main.a", "libweft_runtime.a"},
                     toolchain, libraries, error) ||
      !checkFolder(options.output, error))
    return false;

  // Link to a temporary name and rename, so a failed link never leaves a
  // half-written executable under the requested name.
  std::string tmp = options.output + ".tmp-link";
  llvm::FileRemover removeTmp(tmp);
  std::vector<std::string> args{toolchain.driver, "-o", tmp};
  args.insert(args.end(), options.objects.begin(), options.objects.end());
  args.insert(args.end(), libraries.begin(), libraries.end());
  args.insert(args.end(), {"-lpng", "-ljpeg", "-lz"});
  addSystemLibraries(args);
  if (!runTool(args, "linking '" + options.output + "'", error))
    return false;
  if (std::error_code ec = llvm::sys::fs::rename(tmp, options.output)) {
    error = "cannot write '" + options.output + "': " + ec.message();
    return false;
  }
  return true;
}

LibraryOutputs mlir::weft::libraryOutputs(llvm::StringRef output) {
  llvm::SmallString<256> folder(llvm::sys::path::parent_path(output));
  llvm::StringRef name = llvm::sys::path::filename(output);
  auto in = [&](const llvm::Twine &file) {
    llvm::SmallString<256> path(folder);
    llvm::sys::path::append(path, file);
    return std::string(path);
  };
  return {in("lib" + name + ".a"), in("lib" + name + ".so"), in(name + ".h")};
}

bool mlir::weft::linkLibrary(const LinkOptions &options, llvm::StringRef prefix,
                             llvm::ArrayRef<std::string> apiFunctions,
                             std::string &error) {
  Toolchain toolchain;
  std::vector<std::string> libraries;
  if (!findToolchain(options, {"libweft_runtime.a"}, toolchain, libraries,
                     error) ||
      !checkFolder(options.output, error))
    return false;
  LibraryOutputs outputs = libraryOutputs(options.output);

  llvm::SmallString<128> combined, versionScript;
  llvm::sys::fs::createTemporaryFile("weft-lib", "o", combined);
  llvm::sys::fs::createTemporaryFile("weft-lib", "map", versionScript);
  llvm::FileRemover removeCombined(combined), removeScript(versionScript);
  std::string staticTmp = outputs.staticLibrary + ".tmp-link";
  std::string sharedTmp = outputs.sharedLibrary + ".tmp-link";
  llvm::FileRemover removeStatic(staticTmp), removeShared(sharedTmp);

  // One relocatable object: the model and the archive members the API
  // needs (the C API's member, pulled in by one of its names, and what it
  // calls), without the data loaders or main().
  std::vector<std::string> args{toolchain.driver, "-r", "-nostdlib",
                                "-Wl,--undefined=" + apiFunctions.front(),
                                "-o", std::string(combined)};
  args.insert(args.end(), options.objects.begin(), options.objects.end());
  args.insert(args.end(), libraries.begin(), libraries.end());
  if (!runTool(args, "linking the library's object", error))
    return false;

  // Everything local but the API, which takes the model's prefix.
  args = {llvmTool("llvm-objcopy")};
  for (const std::string &function : apiFunctions) {
    std::string renamed =
        (prefix + llvm::StringRef(function).drop_front(strlen("weft_lib")))
            .str();
    args.push_back("--keep-global-symbol=" + function);
    args.push_back("--redefine-sym=" + function + "=" + renamed);
  }
  args.push_back(std::string(combined));
  if (!runTool(args, "localising the library's symbols", error))
    return false;

  if (!runTool({llvmTool("llvm-ar"), "rcs", staticTmp, std::string(combined)},
               "writing '" + outputs.staticLibrary + "'", error))
    return false;

  {
    std::error_code ec;
    llvm::raw_fd_ostream script(versionScript, ec);
    script << "{ global: " << prefix << "_*; local: *; };\n";
    script.close();
    if (ec || script.has_error()) {
      error = "cannot write the version script '" + versionScript.str().str() +
              "'";
      script.clear_error();
      return false;
    }
  }
  std::string soname = llvm::sys::path::filename(outputs.sharedLibrary).str();
  args = {toolchain.driver,
          "-shared",
          "-o",
          sharedTmp,
          std::string(combined),
          "-Wl,--version-script=" + versionScript.str().str(),
          "-Wl,--no-undefined",
          "-Wl,-soname," + soname};
  addSystemLibraries(args);
  if (!runTool(args, "linking '" + outputs.sharedLibrary + "'", error))
    return false;

  for (auto [from, to] : {std::pair{staticTmp, outputs.staticLibrary},
                          std::pair{sharedTmp, outputs.sharedLibrary}})
    if (std::error_code ec = llvm::sys::fs::rename(from, to)) {
      error = "cannot write '" + to + "': " + ec.message();
      return false;
    }
  return true;
}
