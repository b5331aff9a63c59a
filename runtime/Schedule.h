//===- Schedule.h - Learning-rate schedules ---------------------*- C++ -*-===//
//
// The learning rate of each step, computed by the runtime and passed to the
// compiled step as a run-time value, so a schedule needs no recompilation.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_SCHEDULE_H
#define WEFT_RUNTIME_SCHEDULE_H

#include <cstdint>
#include <string>

namespace weft {

struct LrSchedule {
  std::string kind = "constant"; // constant, step, cosine or linear
  int64_t every = 1;             // step: epochs between decays
  double gamma = 0.1;            // step: decay factor
  double minLr = 0.0;            // cosine: the last learning rate
  int64_t warmup = 0;            // linear: warmup steps

  /// The learning rate of 1-based step `step`, in 1-based epoch `epoch`, of
  /// a run of `totalSteps` steps, starting from `baseLr`. The formulas are
  /// torch.optim.lr_scheduler's StepLR (stepped per epoch) and
  /// CosineAnnealingLR(T_max = totalSteps) (per step), and Hugging Face's
  /// get_linear_schedule_with_warmup (per step).
  double lrAt(double baseLr, int64_t step, int64_t epoch,
              int64_t totalSteps) const;
};

} // namespace weft

#endif // WEFT_RUNTIME_SCHEDULE_H
