/*===- weft_lib.h - The C API of a model compiled into a library ---*- C -*-===*
 *
 * `weftc MODEL.weft --emit=lib` writes libMODEL.a, libMODEL.so and MODEL.h.
 * MODEL.h is this file with every `weft_lib` replaced by the model's prefix
 * (the file name as a C identifier: fashion_cnn_create, FASHION_CNN_OK),
 * and the model's shapes and parameters described at WEFT_LIB_MODEL_INFO.
 * The runtime implements the API once (runtime/Library.cpp) under the
 * `weft_lib` names; weftc renames its symbols to the prefix and makes every
 * other symbol of the library local, so that libraries of several models
 * link into one program.
 *
 *===----------------------------------------------------------------------===*/

#ifndef WEFT_LIB_H
#define WEFT_LIB_H

/*
 * How to use it
 * -------------
 *   weft_lib_model *model;
 *   if (weft_lib_create(0, &model) != WEFT_LIB_OK) { ... }
 *   if (weft_lib_load_weights(model, "weights.safetensors") != WEFT_LIB_OK)
 *     fprintf(stderr, "%s\n", weft_lib_last_error(model));
 *   weft_lib_classify(model, images, count, classes, NULL);
 *   weft_lib_destroy(model);
 *
 * Linking
 * -------
 *   shared: cc app.c -L. -lweft_lib                (finds libweft_lib.so)
 *   static: cc app.c libweft_lib.a -lstdc++ -lomp -lm -lpthread
 * The library is C++ inside (the C++ standard library, dynamically) and runs
 * its loops on LLVM's OpenMP runtime (libomp5). Nothing is exported but the
 * functions below.
 *
 * Errors
 * ------
 * Every function that can fail returns a weft_lib_status; WEFT_LIB_OK is 0.
 * weft_lib_last_error(model) says what went wrong, naming files and shapes.
 * No C++ exception leaves the library and no error it can report aborts
 * the process. The exception: running out of memory for a temporary buffer
 * inside the compiled loops, which cannot unwind, prints a message and exits.
 *
 * Threads
 * -------
 * Instances are independent: two instances (of one model or of different
 * models) may be used from different threads at the same time. One instance
 * must not be used by two threads at once; calls on it are not synchronised.
 * The description functions (weft_lib_model_name, *_info, num_*) only read
 * constants and may be called from any thread at any time. Each computing
 * call runs its loops on OpenMP's threads (OMP_NUM_THREADS sets how many; by
 * default one per core) and returns when they are done.
 *
 * Data layout
 * -----------
 * Buffers are caller-owned, float32, row-major, examples back to back: N
 * examples of an input with per-example shape [C, H, W] are N*C*H*W floats.
 * Class labels are int32 indices. Parameters use PyTorch's layout and names
 * (Linear weight [out, in], Conv2d weight [out, in, kh, kw]).
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* WEFT_LIB_MODEL_INFO */

/** One instance of the model: its parameters, optimizer state and step. */
typedef struct weft_lib_model weft_lib_model;

typedef enum weft_lib_status {
  WEFT_LIB_OK = 0,
  /** A null pointer, a zero count, an unknown parameter name, a size that
      does not match. */
  WEFT_LIB_INVALID_ARGUMENT = 1,
  /** Weights that cannot be read or written, are not a valid safetensors
      file, or do not fit the model (the message lists every mismatch). */
  WEFT_LIB_WEIGHTS_ERROR = 2,
  WEFT_LIB_OUT_OF_MEMORY = 3,
  /** Anything else; the message says what. */
  WEFT_LIB_INTERNAL_ERROR = 4
} weft_lib_status;

/** A tensor's name and shape. For inputs and outputs the shape is per
    example (the batch dimension is not included). */
typedef struct weft_lib_tensor_info {
  const char *name;
  size_t rank;
  const int64_t *shape;
  size_t size; /* elements: the product of the shape */
} weft_lib_tensor_info;

/* --- The model's description (constants) ------------------------------ */

/** The model's name in its .weft file. */
const char *weft_lib_model_name(void);
/** The input that weft_lib_predict and weft_lib_classify take. */
void weft_lib_input_info(weft_lib_tensor_info *info);
/** The output weft_lib_predict writes (the model's first output). */
void weft_lib_output_info(weft_lib_tensor_info *info);
/** Classes weft_lib_classify chooses between (2 for a binary model). */
size_t weft_lib_num_classes(void);
/** Parameters and buffers (BatchNorm running statistics), in a fixed order. */
size_t weft_lib_num_parameters(void);
/** The index-th parameter; WEFT_LIB_INVALID_ARGUMENT past the end. */
weft_lib_status weft_lib_parameter_info(size_t index,
                                        weft_lib_tensor_info *info);

/* --- Instances -------------------------------------------------------- */

/** A new instance in *model, its parameters initialised as PyTorch does,
    from `seed` (as `train --seed` would). */
weft_lib_status weft_lib_create(uint64_t seed, weft_lib_model **model);
/** Frees an instance; NULL is allowed. */
void weft_lib_destroy(weft_lib_model *model);
/** What the last failed call on `model` reported (empty if none). With NULL,
    what the calling thread's last failed weft_lib_create reported. The text
    stays valid until the next call on the same instance. */
const char *weft_lib_last_error(const weft_lib_model *model);

/* --- Weights ---------------------------------------------------------- */

/** Loads every parameter from a safetensors file (as `train --save` and
    PyTorch's safetensors write them), after checking all names and shapes;
    on failure the instance is unchanged. Resets the optimizer state. */
weft_lib_status weft_lib_load_weights(weft_lib_model *model, const char *path);
/** The same from the `size` bytes of a safetensors file in memory. */
weft_lib_status weft_lib_load_weights_from_memory(weft_lib_model *model,
                                                  const void *data,
                                                  size_t size);
/** Saves every parameter to a safetensors file, atomically: a failed save
    leaves any existing file as it was. */
weft_lib_status weft_lib_save_weights(const weft_lib_model *model,
                                      const char *path);
/** Copies the parameter `name` ("fc1.weight") into `values`, which holds
    `count` floats: exactly the parameter's size. */
weft_lib_status weft_lib_get_parameter(const weft_lib_model *model,
                                       const char *name, float *values,
                                       size_t count);
/** Overwrites the parameter `name` with `count` floats from `values`. */
weft_lib_status weft_lib_set_parameter(weft_lib_model *model,
                                       const char *name, const float *values,
                                       size_t count);

/* --- Computing -------------------------------------------------------- */

/** Inference on `count` examples: `inputs` holds count * input size floats,
    `outputs` receives count * output size floats (the model's first output:
    logits for a model trained with cross_entropy). */
weft_lib_status weft_lib_predict(weft_lib_model *model, const float *inputs,
                                 size_t count, float *outputs);
/** Inference, as classes: `classes` receives `count` indices; if not NULL,
    `probabilities` receives count * weft_lib_num_classes() floats. */
weft_lib_status weft_lib_classify(weft_lib_model *model, const float *inputs,
                                  size_t count, int32_t *classes,
                                  float *probabilities);
/** One training step on a batch of `count` examples with their class
    labels, with the optimizer and hyperparameters of the model file's
    `train` block (see weft_lib_set_learning_rate). If `loss` is not NULL it
    receives the batch's mean loss before the update. */
weft_lib_status weft_lib_train_step(weft_lib_model *model,
                                    const float *inputs, const int32_t *labels,
                                    size_t count, float *loss);
/** The learning rate of the following training steps (positive). */
weft_lib_status weft_lib_set_learning_rate(weft_lib_model *model, double lr);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_LIB_H */
