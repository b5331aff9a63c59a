//===- Model.h - A compiled model and its buffers ---------------*- C++ -*-===//
//
// Owns the one contiguous parameter buffer, the optimizer state and the
// gradient buffer, and calls the compiled entry points on them.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_MODEL_H
#define WEFT_RUNTIME_MODEL_H

#include "runtime/Cuda.h"
#include "runtime/Safetensors.h"
#include "runtime/weft_model.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace weft {

/// Optimizer hyperparameters; which ones apply depends on the optimizer.
struct Hyperparameters {
  std::string optimizer; // "sgd", "adam" or "adamw"
  double lr, momentum, beta1, beta2, eps, weightDecay;
  bool nesterov = false;
  double clipNorm = 0.0; // Largest global gradient norm; 0: no clipping.
};

/// Whether `loss` (weft_model_info::loss) scores one probability (or logit)
/// of the positive class: the binary cross-entropies.
bool isBinaryLoss(const char *loss);

/// The optimizer and hyperparameters of a model file's `train` block.
Hyperparameters defaultHyperparameters(const weft_train_defaults &defaults);

/// The random seed of training step `step` of a run seeded `runSeed`: a
/// hash of both, so that a resumed run draws what an uninterrupted one does.
uint32_t stepSeed(uint64_t runSeed, int64_t step);

/// Where a model's entry points run.
enum class Device { Cpu, Cuda };

/// Parses a --device value ("cpu" or "cuda"); throws weft::Error otherwise.
Device parseDevice(const char *name);

/// Floats where the model's device reads them: the heap for the CPU, CUDA
/// managed memory (also readable on the host) for the GPU.
using DeviceFloats = std::vector<float, cuda::Allocator<float>>;

/// A call queued on a model's device whose results are not read yet; they
/// stay readable until two more calls are queued.
struct QueuedCall {
  size_t slot = 0;
  uint64_t number = 0;
};

class Model {
public:
  /// With Device::Cuda, the model must be built with --target=cuda and a GPU
  /// must be there; throws weft::Error saying which is missing.
  explicit Model(const weft_model_info &info, Device device = Device::Cpu);
  /// Waits for the GPU to finish what was queued with the model's buffers.
  ~Model();
  Model(const Model &) = delete;
  Model &operator=(const Model &) = delete;

  const weft_model_info &info() const { return model; }
  Device device() const { return where; }
  /// The buffers themselves, once the GPU is done with them.
  DeviceFloats &parameters() {
    settle();
    return params;
  }
  const DeviceFloats &parameters() const {
    settle();
    return params;
  }
  const DeviceFloats &gradients() const {
    settle();
    return grads;
  }

  /// PyTorch's default initialisation, drawn from a generator seeded `seed`.
  void initialize(uint64_t seed);
  /// The tensor that holds the optimizer state in a training checkpoint.
  static const char *const kOptimizerStateName;

  /// Loads parameters from a safetensors file, checking every name and shape
  /// against the model first; throws weft::Error listing every missing,
  /// mis-shaped and unexpected tensor. With `withOptimizerState` the
  /// optimizer state comes from the file too (it must be there); otherwise
  /// it is reset. Returns the file's metadata.
  Metadata load(const std::string &path, bool withOptimizerState = false);
  /// The same from a file already read (or received in memory), which
  /// messages call `path`.
  Metadata load(SafetensorsFile file, const std::string &path,
                bool withOptimizerState = false);
  /// Saves parameters under their PyTorch names, atomically, with
  /// `metadata` and, if asked, the optimizer state.
  void save(const std::string &path, const Metadata &metadata = {},
            bool withOptimizerState = false) const;

  /// One optimizer step on a batch; `step` counts from 1 and `seed` draws
  /// the step's dropout masks. Returns the loss before the update.
  float trainStep(const Hyperparameters &hp, int64_t step, uint32_t seed,
                  const float *inputs, const int32_t *labels, int64_t batch);
  /// The same step, queued: on a GPU it returns before the GPU has run it,
  /// so that the host can prepare and queue the next one meanwhile (the
  /// inputs and labels are copied before it returns). lossOf() waits for
  /// the step and reads its loss.
  QueuedCall queueTrainStep(const Hyperparameters &hp, int64_t step,
                            uint32_t seed, const float *inputs,
                            const int32_t *labels, int64_t batch);
  float lossOf(QueuedCall step);
  /// The loss of a batch and the model outputs ([batch, classes]).
  float evalStep(const float *inputs, const int32_t *labels, int64_t batch,
                 std::vector<float> &outputs);
  /// The same, queued as queueTrainStep() is; evalResultsOf() waits for it
  /// and returns its loss and outputs.
  QueuedCall queueEvalStep(const float *inputs, const int32_t *labels,
                           int64_t batch);
  float evalResultsOf(QueuedCall step, std::vector<float> &outputs);
  /// The model outputs ([batch, outputSize()]) of a batch of inputs.
  void forward(const float *inputs, int64_t batch, std::vector<float> &outputs);
  /// A row of outputs as class probabilities: the softmax (sigmoid for a
  /// binary model) of logits, the outputs themselves where they are already
  /// probabilities or, for mse, plain values.
  std::vector<float> probabilities(const float *row) const;
  /// The training-mode loss of a batch; its gradient lands in gradients().
  float computeGradients(uint32_t seed, const float *inputs,
                         const int32_t *labels, int64_t batch);
  /// Resets the optimizer state (momentum, moments) to zero.
  void resetOptimizer();

  /// Values per example of the first output (the number of classes).
  int64_t outputSize() const;
  /// Whether the first output is one probability (or logit) of the
  /// positive class, as binary cross-entropy scores it.
  bool isBinary() const;
  /// Whether the first output holds logits rather than probabilities (every
  /// loss but binary_cross_entropy on probabilities and mse).
  bool outputsLogits() const;

private:
  /// What one call passes in and gets back through the host. On a GPU two
  /// slots alternate, so that the host fills one while the GPU still runs
  /// the call queued from the other.
  struct CallSlot {
    /// The call that used the slot last (QueuedCall::number).
    uint64_t number = 0;
    /// Where the call's results are once it has run, where the second
    /// output starts and its size.
    float *results = nullptr;
    size_t out1Offset = 0, out1Size = 0;
    /// CPU: the outputs, written by the call.
    std::vector<float> hostResults;
    /// GPU: what the host writes (hyperparameters, which the entry point's
    /// host code reads, inputs and labels, copied to the GPU from here)
    /// and where the results are copied back to.
    cuda::PinnedBuffer hyper, inputs, labels, pinnedResults;
    /// Recorded after the call's last copy back.
    cuda::Event done;
  };

  /// Labels as input `input` takes them, written to `out`: class indices
  /// as they are, one-hot and binary labels encoded as floats. Returns the
  /// number of 4-byte values.
  int64_t encodeLabels(const weft_input_info &input, const int32_t *labels,
                       int64_t batch, void *out) const;
  /// How many 4-byte values encodeLabels() writes.
  int64_t encodedLabelCount(const weft_input_info &input, int64_t batch) const;
  /// Queues entry point `fn` (`name` for messages) on the model's device.
  QueuedCall queue(weft_entry_fn fn, const char *name, const float *hyper,
                   int64_t hyperCount, const float *inputs,
                   const int32_t *labels, int64_t batch, int64_t out0Size,
                   int64_t out1Size);
  /// Calls entry point `fn` with the parameters, state and gradients and
  /// these buffers, in the order of weft_model.h.
  void callEntry(weft_entry_fn fn, const float *hyper, int64_t hyperCount,
                 const void *inputs, const void *labels, int64_t batch,
                 int64_t labelCount, float *out0, int64_t out0Size, float *out1,
                 int64_t out1Size);
  /// Waits for `call` and returns its first output; its second starts at
  /// secondOutput().
  const float *results(QueuedCall call);
  const float *secondOutput(QueuedCall call) {
    return results(call) + slots[call.slot].out1Offset;
  }
  /// Waits until no queued call uses the model's buffers (on the CPU,
  /// none ever does).
  void settle() const;
  /// The label input the entry points take, if any.
  const weft_input_info *labelInput() const;

  /// The entry point `cpu`, or its CUDA twin on a GPU.
  weft_entry_fn entry(weft_entry_fn cpu, weft_entry_fn cuda) const {
    return where == Device::Cuda ? cuda : cpu;
  }

  const weft_model_info &model;
  Device where;
  DeviceFloats params, state, grads;
  /// CPU: one-hot and binary labels encoded as floats.
  std::vector<float> encodedLabels;
  /// Mutable: waiting for a call is no change to the model.
  mutable std::array<CallSlot, 2> slots;
  uint64_t calls = 0;
  /// GPU: where a call's inputs, labels and results are on the device; one
  /// of each serves both slots, since calls run one after another.
  cuda::DeviceBuffer deviceInputs, deviceLabels, deviceResults;
  int64_t exampleSize = 0;
};

} // namespace weft

#endif // WEFT_RUNTIME_MODEL_H
