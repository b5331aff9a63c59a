//===- DeferredSignals.h - Let a file write finish before dying -*- C++ -*-===//
//
// A checkpoint is written to a temporary file and renamed over the old one,
// so that a reader never sees half of it. Ctrl-C (or a TERM from a job
// scheduler) in the middle would still kill the process between the two
// and leave the temporary file behind. While a DeferredSignals object
// lives, such signals are only recorded; when it is destroyed the previous
// handlers come back and the first recorded signal is raised again, so the
// process ends as it would have, with the file complete or absent. The
// handlers are process-wide, so this holds whichever thread receives the
// signal. SIGKILL cannot be deferred.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_DEFERREDSIGNALS_H
#define WEFT_RUNTIME_DEFERREDSIGNALS_H

#include <csignal>

namespace weft {

class DeferredSignals {
public:
  DeferredSignals();
  ~DeferredSignals();
  DeferredSignals(const DeferredSignals &) = delete;
  DeferredSignals &operator=(const DeferredSignals &) = delete;

private:
  static constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
  struct sigaction previous[sizeof(kSignals) / sizeof(kSignals[0])];
};

} // namespace weft

#endif // WEFT_RUNTIME_DEFERREDSIGNALS_H
