//===- ReportTest.cpp - Classification report tests ----------------------===//

#include "runtime/Report.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace weft;

namespace {

/// cat: 3 right, 1 taken for a dog; dog: 2 right.
ConfusionMatrix catsAndDogs() {
  ConfusionMatrix m({"cat", "dog"});
  for (int i = 0; i < 3; ++i)
    m.add(0, 0);
  m.add(0, 1);
  m.add(1, 1);
  m.add(1, 1);
  return m;
}

TEST(Report, MatchesScikitLearnText) {
  // sklearn.metrics.classification_report([0,0,0,0,1,1], [0,0,0,1,1,1],
  //     target_names=["cat", "dog"], digits=4), character for character.
  EXPECT_EQ(catsAndDogs().classificationReport(),
            "              precision    recall  f1-score   support\n"
            "\n"
            "         cat     1.0000    0.7500    0.8571         4\n"
            "         dog     0.6667    1.0000    0.8000         2\n"
            "\n"
            "    accuracy                         0.8333         6\n"
            "   macro avg     0.8333    0.8750    0.8286         6\n"
            "weighted avg     0.8889    0.8333    0.8381         6\n");
}

TEST(Report, UndefinedPrecisionIsZero) {
  // Nothing predicted as "b": sklearn's zero_division=0 gives 0, not NaN.
  ConfusionMatrix m({"a", "b"});
  m.add(1, 0);
  m.add(0, 0);
  nlohmann::json j = nlohmann::json::parse(m.json());
  EXPECT_EQ(j["classification_report"]["b"]["precision"], 0.0);
  EXPECT_EQ(j["classification_report"]["b"]["f1-score"], 0.0);
  EXPECT_EQ(j["classification_report"]["b"]["support"], 1);
}

TEST(Report, JsonHasSklearnDictAndMatrix) {
  nlohmann::json j = nlohmann::json::parse(catsAndDogs().json());
  EXPECT_EQ(j["classes"], nlohmann::json({"cat", "dog"}));
  EXPECT_EQ(j["confusion_matrix"], nlohmann::json({{3, 1}, {0, 2}}));
  EXPECT_NEAR(j["classification_report"]["accuracy"].get<double>(), 5.0 / 6, 1e-12);
  EXPECT_NEAR(j["classification_report"]["weighted avg"]["precision"].get<double>(),
              (4 * 1.0 + 2 * 2.0 / 3) / 6, 1e-12);
  EXPECT_EQ(j["classification_report"]["macro avg"]["support"], 6);
}

TEST(Report, MatrixTextHasTrueRowsAndPredictedColumns) {
  EXPECT_EQ(catsAndDogs().matrixText(),
            "confusion matrix (rows: true class, columns: predicted):\n"
            "         cat   dog\n"
            "   cat     3     1\n"
            "   dog     0     2\n");
}

} // namespace
