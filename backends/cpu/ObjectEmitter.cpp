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

  llvm::Triple triple(options.triple.empty() ? llvm::sys::getDefaultTargetTriple()
                                             : options.triple);
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  std::string cpu = options.cpu, features;
  if (cpu == "native") {
    cpu = llvm::sys::getHostCPUName().str();
    llvm::SubtargetFeatures featureSet;
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      featureSet.AddFeature(feature.first(), feature.second);
    features = featureSet.getString();
  }
  llvm::TargetOptions targetOptions;
  // Position-independent code links into executables and shared libraries.
  return std::unique_ptr<llvm::TargetMachine>(target->createTargetMachine(
      triple, cpu, features, targetOptions, llvm::Reloc::PIC_, std::nullopt,
      options.optLevel >= 2 ? llvm::CodeGenOptLevel::Aggressive
                            : llvm::CodeGenOptLevel::Default));
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
