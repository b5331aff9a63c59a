//===- ObjectEmitter.h - LLVM dialect to object code ------------*- C++ -*-===//

#ifndef WEFT_BACKENDS_CPU_OBJECTEMITTER_H
#define WEFT_BACKENDS_CPU_OBJECTEMITTER_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/Module.h"
#include "llvm/Target/TargetMachine.h"

#include <memory>
#include <string>

namespace mlir::weft {

struct CpuTargetOptions {
  /// An LLVM target triple; empty means the host's.
  std::string triple;
  /// "native" (the host CPU and its features) or an LLVM CPU name.
  std::string cpu = "native";
  unsigned optLevel = 3;
};

/// A TargetMachine for `options`, or null with `error` set.
std::unique_ptr<llvm::TargetMachine>
createCpuTargetMachine(const CpuTargetOptions &options, std::string &error);

/// Translates an LLVM-dialect module to LLVM IR, adds the model description
/// (`weft_model`) and optimises it for `machine`. Null on failure, after a
/// diagnostic.
std::unique_ptr<llvm::Module> translateToLLVMIR(ModuleOp module,
                                                llvm::LLVMContext &context,
                                                llvm::TargetMachine &machine,
                                                unsigned optLevel);

/// Writes `module` as an object file (or assembly) to `path`. On failure
/// returns false with `error` set; no partial file is left behind.
bool emitMachineCode(llvm::Module &module, llvm::TargetMachine &machine,
                     llvm::StringRef path, bool assembly, std::string &error);

} // namespace mlir::weft

#endif // WEFT_BACKENDS_CPU_OBJECTEMITTER_H
