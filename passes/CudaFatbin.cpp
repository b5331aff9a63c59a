//===- CudaFatbin.cpp - One fatbin for several GPU architectures ----------===//
//
// See weft-cuda-fatbin in Passes.td. The tools run in a temporary folder,
// and their messages become the error when one fails.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::weft {
#define GEN_PASS_DEF_CUDAFATBINPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

/// Runs `tool` of the toolkit with `args`; on failure, returns its output.
std::optional<std::string> runTool(StringRef toolkit, StringRef tool,
                                   ArrayRef<std::string> args,
                                   StringRef logPath) {
  SmallString<128> program(toolkit);
  llvm::sys::path::append(program, "bin", tool);
  SmallVector<StringRef> argv{program};
  for (const std::string &arg : args)
    argv.push_back(arg);
  std::optional<StringRef> redirects[] = {std::nullopt, logPath, logPath};
  std::string error;
  int status = llvm::sys::ExecuteAndWait(program, argv, std::nullopt, redirects,
                                         0, 0, &error);
  if (status == 0)
    return std::nullopt;
  auto log = llvm::MemoryBuffer::getFile(logPath);
  std::string message = (program + " failed").str();
  if (!error.empty())
    message += ": " + error;
  if (log && !(*log)->getBuffer().empty())
    message += ":\n" + (*log)->getBuffer().rtrim().str();
  return message;
}

/// The number of `sm_NN`.
StringRef archNumber(StringRef arch) { return arch.drop_front(3); }

struct CudaFatbinPass : public weft::impl::CudaFatbinPassBase<CudaFatbinPass> {
  using CudaFatbinPassBase::CudaFatbinPassBase;

  /// A tool's failure concerns the toolkit or the architectures asked for,
  /// not a line of the model, so it carries no source location.
  LogicalResult toolkitError(StringRef message) {
    return emitError(UnknownLoc::get(&getContext()), message);
  }

  LogicalResult makeFatbin(gpu::BinaryOp binary, SmallString<128> folder) {
    auto objects = binary.getObjects().getAsRange<gpu::ObjectAttr>();
    if (llvm::range_size(objects) != 1 ||
        (*objects.begin()).getFormat() != gpu::CompilationTarget::Assembly)
      return binary.emitError("weft-cuda-fatbin expects one PTX object");
    gpu::ObjectAttr object = *objects.begin();
    auto target = dyn_cast<NVVM::NVVMTargetAttr>(object.getTarget());
    if (!target)
      return binary.emitError("weft-cuda-fatbin expects an NVVM target");
    auto path = [&](const Twine &name) {
      SmallString<128> file(folder);
      llvm::sys::path::append(file, name);
      return std::string(file);
    };
    std::string ptx = path(binary.getName() + ".ptx");
    std::string log = path("tool.log");
    {
      std::error_code ec;
      llvm::raw_fd_ostream out(ptx, ec);
      if (ec)
        return binary.emitError("cannot write ") << ptx << ": " << ec.message();
      out << object.getObject().getValue();
    }
    std::vector<std::string> fatbinArgs{"-64", "--create",
                                        path(binary.getName() + ".fatbin")};
    for (const std::string &arch : archs) {
      std::string cubin = path(binary.getName() + "." + arch + ".cubin");
      if (auto failure = runTool(
              toolkit, "ptxas",
              {"-arch", arch, "--opt-level", "3", ptx, "-o", cubin}, log))
        return toolkitError(*failure);
      fatbinArgs.push_back(
          ("--image3=kind=elf,sm=" + archNumber(arch) + ",file=" + cubin)
              .str());
    }
    fatbinArgs.push_back(("--image3=kind=ptx,sm=" +
                          archNumber(target.getChip()) + ",file=" + ptx)
                             .str());
    if (auto failure = runTool(toolkit, "fatbinary", fatbinArgs, log))
      return toolkitError(*failure);
    auto fatbin = llvm::MemoryBuffer::getFile(fatbinArgs[2], /*IsText=*/false);
    if (!fatbin)
      return binary.emitError("fatbinary wrote no ") << fatbinArgs[2];
    auto result = gpu::ObjectAttr::get(
        target, gpu::CompilationTarget::Fatbin,
        StringAttr::get(&getContext(), (*fatbin)->getBuffer()),
        object.getProperties(), object.getKernels());
    binary.setObjectsAttr(ArrayAttr::get(&getContext(), {result}));
    return success();
  }

  void runOnOperation() override {
    for (const std::string &arch : archs)
      if (!StringRef(arch).starts_with("sm_")) {
        getOperation().emitError("weft-cuda-fatbin: '")
            << arch << "' is not an architecture such as sm_90";
        return signalPassFailure();
      }
    SmallString<128> folder;
    if (std::error_code ec =
            llvm::sys::fs::createUniqueDirectory("weft-fatbin", folder)) {
      getOperation().emitError("cannot create a temporary folder: ")
          << ec.message();
      return signalPassFailure();
    }
    llvm::scope_exit removeFolder(
        [&] { llvm::sys::fs::remove_directories(folder); });
    for (auto binary : getOperation().getOps<gpu::BinaryOp>())
      if (failed(makeFatbin(binary, folder)))
        return signalPassFailure();
  }
};

} // namespace
