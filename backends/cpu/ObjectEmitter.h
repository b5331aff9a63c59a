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
  /// A target triple, one of supportedCpuTargets(); empty means the host's.
  std::string triple;
  /// "native" (the host CPU and its features when the target is the host's
  /// architecture, the architecture's generic CPU otherwise) or an LLVM CPU
  /// name for the target.
  std::string cpu = "native";
  unsigned optLevel = 3;
};

/// The CPU targets weftc compiles for, as `--target` spells them.
llvm::ArrayRef<llvm::StringRef> supportedCpuTargets();

/// The canonical spelling (one of supportedCpuTargets()) of `triple`, or an
/// empty string for a target Weft does not support. Empty means the host.
std::string canonicalCpuTarget(llvm::StringRef triple);

/// A TargetMachine for `options`, or null with `error` set (an unknown
/// target or CPU name).
std::unique_ptr<llvm::TargetMachine>
createCpuTargetMachine(const CpuTargetOptions &options, std::string &error);

/// f32 lanes in one of `machine`'s vector registers: 16 with AVX-512, 8 with
/// AVX, 4 with SSE or NEON. Kernels are blocked for this width.
int64_t vectorLanesF32(const llvm::TargetMachine &machine);

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
