//===- Trainer.cpp - Training, evaluation and gradient checks -------------===//
//
// The training loop, top to bottom: load data, initialise, then for each
// epoch shuffle, step through the batches (one fused forward + backward +
// update call each), evaluate on the test split, log; finally save.
//
//===----------------------------------------------------------------------===//

#include "runtime/Trainer.h"

#include "runtime/Dataset.h"
#include "runtime/Error.h"
#include "runtime/Progress.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <unistd.h>

using namespace weft;

namespace {

struct Metrics {
  double loss = 0, accuracy = 0;
};

/// Mean loss and accuracy of `model` over `data`, in batches of `batch`.
Metrics evaluateOn(Model &model, const Dataset &data, int64_t batch) {
  std::vector<float> inputs, outputs;
  std::vector<int32_t> labels;
  std::vector<int64_t> indices(size_t(data.count));
  for (int64_t i = 0; i < data.count; ++i)
    indices[size_t(i)] = i;
  int64_t classes = model.outputSize();
  // A binary classifier's one output is the positive class's probability,
  // or its logit: positive at 0.5, or at 0.
  bool binary = model.isBinary();
  float threshold = model.outputsLogits() ? 0.0f : 0.5f;
  double lossSum = 0;
  int64_t correct = 0;
  for (int64_t start = 0; start < data.count; start += batch) {
    int64_t n = std::min(batch, data.count - start);
    gatherBatch(data, indices.data() + start, n, inputs, labels);
    lossSum += double(model.evalStep(inputs.data(), labels.data(), n, outputs)) * n;
    for (int64_t i = 0; i < n; ++i) {
      const float *row = outputs.data() + i * classes;
      int64_t predicted = binary ? int64_t(row[0] > threshold)
                                 : std::max_element(row, row + classes) - row;
      correct += predicted == labels[size_t(i)];
    }
  }
  return {lossSum / double(data.count), double(correct) / double(data.count)};
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

} // namespace

int weft::train(Model &model, const TrainOptions &options) {
  const weft_model_info &info = model.info();
  if (options.batch <= 0 || options.epochs <= 0)
    fail("--batch and --epochs must be positive");
  if (options.steps == 0 || options.steps < -1)
    fail("--steps must be positive");
  checkWritable(options.savePath, "weights to");
  std::unique_ptr<FILE, FileCloser> log;
  if (!options.logPath.empty()) {
    log.reset(std::fopen(options.logPath.c_str(), "w"));
    if (!log)
      fail("cannot write log '", options.logPath, "': ", systemError());
  }

  Dataset trainSet = loadIdxDataset(options.dataDir, "train", info);
  Dataset testSet = loadIdxDataset(options.dataDir, "t10k", info);
  if (options.initPath.empty())
    model.initialize(uint64_t(options.seed));
  else
    model.load(options.initPath);

  std::printf("training %s on %lld examples from %s: %s lr %g, batch %lld, "
              "%lld epoch(s)\n",
              info.name, (long long)trainSet.count, options.dataDir.c_str(),
              options.hyper.optimizer.c_str(), options.hyper.lr,
              (long long)options.batch, (long long)options.epochs);
  std::fflush(stdout);

  EpochOrder order(trainSet.count, uint64_t(options.seed), options.shuffle);
  int64_t batchesPerEpoch = (trainSet.count + options.batch - 1) / options.batch;
  int64_t totalSteps = batchesPerEpoch * options.epochs;
  if (options.steps > 0)
    totalSteps = std::min(totalSteps, options.steps);
  Hyperparameters hyper = options.hyper;
  std::vector<float> inputs;
  std::vector<int32_t> labels;
  int64_t step = 0;
  bool stop = false;
  for (int64_t epoch = 1; epoch <= options.epochs && !stop; ++epoch) {
    auto start = std::chrono::steady_clock::now();
    const std::vector<int64_t> &indices = order.next();
    int64_t batches = batchesPerEpoch;
    Progress progress("epoch " + std::to_string(epoch) + "/" +
                          std::to_string(options.epochs),
                      batches);
    double lossSum = 0;
    int64_t seen = 0;
    for (int64_t b = 0; b < batches; ++b) {
      int64_t first = b * options.batch;
      int64_t n = std::min(options.batch, trainSet.count - first);
      gatherBatch(trainSet, indices.data() + first, n, inputs, labels);
      ++step;
      hyper.lr = options.schedule.lrAt(options.hyper.lr, step, epoch, totalSteps);
      float loss = model.trainStep(hyper, step,
                                   stepSeed(uint64_t(options.seed), step),
                                   inputs.data(), labels.data(), n);
      if (!std::isfinite(loss))
        fail("training diverged: the loss is ", loss, " at step ", step,
             "; try a lower --lr");
      lossSum += double(loss) * n;
      seen += n;
      progress.update(b + 1, lossSum / double(seen));
      if (options.steps >= 0 && step >= options.steps) {
        stop = true;
        break;
      }
    }
    progress.finish();
    Metrics test = evaluateOn(model, testSet, options.batch);
    double seconds = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - start)
                         .count();
    double trainLoss = seen ? lossSum / double(seen) : 0.0;
    std::printf("epoch %lld/%lld: train_loss %.4f test_loss %.4f "
                "test_accuracy %.4f (%lld steps, %.1f s)\n",
                (long long)epoch, (long long)options.epochs, trainLoss,
                test.loss, test.accuracy, (long long)step, seconds);
    std::fflush(stdout);
    if (log) {
      std::fprintf(log.get(),
                   "{\"epoch\": %lld, \"steps\": %lld, \"train_loss\": %.6f, "
                   "\"test_loss\": %.6f, \"test_accuracy\": %.6f, "
                   "\"seconds\": %.3f}\n",
                   (long long)epoch, (long long)step, trainLoss, test.loss,
                   test.accuracy, seconds);
      std::fflush(log.get());
    }
  }
  model.save(options.savePath);
  std::printf("saved weights to %s\n", options.savePath.c_str());
  return 0;
}

int weft::evaluate(Model &model, const std::string &dataDir,
                   const std::string &weightsPath, int64_t batch) {
  if (batch <= 0)
    fail("--batch must be positive");
  model.load(weightsPath);
  Dataset testSet = loadIdxDataset(dataDir, "t10k", model.info());
  Metrics test = evaluateOn(model, testSet, batch);
  std::printf("test_loss %.4f test_accuracy %.4f (%lld examples)\n", test.loss,
              test.accuracy, (long long)testSet.count);
  return 0;
}

int weft::gradcheck(Model &model, const TrainOptions &options, int64_t samples) {
  const weft_model_info &info = model.info();
  Dataset data = loadIdxDataset(options.dataDir, "t10k", info);
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
