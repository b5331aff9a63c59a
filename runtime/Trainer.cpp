//===- Trainer.cpp - The training loop and evaluation of saved weights ----===//
//
// The training loop, top to bottom: load data, initialise (or resume), then
// for each epoch shuffle, step through the batches a loader thread prepares
// (one fused forward + backward + update call each), evaluate on the
// validation or test split, log, save a checkpoint, and maybe stop early;
// finally report on the test split.
//
//===----------------------------------------------------------------------===//

#include "runtime/Trainer.h"

#include "runtime/BatchLoader.h"
#include "runtime/Error.h"
#include "runtime/Evaluation.h"
#include "runtime/Progress.h"
#include "runtime/RunState.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <unistd.h>

using namespace weft;

namespace {

/// Fails early, before hours of training, if `path` cannot be written.
void checkWritable(const std::string &path, const char *what) {
  std::string dir = path.find('/') == std::string::npos
                        ? "."
                        : path.substr(0, path.find_last_of('/') + 1);
  if (access(dir.c_str(), W_OK) != 0)
    fail("cannot write ", what, " '", path, "': folder '", dir, "' ",
         access(dir.c_str(), F_OK) == 0 ? "is not writable" : "does not exist");
}

struct FileCloser {
  void operator()(FILE *f) const { std::fclose(f); }
};

} // namespace

void weft::loadStartingWeights(Model &model, const TrainOptions &options) {
  if (options.initPath.empty())
    model.initialize(uint64_t(options.seed));
  else
    model.load(options.initPath);
}

int weft::train(Model &model, const TrainOptions &options) {
  const weft_model_info &info = model.info();
  if (options.batch <= 0 || options.epochs <= 0)
    fail("--batch and --epochs must be positive");
  if (options.steps == 0 || options.steps < -1)
    fail("--steps must be positive");
  const EarlyStopping &early = options.earlyStopping;
  if (early.patience > 0 && options.validation <= 0)
    fail("early stopping watches ", early.monitor, ", which needs a "
         "validation split: set validation in the train block or pass "
         "--validation 0.1");
  checkWritable(options.savePath, "checkpoints to");
  std::unique_ptr<FILE, FileCloser> log;
  if (!options.logPath.empty()) {
    // A resumed run adds to the log of the run it continues.
    log.reset(std::fopen(options.logPath.c_str(),
                         options.resumePath.empty() ? "w" : "a"));
    if (!log)
      fail("cannot write log '", options.logPath, "': ", systemError());
  }

  Dataset trainSet = loadDataset(options.data, "train", info);
  Dataset testSet = loadDataset(options.data, "test", info);
  if (testSet.classNames != trainSet.classNames)
    fail("the class folders of '", testSet.source, "' differ from those of '",
         trainSet.source, "'");
  Dataset validationSet;
  if (options.validation > 0)
    validationSet = splitValidation(trainSet, options.validation);
  bool validating = validationSet.count > 0;

  RunState run;
  if (!options.resumePath.empty())
    run = resumeFrom(model, options, trainSet);
  else
    loadStartingWeights(model, options);

  std::printf("training %s on %lld examples from %s: %s lr %g, batch %lld, "
              "%lld epoch(s)\n",
              info.name, (long long)trainSet.count, options.data.path.c_str(),
              options.hyper.optimizer.c_str(), options.hyper.lr,
              (long long)options.batch, (long long)options.epochs);
  if (validating)
    std::printf("holding out %lld examples for validation\n",
                (long long)validationSet.count);
  if (!options.resumePath.empty())
    std::printf("resuming %s after epoch %lld, step %lld\n",
                options.resumePath.c_str(), (long long)run.epoch,
                (long long)run.step);
  std::fflush(stdout);

  int64_t batchesPerEpoch = (trainSet.count + options.batch - 1) / options.batch;
  int64_t totalSteps = batchesPerEpoch * options.epochs;
  if (options.steps > 0)
    totalSteps = std::min(totalSteps, options.steps);
  Hyperparameters hyper = options.hyper;
  bool stop = run.step >= totalSteps;
  Metrics closingTest;
  std::optional<ConfusionMatrix> closingConfusion;
  for (int64_t epoch = run.epoch + 1; epoch <= options.epochs && !stop; ++epoch) {
    auto start = std::chrono::steady_clock::now();
    // A run stopped by --steps resumes inside its epoch.
    int64_t firstBatch = run.step - (epoch - 1) * batchesPerEpoch;
    LoaderOptions loading;
    loading.batch = options.batch;
    loading.augment = &options.data.augment;
    loading.seed = uint64_t(options.seed);
    loading.epoch = epoch;
    loading.skipBadImages = options.data.skipBadImages;
    BatchLoader loader(trainSet,
                       epochOrder(trainSet.count, uint64_t(options.seed), epoch,
                                  options.shuffle),
                       loading, firstBatch);
    Progress progress("epoch " + std::to_string(epoch) + "/" +
                          std::to_string(options.epochs),
                      batchesPerEpoch);
    double lossSum = 0;
    int64_t seen = 0;
    // Each step's loss is read after the next step is queued: on a GPU the
    // host prepares and queues a batch while the GPU runs the one before.
    struct Pending {
      QueuedCall call;
      int64_t step, size, position;
    };
    std::optional<Pending> pending;
    auto finishPending = [&] {
      if (!pending)
        return;
      float loss = model.lossOf(pending->call);
      if (!std::isfinite(loss))
        fail("training diverged: the loss is ", loss, " at step ",
             pending->step, "; try a lower --lr");
      lossSum += double(loss) * double(pending->size);
      seen += pending->size;
      progress.update(pending->position, lossSum / double(seen));
      pending.reset();
    };
    Batch batch;
    for (int64_t b = firstBatch; b < batchesPerEpoch && loader.next(batch); ++b) {
      // Step numbers follow batch positions, skipped images or not, so the
      // seeds and the schedule of a resumed run match an uninterrupted one.
      run.step = (epoch - 1) * batchesPerEpoch + b + 1;
      if (batch.size > 0) {
        hyper.lr = options.schedule.lrAt(options.hyper.lr, run.step, epoch,
                                         totalSteps);
        QueuedCall call = model.queueTrainStep(
            hyper, run.step, stepSeed(uint64_t(options.seed), run.step),
            batch.inputs.data(), batch.labels.data(), batch.size);
        finishPending();
        pending = Pending{call, run.step, batch.size, b + 1};
      } else {
        finishPending();
        progress.update(b + 1, seen ? lossSum / double(seen) : 0.0);
      }
      if (run.step >= totalSteps) {
        stop = true;
        break;
      }
    }
    finishPending();
    progress.finish();
    bool complete = run.step == epoch * batchesPerEpoch;
    if (complete)
      run.epoch = epoch;
    const char *split = validating ? "val" : "test";
    // Without a validation split the last epoch's test evaluation is also
    // the closing report's.
    bool last = stop || epoch == options.epochs;
    std::optional<ConfusionMatrix> testConfusion;
    if (!validating && last)
      testConfusion.emplace(classNamesOf(model, testSet));
    Metrics m = evaluateOn(model, validating ? validationSet : testSet,
                           options.batch, options.data.skipBadImages,
                           testConfusion ? &*testConfusion : nullptr);
    if (testConfusion) {
      closingTest = m;
      closingConfusion = std::move(testConfusion);
    }
    double seconds = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - start)
                         .count();
    double trainLoss = seen ? lossSum / double(seen) : 0.0;
    std::printf("epoch %lld/%lld: train_loss %.4f %s_loss %.4f "
                "%s_accuracy %.4f (%lld steps, %.1f s)\n",
                (long long)epoch, (long long)options.epochs, trainLoss, split,
                m.loss, split, m.accuracy, (long long)run.step, seconds);
    std::fflush(stdout);
    if (log) {
      std::fprintf(log.get(),
                   "{\"epoch\": %lld, \"steps\": %lld, \"train_loss\": %.6f, "
                   "\"%s_loss\": %.6f, \"%s_accuracy\": %.6f, "
                   "\"seconds\": %.3f}\n",
                   (long long)epoch, (long long)run.step, trainLoss, split,
                   m.loss, split, m.accuracy, seconds);
      std::fflush(log.get());
    }
    if (validating && complete) {
      double value = early.monitor == "val_accuracy" ? m.accuracy : m.loss;
      if (improves(early, run, value)) {
        run.best = value;
        run.bestEpoch = epoch;
        run.badEpochs = 0;
      } else {
        ++run.badEpochs;
      }
    }
    model.save(options.savePath, checkpointMetadata(options, run, trainSet),
               /*withOptimizerState=*/true);
    if (early.patience > 0 && run.badEpochs >= early.patience) {
      std::printf("early stopping: %s has not improved for %lld epoch(s); "
                  "best %.4f after epoch %lld\n",
                  early.monitor.c_str(), (long long)run.badEpochs, run.best,
                  (long long)run.bestEpoch);
      break;
    }
  }
  if (!closingConfusion) {
    closingConfusion.emplace(classNamesOf(model, testSet));
    closingTest = evaluateOn(model, testSet, options.batch,
                             options.data.skipBadImages, &*closingConfusion);
  }
  printReport(closingTest, *closingConfusion, log.get());
  std::printf("saved weights to %s\n", options.savePath.c_str());
  return 0;
}

int weft::evaluate(Model &model, const DataSpec &data,
                   const std::string &weightsPath, int64_t batch) {
  if (batch <= 0)
    fail("--batch must be positive");
  model.load(weightsPath);
  Dataset testSet = loadDataset(data, "test", model.info());
  ConfusionMatrix confusion(classNamesOf(model, testSet));
  Metrics m = evaluateOn(model, testSet, batch, data.skipBadImages, &confusion);
  printReport(m, confusion, nullptr);
  return 0;
}
