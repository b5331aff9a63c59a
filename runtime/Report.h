//===- Report.h - Classification report and confusion matrix ----*- C++ -*-===//
//
// What a practitioner reads after evaluation: per-class precision, recall,
// F1 and support in scikit-learn's classification_report layout, and the
// confusion matrix; the same numbers as JSON for the log.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_REPORT_H
#define WEFT_RUNTIME_REPORT_H

#include <cstdint>
#include <string>
#include <vector>

namespace weft {

class ConfusionMatrix {
public:
  explicit ConfusionMatrix(std::vector<std::string> classNames);

  void add(int64_t actual, int64_t predicted);
  int64_t count(int64_t actual, int64_t predicted) const;
  int64_t total() const;

  /// scikit-learn's classification_report(digits=digits) text: precision,
  /// recall and F1 are 0 where undefined (zero_division=0).
  std::string classificationReport(int digits = 4) const;
  /// The matrix with true classes as rows and predictions as columns.
  std::string matrixText() const;
  /// {"classification_report": <sklearn's output_dict form>,
  ///  "confusion_matrix": [[...]], "classes": [...]} as one line of JSON.
  std::string json() const;

private:
  struct Scores {
    double precision, recall, f1;
    int64_t support;
  };
  Scores scoresOf(int64_t c) const;

  std::vector<std::string> names;
  std::vector<int64_t> counts; // [actual * classes + predicted]
};

} // namespace weft

#endif // WEFT_RUNTIME_REPORT_H
