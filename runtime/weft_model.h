/*===- weft_model.h - What a compiled Weft model exports -----------*- C -*-===*
 *
 * The contract between code weftc generates and the runtime. A compiled
 * model defines one `weft_model` object describing its parameters, inputs,
 * outputs, training defaults and entry points. Every entry point takes the
 * same arguments, all flat buffers:
 *
 *   (params, state, hyper, grads, in_0, ..., in_k, out_0, ..., out_m)
 *
 * `params` holds every parameter and buffer back to back in `weft_param_info`
 * order and PyTorch layout; `state` the optimizer state; `hyper` the
 * scalars: for `gradients` and `train_step_*` first the step's random seed
 * (a uint32 stored in the float's bits; it draws dropout masks), then the
 * optimizer's hyperparameters (sgd: lr, momentum, weight_decay, nesterov,
 * max_grad_norm; adam: lr, beta1, beta2, eps, weight_decay, step,
 * decoupled (1 for AdamW), max_grad_norm); `grads` receives gradients in the
 * `params` layout (zero for buffers). Inputs are the model inputs in
 * declaration order (`forward` takes the data inputs only; the others take
 * labels too: int32 class indices, or floats for one-hot and binary labels),
 * batch first; the batch size is read from the first input's length. Outputs:
 *   forward:      the model outputs
 *   eval_step:    loss [1], then the model outputs
 *   gradients:    loss [1] (gradients go to `grads`)
 *   train_step_*: loss [1] (params and state are updated in place)
 * Entry points are not thread-safe for a shared `params`/`state`; distinct
 * buffers may be used from distinct threads.
 *
 *===----------------------------------------------------------------------===*/

#ifndef WEFT_RUNTIME_WEFT_MODEL_H
#define WEFT_RUNTIME_WEFT_MODEL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WEFT_ABI_VERSION 4

/** A rank-1 buffer as compiled code sees it: MLIR's memref<?xT> descriptor. */
typedef struct weft_buffer {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t size;
  int64_t stride;
} weft_buffer;

/** An entry point: args[i] is the i-th buffer of the signature above. */
typedef void (*weft_entry_fn)(weft_buffer **args);

typedef struct weft_param_info {
  const char *name;     /* checkpoint name, e.g. "fc1.weight" */
  int64_t rank;
  const int64_t *shape; /* PyTorch layout: Linear weight is [out, in] */
  int64_t offset;       /* in floats, into `params` */
  int64_t size;         /* element count */
  const char *init;     /* "uniform_fan_in", "zeros" or "ones" */
  int64_t fan_in;
  int64_t trainable;    /* 0 for buffers (BatchNorm running statistics):
                           saved and loaded, never updated by an optimizer */
} weft_param_info;

enum weft_input_kind {
  WEFT_INPUT_DATA = 0,        /* float, per-example shape */
  WEFT_INPUT_CLASS_LABEL = 1, /* int32 class index */
  WEFT_INPUT_ONE_HOT = 2,     /* float [num_classes] */
  WEFT_INPUT_BINARY = 3       /* float [1], 0 or 1 */
};

typedef struct weft_input_info {
  const char *name;
  int64_t kind;         /* weft_input_kind */
  int64_t rank;         /* per example, without the batch dimension */
  const int64_t *shape;
  int64_t num_classes;  /* class labels only */
} weft_input_info;

typedef struct weft_output_info {
  const char *name;
  int64_t rank;         /* per example */
  const int64_t *shape;
} weft_output_info;

/** The model file's `train` block; command-line flags override it. */
typedef struct weft_train_defaults {
  const char *data_format; /* "idx" or "image_folder" */
  const char *data_path;
  const char *optimizer;   /* "sgd", "adam" or "adamw" */
  double lr, momentum, beta1, beta2, eps, weight_decay;
  int64_t batch, epochs, seed;
  int64_t nesterov;        /* SGD: 1 for Nesterov momentum */
  double clip_norm;        /* largest global gradient norm; 0: no clipping */
  const char *schedule;    /* "constant", "step", "cosine" or "linear" */
  int64_t schedule_every;  /* step: epochs between decays */
  double gamma;            /* step: decay factor */
  double min_lr;           /* cosine: the final learning rate */
  int64_t warmup;          /* linear: warmup steps */
  double validation;       /* fraction of the training data held out; 0: none */
  double rescale;          /* image_folder: factor applied to the pixels */
  double shear, zoom, rotation; /* image_folder: Keras augmentation amounts */
  const char *flip;        /* "none", "horizontal", "vertical" or "both" */
  const char *monitor;     /* early stopping: "val_loss" or "val_accuracy" */
  int64_t patience;        /* early stopping: epochs without improvement; 0: off */
  double min_delta;        /* early stopping: the least change that counts */
} weft_train_defaults;

typedef struct weft_model_info {
  int64_t abi_version;     /* WEFT_ABI_VERSION */
  const char *name;
  int64_t num_params;
  const weft_param_info *params;
  int64_t param_size;      /* floats in `params` (and `grads`) */
  int64_t state_size;      /* floats in `state` */
  int64_t num_inputs;
  const weft_input_info *inputs;
  int64_t num_outputs;
  const weft_output_info *outputs;
  /* The loss scoring the first output: "softmax_cross_entropy",
     "categorical_cross_entropy", "binary_cross_entropy",
     "binary_cross_entropy_with_logits" or "mse". */
  const char *loss;
  weft_entry_fn forward, eval_step, gradients, train_step_sgd, train_step_adam;
  weft_train_defaults train;
  /* The same entry points running their loops on an NVIDIA GPU (weftc
     --target=cuda; null otherwise). Every buffer they are given must be
     memory the GPU reads: the runtime's managed memory, or pinned host
     memory for the hyperparameters, which their host code reads too. They
     return with their work queued on the runtime's one stream; the caller
     waits before it reads a result (runtime/ModelCalls.cpp). */
  weft_entry_fn cuda_forward, cuda_eval_step, cuda_gradients,
      cuda_train_step_sgd, cuda_train_step_adam;
} weft_model_info;

/** Defined by the compiled model. */
extern const weft_model_info weft_model;

#ifdef __cplusplus
}
#endif

#endif /* WEFT_RUNTIME_WEFT_MODEL_H */
