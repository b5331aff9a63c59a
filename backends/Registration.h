//===- Registration.h - Everything a Weft tool registers --------*- C++ -*-===//

#ifndef WEFT_BACKENDS_REGISTRATION_H
#define WEFT_BACKENDS_REGISTRATION_H

#include "mlir/IR/DialectRegistry.h"

namespace mlir::weft {

/// The dialects and interface implementations any stage of Weft produces,
/// from the weft dialect down to the LLVM dialect and its translation.
void registerWeftDialects(DialectRegistry &registry);

/// Weft's passes and pipelines, and the upstream ones they use, for weft-opt.
void registerWeftPassesAndPipelines();

} // namespace mlir::weft

#endif // WEFT_BACKENDS_REGISTRATION_H
