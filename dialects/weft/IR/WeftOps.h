//===- WeftOps.h - Operations of the weft dialect ---------------*- C++ -*-===//

#ifndef WEFT_DIALECTS_WEFT_IR_WEFTOPS_H
#define WEFT_DIALECTS_WEFT_IR_WEFTOPS_H

#include "dialects/weft/IR/WeftDialect.h"
#include "dialects/weft/IR/WeftInterfaces.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "dialects/weft/IR/WeftOps.h.inc"

#endif // WEFT_DIALECTS_WEFT_IR_WEFTOPS_H
