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

class Model {
public:
  /// With Device::Cuda, the model must be built with --target=cuda and a GPU
  /// must be there; throws weft::Error saying which is missing.
  explicit Model(const weft_model_info &info, Device device = Device::Cpu);

  const weft_model_info &info() const { return model; }
  Device device() const { return where; }
  DeviceFloats &parameters() { return params; }
  const DeviceFloats &parameters() const { return params; }
  const DeviceFloats &gradients() const { return grads; }

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
  /// The loss of a batch and the model outputs ([batch, classes]).
  float evalStep(const float *inputs, const int32_t *labels, int64_t batch,
                 std::vector<float> &outputs);
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
  /// The label buffer input `input` takes: class indices as they are,
  /// one-hot and binary labels encoded as floats.
  weft_buffer labelBuffer(const weft_input_info &input, const int32_t *labels,
                          int64_t batch);
  void call(weft_entry_fn fn, const char *name, const float *hyper,
            int64_t hyperCount, const float *inputs, const int32_t *labels,
            int64_t batch, float *out0, int64_t out0Size, float *out1,
            int64_t out1Size);

  /// The entry point `cpu`, or its CUDA twin on a GPU.
  weft_entry_fn entry(weft_entry_fn cpu, weft_entry_fn cuda) const {
    return where == Device::Cuda ? cuda : cpu;
  }

  const weft_model_info &model;
  Device where;
  DeviceFloats params, state, grads;
  DeviceFloats encodedLabels;
  /// On a GPU, the call's hyperparameters, inputs and outputs are copied
  /// through these, which the kernels can read.
  DeviceFloats stagedHyper, stagedInputs, stagedOut0, stagedOut1;
  std::vector<int32_t, cuda::Allocator<int32_t>> stagedLabels;
  int64_t exampleSize = 0;
};

} // namespace weft

#endif // WEFT_RUNTIME_MODEL_H
