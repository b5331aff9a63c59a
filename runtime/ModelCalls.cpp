//===- ModelCalls.cpp - How a model's calls reach its device --------------===//
//
// The compiled entry points take every buffer as a weft_buffer. On the
// CPU they run on the caller's buffers at once. On a GPU the host writes
// pinned memory, queues the copies to the GPU, calls the entry point (which
// queues its kernels and returns) and queues the copies of the results
// back; two sets of pinned buffers alternate, so that a caller can queue
// the next call before it reads the results of this one.
//
//===----------------------------------------------------------------------===//

#include "runtime/Model.h"

#include "runtime/Error.h"

#include <algorithm>
#include <cstring>

using namespace weft;

namespace {
weft_buffer bufferOf(const void *data, int64_t size) {
  void *p = const_cast<void *>(data);
  return weft_buffer{p, p, 0, size, 1};
}
} // namespace

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

void Model::callEntry(weft_entry_fn fn, const float *hyper, int64_t hyperCount,
                      const void *inputs, const void *labels, int64_t batch,
                      int64_t labelCount, float *out0, int64_t out0Size,
                      float *out1, int64_t out1Size) {
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
  std::vector<weft_buffer *> args;
  for (weft_buffer &b : buffers)
    args.push_back(&b);
  fn(args.data());
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
    callEntry(fn, hyper, hyperCount, inputs, labelData, batch, labelCount,
              slot.results, out0Size, slot.results + slot.out1Offset, out1Size);
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
  callEntry(fn, pinnedHyper, hyperCount, gpuInputs, gpuLabels, batch,
            labelCount, gpuResults, out0Size, gpuResults + slot.out1Offset,
            out1Size);
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
