//===- Dataset.h - Labelled examples in memory ------------------*- C++ -*-===//

#ifndef WEFT_RUNTIME_DATASET_H
#define WEFT_RUNTIME_DATASET_H

#include "runtime/weft_model.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace weft {

/// Examples for a model with one float input and one class label.
struct Dataset {
  std::string source;         // For messages: the files it came from.
  int64_t count = 0;
  int64_t exampleSize = 0;    // Floats per example.
  std::vector<float> inputs;  // count * exampleSize, pixels scaled to [0, 1].
  std::vector<int32_t> labels;
};

/// Loads `<dir>/<split>-images-idx3-ubyte[.gz]` and
/// `<dir>/<split>-labels-idx1-ubyte[.gz]` (split is "train" or "t10k") and
/// checks them against `model`: image size, matching counts, labels in range.
Dataset loadIdxDataset(const std::string &dir, const std::string &split,
                       const weft_model_info &model);

/// The order in which an epoch visits the examples: shuffled with a seeded
/// generator, so a run is reproducible, or in file order.
class EpochOrder {
public:
  EpochOrder(int64_t count, uint64_t seed, bool shuffle);
  /// Returns the example indices of the next epoch.
  const std::vector<int64_t> &next();

private:
  std::vector<int64_t> order;
  std::mt19937_64 rng;
  bool shuffle;
};

/// Copies examples `indices` into contiguous batch buffers.
void gatherBatch(const Dataset &data, const int64_t *indices, int64_t n,
                 std::vector<float> &inputs, std::vector<int32_t> &labels);

} // namespace weft

#endif // WEFT_RUNTIME_DATASET_H
