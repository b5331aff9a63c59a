//===- Threads.cpp - How many threads the generated code runs on ----------===//

#include "runtime/Threads.h"

#include "runtime/Error.h"

#include <omp.h>

void weft::setThreadCount(int64_t count) {
  if (count < 1 || count > 4096)
    fail("option --threads expects a count from 1 to 4096, got ", count);
  omp_set_num_threads(int(count));
}

int64_t weft::threadCount() { return omp_get_max_threads(); }
