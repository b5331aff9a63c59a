//===- OptimizerStateLayoutTest.cpp - Checkpoint state layout tests -------===//

#include "runtime/OptimizerStateLayout.h"
#include "runtime/Error.h"

#include <gtest/gtest.h>

using namespace weft;

namespace {

/// A model with a 3-float weight, a 2-float running statistic (no state)
/// and a 1-float bias.
struct ThreeTensors {
  weft_param_info params[3] = {};
  weft_model_info model = {};
  ThreeTensors() {
    params[0] = {"w", 0, nullptr, 0, 3, "zeros", 1, 1};
    params[1] = {"bn.running_mean", 0, nullptr, 3, 2, "zeros", 1, 0};
    params[2] = {"b", 0, nullptr, 5, 1, "zeros", 1, 1};
    model.num_params = 3;
    model.params = params;
  }
};

TEST(OptimizerStateLayout, ConvertsEachParametersStateTogether) {
  ThreeTensors t;
  // Before the layout key: w's exp_avg, w's exp_avg_sq, b's, b's.
  std::vector<float> old = {1, 2, 3, 10, 20, 30, 4, 40};
  EXPECT_EQ(optimizerStateFromCheckpoint(old, {}, t.model, "old.safetensors"),
            (std::vector<float>{1, 2, 3, 4, 10, 20, 30, 40}));
}

TEST(OptimizerStateLayout, KeepsTheCurrentLayout) {
  ThreeTensors t;
  std::vector<float> state = {1, 2, 3, 4, 10, 20, 30, 40};
  Metadata metadata = {{kOptimizerStateLayoutKey, kOptimizerStateLayout}};
  EXPECT_EQ(optimizerStateFromCheckpoint(state, metadata, t.model, "new"),
            state);
}

TEST(OptimizerStateLayout, RejectsAnUnknownLayout) {
  ThreeTensors t;
  Metadata metadata = {{kOptimizerStateLayoutKey, "by_shard"}};
  try {
    optimizerStateFromCheckpoint({1, 2, 3, 4}, metadata, t.model, "x.st");
    FAIL() << "an unknown layout was accepted";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("'x.st' holds optimizer state laid "
                                         "out as 'by_shard'"),
              std::string::npos)
        << e.what();
  }
}

} // namespace
