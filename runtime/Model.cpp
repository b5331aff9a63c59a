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
      grads(size_t(info.param_size), 0.0f, params.get_allocator()) {
  for (int64_t i = 0; i < info.num_inputs; ++i)
    if (info.inputs[i].kind == WEFT_INPUT_DATA) {
      exampleSize = 1;
      for (int64_t d = 0; d < info.inputs[i].rank; ++d)
        exampleSize *= info.inputs[i].shape[d];
      break;
    }
}

Model::~Model() {
  // The GPU may still run a queued call that reads the pinned buffers.
  for (CallSlot &slot : slots) {
    try {
      slot.done.wait();
    } catch (const Error &) {
      // A failed kernel was reported, or is of no interest any more.
    }
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

const weft_input_info *Model::labelInput() const {
  for (int64_t i = 0; i < model.num_inputs; ++i)
    if (model.inputs[i].kind != WEFT_INPUT_DATA)
      return &model.inputs[i];
  return nullptr;
}

int64_t Model::encodedLabelCount(const weft_input_info &input,
                                 int64_t batch) const {
  return input.kind == WEFT_INPUT_ONE_HOT ? batch * input.num_classes : batch;
}

int64_t Model::encodeLabels(const weft_input_info &input, const int32_t *labels,
                            int64_t batch, void *out) const {
  if (input.kind == WEFT_INPUT_CLASS_LABEL) {
    std::copy_n(labels, batch, static_cast<int32_t *>(out));
    return batch;
  }
  float *encoded = static_cast<float *>(out);
  if (input.kind == WEFT_INPUT_BINARY) {
    std::copy_n(labels, batch, encoded);
    return batch;
  }
  // One-hot: [batch, num_classes].
  int64_t count = encodedLabelCount(input, batch);
  std::fill_n(encoded, count, 0.0f);
  for (int64_t i = 0; i < batch; ++i)
    encoded[i * input.num_classes + labels[i]] = 1.0f;
  return count;
}

std::vector<weft_buffer>
Model::callBuffers(const float *hyper, int64_t hyperCount, const void *inputs,
                   const void *labels, int64_t batch, int64_t labelCount,
                   float *out0, int64_t out0Size, float *out1,
                   int64_t out1Size) {
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
      buffers.push_back(bufferOf(labels, labelCount));
  }
  buffers.push_back(bufferOf(out0, out0Size));
  buffers.push_back(bufferOf(out1, out1Size));
  return buffers;
}

QueuedCall Model::queue(weft_entry_fn fn, const char *name, const float *hyper,
                        int64_t hyperCount, const float *inputs,
                        const int32_t *labels, int64_t batch, int64_t out0Size,
                        int64_t out1Size) {
  if (!fn)
    fail("model ", model.name, " was compiled without the '", name,
         "' entry point");
  QueuedCall call{size_t(calls % slots.size()), ++calls};
  CallSlot &slot = slots[call.slot];
  // The call that used this slot before has run: its pinned buffers are
  // free (on the CPU there is nothing to wait for).
  slot.done.wait();
  slot.number = call.number;
  // The second output 256-byte aligned, as the first.
  slot.out1Offset = size_t(out0Size + 63) / 64 * 64;
  slot.out1Size = size_t(out1Size);
  size_t resultFloats = slot.out1Offset + size_t(out1Size);
  const weft_input_info *labelKind = labels ? labelInput() : nullptr;
  int64_t labelCount = labelKind ? encodedLabelCount(*labelKind, batch) : 0;

  if (where == Device::Cpu) {
    const void *labelData = labels;
    if (labelKind && labelKind->kind != WEFT_INPUT_CLASS_LABEL) {
      encodedLabels.resize(size_t(labelCount));
      encodeLabels(*labelKind, labels, batch, encodedLabels.data());
      labelData = encodedLabels.data();
    }
    slot.hostResults.resize(resultFloats);
    slot.results = slot.hostResults.data();
    std::vector<weft_buffer> buffers = callBuffers(
        hyper, hyperCount, inputs, labelData, batch, labelCount, slot.results,
        out0Size, slot.results + slot.out1Offset, out1Size);
    std::vector<weft_buffer *> args;
    for (weft_buffer &b : buffers)
      args.push_back(&b);
    fn(args.data());
    return call;
  }

  // On a GPU: the host writes pinned memory, which is copied to the GPU on
  // the kernels' stream; the entry point queues its kernels behind the
  // copies and returns; the results are copied back behind the kernels.
  // The host touches no memory the kernels use, so no page moves.
  size_t hyperBytes = size_t(hyperCount) * sizeof(float);
  auto *pinnedHyper = static_cast<float *>(slot.hyper.reserve(hyperBytes));
  std::copy_n(hyper, hyperCount, pinnedHyper);
  size_t inputBytes = size_t(batch * exampleSize) * sizeof(float);
  void *pinnedInputs = slot.inputs.reserve(inputBytes);
  if (inputs)
    std::memcpy(pinnedInputs, inputs, inputBytes);
  void *gpuInputs = deviceInputs.reserve(inputBytes);
  cuda::copyToDevice(gpuInputs, pinnedInputs, inputBytes);
  void *gpuLabels = nullptr;
  if (labelKind) {
    size_t labelBytes = size_t(labelCount) * 4;
    void *pinnedLabels = slot.labels.reserve(labelBytes);
    encodeLabels(*labelKind, labels, batch, pinnedLabels);
    gpuLabels = deviceLabels.reserve(labelBytes);
    cuda::copyToDevice(gpuLabels, pinnedLabels, labelBytes);
  }
  auto *gpuResults =
      static_cast<float *>(deviceResults.reserve(resultFloats * sizeof(float)));
  std::vector<weft_buffer> buffers = callBuffers(
      pinnedHyper, hyperCount, gpuInputs, gpuLabels, batch, labelCount,
      gpuResults, out0Size, gpuResults + slot.out1Offset, out1Size);
  std::vector<weft_buffer *> args;
  for (weft_buffer &b : buffers)
    args.push_back(&b);
  fn(args.data());
  slot.results = static_cast<float *>(
      slot.pinnedResults.reserve(resultFloats * sizeof(float)));
  cuda::copyToHost(slot.results, gpuResults, size_t(out0Size) * sizeof(float));
  cuda::copyToHost(slot.results + slot.out1Offset, gpuResults + slot.out1Offset,
                   size_t(out1Size) * sizeof(float));
  slot.done.record();
  return call;
}

void Model::settle() const {
  for (CallSlot &slot : slots)
    slot.done.wait();
}

const float *Model::results(QueuedCall call) {
  CallSlot &slot = slots[call.slot];
  if (slot.number != call.number)
    fail("internal error: the results of call ", call.number,
         " were read after two more calls were queued");
  slot.done.wait();
  return slot.results;
}

/// The seed as compiled code reads it: a uint32 in a float's bits.
static float seedBits(uint32_t seed) {
  float bits;
  std::memcpy(&bits, &seed, sizeof bits);
  return bits;
}

QueuedCall Model::queueTrainStep(const Hyperparameters &hp, int64_t step,
                                 uint32_t seed, const float *inputs,
                                 const int32_t *labels, int64_t batch) {
  // The order of weft_model.h: the seed, then the optimizer's scalars.
  if (hp.optimizer == "sgd") {
    float hyper[] = {seedBits(seed),        float(hp.lr),
                     float(hp.momentum),    float(hp.weightDecay),
                     float(hp.nesterov),    float(hp.clipNorm)};
    return queue(entry(model.train_step_sgd, model.cuda_train_step_sgd),
                 "train_step_sgd", hyper, 6, inputs, labels, batch, 1, 0);
  }
  if (hp.optimizer == "adam" || hp.optimizer == "adamw") {
    float decoupled = hp.optimizer == "adamw" ? 1.0f : 0.0f;
    float hyper[] = {seedBits(seed),  float(hp.lr),          float(hp.beta1),
                     float(hp.beta2), float(hp.eps),         float(hp.weightDecay),
                     float(step),     decoupled,             float(hp.clipNorm)};
    return queue(entry(model.train_step_adam, model.cuda_train_step_adam),
                 "train_step_adam", hyper, 9, inputs, labels, batch, 1, 0);
  }
  fail("unknown optimizer '", hp.optimizer, "'; expected sgd, adam or adamw");
}

float Model::lossOf(QueuedCall step) { return results(step)[0]; }

float Model::trainStep(const Hyperparameters &hp, int64_t step, uint32_t seed,
                       const float *inputs, const int32_t *labels,
                       int64_t batch) {
  return lossOf(queueTrainStep(hp, step, seed, inputs, labels, batch));
}

QueuedCall Model::queueEvalStep(const float *inputs, const int32_t *labels,
                                int64_t batch) {
  return queue(entry(model.eval_step, model.cuda_eval_step), "eval_step",
               nullptr, 0, inputs, labels, batch, 1, batch * outputSize());
}

float Model::evalResultsOf(QueuedCall step, std::vector<float> &outputs) {
  const float *out = secondOutput(step);
  outputs.assign(out, out + slots[step.slot].out1Size);
  return results(step)[0];
}

float Model::evalStep(const float *inputs, const int32_t *labels, int64_t batch,
                      std::vector<float> &outputs) {
  return evalResultsOf(queueEvalStep(inputs, labels, batch), outputs);
}

float Model::computeGradients(uint32_t seed, const float *inputs,
                              const int32_t *labels, int64_t batch) {
  float hyper[] = {seedBits(seed)};
  return results(queue(entry(model.gradients, model.cuda_gradients),
                       "gradients", hyper, 1, inputs, labels, batch, 1, 0))[0];
}

void Model::forward(const float *inputs, int64_t batch,
                    std::vector<float> &outputs) {
  int64_t size = batch * outputSize();
  const float *out =
      results(queue(entry(model.forward, model.cuda_forward), "forward",
                    nullptr, 0, inputs, nullptr, batch, size, 0));
  outputs.assign(out, out + size);
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
