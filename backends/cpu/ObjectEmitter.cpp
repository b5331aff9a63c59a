//===- ObjectEmitter.cpp - LLVM dialect to object code --------------------===//
//
// In-process code generation through LLVM's TargetMachine: no external
// assembler or llc, and the same code path for every CPU target.
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/ObjectEmitter.h"

#include "backends/ModelInfo.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

using namespace mlir;

std::unique_ptr<llvm::TargetMachine>
mlir::weft::createCpuTargetMachine(const CpuTargetOptions &options,
                                   std::string &error) {
  static bool initialized = [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    return true;
  }();
  (void)initialized;

  std::string canonical = canonicalCpuTarget(options.triple);
  if (canonical.empty()) {
    error = "target '" + options.triple + "' is not supported; supported: " +
            llvm::join(supportedCpuTargets(), ", ");
    return nullptr;
  }
  llvm::Triple triple(canonical);
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  llvm::Triple host(llvm::sys::getProcessTriple());
  std::string cpu = options.cpu, features;
  if (cpu == "native" && triple.getArch() == host.getArch()) {
    cpu = llvm::sys::getHostCPUName().str();
    llvm::SubtargetFeatures featureSet;
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      featureSet.AddFeature(feature.first(), feature.second);
    features = featureSet.getString();
  } else if (cpu == "native") {
    // Cross-compiling: the host says nothing about the target's CPU.
    cpu = "generic";
  }
  // LLVM only warns about a CPU it does not know, then compiles for a
  // baseline; a user who named one should hear that it was not used.
  std::unique_ptr<llvm::MCSubtargetInfo> baseline(
      target->createMCSubtargetInfo(triple, "", ""));
  if (!baseline || !baseline->isCPUStringValid(cpu)) {
    error = "unknown CPU '" + cpu + "' for target " + canonical +
            " (LLVM's CPU names, as `llc -mtriple=" + canonical +
            " -mcpu=help` lists them)";
    return nullptr;
  }
  llvm::TargetOptions targetOptions;
  // Position-independent code links into executables and shared libraries.
  return std::unique_ptr<llvm::TargetMachine>(target->createTargetMachine(
      triple, cpu, features, targetOptions, llvm::Reloc::PIC_, std::nullopt,
      options.optLevel >= 2 ? llvm::CodeGenOptLevel::Aggressive
                            : llvm::CodeGenOptLevel::Default));
}

llvm::ArrayRef<llvm::StringRef> mlir::weft::supportedCpuTargets() {
  static const llvm::StringRef targets[] = {"x86_64-linux-gnu",
                                            "aarch64-linux-gnu"};
  return targets;
}

std::string mlir::weft::canonicalCpuTarget(llvm::StringRef spelled) {
  // normalize() reads the short spellings ("aarch64-linux-gnu") too.
  llvm::Triple triple(llvm::Triple::normalize(
      spelled.empty() ? llvm::sys::getProcessTriple() : spelled.str()));
  if (!triple.isOSLinux() || triple.getEnvironment() != llvm::Triple::GNU)
    return "";
  if (triple.getArch() == llvm::Triple::x86_64)
    return "x86_64-linux-gnu";
  if (triple.getArch() == llvm::Triple::aarch64)
    return "aarch64-linux-gnu";
  return "";
}

int64_t mlir::weft::vectorLanesF32(const llvm::TargetMachine &machine) {
  const llvm::MCSubtargetInfo &info = *machine.getMCSubtargetInfo();
  if (machine.getTargetTriple().isX86()) {
    if (info.checkFeatures("+avx512f"))
      return 16;
    if (info.checkFeatures("+avx"))
      return 8;
  }
  // SSE on x86-64, NEON on AArch64: 128 bits.
  return 4;
}

std::unique_ptr<llvm::Module>
mlir::weft::translateToLLVMIR(ModuleOp module, llvm::LLVMContext &context,
                              llvm::TargetMachine &machine, unsigned optLevel) {
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, context, "weft");
  if (!llvmModule) {
    module.emitError("could not translate the LLVM dialect to LLVM IR");
    return nullptr;
  }
  llvmModule->setTargetTriple(machine.getTargetTriple());
  llvmModule->setDataLayout(machine.createDataLayout());
  if (failed(emitModelInfo(module, *llvmModule)))
    return nullptr;
  auto optimize = makeOptimizingTransformer(optLevel, 0, &machine);
  if (llvm::Error err = optimize(llvmModule.get())) {
    module.emitError("LLVM optimisation failed: ")
        << llvm::toString(std::move(err));
    return nullptr;
  }
  return llvmModule;
}

bool mlir::weft::emitMachineCode(llvm::Module &module,
                                 llvm::TargetMachine &machine,
                                 llvm::StringRef path, bool assembly,
                                 std::string &error) {
  std::error_code ec;
  // ToolOutputFile deletes the file unless keep() is called: a failed
  // emission leaves nothing half-written.
  llvm::ToolOutputFile out(path, ec,
                           assembly ? llvm::sys::fs::OF_Text
                                    : llvm::sys::fs::OF_None);
  if (ec) {
    error = "cannot write '" + path.str() + "': " + ec.message();
    return false;
  }
  llvm::legacy::PassManager pm;
  if (machine.addPassesToEmitFile(pm, out.os(), nullptr,
                                  assembly ? llvm::CodeGenFileType::AssemblyFile
                                           : llvm::CodeGenFileType::ObjectFile)) {
    error = "the target cannot emit this file type";
    return false;
  }
  pm.run(module);
  out.os().flush();
  if (out.os().has_error()) {
    error = "error writing '" + path.str() + "'";
    return false;
  }
  out.keep();
  return true;
}
