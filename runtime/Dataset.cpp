//===- Dataset.cpp - Labelled examples in memory --------------------------===//

#include "runtime/Dataset.h"

#include "runtime/Error.h"
#include "runtime/Idx.h"

#include <algorithm>
#include <sys/stat.h>

using namespace weft;

namespace {
bool fileExists(const std::string &path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

/// `<dir>/<name>.gz` if present, else `<dir>/<name>`.
std::string findIdxFile(const std::string &dir, const std::string &name) {
  for (const std::string &candidate : {dir + "/" + name + ".gz", dir + "/" + name})
    if (fileExists(candidate))
      return candidate;
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    fail("data folder '", dir, "' does not exist");
  fail("data folder '", dir, "' has no ", name, " or ", name, ".gz");
}

std::string shapeString(const int64_t *dims, int64_t rank) {
  std::string s;
  for (int64_t i = 0; i < rank; ++i)
    s += (i ? "x" : "") + std::to_string(dims[i]);
  return s;
}

/// The model's single data input and single label input. IDX files hold
/// class indices; the model turns them into one-hot or binary labels.
void idxInputs(const weft_model_info &model, const weft_input_info *&image,
               const weft_input_info *&label) {
  image = label = nullptr;
  for (int64_t i = 0; i < model.num_inputs; ++i) {
    const weft_input_info &in = model.inputs[i];
    const weft_input_info *&slot = in.kind == WEFT_INPUT_DATA ? image : label;
    if (slot)
      fail("IDX data feeds models with one image input and one class label; "
           "model ", model.name, " has more inputs");
    slot = &in;
  }
  if (!image || !label)
    fail("IDX data feeds models with one image input and one class label; "
         "model ", model.name, " lacks one");
}
} // namespace

Dataset weft::loadIdxDataset(const std::string &dir, const std::string &split,
                             const weft_model_info &model) {
  if (std::string(model.train.data_format) != "idx")
    fail("model ", model.name, " reads ", model.train.data_format,
         " data, which this runtime cannot load yet; it reads IDX folders");
  const weft_input_info *imageInput, *labelInput;
  idxInputs(model, imageInput, labelInput);
  std::string imagePath = findIdxFile(dir, split + "-images-idx3-ubyte");
  std::string labelPath = findIdxFile(dir, split + "-labels-idx1-ubyte");
  IdxArray images = readIdx(imagePath);
  IdxArray labels = readIdx(labelPath);

  Dataset data;
  data.source = imagePath;
  if (images.dims.size() < 2)
    fail("'", imagePath, "' holds ", images.dims.size(),
         "-D data; expected images [count, height, width]");
  if (labels.dims.size() != 1)
    fail("'", labelPath, "' holds ", labels.dims.size(),
         "-D data; expected labels [count]");
  data.count = images.dims[0];
  data.exampleSize = int64_t(images.data.size()) / data.count;
  int64_t expected = 1;
  for (int64_t i = 0; i < imageInput->rank; ++i)
    expected *= imageInput->shape[i];
  if (data.exampleSize != expected)
    fail("'", imagePath, "' holds ",
         shapeString(images.dims.data() + 1, int64_t(images.dims.size()) - 1),
         " images (", data.exampleSize, " values each) but model input '",
         imageInput->name, "' is ", shapeString(imageInput->shape, imageInput->rank),
         " (", expected, " values)");
  if (labels.dims[0] != data.count)
    fail("'", labelPath, "' has ", labels.dims[0], " labels but '", imagePath,
         "' has ", data.count, " images");

  data.inputs.resize(images.data.size());
  for (size_t i = 0; i < images.data.size(); ++i)
    data.inputs[i] = float(images.data[i]) / 255.0f;
  data.labels.resize(size_t(data.count));
  for (int64_t i = 0; i < data.count; ++i) {
    int64_t label = labels.data[size_t(i)];
    if (labelInput->kind == WEFT_INPUT_BINARY && label > 1)
      fail("'", labelPath, "': label ", label, " of example ", i,
           " is not 0 or 1, as the binary label '", labelInput->name, "' needs");
    if (labelInput->kind != WEFT_INPUT_BINARY && label >= labelInput->num_classes)
      fail("'", labelPath, "': label ", label, " of example ", i,
           " is out of range for the ", labelInput->num_classes,
           " classes of '", labelInput->name, "'");
    data.labels[size_t(i)] = int32_t(label);
  }
  return data;
}

EpochOrder::EpochOrder(int64_t count, uint64_t seed, bool shuffle)
    : order(size_t(count)), rng(seed), shuffle(shuffle) {
  for (int64_t i = 0; i < count; ++i)
    order[size_t(i)] = i;
}

const std::vector<int64_t> &EpochOrder::next() {
  if (shuffle) {
    // Fisher-Yates with our own index draw: std::shuffle's algorithm differs
    // between standard libraries, and a seed should mean the same order
    // everywhere.
    for (size_t i = order.size(); i > 1; --i) {
      size_t j = size_t(rng() % i);
      std::swap(order[i - 1], order[j]);
    }
  }
  return order;
}

void weft::gatherBatch(const Dataset &data, const int64_t *indices, int64_t n,
                       std::vector<float> &inputs, std::vector<int32_t> &labels) {
  inputs.resize(size_t(n * data.exampleSize));
  labels.resize(size_t(n));
  for (int64_t i = 0; i < n; ++i) {
    int64_t k = indices[i];
    std::copy_n(data.inputs.begin() + k * data.exampleSize, data.exampleSize,
                inputs.begin() + i * data.exampleSize);
    labels[size_t(i)] = data.labels[size_t(k)];
  }
}
