//===- CudaModelTest.cpp - A model's calls on the GPU path ----------------===//
//
// runtime/Model.cpp's GPU path against the fake driver: what the host
// passes goes through pinned buffers and queued copies, the entry point
// gets GPU buffers, the results come back by a queued copy, and two calls
// can be queued before the first one's results are read. The entry points
// here are C++ functions standing in for compiled ones; the fake driver's
// GPU memory is host memory, so they compute on the host.
//
//===----------------------------------------------------------------------===//

#include "FakeCudaDriver.h"
#include "runtime/Error.h"
#include "runtime/Model.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace {

FakeCudaControl &fake() {
  void *driver = dlopen("libcuda.so.1", RTLD_NOW);
  EXPECT_NE(driver, nullptr) << "the fake driver is not on LD_LIBRARY_PATH";
  return *reinterpret_cast<FakeCudaControl *(*)()>(
      dlsym(driver, "fakeCudaControl"))();
}

// The arguments the last call saw.
struct Seen {
  const void *hyper = nullptr, *inputs = nullptr, *labels = nullptr;
  int64_t labelCount = 0;
  std::vector<float> labelValues;
};
Seen seen;

enum Argument {
  kParams,
  kState,
  kHyper,
  kGrads,
  kInputs,
  kLabels,
  kOut0,
  kOut1
};

float *floats(weft_buffer **args, int i) {
  return static_cast<float *>(args[i]->aligned);
}

// loss = lr + sum of inputs + sum of the encoded labels.
void trainStep(weft_buffer **args) {
  seen.hyper = args[kHyper]->aligned;
  seen.inputs = args[kInputs]->aligned;
  seen.labels = args[kLabels]->aligned;
  seen.labelCount = args[kLabels]->size;
  float loss = floats(args, kHyper)[1];
  for (int64_t i = 0; i < args[kInputs]->size; ++i)
    loss += floats(args, kInputs)[i];
  const float *labels = floats(args, kLabels);
  seen.labelValues.assign(labels, labels + seen.labelCount);
  for (float label : seen.labelValues)
    loss += label;
  floats(args, kOut0)[0] = loss;
}

// eval_step: the loss 7, outputs 10 * each input.
void evalStep(weft_buffer **args) {
  floats(args, kOut0)[0] = 7.0f;
  for (int64_t i = 0; i < args[kOut1]->size; ++i)
    floats(args, kOut1)[i] = 10.0f * floats(args, kInputs)[i];
}

const int64_t kParamShape[] = {2};
const weft_param_info kParameters[] = {
    {"w", 1, kParamShape, 0, 2, "zeros", 1, 1}};
const int64_t kExampleShape[] = {2};
const int64_t kClasses[] = {2};
const weft_input_info kOneHotInputs[] = {
    {"x", WEFT_INPUT_DATA, 1, kExampleShape, 0},
    {"y", WEFT_INPUT_ONE_HOT, 1, kClasses, 2}};
const weft_output_info kOutputs[] = {{"out", 1, kExampleShape}};

weft_model_info oneHotModel() {
  weft_model_info info{};
  info.abi_version = WEFT_ABI_VERSION;
  info.name = "Fake";
  info.num_params = 1;
  info.params = kParameters;
  info.param_size = 2;
  info.state_size = 2;
  info.num_inputs = 2;
  info.inputs = kOneHotInputs;
  info.num_outputs = 1;
  info.outputs = kOutputs;
  info.loss = "categorical_cross_entropy";
  info.train_step_sgd = trainStep;
  info.cuda_train_step_sgd = trainStep;
  info.cuda_eval_step = evalStep;
  return info;
}

weft::Hyperparameters sgd(double lr) {
  weft::Hyperparameters hp{"sgd", lr, 0, 0.9, 0.999, 1e-8, 0};
  return hp;
}

// The batch and its one-hot labels reach the entry point through queued
// copies into GPU memory, not the caller's pointers; the hyperparameters,
// which the host code reads, are pinned; the loss comes back by a queued
// copy on the same stream, and the host waits for an event, not the stream.
TEST(CudaModel, PassesTheBatchThroughQueuedCopies) {
  weft_model_info info = oneHotModel();
  weft::Model model(info, weft::Device::Cuda);
  std::vector<float> inputs{1, 2, 3, 4};
  std::vector<int32_t> labels{1, 0};
  FakeCudaControl before = fake();
  float loss = model.trainStep(sgd(0.5), 1, 0, inputs.data(), labels.data(), 2);
  EXPECT_FLOAT_EQ(loss, 0.5f + 10.0f + 2.0f);
  EXPECT_EQ(fake().copiesToDevice, before.copiesToDevice + 2);
  EXPECT_EQ(fake().copiesToHost, before.copiesToHost + 1);
  EXPECT_EQ(fake().lastCopyStream, fake().stream);
  EXPECT_EQ(fake().eventRecords, before.eventRecords + 1);
  EXPECT_EQ(fake().eventWaits, before.eventWaits + 1);
  EXPECT_EQ(fake().streamWaits, before.streamWaits);
  EXPECT_NE(seen.inputs, inputs.data());
  EXPECT_NE(seen.labels, labels.data());
  EXPECT_EQ(seen.labelCount, 4);
  EXPECT_EQ(seen.labelValues, (std::vector<float>{0, 1, 1, 0}));
}

// Two steps are queued before either loss is read, each with its own
// hyperparameters; a third reuses the first one's buffers, after which
// its loss can no longer be read, and saying so is an error.
TEST(CudaModel, QueuesTwoStepsAhead) {
  weft_model_info info = oneHotModel();
  weft::Model model(info, weft::Device::Cuda);
  std::vector<float> inputs{1, 0, 0, 0};
  std::vector<int32_t> labels{0, 0};
  weft::QueuedCall first =
      model.queueTrainStep(sgd(0.25), 1, 0, inputs.data(), labels.data(), 2);
  const void *firstHyper = seen.hyper;
  weft::QueuedCall second =
      model.queueTrainStep(sgd(0.5), 2, 0, inputs.data(), labels.data(), 2);
  EXPECT_NE(seen.hyper, firstHyper);
  EXPECT_FLOAT_EQ(model.lossOf(first), 0.25f + 1.0f + 2.0f);
  EXPECT_FLOAT_EQ(model.lossOf(second), 0.5f + 1.0f + 2.0f);
  model.queueTrainStep(sgd(1), 3, 0, inputs.data(), labels.data(), 2);
  EXPECT_EQ(seen.hyper, firstHyper);
  EXPECT_THROW(model.lossOf(first), weft::Error);
}

// eval_step's two outputs come back in one pinned buffer.
TEST(CudaModel, ReturnsBothOutputsOfAnEvaluation) {
  weft_model_info info = oneHotModel();
  weft::Model model(info, weft::Device::Cuda);
  std::vector<float> inputs{1, 2, 3, 4}, outputs;
  std::vector<int32_t> labels{0, 1};
  int before = fake().copiesToHost;
  EXPECT_FLOAT_EQ(model.evalStep(inputs.data(), labels.data(), 2, outputs),
                  7.0f);
  EXPECT_EQ(outputs, (std::vector<float>{10, 20, 30, 40}));
  EXPECT_EQ(fake().copiesToHost, before + 2);
}

// Two evaluation batches queued before either is read keep their own
// outputs.
TEST(CudaModel, QueuesEvaluationsAhead) {
  weft_model_info info = oneHotModel();
  weft::Model model(info, weft::Device::Cuda);
  std::vector<float> first{1, 2, 3, 4}, second{5, 6}, outputs;
  std::vector<int32_t> labels{0, 1};
  weft::QueuedCall a = model.queueEvalStep(first.data(), labels.data(), 2);
  weft::QueuedCall b = model.queueEvalStep(second.data(), labels.data(), 1);
  EXPECT_FLOAT_EQ(model.evalResultsOf(a, outputs), 7.0f);
  EXPECT_EQ(outputs, (std::vector<float>{10, 20, 30, 40}));
  EXPECT_FLOAT_EQ(model.evalResultsOf(b, outputs), 7.0f);
  EXPECT_EQ(outputs, (std::vector<float>{50, 60}));
}

// A kernel that failed is reported when the host waits for the step.
TEST(CudaModel, ReportsAFailedStepWhenItsLossIsRead) {
  weft_model_info info = oneHotModel();
  weft::Model model(info, weft::Device::Cuda);
  std::vector<float> inputs{1, 2, 3, 4};
  std::vector<int32_t> labels{0, 1};
  weft::QueuedCall step =
      model.queueTrainStep(sgd(0.5), 1, 0, inputs.data(), labels.data(), 2);
  fake().failNextSynchronize = true;
  try {
    model.lossOf(step);
    FAIL() << "the failure was not reported";
  } catch (const weft::Error &e) {
    EXPECT_NE(std::string(e.what()).find("CUDA_ERROR_ILLEGAL_ADDRESS"),
              std::string::npos)
        << e.what();
  }
}

// On the CPU the same calls run at once, on the caller's buffers.
TEST(CudaModel, CpuCallsRunOnTheCallersBuffers) {
  weft_model_info info = oneHotModel();
  weft::Model model(info, weft::Device::Cpu);
  std::vector<float> inputs{1, 2, 3, 4};
  std::vector<int32_t> labels{1, 0};
  int copies = fake().copiesToDevice;
  weft::QueuedCall step =
      model.queueTrainStep(sgd(0.5), 1, 0, inputs.data(), labels.data(), 2);
  EXPECT_EQ(seen.inputs, inputs.data());
  EXPECT_FLOAT_EQ(model.lossOf(step), 12.5f);
  EXPECT_EQ(fake().copiesToDevice, copies);
}

} // namespace
