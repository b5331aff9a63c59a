//===- WeftDialect.h - The weft dialect -------------------------*- C++ -*-===//

#ifndef WEFT_DIALECTS_WEFT_IR_WEFTDIALECT_H
#define WEFT_DIALECTS_WEFT_IR_WEFTDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dialect.h"

#include "dialects/weft/IR/WeftDialect.h.inc"

#endif // WEFT_DIALECTS_WEFT_IR_WEFTDIALECT_H
