//===- Compile.cpp - Running Weft's pipelines with IR inspection ----------===//

#include "backends/Compile.h"

#include "backends/cpu/CpuPipeline.h"
#include "passes/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::weft;

static void configureInspection(PassManager &pm,
                                const InspectionOptions &options) {
  auto named = [](const std::vector<std::string> &names) {
    return [names](Pass *pass, Operation *) {
      return llvm::is_contained(names, pass->getArgument().str());
    };
  };
  bool printAny = options.printAfterAll || !options.printAfter.empty() ||
                  !options.printBefore.empty();
  if (printAny || !options.printTreeDir.empty()) {
    // Passes run on the whole module; printing module scope keeps each dump
    // self-contained and parseable by weft-opt.
    pm.getContext()->disableMultithreading();
    std::function<bool(Pass *, Operation *)> before = named(options.printBefore);
    std::function<bool(Pass *, Operation *)> after = named(options.printAfter);
    if (options.printAfterAll)
      after = [](Pass *, Operation *) { return true; };
    if (!options.printTreeDir.empty() && !printAny)
      before = [](Pass *, Operation *) { return false; },
      after = [](Pass *, Operation *) { return true; };
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
                                       const InspectionOptions &inspection) {
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
  if (stage == Stage::LLVMDialect)
    buildLinalgToLLVMPipeline(pm);
  return pm.run(module);
}
