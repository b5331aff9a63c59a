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
weft_buffer bufferOf(const void *data, int64_t size) {
  void *p = const_cast<void *>(data);
  return weft_buffer{p, p, 0, size, 1};
}

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
      grads(size_t(info.param_size), 0.0f, params.get_allocator()),
      encodedLabels(params.get_allocator()),
      stagedHyper(params.get_allocator()), stagedInputs(params.get_allocator()),
      stagedOut0(params.get_allocator()), stagedOut1(params.get_allocator()),
      stagedLabels(params.get_allocator()) {
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

void Model::resetOptimizer() { std::fill(state.begin(), state.end(), 0.0f); }

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

weft_buffer Model::labelBuffer(const weft_input_info &input,
                               const int32_t *labels, int64_t batch) {
  if (input.kind == WEFT_INPUT_CLASS_LABEL) {
    if (where == Device::Cpu)
      return bufferOf(labels, batch);
    stagedLabels.assign(labels, labels + batch);
    cuda::prefetchToDevice(stagedLabels.data(),
                           size_t(batch) * sizeof(int32_t));
    return bufferOf(stagedLabels.data(), batch);
  }
  if (input.kind == WEFT_INPUT_BINARY) {
    encodedLabels.assign(labels, labels + batch);
    return bufferOf(encodedLabels.data(), batch);
  }
  // One-hot: [batch, num_classes].
  encodedLabels.assign(size_t(batch * input.num_classes), 0.0f);
  for (int64_t i = 0; i < batch; ++i)
    encodedLabels[size_t(i * input.num_classes + labels[i])] = 1.0f;
  return bufferOf(encodedLabels.data(), batch * input.num_classes);
}

void Model::call(weft_entry_fn fn, const char *name, const float *hyper,
                 int64_t hyperCount, const float *inputs, const int32_t *labels,
                 int64_t batch, float *out0, int64_t out0Size, float *out1,
                 int64_t out1Size) {
  if (!fn)
    fail("model ", model.name, " was compiled without the '", name,
         "' entry point");
  // On a GPU, what the host passes goes through managed memory.
  bool gpu = where == Device::Cuda;
  float *results0 = out0, *results1 = out1;
  if (gpu) {
    stagedHyper.assign(hyper, hyper + hyperCount);
    hyper = stagedHyper.data();
    stagedInputs.assign(inputs, inputs + batch * exampleSize);
    inputs = stagedInputs.data();
    stagedOut0.resize(size_t(out0Size));
    stagedOut1.resize(size_t(out1Size));
    results0 = stagedOut0.data();
    results1 = stagedOut1.data();
    // The host wrote the inputs and read the last call's results: both
    // move back to the GPU in one copy each. The hyperparameters stay,
    // since the entry point's host code reads them.
    cuda::prefetchToDevice(inputs, stagedInputs.size() * sizeof(float));
    cuda::prefetchToDevice(results0, stagedOut0.size() * sizeof(float));
    cuda::prefetchToDevice(results1, stagedOut1.size() * sizeof(float));
  }
  std::vector<weft_buffer> buffers{
      bufferOf(params.data(), int64_t(params.size())),
      bufferOf(state.data(), int64_t(state.size())),
      bufferOf(hyper, hyperCount),
      bufferOf(grads.data(), int64_t(grads.size())),
  };
  // Inputs in declaration order; `forward` takes no labels.
  for (int64_t i = 0; i < model.num_inputs; ++i) {
    if (model.inputs[i].kind == WEFT_INPUT_DATA)
      buffers.push_back(bufferOf(inputs, batch * exampleSize));
    else if (labels)
      buffers.push_back(labelBuffer(model.inputs[i], labels, batch));
  }
  buffers.push_back(bufferOf(results0, out0Size));
  buffers.push_back(bufferOf(results1, out1Size));
  std::vector<weft_buffer *> args;
  for (weft_buffer &b : buffers)
    args.push_back(&b);
  fn(args.data());
  if (gpu) {
    cuda::synchronize();
    std::copy(stagedOut0.begin(), stagedOut0.end(), out0);
    std::copy(stagedOut1.begin(), stagedOut1.end(), out1);
  }
}

/// The seed as compiled code reads it: a uint32 in a float's bits.
static float seedBits(uint32_t seed) {
  float bits;
  std::memcpy(&bits, &seed, sizeof bits);
  return bits;
}

float Model::trainStep(const Hyperparameters &hp, int64_t step, uint32_t seed,
                       const float *inputs, const int32_t *labels,
                       int64_t batch) {
  float loss = 0;
  // The order of weft_model.h: the seed, then the optimizer's scalars.
  if (hp.optimizer == "sgd") {
    float hyper[] = {seedBits(seed),        float(hp.lr),
                     float(hp.momentum),    float(hp.weightDecay),
                     float(hp.nesterov),    float(hp.clipNorm)};
    call(entry(model.train_step_sgd, model.cuda_train_step_sgd),
         "train_step_sgd", hyper, 6, inputs, labels, batch, &loss, 1, nullptr,
         0);
  } else if (hp.optimizer == "adam" || hp.optimizer == "adamw") {
    float decoupled = hp.optimizer == "adamw" ? 1.0f : 0.0f;
    float hyper[] = {seedBits(seed),  float(hp.lr),          float(hp.beta1),
                     float(hp.beta2), float(hp.eps),         float(hp.weightDecay),
                     float(step),     decoupled,             float(hp.clipNorm)};
    call(entry(model.train_step_adam, model.cuda_train_step_adam),
         "train_step_adam", hyper, 9, inputs, labels, batch, &loss, 1, nullptr,
         0);
  } else {
    fail("unknown optimizer '", hp.optimizer, "'; expected sgd, adam or adamw");
  }
  return loss;
}

float Model::evalStep(const float *inputs, const int32_t *labels, int64_t batch,
                      std::vector<float> &outputs) {
  float loss = 0;
  outputs.resize(size_t(batch * outputSize()));
  call(entry(model.eval_step, model.cuda_eval_step), "eval_step", nullptr, 0,
       inputs, labels, batch, &loss, 1, outputs.data(),
       int64_t(outputs.size()));
  return loss;
}

float Model::computeGradients(uint32_t seed, const float *inputs,
                              const int32_t *labels, int64_t batch) {
  float loss = 0;
  float hyper[] = {seedBits(seed)};
  call(entry(model.gradients, model.cuda_gradients), "gradients", hyper, 1,
       inputs, labels, batch, &loss, 1, nullptr, 0);
  return loss;
}

void Model::forward(const float *inputs, int64_t batch,
                    std::vector<float> &outputs) {
  outputs.resize(size_t(batch * outputSize()));
  call(entry(model.forward, model.cuda_forward), "forward", nullptr, 0, inputs,
       nullptr, batch, outputs.data(), int64_t(outputs.size()), nullptr, 0);
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
