//===- LayerNames.h - Ops named in the model's terms, for remarks -*- C++ -*-===//
//
// Remarks explain the compiler's decisions to the person who wrote the
// model, so they name layers ('conv1', 'vjp(fc2)') and places in the model
// file rather than SSA values.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_LAYERNAMES_H
#define WEFT_PASSES_LAYERNAMES_H

#include "mlir/IR/Operation.h"

#include <string>

namespace mlir::weft {

/// `op` in the model's terms: the layer it came from, named by its location
/// (`'conv1'`, `'vjp(fc2)'`, `'adam(fc1.weight)'`), and where it is in the
/// model file: `'conv1' (lenet.weft:9:9)`.
std::string describeLayer(Operation *op);

} // namespace mlir::weft

#endif // WEFT_PASSES_LAYERNAMES_H
