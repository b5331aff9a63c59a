//===- WeftInterfaces.h - Interfaces of the weft dialect --------*- C++ -*-===//

#ifndef WEFT_DIALECTS_WEFT_IR_WEFTINTERFACES_H
#define WEFT_DIALECTS_WEFT_IR_WEFTINTERFACES_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpDefinition.h"

#include "dialects/weft/IR/WeftInterfaces.h.inc"

namespace mlir::weft {
/// The location given to the ops that differentiate `forwardOp`: the forward
/// op's source location, named `vjp(<layer>)`.
Location getGradientLoc(Operation *forwardOp);
} // namespace mlir::weft

#endif // WEFT_DIALECTS_WEFT_IR_WEFTINTERFACES_H
