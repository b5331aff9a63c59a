//===- Seeds.h - Seeds derived from a run's seed ----------------*- C++ -*-===//

#ifndef WEFT_RUNTIME_SEEDS_H
#define WEFT_RUNTIME_SEEDS_H

#include <cstdint>

namespace weft {

/// A 64-bit hash of two numbers, for seeds derived from a run's seed (an
/// epoch's order, a step's dropout masks).
uint64_t mixSeed(uint64_t a, uint64_t b);

} // namespace weft

#endif // WEFT_RUNTIME_SEEDS_H
