//===- RunState.h - Where a training run stands, for --resume ---*- C++ -*-===//
//
// Every checkpoint's metadata records how far its run got (epoch, step,
// early-stopping state) and what defines the run (seed, batch, optimizer,
// training-set size), so that --resume continues exactly that run.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_RUNSTATE_H
#define WEFT_RUNTIME_RUNSTATE_H

#include "runtime/Trainer.h"

namespace weft {

struct RunState {
  int64_t epoch = 0; // Completed epochs.
  int64_t step = 0;  // Optimizer steps taken.
  double best = 0;   // Early stopping: the best monitored value so far,
  int64_t bestEpoch = 0, badEpochs = 0; // when, and epochs since.
};

/// The metadata a checkpoint of run `o` at `s` carries.
Metadata checkpointMetadata(const TrainOptions &o, const RunState &s,
                            const Dataset &train);

/// Loads the checkpoint `o.resumePath` (weights and optimizer state) and
/// checks that the run it continues is this one: same seed, batch,
/// optimizer and training set. Returns where that run stood.
RunState resumeFrom(Model &model, const TrainOptions &o, const Dataset &train);

/// Whether `value` of the monitored metric improves on the best so far.
bool improves(const EarlyStopping &e, const RunState &s, double value);

} // namespace weft

#endif // WEFT_RUNTIME_RUNSTATE_H
