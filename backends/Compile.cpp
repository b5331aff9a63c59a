//===- Compile.cpp - Running Weft's pipelines with IR inspection ----------===//

#include "backends/Compile.h"

#include "backends/cpu/CpuPipeline.h"
#include "passes/Passes.h"

#include "mlir/Dialect/LLVMIR/Transforms/Passes.h"
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

LogicalResult mlir::weft::lowerToStage(ModuleOp module, Stage stage,
                                       const InspectionOptions &inspection,
                                       int64_t vectorWidth) {
  if (inspection.printAfterAll) {
    // The pipeline's input comes from MLIRGen, not a pass; show it first, in
    // the pass manager's format, so the dump tells the whole story.
    llvm::errs() << "// -----// IR Dump After MLIRGen (weftc) "
                    "('builtin.module' operation) //----- //\n";
    module->print(llvm::errs());
    llvm::errs() << "\n";
  }
  if (stage == Stage::Weft)
    return success();
  PassManager pm(module->getName());
  configureInspection(pm, inspection);
  buildWeftTrainingPipeline(pm);
  buildWeftToLinalgPipeline(pm);
  if (stage == Stage::LLVMDialect) {
    buildLinalgToLLVMPipeline(pm, {inspection.fusionRemarks,
                                   inspection.kernelRemarks, inspection.stats},
                              vectorWidth);
    if (inspection.lineTables)
      pm.addPass(LLVM::createDIScopeForLLVMFuncOpPass());
  }
  return pm.run(module);
}
