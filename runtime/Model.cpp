//===- Model.cpp - A compiled model and its buffers -----------------------===//

#include "runtime/Model.h"

#include "runtime/Error.h"
#include "runtime/OptimizerStateLayout.h"
#include "runtime/Safetensors.h"
#include "runtime/Seeds.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

using namespace weft;

namespace {
std::vector<int64_t> shapeOf(const weft_param_info &p) {
  return std::vector<int64_t>(p.shape, p.shape + p.rank);
}
} // namespace

/// Checks that `info` can run on `device` before any buffer is made there.
static cuda::Allocator<float> allocatorFor(const weft_model_info &info,
                                           Device device) {
  if (info.abi_version != WEFT_ABI_VERSION)
    fail("model ", info.name, " was compiled for runtime ABI ",
         info.abi_version, " but this runtime implements ", WEFT_ABI_VERSION);
  if (device == Device::Cpu)
    return cuda::Allocator<float>(false);
  if (!info.cuda_train_step_sgd && !info.cuda_forward)
    fail("model ", info.name, " was compiled for the CPU only; compile it "
         "with 'weftc --target=cuda' to run it with --device cuda");
  cuda::initialize();
  return cuda::Allocator<float>(true);
}

Device weft::parseDevice(const char *name) {
  if (std::strcmp(name, "cpu") == 0)
    return Device::Cpu;
  if (std::strcmp(name, "cuda") == 0)
    return Device::Cuda;
  fail("option --device expects cpu or cuda, got '", name, "'");
}

Model::Model(const weft_model_info &info, Device device)
    : model(info), where(device),
      params(size_t(info.param_size), 0.0f, allocatorFor(info, device)),
      state(size_t(info.state_size), 0.0f, params.get_allocator()),
      grads(size_t(info.param_size), 0.0f, params.get_allocator()) {
  for (int64_t i = 0; i < info.num_inputs; ++i)
    if (info.inputs[i].kind == WEFT_INPUT_DATA) {
      exampleSize = 1;
      for (int64_t d = 0; d < info.inputs[i].rank; ++d)
        exampleSize *= info.inputs[i].shape[d];
      break;
    }
}

bool weft::isBinaryLoss(const char *loss) {
  return std::string(loss).rfind("binary_cross_entropy", 0) == 0;
}

Hyperparameters weft::defaultHyperparameters(const weft_train_defaults &d) {
  return {d.optimizer, d.lr,           d.momentum,      d.beta1,    d.beta2,
          d.eps,       d.weight_decay, d.nesterov != 0, d.clip_norm};
}

uint32_t weft::stepSeed(uint64_t runSeed, int64_t step) {
  return uint32_t(mixSeed(runSeed, uint64_t(step)) >> 32);
}

bool Model::isBinary() const {
  return isBinaryLoss(model.loss);
}

bool Model::outputsLogits() const {
  std::string loss = model.loss;
  return loss != "binary_cross_entropy" && loss != "mse";
}

int64_t Model::outputSize() const {
  int64_t n = 1;
  for (int64_t d = 0; d < model.outputs[0].rank; ++d)
    n *= model.outputs[0].shape[d];
  return n;
}

void Model::initialize(uint64_t seed) {
  settle();
  std::mt19937_64 rng(seed);
  for (int64_t i = 0; i < model.num_params; ++i) {
    const weft_param_info &p = model.params[i];
    float *data = params.data() + p.offset;
    std::string init = p.init;
    if (init == "zeros" || init == "ones") {
      std::fill_n(data, p.size, init == "ones" ? 1.0f : 0.0f);
      continue;
    }
    // nn.Linear's default: kaiming_uniform(a=sqrt(5)) for the weight and
    // U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias have the same bound.
    float bound = float(1.0 / std::sqrt(double(p.fan_in)));
    std::uniform_real_distribution<float> uniform(-bound, bound);
    for (int64_t k = 0; k < p.size; ++k)
      data[k] = uniform(rng);
  }
  resetOptimizer();
}

void Model::resetOptimizer() {
  settle();
  std::fill(state.begin(), state.end(), 0.0f);
}

namespace {
/// "a, b, c".
std::string joinList(const std::vector<std::string> &items) {
  std::string list;
  for (const std::string &item : items)
    list += (list.empty() ? "" : ", ") + item;
  return list;
}

/// PyTorch's BatchNorm counts batches in `num_batches_tracked`; Weft's
/// momentum is fixed, so the counter is accepted and ignored.
bool isIgnoredPyTorchCounter(const std::string &name) {
  const std::string suffix = ".num_batches_tracked";
  return name.size() > suffix.size() &&
         name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}
} // namespace

const char *const Model::kOptimizerStateName = "weft.optimizer_state";

Metadata Model::load(const std::string &path, bool withOptimizerState) {
  return load(readSafetensors(path), path, withOptimizerState);
}

Metadata Model::load(SafetensorsFile file, const std::string &path,
                     bool withOptimizerState) {
  settle();
  std::map<std::string, Tensor> &tensors = file.tensors;
  // Check everything before changing anything, and report every problem
  // at once: a user fixing a converted state dict wants the whole list.
  std::vector<std::string> missing, misShaped, unexpected;
  for (int64_t i = 0; i < model.num_params; ++i) {
    const weft_param_info &p = model.params[i];
    auto it = tensors.find(p.name);
    if (it == tensors.end())
      missing.push_back(std::string(p.name) + " " + shapeString(shapeOf(p)));
    else if (it->second.shape != shapeOf(p))
      misShaped.push_back(std::string(p.name) + " (file " +
                          shapeString(it->second.shape) + ", model " +
                          shapeString(shapeOf(p)) + ")");
  }
  for (const auto &entry : tensors) {
    bool known = entry.first == kOptimizerStateName ||
                 isIgnoredPyTorchCounter(entry.first);
    for (int64_t i = 0; i < model.num_params && !known; ++i)
      known = entry.first == model.params[i].name;
    if (!known)
      unexpected.push_back(entry.first);
  }
  if (!missing.empty() || !misShaped.empty() || !unexpected.empty()) {
    std::string message = "checkpoint '" + path + "' does not fit model " +
                          model.name + ":";
    if (!missing.empty())
      message += "\n  missing: " + joinList(missing);
    if (!misShaped.empty())
      message += "\n  mis-shaped: " + joinList(misShaped);
    if (!unexpected.empty())
      message += "\n  unexpected: " + joinList(unexpected);
    fail(message);
  }
  std::vector<float> stateIn;
  if (withOptimizerState) {
    auto it = tensors.find(kOptimizerStateName);
    if (it == tensors.end())
      fail("checkpoint '", path, "' holds weights only, no optimizer state; "
           "resume from a file written by 'train --save'");
    if (it->second.data.size() != state.size())
      fail("checkpoint '", path, "' holds ", it->second.data.size(),
           " floats of optimizer state but model ", model.name, " needs ",
           state.size(), "; was it saved with another optimizer?");
    stateIn = optimizerStateFromCheckpoint(std::move(it->second.data),
                                           file.metadata, model, path);
  }
  for (int64_t i = 0; i < model.num_params; ++i) {
    const weft_param_info &p = model.params[i];
    const Tensor &t = tensors[p.name];
    std::copy(t.data.begin(), t.data.end(), params.begin() + p.offset);
  }
  if (withOptimizerState)
    state.assign(stateIn.begin(), stateIn.end());
  else
    resetOptimizer();
  return file.metadata;
}

void Model::save(const std::string &path, const Metadata &metadata,
                 bool withOptimizerState) const {
  settle();
  std::vector<TensorRef> tensors;
  for (int64_t i = 0; i < model.num_params; ++i) {
    const weft_param_info &p = model.params[i];
    tensors.push_back({p.name, shapeOf(p), params.data() + p.offset});
  }
  Metadata withLayout = metadata;
  if (withOptimizerState && !state.empty()) {
    tensors.push_back(
        {kOptimizerStateName, {int64_t(state.size())}, state.data()});
    withLayout[kOptimizerStateLayoutKey] = kOptimizerStateLayout;
  }
  writeSafetensors(path, tensors, withLayout);
}

std::vector<float> Model::probabilities(const float *row) const {
  // One rule for what the outputs are: outputsLogits(), shared with the
  // accuracy threshold.
  if (isBinary()) {
    float p = outputsLogits() ? 1.0f / (1.0f + std::exp(-row[0])) : row[0];
    return {1.0f - p, p};
  }
  std::vector<float> out(row, row + outputSize());
  if (!outputsLogits())
    return out;
  float top = *std::max_element(out.begin(), out.end()), sum = 0;
  for (float &v : out)
    sum += v = std::exp(v - top);
  for (float &v : out)
    v /= sum;
  return out;
}
