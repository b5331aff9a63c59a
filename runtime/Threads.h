//===- Threads.h - How many threads the generated code runs on --*- C++ -*-===//
//
// Kernels whose blocks run in parallel are OpenMP loops in the generated
// code (LLVM's libomp). The count is OpenMP's: OMP_NUM_THREADS when set,
// otherwise every core the process may run on; `--threads` overrides both.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_THREADS_H
#define WEFT_RUNTIME_THREADS_H

#include <cstdint>

namespace weft {

/// Runs the generated code's parallel loops on `count` threads (at least 1).
void setThreadCount(int64_t count);

/// The threads the next parallel loop will use.
int64_t threadCount();

} // namespace weft

#endif // WEFT_RUNTIME_THREADS_H
