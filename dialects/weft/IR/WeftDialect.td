//===- WeftDialect.td - The weft dialect -------------------*- tablegen -*-===//
//
// Layer-level neural-network operations on tensors with value semantics.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_DIALECT
#define WEFT_DIALECT

include "mlir/IR/OpBase.td"

def Weft_Dialect : Dialect {
  let name = "weft";
  let summary = "Layer-level neural-network operations on tensors";
  let description = [{
    The `weft` dialect is what a `.weft` model file becomes. Its operations
    are layers and losses on ranked tensors with value semantics; the batch
    dimension is the leading, dynamic dimension. Trainable parameters and
    optimizer state are module-level symbols (`weft.parameter`,
    `weft.state`) read with `weft.load` and written with `weft.store`, so the
    forward computation stays a pure data-flow graph that reverse-mode
    differentiation can walk.

    Every differentiable operation implements
    `DifferentiableOpInterface` and builds its own vector-Jacobian product
    out of weft operations, so gradients flow through the same lowering as
    the forward pass.
  }];
  let cppNamespace = "::mlir::weft";
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

#endif // WEFT_DIALECT
