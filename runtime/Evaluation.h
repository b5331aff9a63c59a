//===- Evaluation.h - Loss, accuracy and the closing report -----*- C++ -*-===//

#ifndef WEFT_RUNTIME_EVALUATION_H
#define WEFT_RUNTIME_EVALUATION_H

#include "runtime/Dataset.h"
#include "runtime/Model.h"
#include "runtime/Report.h"

#include <cstdio>

namespace weft {

struct Metrics {
  double loss = 0, accuracy = 0;
  int64_t count = 0; // Examples evaluated (unreadable images skipped).
};

/// The class names of a report: the folder names, or the label numbers.
std::vector<std::string> classNamesOf(const Model &model, const Dataset &data);

/// Mean loss and accuracy of `model` over `data`, in batches of `batch`,
/// filling `confusion` if given.
Metrics evaluateOn(Model &model, const Dataset &data, int64_t batch,
                   bool skipBadImages, ConfusionMatrix *confusion = nullptr);

/// Prints and logs (if `log`) the closing report on the test split: loss,
/// accuracy, the classification report and the confusion matrix.
void printReport(const Metrics &m, const ConfusionMatrix &confusion, FILE *log);

} // namespace weft

#endif // WEFT_RUNTIME_EVALUATION_H
