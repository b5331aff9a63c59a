//===- FakeCudaDriver.h - What tests read and set in the fake driver -*- C++ -*-===//

#ifndef WEFT_TEST_UNIT_FAKECUDADRIVER_H
#define WEFT_TEST_UNIT_FAKECUDADRIVER_H

#include <cstddef>

struct FakeCudaControl {
  int devices = 1;
  size_t memoryBytes = size_t(1) << 30;
  bool failNextSynchronize = false;
  int moduleLoads = 0, launches = 0, allocations = 0;
  unsigned lastGridX = 0, lastBlockX = 0;
  /// The stream cuStreamCreate handed out.
  const void *stream = nullptr;
  /// Pinned allocations, queued copies (bytes and stream of the last) and
  /// events recorded and waited for.
  int pinnedAllocations = 0, copiesToDevice = 0, copiesToHost = 0;
  size_t lastCopyBytes = 0;
  const void *lastCopyStream = nullptr;
  int eventRecords = 0, eventWaits = 0, streamWaits = 0;
};

#endif // WEFT_TEST_UNIT_FAKECUDADRIVER_H
