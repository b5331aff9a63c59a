//===- Trainer.h - Training, evaluation and gradient checks -----*- C++ -*-===//

#ifndef WEFT_RUNTIME_TRAINER_H
#define WEFT_RUNTIME_TRAINER_H

#include "runtime/Model.h"
#include "runtime/Schedule.h"

#include <string>

namespace weft {

struct TrainOptions {
  std::string dataDir;
  int64_t epochs = 1, batch = 32, seed = 0;
  int64_t steps = -1;    // Stop after this many optimizer steps (-1: never).
  bool shuffle = true;
  Hyperparameters hyper;
  LrSchedule schedule;
  std::string initPath;  // Start from these weights instead of seeded init.
  std::string savePath;  // Where the trained weights go.
  std::string logPath;   // One JSON object per epoch (JSON Lines).
};

/// Trains `model` as `options` say, evaluating on the test split after every
/// epoch, and saves the weights. Returns the process exit code.
int train(Model &model, const TrainOptions &options);

/// Loss and accuracy of the weights in `weightsPath` on the test split.
int evaluate(Model &model, const std::string &dataDir,
             const std::string &weightsPath, int64_t batch);

/// Compares the compiled gradient of the first batch with central finite
/// differences at `samples` coordinates of every parameter. Returns 0 when
/// all agree within tolerance.
int gradcheck(Model &model, const TrainOptions &options, int64_t samples);

} // namespace weft

#endif // WEFT_RUNTIME_TRAINER_H
