//===- FakeLog.h - What a stand-in library was asked, at exit ---*- C++ -*-===//
//
// The stand-in driver, cuDNN and cuBLAS each append a line to
// $WEFT_FAKE_CUDA_LOG when the process exits, so that a test of a compiled
// model sees what its host code asked of them.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TEST_UNIT_FAKELOG_H
#define WEFT_TEST_UNIT_FAKELOG_H

#include <cstdarg>
#include <cstdio>
#include <cstdlib>

/// Appends a printf-formatted line to $WEFT_FAKE_CUDA_LOG, if it is set.
__attribute__((format(printf, 1, 2))) inline void
appendToFakeLog(const char *format, ...) {
  const char *path = std::getenv("WEFT_FAKE_CUDA_LOG");
  if (!path)
    return;
  FILE *log = std::fopen(path, "a");
  if (!log)
    return;
  va_list arguments;
  va_start(arguments, format);
  std::vfprintf(log, format, arguments);
  va_end(arguments);
  std::fclose(log);
}

#endif // WEFT_TEST_UNIT_FAKELOG_H
