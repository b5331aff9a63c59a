//===- MergeGpuModules.cpp - One gpu.module for every kernel --------------===//
//
// See weft-merge-gpu-modules in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

namespace mlir::weft {
#define GEN_PASS_DEF_MERGEGPUMODULESPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kKernelModule = "kernels";

struct MergeGpuModulesPass
    : public weft::impl::MergeGpuModulesPassBase<MergeGpuModulesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> kernelModules(
        module.getOps<gpu::GPUModuleOp>());
    if (kernelModules.empty())
      return;
    gpu::GPUModuleOp merged = kernelModules.front();
    if (module.lookupSymbol(kKernelModule)) {
      module.emitError("a symbol is already named '") << kKernelModule << "'";
      return signalPassFailure();
    }
    // Outlining names each module uniquely but may reuse a kernel's name
    // in several; each kernel takes its module's name, unique in the model.
    llvm::DenseMap<SymbolRefAttr, StringAttr> newNames;
    for (gpu::GPUModuleOp kernels : kernelModules) {
      if (llvm::range_size(kernels.getOps<gpu::GPUFuncOp>()) > 1) {
        kernels.emitError("holds more than one kernel; outlining makes one");
        return signalPassFailure();
      }
      for (auto kernel :
           llvm::make_early_inc_range(kernels.getOps<gpu::GPUFuncOp>())) {
        newNames[SymbolRefAttr::get(
            kernels.getNameAttr(),
            {FlatSymbolRefAttr::get(kernel.getNameAttr())})] =
            kernels.getNameAttr();
        kernel.setName(kernels.getName());
        if (kernels != merged)
          kernel->moveBefore(merged.getBody(), merged.getBody()->end());
      }
      if (kernels != merged)
        kernels.erase();
    }
    merged.setName(kKernelModule);
    auto root = FlatSymbolRefAttr::get(merged.getNameAttr());
    module.walk([&](gpu::LaunchFuncOp launch) {
      StringAttr name = newNames.lookup(launch.getKernel());
      launch.setKernelAttr(
          SymbolRefAttr::get(root.getAttr(), {FlatSymbolRefAttr::get(name)}));
    });
  }
};

} // namespace
