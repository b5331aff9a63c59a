//===- Trainer.h - Training, evaluation and gradient checks -----*- C++ -*-===//

#ifndef WEFT_RUNTIME_TRAINER_H
#define WEFT_RUNTIME_TRAINER_H

#include "runtime/Dataset.h"
#include "runtime/Model.h"
#include "runtime/Schedule.h"

#include <string>

namespace weft {

/// Keras' EarlyStopping: stop when the monitored validation metric has not
/// improved by more than minDelta for `patience` epochs.
struct EarlyStopping {
  std::string monitor = "val_loss"; // or "val_accuracy"
  int64_t patience = 0;             // 0: never stop early
  double minDelta = 0.0;
};

struct TrainOptions {
  DataSpec data;
  double validation = 0.0; // Fraction of the training data held out.
  EarlyStopping earlyStopping;
  int64_t epochs = 1, batch = 32, seed = 0;
  int64_t steps = -1;    // Stop after this many optimizer steps (-1: never).
  bool shuffle = true;
  Hyperparameters hyper;
  LrSchedule schedule;
  std::string initPath;   // Start from these weights instead of seeded init.
  std::string resumePath; // Continue the run saved in this checkpoint.
  std::string savePath;   // Where the checkpoint goes after every epoch.
  std::string logPath;    // One JSON object per epoch (JSON Lines).
};

/// Puts the weights a run starts from into `model`: those of `--init`
/// (options.initPath) when given, else the initialisation seeded
/// options.seed.
void loadStartingWeights(Model &model, const TrainOptions &options);

/// Trains `model` as `options` say, evaluating on the validation split (or
/// the test split) after every epoch and saving a checkpoint; at the end
/// reports on the test split. Returns the process exit code.
int train(Model &model, const TrainOptions &options);

/// Loss, accuracy, classification report and confusion matrix of the
/// weights in `weightsPath` on the test split.
int evaluate(Model &model, const DataSpec &data, const std::string &weightsPath,
             int64_t batch);

/// Compares the compiled gradient of the first batch with central finite
/// differences at `samples` coordinates of every parameter. Returns 0 when
/// all agree within tolerance.
int gradcheck(Model &model, const TrainOptions &options, int64_t samples);

/// Times `steps` training steps after `warmup` untimed ones on batches
/// gathered from the training split beforehand; prints examples per second
/// and peak RSS, as a line and as JSON. Returns the process exit code.
int bench(Model &model, const TrainOptions &options, int64_t warmup,
          int64_t steps);

} // namespace weft

#endif // WEFT_RUNTIME_TRAINER_H
