//===- Trainer.cpp - Training, evaluation and gradient checks -------------===//
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
#include "runtime/Progress.h"
#include "runtime/Report.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <unistd.h>

using namespace weft;

namespace {

struct Metrics {
  double loss = 0, accuracy = 0;
  int64_t count = 0;
};

/// The class a row of outputs predicts. A binary classifier's one output is
/// the positive class's probability, or its logit: positive at 0.5, or at 0.
int64_t predictedClass(const Model &model, const float *row) {
  if (model.isBinary())
    return row[0] > (model.outputsLogits() ? 0.0f : 0.5f);
  return std::max_element(row, row + model.outputSize()) - row;
}

/// The class names of a report: the folder names, or the label numbers.
std::vector<std::string> classNamesOf(const Model &model, const Dataset &data) {
  int64_t classes = model.isBinary() ? 2 : model.outputSize();
  std::vector<std::string> names;
  for (int64_t c = 0; c < classes; ++c)
    names.push_back(data.className(c));
  return names;
}

/// Mean loss and accuracy of `model` over `data`, in batches of `batch`,
/// filling `confusion` if given.
Metrics evaluateOn(Model &model, const Dataset &data, int64_t batch,
                   bool skipBadImages, ConfusionMatrix *confusion = nullptr) {
  std::vector<float> outputs;
  LoaderOptions loading;
  loading.batch = batch;
  loading.skipBadImages = skipBadImages;
  BatchLoader loader(data, epochOrder(data.count, 0, 0, false), loading);
  Metrics m;
  double lossSum = 0;
  int64_t correct = 0;
  for (Batch b; loader.next(b);) {
    if (b.size == 0)
      continue;
    lossSum += double(model.evalStep(b.inputs.data(), b.labels.data(), b.size,
                                     outputs)) * double(b.size);
    for (int64_t i = 0; i < b.size; ++i) {
      int64_t predicted = predictedClass(model, outputs.data() + i * model.outputSize());
      correct += predicted == b.labels[size_t(i)];
      if (confusion)
        confusion->add(b.labels[size_t(i)], predicted);
    }
    m.count += b.size;
  }
  if (m.count == 0)
    fail("no example of '", data.source, "' could be read");
  m.loss = lossSum / double(m.count);
  m.accuracy = double(correct) / double(m.count);
  return m;
}

/// Prints and logs the closing report on the test split: loss, accuracy,
/// the classification report and the confusion matrix.
void printReport(const Metrics &m, const ConfusionMatrix &confusion, FILE *log) {
  std::printf("test_loss %.4f test_accuracy %.4f (%lld examples)\n\n%s\n%s",
              m.loss, m.accuracy, (long long)m.count,
              confusion.classificationReport().c_str(),
              confusion.matrixText().c_str());
  std::fflush(stdout);
  if (log) {
    std::string report = confusion.json();
    std::fprintf(log, "{\"test_loss\": %.6f, \"test_accuracy\": %.6f, %s\n",
                 m.loss, m.accuracy, report.c_str() + 1);
    std::fflush(log);
  }
}

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

/// Where a run stands; saved in every checkpoint's metadata so that
/// --resume continues it exactly.
struct RunState {
  int64_t epoch = 0; // Completed epochs.
  int64_t step = 0;  // Optimizer steps taken.
  double best = 0;   // Early stopping: the best monitored value so far,
  int64_t bestEpoch = 0, badEpochs = 0; // when, and epochs since.
};

int64_t metadataInt(const Metadata &meta, const std::string &key,
                    const std::string &path) {
  auto it = meta.find(key);
  char *end = nullptr;
  long long v = it == meta.end() ? 0 : std::strtoll(it->second.c_str(), &end, 10);
  if (it == meta.end() || end == it->second.c_str() || *end)
    fail("checkpoint '", path, "' lacks the training state '", key,
         "' that --resume needs; it was not written by 'train'");
  return v;
}

Metadata checkpointMetadata(const TrainOptions &o, const RunState &s,
                            const Dataset &train) {
  char best[64];
  std::snprintf(best, sizeof best, "%.17g", s.best);
  std::string classes;
  for (const std::string &name : train.classNames)
    classes += (classes.empty() ? "" : "\n") + name;
  return {{"weft.epoch", std::to_string(s.epoch)},
          {"weft.step", std::to_string(s.step)},
          {"weft.seed", std::to_string(o.seed)},
          {"weft.batch", std::to_string(o.batch)},
          {"weft.optimizer", o.hyper.optimizer},
          {"weft.train_examples", std::to_string(train.count)},
          {"weft.best", best},
          {"weft.best_epoch", std::to_string(s.bestEpoch)},
          {"weft.bad_epochs", std::to_string(s.badEpochs)},
          {"weft.classes", classes}};
}

/// Loads a checkpoint to resume from and checks that the run it continues
/// is this one: same seed, batch, optimizer and training set.
RunState resumeFrom(Model &model, const TrainOptions &o, const Dataset &train) {
  const std::string &path = o.resumePath;
  Metadata meta = model.load(path, /*withOptimizerState=*/true);
  RunState s;
  s.epoch = metadataInt(meta, "weft.epoch", path);
  s.step = metadataInt(meta, "weft.step", path);
  s.bestEpoch = metadataInt(meta, "weft.best_epoch", path);
  s.badEpochs = metadataInt(meta, "weft.bad_epochs", path);
  s.best = std::strtod(meta["weft.best"].c_str(), nullptr);
  auto same = [&](const char *key, const std::string &now, const char *flag) {
    if (meta[key] != now)
      fail("checkpoint '", path, "' continues a run with ", flag, " ",
           meta[key], ", not ", now, "; resume with the same setting");
  };
  same("weft.seed", std::to_string(o.seed), "--seed");
  same("weft.batch", std::to_string(o.batch), "--batch");
  same("weft.optimizer", o.hyper.optimizer, "--optimizer");
  same("weft.train_examples", std::to_string(train.count),
       "a training set (after the validation split) of size");
  return s;
}

/// Whether `value` of the monitored metric improves on the best so far.
bool improves(const EarlyStopping &e, const RunState &s, double value) {
  if (s.bestEpoch == 0)
    return true;
  return e.monitor == "val_accuracy" ? value > s.best + e.minDelta
                                     : value < s.best - e.minDelta;
}

} // namespace

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
  else if (!options.initPath.empty())
    model.load(options.initPath);
  else
    model.initialize(uint64_t(options.seed));

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
    Batch batch;
    for (int64_t b = firstBatch; b < batchesPerEpoch && loader.next(batch); ++b) {
      // Step numbers follow batch positions, skipped images or not, so the
      // seeds and the schedule of a resumed run match an uninterrupted one.
      run.step = (epoch - 1) * batchesPerEpoch + b + 1;
      if (batch.size > 0) {
        hyper.lr = options.schedule.lrAt(options.hyper.lr, run.step, epoch,
                                         totalSteps);
        float loss = model.trainStep(hyper, run.step,
                                     stepSeed(uint64_t(options.seed), run.step),
                                     batch.inputs.data(), batch.labels.data(),
                                     batch.size);
        if (!std::isfinite(loss))
          fail("training diverged: the loss is ", loss, " at step ", run.step,
               "; try a lower --lr");
        lossSum += double(loss) * double(batch.size);
        seen += batch.size;
      }
      progress.update(b + 1, seen ? lossSum / double(seen) : 0.0);
      if (run.step >= totalSteps) {
        stop = true;
        break;
      }
    }
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

int weft::gradcheck(Model &model, const TrainOptions &options, int64_t samples) {
  const weft_model_info &info = model.info();
  Dataset data = loadDataset(options.data, "test", info);
  if (options.initPath.empty())
    model.initialize(uint64_t(options.seed));
  else
    model.load(options.initPath);
  int64_t n = std::min(options.batch, data.count);
  std::vector<int64_t> indices(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    indices[size_t(i)] = i;
  std::vector<float> inputs;
  std::vector<int32_t> labels;
  gatherBatch(data, indices.data(), n, inputs, labels);

  // One seed for every evaluation, so that dropout keeps one mask and the
  // loss is one smooth function of the parameters.
  uint32_t seed = stepSeed(uint64_t(options.seed), 0);
  // One call gives both the loss at the unperturbed point and the gradient.
  double base = model.computeGradients(seed, inputs.data(), labels.data(), n);
  std::vector<float> analytic = model.gradients();
  std::vector<float> &params = model.parameters();
  /// The loss with parameter k moved by `delta`.
  auto lossAt = [&](int64_t k, float delta) {
    float saved = params[size_t(k)];
    params[size_t(k)] = saved + delta;
    double loss = model.computeGradients(seed, inputs.data(), labels.data(), n);
    params[size_t(k)] = saved;
    return loss;
  };
  // Float32 forces a large step h, and then a ReLU kink inside [p-h, p+h]
  // breaks the difference quotient, not the gradient. Two signs of a kink:
  // central differences at h and h/2 disagree (a kink at distance d moves
  // them by (h-d)/2h and (h/2-d)/h of the slope change), or the second
  // difference is large (a kink at p adds the slope change times h to it,
  // where a smooth loss adds only its curvature times h^2). Such coordinates
  // are skipped and counted; too many skips fail the check.
  const float h = 1e-2f;
  const double atol = 3e-4, rtol = 2e-2;
  std::mt19937_64 rng(uint64_t(options.seed));
  int failures = 0;
  int64_t checked = 0, skipped = 0;
  for (int64_t i = 0; i < info.num_params; ++i) {
    const weft_param_info &p = info.params[i];
    if (!p.trainable)
      continue; // Running statistics have no gradient.
    std::vector<int64_t> coordinates(static_cast<size_t>(p.size));
    for (int64_t k = 0; k < p.size; ++k)
      coordinates[size_t(k)] = k;
    std::shuffle(coordinates.begin(), coordinates.end(), rng);
    coordinates.resize(size_t(std::min(samples, p.size)));
    double worst = 0;
    for (int64_t c : coordinates) {
      int64_t k = p.offset + c;
      double up = lossAt(k, h), down = lossAt(k, -h);
      double coarse = (up - down) / (2.0 * double(h));
      double fine = (lossAt(k, h / 2) - lossAt(k, -h / 2)) / double(h);
      double curvature = std::fabs(up - 2.0 * base + down) / (2.0 * double(h));
      double smoothness = 0.25 * (atol + rtol * std::fabs(fine));
      if (std::fabs(coarse - fine) > smoothness || curvature > smoothness) {
        ++skipped;
        continue;
      }
      ++checked;
      double error = std::fabs(fine - double(analytic[size_t(k)]));
      double allowed = atol + rtol * std::fabs(fine);
      worst = std::max(worst, error / allowed);
      if (error > allowed) {
        ++failures;
        std::printf("  %s[%lld]: compiled %.6g, finite difference %.6g\n",
                    p.name, (long long)c, analytic[size_t(k)], fine);
      }
    }
    std::printf("gradcheck %-24s worst error %.3f of tolerance\n", p.name, worst);
  }
  std::printf("gradcheck: %lld coordinates checked, %lld skipped at kinks\n",
              (long long)checked, (long long)skipped);
  if (skipped > checked)
    ++failures;
  std::printf("gradcheck: %s\n", failures ? "FAILED" : "PASSED");
  return failures ? 1 : 0;
}
