/* Checks the C API's contract on the MLP's library (test/e2e/embed.test):
 * every misuse gets a status and a message, nothing aborts, instances are
 * independent, parameters round-trip by name, a failed save leaves nothing.
 * Usage: api_contract WEIGHTS.safetensors SCRATCH_DIR
 * Prints one line per check and a count of the failed ones at the end. */
#include "mlp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;

static void expect(int ok, const char *what) {
  printf("%s: %s\n", ok ? "ok" : "FAILED", what);
  if (ok)
    ++passed;
  else
    ++failed;
}

static int mentions(const mlp_model *model, const char *text) {
  const char *message = mlp_last_error(model);
  printf("  message: %s\n", message);
  return strstr(message, text) != NULL;
}

int main(int argc, char **argv) {
  static float images[4 * MLP_INPUT_SIZE], outputs[4 * MLP_OUTPUT_SIZE];
  static float probabilities[4 * MLP_NUM_CLASSES], bias[MLP_OUTPUT_SIZE];
  int32_t classes[4], labels[4] = {0, 1, 2, 3}, bad[4] = {0, 1, 99, 3};
  mlp_model *a = NULL, *b = NULL;
  mlp_tensor_info info;
  char path[4096];
  size_t i;
  float loss = -1, before, fill[MLP_OUTPUT_SIZE];
  FILE *f;

  if (argc != 3)
    return 2;
  for (i = 0; i < sizeof images / sizeof *images; ++i)
    images[i] = (float)(i % 255) / 255.0f;

  expect(mlp_create(0, NULL) == MLP_INVALID_ARGUMENT, "create(NULL)");
  expect(mlp_create(0, &a) == MLP_OK && a, "create");
  expect(mlp_create(0, &b) == MLP_OK && b, "a second instance");
  expect(!strcmp(mlp_model_name(), "MLP"), "model name");
  mlp_input_info(&info);
  expect(info.size == MLP_INPUT_SIZE && info.rank == 3 && info.shape[1] == 28,
         "input shape [1, 28, 28]");
  mlp_output_info(&info);
  expect(info.size == MLP_OUTPUT_SIZE, "output size");
  expect(mlp_parameter_info(mlp_num_parameters(), &info) == MLP_INVALID_ARGUMENT,
         "parameter_info past the end");

  /* Loading: a missing file, garbage in memory, the right weights. */
  expect(mlp_load_weights(a, "no/such/file.safetensors") == MLP_WEIGHTS_ERROR &&
             mentions(a, "no/such/file.safetensors"),
         "a missing weights file is named");
  expect(mlp_load_weights_from_memory(a, "garbage", 7) == MLP_WEIGHTS_ERROR &&
             mentions(a, "not a safetensors file"),
         "garbage in memory");
  expect(mlp_load_weights(a, NULL) == MLP_INVALID_ARGUMENT, "load_weights(NULL)");
  expect(mlp_load_weights(a, argv[1]) == MLP_OK && !strcmp(mlp_last_error(a), ""),
         "load_weights, and the message is cleared");

  /* Parameters by name. */
  expect(mlp_get_parameter(a, "fc9.weight", bias, MLP_OUTPUT_SIZE) ==
                 MLP_INVALID_ARGUMENT &&
             mentions(a, "no parameter 'fc9.weight'"),
         "an unknown parameter name");
  expect(mlp_get_parameter(a, "fc2.bias", bias, 3) == MLP_INVALID_ARGUMENT &&
             mentions(a, "holds 10 floats, not 3"),
         "a wrong parameter size");
  expect(mlp_get_parameter(a, "fc2.bias", bias, MLP_OUTPUT_SIZE) == MLP_OK,
         "get_parameter");
  for (i = 0; i < MLP_OUTPUT_SIZE; ++i)
    fill[i] = (float)i;
  expect(mlp_set_parameter(b, "fc2.bias", fill, MLP_OUTPUT_SIZE) == MLP_OK &&
             mlp_get_parameter(b, "fc2.bias", bias, MLP_OUTPUT_SIZE) == MLP_OK &&
             bias[9] == 9.0f,
         "set_parameter round-trips");

  /* Inference. */
  expect(mlp_predict(a, images, 0, outputs) == MLP_INVALID_ARGUMENT &&
             mentions(a, "count is 0"),
         "predict on no examples");
  expect(mlp_predict(a, NULL, 4, outputs) == MLP_INVALID_ARGUMENT,
         "predict(NULL inputs)");
  expect(mlp_predict(a, images, 4, outputs) == MLP_OK &&
             mlp_classify(a, images, 4, classes, probabilities) == MLP_OK,
         "predict and classify");
  {
    int same = 1;
    for (i = 0; i < 4; ++i) {
      size_t k, top = 0;
      float sum = 0;
      for (k = 0; k < MLP_OUTPUT_SIZE; ++k) {
        if (outputs[i * MLP_OUTPUT_SIZE + k] > outputs[i * MLP_OUTPUT_SIZE + top])
          top = k;
        sum += probabilities[i * MLP_NUM_CLASSES + k];
      }
      same &= (size_t)classes[i] == top && sum > 0.999f && sum < 1.001f;
    }
    expect(same, "classify picks the largest logit; probabilities sum to 1");
  }

  /* Training: a bad label, then steps that change only their instance. */
  expect(mlp_get_parameter(b, "fc2.bias", bias, MLP_OUTPUT_SIZE) == MLP_OK,
         "get_parameter on the second instance");
  before = bias[0];
  expect(mlp_train_step(a, images, bad, 4, &loss) == MLP_INVALID_ARGUMENT &&
             mentions(a, "label 99 of example 2"),
         "an out-of-range label");
  expect(mlp_set_learning_rate(a, -1) == MLP_INVALID_ARGUMENT,
         "a negative learning rate");
  expect(mlp_train_step(a, images, labels, 4, &loss) == MLP_OK && loss > 0,
         "train_step reports the loss");
  expect(mlp_get_parameter(b, "fc2.bias", bias, MLP_OUTPUT_SIZE) == MLP_OK &&
             bias[0] == before,
         "training one instance leaves the other alone");

  /* Saving: an unwritable place fails and leaves no file; a good one loads. */
  snprintf(path, sizeof path, "%s/missing-dir/w.safetensors", argv[2]);
  expect(mlp_save_weights(a, path) == MLP_WEIGHTS_ERROR &&
             mentions(a, "missing-dir"),
         "saving into a missing folder");
  snprintf(path, sizeof path, "%s/trained.safetensors", argv[2]);
  expect(mlp_save_weights(a, path) == MLP_OK &&
             mlp_load_weights(b, path) == MLP_OK,
         "save_weights, then load_weights in another instance");
  f = fopen(path, "rb");
  expect(f != NULL, "the saved file exists");
  if (f)
    fclose(f);

  expect(mlp_predict(NULL, images, 1, outputs) == MLP_INVALID_ARGUMENT,
         "a NULL instance");
  mlp_destroy(a);
  mlp_destroy(b);
  mlp_destroy(NULL);
  printf("checks ok %d, checks failed %d\n", passed, failed);
  return failed != 0;
}
