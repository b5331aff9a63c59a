//===- WeftInterfaces.td - Interfaces of the weft dialect --*- tablegen -*-===//

#ifndef WEFT_INTERFACES
#define WEFT_INTERFACES

include "mlir/IR/OpBase.td"

def Weft_DifferentiableOpInterface : OpInterface<"DifferentiableOpInterface"> {
  let cppNamespace = "::mlir::weft";
  let description = [{
    An operation that reverse-mode differentiation can pass through. Given the
    gradients of the loss with respect to the operation's results, it builds
    the gradients with respect to its operands (the vector-Jacobian product)
    out of ordinary operations, at the builder's insertion point.
  }];
  let methods = [
    InterfaceMethod<[{
        Builds the vector-Jacobian product. `resultGrads[i]` is the gradient
        with respect to result `i`; it is null when no use of that result
        reaches the loss (the operation then treats it as zero).
        `operandGrads` is resized to the number of operands; entry `i`
        receives the gradient with respect to operand `i`, or stays null for
        operands that are not differentiable (class labels, for instance).
      }],
      "::llvm::LogicalResult", "buildVectorJacobianProduct",
      (ins "::mlir::OpBuilder &":$builder,
           "::mlir::ValueRange":$resultGrads,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGrads)>
  ];
}

#endif // WEFT_INTERFACES
