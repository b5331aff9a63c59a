//===- two_models.cpp - Two model libraries in one C++ program ------------===//
//
// Links examples/mlp.weft and examples/fashion_cnn.weft, each compiled with
// `weftc ... --emit=lib`, into one program, and uses both APIs:
//   - loads each model's trained weights, fashion_cnn's from memory;
//   - classifies the same images with both (on two threads at once: the
//     instances are independent);
//   - fine-tunes a fresh MLP for a few steps through mlp_train_step, reads a
//     parameter back by name and saves the weights.
// Usage: ./two_models MLP.safetensors CNN.safetensors IMAGES LABELS COUNT OUT
// Build: c++ two_models.cpp -I. -L. -lmlp -lfashion_cnn -lz -o two_models
//
//===----------------------------------------------------------------------===//

#include "fashion_cnn.h"
#include "mlp.h"

#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

/// The items of an IDX file of unsigned bytes, gzip-compressed or not.
std::vector<unsigned char> readIdx(const char *path, int dims, long &count) {
  gzFile file = gzopen(path, "rb");
  if (!file)
    throw std::runtime_error(std::string("cannot open ") + path);
  unsigned char header[16];
  long size = 1;
  if (gzread(file, header, 4 + 4 * dims) != 4 + 4 * dims)
    throw std::runtime_error(std::string(path) + " is not an IDX file");
  for (int i = 0; i < dims; ++i) {
    long d = (long(header[4 + 4 * i]) << 24) | (header[5 + 4 * i] << 16) |
             (header[6 + 4 * i] << 8) | header[7 + 4 * i];
    (i == 0 ? count : size) = i == 0 ? d : size * d;
  }
  std::vector<unsigned char> data(size_t(count * size));
  gzread(file, data.data(), unsigned(data.size()));
  gzclose(file);
  return data;
}

/// Throws with the library's message unless `status` is 0 (the OK of both).
void check(int status, const char *message) {
  if (status != 0)
    throw std::runtime_error(message);
}

} // namespace

int main(int argc, char **argv) try {
  if (argc != 7) {
    std::fprintf(stderr, "usage: %s MLP CNN IMAGES LABELS COUNT OUT\n", argv[0]);
    return 2;
  }
  long count = 0, labelCount = 0;
  std::vector<unsigned char> pixels = readIdx(argv[3], 3, count);
  std::vector<unsigned char> labels = readIdx(argv[4], 1, labelCount);
  size_t n = std::min<size_t>(size_t(std::atol(argv[5])), size_t(count));
  std::vector<float> inputs(n * MLP_INPUT_SIZE);
  for (size_t i = 0; i < inputs.size(); ++i)
    inputs[i] = float(pixels[i]) / 255.0f;
  std::vector<int32_t> truth(labels.begin(), labels.begin() + long(n));

  mlp_model *mlp = nullptr;
  fashion_cnn_model *cnn = nullptr;
  check(mlp_create(0, &mlp), mlp_last_error(nullptr));
  check(fashion_cnn_create(0, &cnn), fashion_cnn_last_error(nullptr));
  check(mlp_load_weights(mlp, argv[1]), mlp_last_error(mlp));
  std::ifstream file(argv[2], std::ios::binary);
  std::vector<char> bytes{std::istreambuf_iterator<char>(file),
                          std::istreambuf_iterator<char>()};
  check(fashion_cnn_load_weights_from_memory(cnn, bytes.data(), bytes.size()),
        fashion_cnn_last_error(cnn));

  // Both models at once, one thread each.
  std::vector<int32_t> mlpClasses(n), cnnClasses(n);
  int mlpStatus = 0, cnnStatus = 0;
  std::thread other([&] {
    cnnStatus = fashion_cnn_classify(cnn, inputs.data(), n, cnnClasses.data(),
                                     nullptr);
  });
  mlpStatus = mlp_classify(mlp, inputs.data(), n, mlpClasses.data(), nullptr);
  other.join();
  check(mlpStatus, mlp_last_error(mlp));
  check(cnnStatus, fashion_cnn_last_error(cnn));
  auto accuracy = [&](const std::vector<int32_t> &classes) {
    size_t correct = 0;
    for (size_t i = 0; i < n; ++i)
      correct += classes[i] == truth[i];
    return double(correct) / double(n);
  };
  std::printf("%s accuracy %.4f, %s accuracy %.4f on %zu images\n",
              mlp_model_name(), accuracy(mlpClasses), fashion_cnn_model_name(),
              accuracy(cnnClasses), n);

  // Training through the API: a fresh MLP, a few steps on these images.
  mlp_model *student = nullptr;
  check(mlp_create(1, &student), mlp_last_error(nullptr));
  check(mlp_set_learning_rate(student, 1e-3), mlp_last_error(student));
  const size_t batch = 32;
  for (size_t step = 0; step + batch <= n && step < 8 * batch; step += batch) {
    float loss = 0;
    check(mlp_train_step(student, inputs.data() + step * MLP_INPUT_SIZE,
                         truth.data() + step, batch, &loss),
          mlp_last_error(student));
    std::printf("step %zu: loss %.4f\n", step / batch + 1, double(loss));
  }
  mlp_tensor_info bias;
  for (size_t i = 0; i < mlp_num_parameters(); ++i) {
    check(mlp_parameter_info(i, &bias), "no such parameter");
    if (std::string(bias.name) == "fc2.bias")
      break;
  }
  std::vector<float> values(bias.size);
  check(mlp_get_parameter(student, bias.name, values.data(), values.size()),
        mlp_last_error(student));
  std::printf("%s [%lld]: first value %.6f\n", bias.name,
              (long long)bias.shape[0], double(values[0]));
  check(mlp_save_weights(student, argv[6]), mlp_last_error(student));
  std::printf("saved %s\n", argv[6]);

  mlp_destroy(student);
  mlp_destroy(mlp);
  fashion_cnn_destroy(cnn);
  return 0;
} catch (const std::exception &e) {
  std::fprintf(stderr, "two_models: %s\n", e.what());
  return 1;
}
