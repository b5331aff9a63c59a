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
  /// The last cuMemPrefetchAsync_v2: where to, how much, on which stream.
  int prefetches = 0, lastPrefetchLocationType = 0;
  const void *lastPrefetchPointer = nullptr, *lastPrefetchStream = nullptr;
  size_t lastPrefetchBytes = 0;
  /// The stream cuStreamCreate handed out.
  const void *stream = nullptr;
};

#endif // WEFT_TEST_UNIT_FAKECUDADRIVER_H
