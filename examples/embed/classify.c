/*===- classify.c - Classify Fashion-MNIST images through a model library ===*
 *
 * Embeds examples/fashion_cnn.weft, compiled with
 *   weftc examples/fashion_cnn.weft --emit=lib -o fashion_cnn
 * Loads trained weights and classifies the first COUNT images of an IDX
 * file (gzip-compressed or not, as Fashion-MNIST ships them), then prints
 * the accuracy against the labels:
 *   ./classify WEIGHTS.safetensors IMAGES.idx[.gz] LABELS.idx[.gz] [COUNT]
 * Build: cc classify.c -I. -L. -lfashion_cnn -lz -o classify
 *
 *===----------------------------------------------------------------------===*/

#include "fashion_cnn.h"

#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

/* Reads an IDX file of unsigned bytes: `count` items of `item` bytes each. */
static unsigned char *read_idx(const char *path, int dims, long *count,
                               long *item) {
  gzFile file = gzopen(path, "rb");
  unsigned char header[16], *data = NULL;
  long i, size = 1;
  if (!file) {
    fprintf(stderr, "classify: cannot open '%s'\n", path);
    return NULL;
  }
  if (gzread(file, header, 4 + 4 * dims) != 4 + 4 * dims || header[2] != 8 ||
      header[3] != dims) {
    fprintf(stderr, "classify: '%s' is not an IDX file of %d-dimensional "
                    "unsigned bytes\n", path, dims);
    gzclose(file);
    return NULL;
  }
  for (i = 0; i < dims; ++i) {
    long d = ((long)header[4 + 4 * i] << 24) | (header[5 + 4 * i] << 16) |
             (header[6 + 4 * i] << 8) | header[7 + 4 * i];
    if (i == 0)
      *count = d;
    else
      size *= d;
  }
  *item = size;
  data = malloc((size_t)(*count * size));
  if (!data || gzread(file, data, (unsigned)(*count * size)) != *count * size) {
    fprintf(stderr, "classify: '%s' is truncated\n", path);
    free(data);
    data = NULL;
  }
  gzclose(file);
  return data;
}

int main(int argc, char **argv) {
  fashion_cnn_model *model = NULL;
  unsigned char *pixels, *labels;
  long count, item, labelCount, one, limit, i, correct = 0;
  float *inputs;
  int32_t *classes;
  int status = 1;

  if (argc < 4) {
    fprintf(stderr, "usage: %s WEIGHTS IMAGES LABELS [COUNT]\n", argv[0]);
    return 2;
  }
  pixels = read_idx(argv[2], 3, &count, &item);
  labels = read_idx(argv[3], 1, &labelCount, &one);
  if (!pixels || !labels)
    return 1;
  if (item != FASHION_CNN_INPUT_SIZE || labelCount != count) {
    fprintf(stderr, "classify: the model takes %d pixels per image and one "
                    "label each; the files hold %ld of %ld and %ld labels\n",
            FASHION_CNN_INPUT_SIZE, count, item, labelCount);
    return 1;
  }
  limit = argc > 4 ? atol(argv[4]) : count;
  if (limit <= 0 || limit > count)
    limit = count;

  /* The model's input: floats in [0, 1], as the training data was scaled. */
  inputs = malloc(sizeof(float) * (size_t)(limit * item));
  classes = malloc(sizeof(int32_t) * (size_t)limit);
  if (!inputs || !classes)
    return 1;
  for (i = 0; i < limit * item; ++i)
    inputs[i] = (float)pixels[i] / 255.0f;

  if (fashion_cnn_create(0, &model) != FASHION_CNN_OK) {
    fprintf(stderr, "classify: %s\n", fashion_cnn_last_error(NULL));
    return 1;
  }
  if (fashion_cnn_load_weights(model, argv[1]) != FASHION_CNN_OK ||
      fashion_cnn_classify(model, inputs, (size_t)limit, classes, NULL) !=
          FASHION_CNN_OK) {
    fprintf(stderr, "classify: %s\n", fashion_cnn_last_error(model));
  } else {
    for (i = 0; i < limit; ++i)
      correct += classes[i] == labels[i];
    printf("%s: %ld of %ld images classified correctly (accuracy %.4f)\n",
           fashion_cnn_model_name(), correct, limit, (double)correct / limit);
    status = 0;
  }
  fashion_cnn_destroy(model);
  free(inputs);
  free(classes);
  free(pixels);
  free(labels);
  return status;
}
