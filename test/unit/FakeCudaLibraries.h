//===- FakeCudaLibraries.h - What tests read in the fake cuDNN, cuBLAS -*- C++
//-*-===//

#ifndef WEFT_TEST_UNIT_FAKECUDALIBRARIES_H
#define WEFT_TEST_UNIT_FAKECUDALIBRARIES_H

/// Calls the fake libcudnn.so.9 served, and what it was last asked for.
struct FakeCudnnControl {
  int forward = 0, backwardData = 0, backwardFilter = 0;
  int lastMathType = -1;
  const void *stream = nullptr;
};

/// Calls the fake libcublas.so.13 served.
struct FakeCublasControl {
  int gemms = 0;
  int lastMathMode = -1;
  const void *stream = nullptr;
};

#endif // WEFT_TEST_UNIT_FAKECUDALIBRARIES_H
