//===- Progress.cpp - Progress of long work on a terminal -----------------===//

#include "runtime/Progress.h"

#include <cstdio>
#include <unistd.h>

using namespace weft;
using Clock = std::chrono::steady_clock;

Progress::Progress(std::string label, int64_t total)
    : label(std::move(label)), total(total), enabled(isatty(STDERR_FILENO)),
      start(Clock::now()), lastDraw() {}

void Progress::update(int64_t done, double loss) {
  if (!enabled)
    return;
  Clock::time_point now = Clock::now();
  if (done < total && now - lastDraw < std::chrono::milliseconds(100))
    return;
  lastDraw = now;
  const int width = 30;
  int filled = total > 0 ? int(width * done / total) : width;
  std::string bar(size_t(filled), '#');
  bar.append(size_t(width - filled), '.');
  double seconds = std::chrono::duration<double>(now - start).count();
  std::fprintf(stderr, "\r%s [%s] %lld/%lld loss %.4f %.1fs ", label.c_str(),
               bar.c_str(), (long long)done, (long long)total, loss, seconds);
  std::fflush(stderr);
}

void Progress::finish() {
  if (enabled)
    std::fprintf(stderr, "\r\033[K");
}
