//===- Progress.h - Progress of long work on a terminal ---------*- C++ -*-===//

#ifndef WEFT_RUNTIME_PROGRESS_H
#define WEFT_RUNTIME_PROGRESS_H

#include <chrono>
#include <cstdint>
#include <string>

namespace weft {

/// A one-line progress bar redrawn on stderr when it is a terminal; silent
/// otherwise, so logs and pipes get only the per-epoch summary lines.
class Progress {
public:
  Progress(std::string label, int64_t total);
  void update(int64_t done, double loss);
  /// Clears the bar so the next line prints cleanly.
  void finish();

private:
  std::string label;
  int64_t total;
  bool enabled;
  std::chrono::steady_clock::time_point start, lastDraw;
};

} // namespace weft

#endif // WEFT_RUNTIME_PROGRESS_H
