//===- Passes.h - Weft passes and pipelines ---------------------*- C++ -*-===//

#ifndef WEFT_PASSES_PASSES_H
#define WEFT_PASSES_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

#include "dialects/weft/IR/WeftDialect.h"

namespace mlir::weft {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// Differentiation and optimizers: `@forward` and `@loss` in, plus
/// `@loss_grad` and one `@train_step_<optimizer>` out, still in weft ops.
void buildWeftTrainingPipeline(OpPassManager &pm);

/// From the training pipeline's output to linalg on tensors behind the
/// entry points of the C ABI.
void buildWeftToLinalgPipeline(OpPassManager &pm);

/// Registers the pipelines above with the pass registry (for weft-opt).
void registerWeftPipelines();

} // namespace mlir::weft

#endif // WEFT_PASSES_PASSES_H
