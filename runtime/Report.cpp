//===- Report.cpp - Classification report and confusion matrix ------------===//

#include "runtime/Report.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <nlohmann/json.hpp>

using namespace weft;

namespace {
std::string format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char *fmt, ...) {
  char buffer[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buffer, sizeof buffer, fmt, args);
  va_end(args);
  return buffer;
}

double ratio(double a, double b) { return b > 0 ? a / b : 0.0; }
} // namespace

ConfusionMatrix::ConfusionMatrix(std::vector<std::string> classNames)
    : names(std::move(classNames)), counts(names.size() * names.size(), 0) {}

void ConfusionMatrix::add(int64_t actual, int64_t predicted) {
  ++counts[size_t(actual) * names.size() + size_t(predicted)];
}

int64_t ConfusionMatrix::count(int64_t actual, int64_t predicted) const {
  return counts[size_t(actual) * names.size() + size_t(predicted)];
}

int64_t ConfusionMatrix::total() const {
  int64_t n = 0;
  for (int64_t c : counts)
    n += c;
  return n;
}

ConfusionMatrix::Scores ConfusionMatrix::scoresOf(int64_t c) const {
  int64_t classes = int64_t(names.size());
  int64_t truePositives = count(c, c), predicted = 0, support = 0;
  for (int64_t k = 0; k < classes; ++k) {
    predicted += count(k, c);
    support += count(c, k);
  }
  double precision = ratio(double(truePositives), double(predicted));
  double recall = ratio(double(truePositives), double(support));
  return {precision, recall, ratio(2 * precision * recall, precision + recall),
          support};
}

std::string ConfusionMatrix::classificationReport(int digits) const {
  // scikit-learn's layout: the name column as wide as the longest name or
  // "weighted avg", then 9-wide columns each after a double space.
  const std::string longest = "weighted avg";
  int width = int(longest.size());
  for (const std::string &name : names)
    width = std::max(width, int(name.size()));
  std::string out = format("%*s  %9s %9s %9s %9s\n\n", width, "", "precision",
                           "recall", "f1-score", "support");
  int64_t classes = int64_t(names.size()), all = total(), correct = 0;
  double macro[3] = {0, 0, 0}, weighted[3] = {0, 0, 0};
  for (int64_t c = 0; c < classes; ++c) {
    Scores s = scoresOf(c);
    correct += count(c, c);
    out += format("%*s  %9.*f %9.*f %9.*f %9lld\n", width, names[size_t(c)].c_str(),
                  digits, s.precision, digits, s.recall, digits, s.f1,
                  (long long)s.support);
    double v[3] = {s.precision, s.recall, s.f1};
    for (int k = 0; k < 3; ++k) {
      macro[k] += v[k] / double(classes);
      weighted[k] += v[k] * ratio(double(s.support), double(all));
    }
  }
  out += "\n";
  out += format("%*s  %9s %9s %9.*f %9lld\n", width, "accuracy", "", "", digits,
                ratio(double(correct), double(all)), (long long)all);
  out += format("%*s  %9.*f %9.*f %9.*f %9lld\n", width, "macro avg", digits,
                macro[0], digits, macro[1], digits, macro[2], (long long)all);
  out += format("%*s  %9.*f %9.*f %9.*f %9lld\n", width, "weighted avg", digits,
                weighted[0], digits, weighted[1], digits, weighted[2],
                (long long)all);
  return out;
}

std::string ConfusionMatrix::matrixText() const {
  int64_t classes = int64_t(names.size());
  int width = 6;
  for (const std::string &name : names)
    width = std::max(width, int(name.size()) + 1);
  for (int64_t c : counts)
    width = std::max(width, int(std::to_string(c).size()) + 1);
  std::string out = "confusion matrix (rows: true class, columns: predicted):\n";
  out += format("%*s", width, "");
  for (const std::string &name : names)
    out += format("%*s", width, name.c_str());
  out += "\n";
  for (int64_t a = 0; a < classes; ++a) {
    out += format("%*s", width, names[size_t(a)].c_str());
    for (int64_t p = 0; p < classes; ++p)
      out += format("%*lld", width, (long long)count(a, p));
    out += "\n";
  }
  return out;
}

std::string ConfusionMatrix::json() const {
  using nlohmann::json;
  json report = json::object();
  int64_t classes = int64_t(names.size()), all = total(), correct = 0;
  json macro = {{"precision", 0.0}, {"recall", 0.0}, {"f1-score", 0.0}};
  json weighted = macro;
  for (int64_t c = 0; c < classes; ++c) {
    Scores s = scoresOf(c);
    correct += count(c, c);
    report[names[size_t(c)]] = {{"precision", s.precision},
                                {"recall", s.recall},
                                {"f1-score", s.f1},
                                {"support", s.support}};
    double share = ratio(double(s.support), double(all));
    for (auto [key, v] : {std::pair<const char *, double>{"precision", s.precision},
                          {"recall", s.recall},
                          {"f1-score", s.f1}}) {
      macro[key] = macro[key].get<double>() + v / double(classes);
      weighted[key] = weighted[key].get<double>() + v * share;
    }
  }
  macro["support"] = weighted["support"] = all;
  report["accuracy"] = ratio(double(correct), double(all));
  report["macro avg"] = macro;
  report["weighted avg"] = weighted;
  json matrix = json::array();
  for (int64_t a = 0; a < classes; ++a) {
    json row = json::array();
    for (int64_t p = 0; p < classes; ++p)
      row.push_back(count(a, p));
    matrix.push_back(row);
  }
  return json{{"classes", names},
              {"classification_report", report},
              {"confusion_matrix", matrix}}
      .dump();
}
