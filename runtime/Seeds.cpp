//===- Seeds.cpp - Seeds derived from a run's seed ------------------------===//
//
// Its own file so that what needs it (the model, for step seeds) does not
// pull in the data loaders when linked from the runtime archive.
//
//===----------------------------------------------------------------------===//

#include "runtime/Seeds.h"

uint64_t weft::mixSeed(uint64_t a, uint64_t b) {
  // SplitMix64's finaliser over the pair.
  uint64_t z = a * 0x9e3779b97f4a7c15ull + b;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
