//===- GpuAccumulations.h - Sums in registers, shared sums atomic -*- C++ -*-===//
//
// Rewrites weft-loops-to-gpu applies to a loop nest before it becomes a
// kernel. Loops from linalg read and write a reduction's output element on
// every step; a thread can keep it in a register instead, several of them
// when weft-register-tiles gave it a small parallel loop of outputs, which
// is unrolled first. And when weft-spread-reductions has several threads
// sum into one element, their additions must be atomic.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_GPUACCUMULATIONS_H
#define WEFT_PASSES_GPUACCUMULATIONS_H

#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::weft {

/// A thread's outputs from weft-register-tiles (a nested parallel loop of
/// a few iterations) are unrolled up to this many.
constexpr int64_t kMostUnrolledOutputs = 16;

/// Every `scf.parallel` nested in `root` with constant bounds and at most
/// `mostIterations` iterations, replaced by a copy of its body for each
/// iteration, in order. Each copy's induction variables are constants
/// defined before `root`.
void unrollNestedParallelLoops(Operation *root, int64_t mostIterations);

/// In every `scf.for` under `root`, innermost first: an element the loop
/// loads and stores at indices fixed in the loop, and touches no other way
/// (other elements of its buffer, at different constant indices, may be),
/// is loaded once before the loop, carried as an iteration argument and
/// stored once after it.
void keepAccumulatorsInRegisters(Operation *root);

/// Every store under `loop` that several of its iterations make to the same
/// element (its indices do not depend on every induction variable) becomes
/// an atomic addition, when the stored value is the element plus a term:
/// `store(load(e) + x, e)`, or a loop's sum that started from `load(e)`
/// (which then starts from zero). Fails, with an error at the store, for
/// any other such store: threads would overwrite each other.
LogicalResult makeSharedSumsAtomic(scf::ParallelOp loop);

} // namespace mlir::weft

#endif // WEFT_PASSES_GPUACCUMULATIONS_H
