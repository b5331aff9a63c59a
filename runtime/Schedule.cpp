//===- Schedule.cpp - Learning-rate schedules -----------------------------===//

#include "runtime/Schedule.h"

#include "runtime/Error.h"

#include <algorithm>
#include <cmath>

using namespace weft;

double LrSchedule::lrAt(double baseLr, int64_t step, int64_t epoch,
                        int64_t totalSteps) const {
  // PyTorch's schedulers count from 0: the first step uses t = 0.
  double t = double(step - 1), total = double(std::max<int64_t>(totalSteps, 1));
  if (kind == "constant")
    return baseLr;
  if (kind == "step")
    return baseLr * std::pow(gamma, double((epoch - 1) / every));
  if (kind == "cosine")
    return minLr + (baseLr - minLr) * (1.0 + std::cos(M_PI * t / total)) / 2.0;
  if (kind == "linear") {
    if (t < double(warmup))
      return baseLr * t / double(std::max<int64_t>(warmup, 1));
    return baseLr * std::max(0.0, (total - t) /
                                      std::max(1.0, total - double(warmup)));
  }
  fail("unknown learning-rate schedule '", kind,
       "'; expected constant, step, cosine or linear");
}
