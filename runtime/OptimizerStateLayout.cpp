//===- OptimizerStateLayout.cpp - The optimizer state in checkpoints ------===//

#include "runtime/OptimizerStateLayout.h"

#include "runtime/Error.h"

#include <algorithm>

using namespace weft;

const char *const weft::kOptimizerStateLayoutKey =
    "weft.optimizer_state_layout";
const char *const weft::kOptimizerStateLayout = "by_state";

std::vector<float> weft::optimizerStateFromCheckpoint(
    std::vector<float> state, const Metadata &metadata,
    const weft_model_info &model, const std::string &path) {
  auto layout = metadata.find(kOptimizerStateLayoutKey);
  if (layout != metadata.end()) {
    if (layout->second != kOptimizerStateLayout)
      fail("checkpoint '", path, "' holds optimizer state laid out as '",
           layout->second, "', which this runtime does not read (it reads '",
           kOptimizerStateLayout, "'); was it written by a newer Weft?");
    return state;
  }
  // The older layout: for each trainable parameter, its `kinds` state
  // tensors one after another.
  std::vector<int64_t> sizes;
  int64_t trainable = 0;
  for (int64_t i = 0; i < model.num_params; ++i)
    if (model.params[i].trainable) {
      sizes.push_back(model.params[i].size);
      trainable += model.params[i].size;
    }
  if (trainable == 0 || int64_t(state.size()) % trainable != 0)
    return state;
  int64_t kinds = int64_t(state.size()) / trainable;
  std::vector<float> byState(state.size());
  int64_t from = 0, before = 0;
  for (int64_t size : sizes) {
    for (int64_t kind = 0; kind < kinds; ++kind, from += size)
      std::copy_n(state.begin() + from, size,
                  byState.begin() + kind * trainable + before);
    before += size;
  }
  return byState;
}
