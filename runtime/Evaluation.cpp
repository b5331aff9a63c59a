//===- Evaluation.cpp - Loss, accuracy and the closing report -------------===//

#include "runtime/Evaluation.h"

#include "runtime/BatchLoader.h"
#include "runtime/Error.h"

#include <algorithm>

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
