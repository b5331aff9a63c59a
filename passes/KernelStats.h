//===- KernelStats.h - What a compiled function does, counted ---*- C++ -*-===//
//
// `weftc --stats` and the `weft-kernel-stats` pass: per function, its
// kernels (the loop nests at its top level), how many of them run in
// parallel, its floating-point operations and its temporary allocations,
// at one batch size.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_KERNELSTATS_H
#define WEFT_PASSES_KERNELSTATS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace mlir::weft {

struct KernelStats {
  std::string function;
  /// Loop nests at the function's top level: linalg ops, copies and loops
  /// (a tiled kernel is one loop nest, however deep).
  int64_t kernels = 0;
  /// Those that are scf.forall or scf.parallel: run on several threads.
  int64_t parallelKernels = 0;
  /// Floating-point operations of one call: each arith/math float op times
  /// its vector lanes and the trip counts around it.
  double flops = 0;
  /// memref.alloc executed by one call, and the bytes they take in all.
  double allocations = 0;
  double temporaryBytes = 0;
  /// The most bytes of temporaries live at once, in program order (each
  /// loop body once): the memory one call needs. Buffers the function
  /// returns stay live to its end.
  double peakBytes = 0;
  /// Bytes of the arenas laid out at compile time (weft-pack-buffers):
  /// buffers of a fixed size and buffers the size of the batch.
  double arenaBytes = 0;
};

/// Counts `function` at batch size `batch`: a dynamic extent (a loop bound
/// or an allocation's dimension) is taken as the batch.
KernelStats countKernelStats(func::FuncOp function, int64_t batch);

/// The batch size of the model's `train` block, or 0 when it has none.
int64_t trainBatch(ModuleOp module);

/// `stats` as a table, one row per function, for `weftc --stats`.
void printKernelStatsTable(llvm::raw_ostream &os,
                           const std::vector<KernelStats> &stats,
                           int64_t batch);

/// The pass, reporting into `sink` instead of as remarks.
std::unique_ptr<Pass> createKernelStatsPass(int64_t batch,
                                            std::vector<KernelStats> *sink);

} // namespace mlir::weft

#endif // WEFT_PASSES_KERNELSTATS_H
