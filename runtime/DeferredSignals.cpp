//===- DeferredSignals.cpp - Let a file write finish before dying ---------===//

#include "runtime/DeferredSignals.h"

#include <atomic>

namespace {

// The first signal received while deferred; 0 if none.
volatile std::sig_atomic_t pendingSignal = 0;
// Nested scopes (a save inside a deferred section) defer to the outermost.
std::atomic<int> depth{0};

extern "C" void recordSignal(int signal) {
  if (!pendingSignal)
    pendingSignal = signal;
}

} // namespace

weft::DeferredSignals::DeferredSignals() {
  if (depth++ > 0)
    return;
  pendingSignal = 0;
  struct sigaction record = {};
  record.sa_handler = recordSignal;
  sigemptyset(&record.sa_mask);
  for (size_t i = 0; i < sizeof(kSignals) / sizeof(kSignals[0]); ++i)
    sigaction(kSignals[i], &record, &previous[i]);
}

weft::DeferredSignals::~DeferredSignals() {
  if (--depth > 0)
    return;
  for (size_t i = 0; i < sizeof(kSignals) / sizeof(kSignals[0]); ++i)
    sigaction(kSignals[i], &previous[i], nullptr);
  if (int signal = pendingSignal) {
    pendingSignal = 0;
    std::raise(signal);
  }
}
