//===- CpuPipeline.cpp - From weft to the LLVM dialect for CPUs -----------===//
//
// Upstream passes, with two small wrappers of Weft's (copies to linalg,
// math approximation): Weft's own work ends at linalg on tensors, and from
// there MLIR's fusion, one-shot bufferization, ownership-based deallocation
// and standard to-LLVM conversions take over.
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/CpuPipeline.h"

#include "backends/SharedPipeline.h"

#include "passes/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/Tensor/Transforms/Passes.h"
#include "mlir/Dialect/Vector/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::weft::buildLinalgToLLVMPipeline(OpPassManager &pm,
                                           const CpuPipelineReports &reports,
                                           int64_t vectorWidth) {
  addFusionPasses(pm, reports.fusionRemarks);
  // tensor.dim of a reshaped kernel result becomes a dim of its source, so
  // that an activation is the kernel's only user (a block epilogue).
  pm.addPass(memref::createResolveRankedShapeTypeResultDimsPass());
  pm.addPass(createCanonicalizerPass());
  // Both passes size blocks by the same accumulator registers: a kernel is
  // transposed only if tile-and-vectorize then blocks it in several rows.
  weft::TileAndVectorizePassOptions blocks;
  blocks.remarks = reports.kernelRemarks;
  blocks.vectorWidth = vectorWidth;
  weft::TransposeForLanesPassOptions transposes;
  transposes.remarks = reports.kernelRemarks;
  transposes.vectorWidth = vectorWidth;
  transposes.registers = blocks.registers;
  pm.addNestedPass<func::FuncOp>(weft::createTransposeForLanesPass(transposes));
  pm.addNestedPass<func::FuncOp>(weft::createTileAndVectorizePass(blocks));
  // What is left elementwise runs as long contiguous rows.
  pm.addNestedPass<func::FuncOp>(weft::createFlattenElementwisePass());
  weft::ParallelizeLoopsPassOptions parallel;
  parallel.remarks = reports.kernelRemarks;
  pm.addNestedPass<func::FuncOp>(weft::createParallelizeLoopsPass(parallel));
  // Pools over tiling windows, in whatever loops parallelisation left them,
  // as vector rows.
  weft::VectorizeWindowsPassOptions windows;
  windows.remarks = reports.kernelRemarks;
  pm.addNestedPass<func::FuncOp>(weft::createVectorizeWindowsPass(windows));
  // Vector transfers read and write through the slices tiling made; folded
  // into them, each block's accumulator read and write address the loop's
  // own argument and hoist out of it. Folding again after hoisting leaves
  // few slices for one-shot bufferization to compare, whose cost grows
  // quickly with them (over 2 s on fashion_cnn without these folds).
  pm.addPass(createCanonicalizerPass());
  pm.addPass(tensor::createFoldTensorSubsetOpsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createLoopInvariantSubsetHoistingPass());
  pm.addPass(tensor::createFoldTensorSubsetOpsPass());
  pm.addPass(weft::createFoldFillReadsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  addBufferizationPasses(pm, /*stackBuffersInParallelLoops=*/true);
  // Kernels are final here (fused, tiled, bufferized) and still one op or
  // loop nest each.
  if (reports.stats)
    pm.addPass(createKernelStatsPass(/*batch=*/0, reports.stats));
  // Blocks that may run in parallel are distributed over OpenMP's threads
  // (how many is the runtime's choice: `--threads`).
  pm.addPass(createForallToParallelLoopPass());
  pm.addPass(createConvertSCFToOpenMPPass());
  // The loop body comes wrapped in an alloca scope, which must stay one
  // block: with no allocas in it, canonicalisation inlines it; with the
  // iteration's stack buffers, it becomes a saved and restored stack
  // pointer, before control flow is lowered.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(weft::createLowerAllocaScopesPass());

  pm.addPass(weft::createCopiesToLinalgPass());
  // tanh and erf as arithmetic, before anything can turn them into calls.
  pm.addPass(weft::createApproximateMathPass());
  addCpuLoopsToLLVMPasses(pm, vectorWidth);
}

void mlir::weft::addCpuLoopsToLLVMPasses(OpPassManager &pm,
                                         int64_t vectorWidth) {
  pm.addPass(createConvertLinalgToLoopsPass());
  // Partial sums are added up along their lanes: one horizontal reduction
  // per row.
  pm.addNestedPass<func::FuncOp>(vector::createLowerVectorMultiReductionPass(
      vector::VectorMultiReductionLowering::InnerReduction));
  VectorTransferToSCFOptions vectorToSCF;
  vectorToSCF.unroll = true;
  pm.addPass(createConvertVectorToSCFPass(vectorToSCF));
  // A block's row values broadcast along its lanes come out of the
  // transfer lowering as a transpose, which LLVM builds element by element.
  pm.addPass(weft::createFoldBroadcastTransposesPass());
  // A loop's accumulator wider than a register and not a power of two
  // would live across LLVM's blocks as single floats.
  weft::CarryVectorsInRegistersPassOptions carried;
  carried.vectorWidth = vectorWidth;
  pm.addPass(weft::createCarryVectorsInRegistersPass(carried));
  // x86 (AVX2's 8 lanes, AVX-512's 16) loads part of a register in one
  // masked instruction; NEON has none, and LLVM would emulate it.
  if (vectorWidth >= 8) {
    weft::MaskPartialRegistersPassOptions masked;
    masked.vectorWidth = vectorWidth;
    pm.addPass(weft::createMaskPartialRegistersPass(masked));
  }
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // A horizontal sum adds up partial sums that were already reassociated
  // (one per lane, or per block): adding them as a tree, not one lane after
  // another, changes no guarantee and takes log2(lanes) steps, not lanes.
  ConvertVectorToLLVMPassOptions vectorToLLVM;
  vectorToLLVM.reassociateFPReductions = true;
  pm.addPass(createConvertVectorToLLVMPass(vectorToLLVM));
  // Allocations go to the runtime's cache of temporaries
  // (runtime/Temporaries.cpp), not straight to malloc.
  FinalizeMemRefToLLVMConversionPassOptions memrefToLLVM;
  memrefToLLVM.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLLVM));
  pm.addPass(createConvertMathToLLVMPass());
  // What LLVM has no intrinsic for and was not approximated (f64 tanh, say)
  // becomes a libm call.
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void mlir::weft::buildWeftCpuPipeline(OpPassManager &pm) {
  buildWeftTrainingPipeline(pm);
  buildWeftToLinalgPipeline(pm);
  buildLinalgToLLVMPipeline(pm);
}

void mlir::weft::registerCpuPipeline() {
  PassPipelineRegistration<>(
      "weft-linalg-to-llvm-pipeline",
      "Bufferize linalg on tensors and lower it to the LLVM dialect (CPU)",
      [](OpPassManager &pm) { buildLinalgToLLVMPipeline(pm); });
  PassPipelineRegistration<>(
      "weft-cpu-pipeline",
      "Everything weftc runs for a CPU target, weft dialect to LLVM dialect",
      buildWeftCpuPipeline);
}
