//===- Library.cpp - The C API of models compiled into libraries ----------===//
//
// Implements runtime/weft_lib.h over weft::Model for the model linked in
// (`weft_model`). weftc renames these weft_lib_* symbols to the model's
// prefix when it builds a library. Every entry point catches everything:
// errors cross the C boundary as a status and a message, never as an
// exception.
//
//===----------------------------------------------------------------------===//

#include "runtime/weft_lib.h"

#include "runtime/Error.h"
#include "runtime/Model.h"
#include "runtime/Safetensors.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <string>

struct weft_lib_model {
  explicit weft_lib_model(uint64_t seed)
      : model(weft_model), hyper(weft::defaultHyperparameters(weft_model.train)),
        seed(seed) {
    model.initialize(seed);
  }

  weft::Model model;
  weft::Hyperparameters hyper;
  uint64_t seed;
  int64_t step = 0;
  /// What the last failed call said; written by calls on a const instance
  /// too (weft_lib_save_weights, weft_lib_get_parameter).
  mutable std::string error;
  std::vector<float> outputs;
};

namespace {

/// What weft_lib_last_error(NULL) reports: the thread's last failed create.
thread_local std::string creationError;

/// A caller's mistake, found before any work: WEFT_LIB_INVALID_ARGUMENT.
struct InvalidArgument : weft::Error {
  using weft::Error::Error;
};

template <typename... Parts>
[[noreturn]] void invalid(const Parts &...parts) {
  weft::fail<InvalidArgument>(parts...);
}

/// Runs `body`, turning whatever it throws into a status and `error`;
/// `failure` is the status of a weft::Error (bad weights, say).
template <typename Body>
weft_lib_status guarded(std::string &error, weft_lib_status failure,
                        Body body) {
  try {
    body();
    return WEFT_LIB_OK;
  } catch (const InvalidArgument &e) {
    error = e.what();
    return WEFT_LIB_INVALID_ARGUMENT;
  } catch (const weft::Error &e) {
    error = e.what();
    return failure;
  } catch (const std::bad_alloc &) {
    error = "out of memory";
    return WEFT_LIB_OUT_OF_MEMORY;
  } catch (const std::exception &e) {
    error = e.what();
    return WEFT_LIB_INTERNAL_ERROR;
  } catch (...) {
    error = "unknown internal error";
    return WEFT_LIB_INTERNAL_ERROR;
  }
}

/// The same for an instance, which must not be null; clears its message on
/// success so that weft_lib_last_error describes the last call.
template <typename Body>
weft_lib_status onInstance(const weft_lib_model *model, const char *function,
                           weft_lib_status failure, Body body) {
  if (!model)
    return WEFT_LIB_INVALID_ARGUMENT;
  std::string &error = model->error;
  weft_lib_status status = guarded(error, failure, body);
  if (status == WEFT_LIB_OK)
    error.clear();
  else
    error = std::string(function) + ": " + error;
  return status;
}

void describe(const char *name, int64_t rank, const int64_t *shape,
              weft_lib_tensor_info *info) {
  if (!info)
    return;
  int64_t size = 1;
  for (int64_t d = 0; d < rank; ++d)
    size *= shape[d];
  *info = {name, size_t(rank), shape, size_t(size)};
}

const weft_input_info &dataInput() {
  for (int64_t i = 0; i < weft_model.num_inputs; ++i)
    if (weft_model.inputs[i].kind == WEFT_INPUT_DATA)
      return weft_model.inputs[i];
  return weft_model.inputs[0];
}

const weft_param_info *findParameter(const char *name, size_t count) {
  if (!name)
    invalid("the parameter name is NULL");
  for (int64_t i = 0; i < weft_model.num_params; ++i) {
    const weft_param_info &p = weft_model.params[i];
    if (std::strcmp(p.name, name) != 0)
      continue;
    if (count != size_t(p.size))
      invalid("parameter '", name, "' holds ", p.size, " floats, not ", count);
    return &p;
  }
  invalid("model ", weft_model.name, " has no parameter '", name, "'");
}

/// Checks what every batch call takes.
void checkBatch(const float *inputs, size_t count, const void *out,
                const char *outName) {
  if (count == 0)
    invalid("the example count is 0");
  if (!inputs)
    invalid("inputs is NULL");
  if (!out)
    invalid(outName, " is NULL");
}

} // namespace

extern "C" {

const char *weft_lib_model_name(void) { return weft_model.name; }

void weft_lib_input_info(weft_lib_tensor_info *info) {
  const weft_input_info &input = dataInput();
  describe(input.name, input.rank, input.shape, info);
}

void weft_lib_output_info(weft_lib_tensor_info *info) {
  const weft_output_info &output = weft_model.outputs[0];
  describe(output.name, output.rank, output.shape, info);
}

size_t weft_lib_num_classes(void) {
  // As `predict` shows them: two for one binary output.
  weft_lib_tensor_info info;
  weft_lib_output_info(&info);
  return weft::isBinaryLoss(weft_model.loss) ? 2 : info.size;
}

size_t weft_lib_num_parameters(void) { return size_t(weft_model.num_params); }

weft_lib_status weft_lib_parameter_info(size_t index,
                                        weft_lib_tensor_info *info) {
  if (index >= size_t(weft_model.num_params) || !info)
    return WEFT_LIB_INVALID_ARGUMENT;
  const weft_param_info &p = weft_model.params[index];
  describe(p.name, p.rank, p.shape, info);
  return WEFT_LIB_OK;
}

weft_lib_status weft_lib_create(uint64_t seed, weft_lib_model **model) {
  if (!model)
    return WEFT_LIB_INVALID_ARGUMENT;
  *model = nullptr;
  weft_lib_status status =
      guarded(creationError, WEFT_LIB_INTERNAL_ERROR,
              [&] { *model = new weft_lib_model(seed); });
  if (status != WEFT_LIB_OK)
    creationError = "create: " + creationError;
  return status;
}

void weft_lib_destroy(weft_lib_model *model) { delete model; }

const char *weft_lib_last_error(const weft_lib_model *model) {
  return model ? model->error.c_str() : creationError.c_str();
}

weft_lib_status weft_lib_load_weights(weft_lib_model *model, const char *path) {
  return onInstance(model, "load_weights", WEFT_LIB_WEIGHTS_ERROR, [&] {
    if (!path)
      invalid("path is NULL");
    model->model.load(path);
  });
}

weft_lib_status weft_lib_load_weights_from_memory(weft_lib_model *model,
                                                  const void *data,
                                                  size_t size) {
  return onInstance(
      model, "load_weights_from_memory", WEFT_LIB_WEIGHTS_ERROR, [&] {
        if (!data)
          invalid("data is NULL");
        std::string name = "(" + std::to_string(size) + " bytes in memory)";
        model->model.load(weft::parseSafetensors(data, size, name), name);
      });
}

weft_lib_status weft_lib_save_weights(const weft_lib_model *model,
                                      const char *path) {
  return onInstance(model, "save_weights", WEFT_LIB_WEIGHTS_ERROR, [&] {
    if (!path)
      invalid("path is NULL");
    model->model.save(path);
  });
}

weft_lib_status weft_lib_get_parameter(const weft_lib_model *model,
                                       const char *name, float *values,
                                       size_t count) {
  return onInstance(model, "get_parameter", WEFT_LIB_INTERNAL_ERROR, [&] {
    const weft_param_info *p = findParameter(name, count);
    if (!values)
      invalid("values is NULL");
    const weft::DeviceFloats &params = model->model.parameters();
    std::copy_n(params.begin() + p->offset, count, values);
  });
}

weft_lib_status weft_lib_set_parameter(weft_lib_model *model, const char *name,
                                       const float *values, size_t count) {
  return onInstance(model, "set_parameter", WEFT_LIB_INTERNAL_ERROR, [&] {
    const weft_param_info *p = findParameter(name, count);
    if (!values)
      invalid("values is NULL");
    std::copy_n(values, count, model->model.parameters().begin() + p->offset);
  });
}

weft_lib_status weft_lib_predict(weft_lib_model *model, const float *inputs,
                                 size_t count, float *outputs) {
  return onInstance(model, "predict", WEFT_LIB_INTERNAL_ERROR, [&] {
    checkBatch(inputs, count, outputs, "outputs");
    model->model.forward(inputs, int64_t(count), model->outputs);
    std::copy(model->outputs.begin(), model->outputs.end(), outputs);
  });
}

weft_lib_status weft_lib_classify(weft_lib_model *model, const float *inputs,
                                  size_t count, int32_t *classes,
                                  float *probabilities) {
  return onInstance(model, "classify", WEFT_LIB_INTERNAL_ERROR, [&] {
    checkBatch(inputs, count, classes, "classes");
    weft::Model &m = model->model;
    m.forward(inputs, int64_t(count), model->outputs);
    size_t classCount = weft_lib_num_classes();
    for (size_t i = 0; i < count; ++i) {
      std::vector<float> p =
          m.probabilities(model->outputs.data() + i * size_t(m.outputSize()));
      classes[i] = int32_t(std::max_element(p.begin(), p.end()) - p.begin());
      if (probabilities)
        std::copy(p.begin(), p.end(), probabilities + i * classCount);
    }
  });
}

weft_lib_status weft_lib_train_step(weft_lib_model *model, const float *inputs,
                                    const int32_t *labels, size_t count,
                                    float *loss) {
  return onInstance(model, "train_step", WEFT_LIB_INTERNAL_ERROR, [&] {
    checkBatch(inputs, count, labels, "labels");
    size_t classCount = weft_lib_num_classes();
    for (size_t i = 0; i < count; ++i)
      if (labels[i] < 0 || size_t(labels[i]) >= classCount)
        invalid("label ", labels[i], " of example ", i,
                " is not a class index below ", classCount);
    int64_t step = model->step + 1;
    float value = model->model.trainStep(
        model->hyper, step, weft::stepSeed(model->seed, step), inputs, labels,
        int64_t(count));
    model->step = step;
    if (loss)
      *loss = value;
  });
}

weft_lib_status weft_lib_set_learning_rate(weft_lib_model *model, double lr) {
  return onInstance(model, "set_learning_rate", WEFT_LIB_INTERNAL_ERROR,
                    [&] {
                      if (!(lr > 0))
                        invalid("the learning rate must be positive, got ",
                                lr);
                      model->hyper.lr = lr;
                    });
}

} // extern "C"
