//===- Compile.cpp - Running Weft's pipelines with IR inspection ----------===//

#include "backends/Compile.h"

#include "backends/cpu/CpuPipeline.h"
#include "passes/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/Transforms/Passes.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::weft;

static void configureInspection(PassManager &pm,
                                const InspectionOptions &options) {
  using Filter = std::function<bool(Pass *, Operation *)>;
  auto named = [](const std::vector<std::string> &names) -> Filter {
    return [names](Pass *pass, Operation *) {
      return llvm::is_contained(names, pass->getArgument().str());
    };
  };
  auto always = [](Pass *, Operation *) { return true; };
  bool printAny = options.printAfterAll || !options.printAfter.empty() ||
                  !options.printBefore.empty();
  if (printAny || !options.printTreeDir.empty()) {
    Filter before = named(options.printBefore);
    Filter after = named(options.printAfter);
    // --print-ir-tree-dir alone means a file after every pass.
    if (options.printAfterAll || !printAny)
      after = always;
    // Dumps of the whole module stay self-contained and parse with weft-opt;
    // one thread keeps them in pass order.
    pm.getContext()->disableMultithreading();
    if (options.printTreeDir.empty())
      pm.enableIRPrinting(before, after, /*printModuleScope=*/true,
                          /*printAfterOnlyOnChange=*/false);
    else
      pm.enableIRPrintingToFileTree(before, after, /*printModuleScope=*/true,
                                    /*printAfterOnlyOnChange=*/false,
                                    /*printAfterOnlyOnFailure=*/false,
                                    options.printTreeDir);
  }
  if (options.timing)
    pm.enableTiming();
}

/// linalg to the LLVM dialect for the CPU, with what `inspection` asks of
/// it: remarks, statistics, line tables.
static void addCpuCodegenPasses(OpPassManager &pm,
                                const InspectionOptions &inspection,
                                int64_t vectorWidth) {
  buildLinalgToLLVMPipeline(
      pm,
      {inspection.fusionRemarks, inspection.kernelRemarks, inspection.stats},
      vectorWidth);
  if (inspection.lineTables)
    pm.addPass(LLVM::createDIScopeForLLVMFuncOpPass());
}

/// Prints MLIRGen's output first under --print-ir-after-all: the pipeline's
/// input comes from MLIRGen, not a pass, and the dump tells the whole story.
static void printMLIRGenOutput(ModuleOp module,
                               const InspectionOptions &inspection) {
  if (!inspection.printAfterAll)
    return;
  llvm::errs() << "// -----// IR Dump After MLIRGen (weftc) "
                  "('builtin.module' operation) //----- //\n";
  module->print(llvm::errs());
  llvm::errs() << "\n";
}

LogicalResult mlir::weft::lowerToStage(ModuleOp module, Stage stage,
                                       const InspectionOptions &inspection,
                                       int64_t vectorWidth) {
  printMLIRGenOutput(module, inspection);
  if (stage == Stage::Weft)
    return success();
  PassManager pm(module->getName());
  configureInspection(pm, inspection);
  buildWeftTrainingPipeline(pm);
  buildWeftToLinalgPipeline(pm);
  if (stage == Stage::LLVMDialect)
    addCpuCodegenPasses(pm, inspection, vectorWidth);
  return pm.run(module);
}

/// The CUDA path's functions get names of their own, so that both paths
/// live in one object: entry points `weft_cuda_<entry>`, the functions they
/// call `cuda_<name>`.
static LogicalResult renameForCuda(ModuleOp module) {
  SymbolTable symbols(module);
  for (auto function :
       llvm::make_early_inc_range(module.getOps<func::FuncOp>())) {
    StringRef name = function.getSymName();
    std::string renamed =
        function->hasAttr("weft.entry") && name.starts_with("weft_")
            ? ("weft_cuda_" + name.drop_front(5)).str()
            : ("cuda_" + name).str();
    if (failed(symbols.rename(function,
                              StringAttr::get(module.getContext(), renamed))))
      return failure();
  }
  return success();
}

/// Runs the CUDA pipeline on `module` (already at linalg).
static LogicalResult runCudaPipeline(ModuleOp module,
                                     const InspectionOptions &inspection,
                                     const CudaOptions &cuda) {
  PassManager pm(module->getName());
  configureInspection(pm, inspection);
  buildLinalgToCudaPipeline(pm, cuda);
  return pm.run(module);
}

/// Moves the lowered CUDA path into the CPU module: its functions, kernels
/// and declarations (skipping a runtime declaration both already hold).
static void mergeInto(ModuleOp into, ModuleOp from) {
  SymbolTable symbols(into);
  for (Operation &op :
       llvm::make_early_inc_range(from.getBody()->getOperations())) {
    auto symbol = dyn_cast<SymbolOpInterface>(op);
    if (symbol && symbols.lookup(symbol.getNameAttr())) {
      auto function = dyn_cast<LLVM::LLVMFuncOp>(op);
      if (function && function.isExternal())
        continue;
    }
    op.moveBefore(into.getBody(), into.getBody()->end());
  }
  into->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                UnitAttr::get(into.getContext()));
}

LogicalResult mlir::weft::lowerToCpuAndCuda(ModuleOp module,
                                            const InspectionOptions &inspection,
                                            int64_t vectorWidth,
                                            const CudaOptions &cuda) {
  if (failed(lowerToStage(module, Stage::Linalg, inspection, vectorWidth)))
    return failure();
  OwningOpRef<ModuleOp> gpuModule = module.clone();
  if (failed(renameForCuda(*gpuModule)) ||
      failed(runCudaPipeline(*gpuModule, inspection, cuda)))
    return failure();
  // The CPU path, with --stats and --remarks as without CUDA.
  PassManager pm(module->getName());
  configureInspection(pm, inspection);
  addCpuCodegenPasses(pm, inspection, vectorWidth);
  if (failed(pm.run(module)))
    return failure();
  mergeInto(module, *gpuModule);
  return success();
}

LogicalResult
mlir::weft::lowerWithEmulatedGpuKernels(ModuleOp module,
                                        const InspectionOptions &inspection,
                                        CudaOptions emulated) {
  emulated.emulateOnCpu = true;
  if (failed(lowerToStage(module, Stage::Linalg, inspection)))
    return failure();
  return runCudaPipeline(module, inspection, emulated);
}

FailureOr<std::string>
mlir::weft::lowerToPtx(ModuleOp module, const InspectionOptions &inspection,
                       CudaOptions cuda) {
  cuda.format = "isa";
  if (failed(lowerToStage(module, Stage::Linalg, inspection)) ||
      failed(runCudaPipeline(module, inspection, cuda)))
    return failure();
  std::string ptx;
  module.walk([&](gpu::BinaryOp binary) {
    for (auto object : binary.getObjects().getAsRange<gpu::ObjectAttr>())
      ptx += object.getObject().getValue();
  });
  if (ptx.empty())
    return module.emitError("the model has no GPU kernels"), failure();
  return ptx;
}
