//===- Evaluation.cpp - Loss, accuracy and the closing report -------------===//

#include "runtime/Evaluation.h"

#include "runtime/BatchLoader.h"
#include "runtime/Error.h"

#include <algorithm>
#include <optional>

using namespace weft;

namespace {
/// The class a row of outputs predicts. A binary classifier's one output is
/// the positive class's probability, or its logit: positive at 0.5, or at 0.
int64_t predictedClass(const Model &model, const float *row) {
  if (model.isBinary())
    return row[0] > (model.outputsLogits() ? 0.0f : 0.5f);
  return std::max_element(row, row + model.outputSize()) - row;
}
} // namespace

std::vector<std::string> weft::classNamesOf(const Model &model,
                                            const Dataset &data) {
  int64_t classes = model.isBinary() ? 2 : model.outputSize();
  std::vector<std::string> names;
  for (int64_t c = 0; c < classes; ++c)
    names.push_back(data.className(c));
  return names;
}

Metrics weft::evaluateOn(Model &model, const Dataset &data, int64_t batch,
                         bool skipBadImages, ConfusionMatrix *confusion) {
  std::vector<float> outputs;
  LoaderOptions loading;
  loading.batch = batch;
  loading.skipBadImages = skipBadImages;
  BatchLoader loader(data, epochOrder(data.count, 0, 0, false), loading);
  Metrics m;
  double lossSum = 0;
  int64_t correct = 0;
  // As in training, a batch's results are read once the next batch is
  // queued, so that on a GPU the host loads a batch while the GPU runs
  // the one before.
  struct Pending {
    QueuedCall call;
    std::vector<int32_t> labels;
  };
  std::optional<Pending> pending;
  auto finishPending = [&] {
    if (!pending)
      return;
    int64_t size = int64_t(pending->labels.size());
    lossSum +=
        double(model.evalResultsOf(pending->call, outputs)) * double(size);
    for (int64_t i = 0; i < size; ++i) {
      int64_t predicted =
          predictedClass(model, outputs.data() + i * model.outputSize());
      correct += predicted == pending->labels[size_t(i)];
      if (confusion)
        confusion->add(pending->labels[size_t(i)], predicted);
    }
    m.count += size;
    pending.reset();
  };
  for (Batch b; loader.next(b);) {
    if (b.size == 0)
      continue;
    QueuedCall call =
        model.queueEvalStep(b.inputs.data(), b.labels.data(), b.size);
    finishPending();
    pending = Pending{call, std::vector<int32_t>(b.labels.begin(),
                                                 b.labels.begin() + b.size)};
  }
  finishPending();
  if (m.count == 0)
    fail("no example of '", data.source, "' could be read");
  m.loss = lossSum / double(m.count);
  m.accuracy = double(correct) / double(m.count);
  return m;
}

void weft::printReport(const Metrics &m, const ConfusionMatrix &confusion,
                       FILE *log) {
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
