//===- OptimizerStateLayout.h - Optimizer state in checkpoints -*- C++ -*-===//
//-*-===//
//
// The optimizer state is one flat buffer: each kind of state (SGD's
// momentum; Adam's first, then second moments) for every trainable
// parameter in turn, so that one loop updates every parameter. Checkpoints
// written before that layout held each parameter's state together; they
// carry no layout key and are converted when read.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_OPTIMIZERSTATELAYOUT_H
#define WEFT_RUNTIME_OPTIMIZERSTATELAYOUT_H

#include "runtime/Safetensors.h"
#include "runtime/weft_model.h"

#include <string>
#include <vector>

namespace weft {

/// The checkpoint metadata key naming the optimizer state's layout, and the
/// layout this runtime writes.
extern const char *const kOptimizerStateLayoutKey;
extern const char *const kOptimizerStateLayout;

/// `state`, read from the checkpoint `path` with `metadata`, in the layout
/// `model`'s entry points use: converted if the file holds the older layout
/// (each parameter's state together). Throws weft::Error for a layout this
/// runtime does not know.
std::vector<float> optimizerStateFromCheckpoint(std::vector<float> state,
                                                const Metadata &metadata,
                                                const weft_model_info &model,
                                                const std::string &path);

} // namespace weft

#endif // WEFT_RUNTIME_OPTIMIZERSTATELAYOUT_H
