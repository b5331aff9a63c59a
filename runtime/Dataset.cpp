//===- Dataset.cpp - Labelled examples in memory --------------------------===//

#include "runtime/Dataset.h"

#include "runtime/Error.h"
#include "runtime/Idx.h"

#include "runtime/Image.h"
#include "runtime/Seeds.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <dirent.h>
#include <sys/stat.h>

using namespace weft;

namespace {
bool fileExists(const std::string &path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool folderExists(const std::string &path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

/// The entries of folder `dir` (without "." and ".."), sorted.
std::vector<std::string> listFolder(const std::string &dir) {
  std::vector<std::string> names;
  DIR *d = opendir(dir.c_str());
  if (!d)
    fail("cannot list folder '", dir, "': ", systemError());
  while (dirent *e = readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..")
      names.push_back(name);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

/// Keras' white list of image extensions, less the formats we cannot decode.
bool isImageName(const std::string &name) {
  std::string lower = name;
  for (char &ch : lower)
    ch = char(std::tolower(static_cast<unsigned char>(ch)));
  for (const char *ext : {".png", ".jpg", ".jpeg"}) {
    size_t n = std::strlen(ext);
    if (lower.size() > n && lower.compare(lower.size() - n, n, ext) == 0)
      return true;
  }
  return false;
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

/// The model's single data input and single label input. Datasets hold
/// class indices; the model turns them into one-hot or binary labels.
void modelInputs(const weft_model_info &model, const weft_input_info *&image,
               const weft_input_info *&label) {
  image = label = nullptr;
  for (int64_t i = 0; i < model.num_inputs; ++i) {
    const weft_input_info &in = model.inputs[i];
    const weft_input_info *&slot = in.kind == WEFT_INPUT_DATA ? image : label;
    if (slot)
      fail("data sets feed models with one image input and one class label; "
           "model ", model.name, " has more inputs");
    slot = &in;
  }
  if (!image || !label)
    fail("data sets feed models with one image input and one class label; "
         "model ", model.name, " lacks one");
}
} // namespace

Dataset weft::loadIdxDataset(const std::string &dir, const std::string &split,
                             const weft_model_info &model) {
  const weft_input_info *imageInput, *labelInput;
  modelInputs(model, imageInput, labelInput);
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

Dataset weft::loadImageFolder(const std::string &dir, const std::string &split,
                              const weft_model_info &model, float rescale) {
  const weft_input_info *imageInput, *labelInput;
  modelInputs(model, imageInput, labelInput);
  if (imageInput->rank != 3 ||
      (imageInput->shape[0] != 1 && imageInput->shape[0] != 3))
    fail("image folders feed an input of shape [1 or 3, height, width]; '",
         imageInput->name, "' is ", shapeString(imageInput->shape, imageInput->rank));
  std::string root = dir + "/" + split;
  if (!folderExists(dir))
    fail("data folder '", dir, "' does not exist");
  if (!folderExists(root))
    fail("image folder '", dir, "' has no ", split, "/ folder; expected ",
         dir, "/", split, "/<class>/*.png|jpg");
  Dataset data;
  data.source = root;
  data.channels = imageInput->shape[0];
  data.height = imageInput->shape[1];
  data.width = imageInput->shape[2];
  data.exampleSize = data.channels * data.height * data.width;
  data.rescale = rescale;
  for (const std::string &name : listFolder(root))
    if (folderExists(root + "/" + name))
      data.classNames.push_back(name);
  int64_t classes = int64_t(data.classNames.size());
  int64_t wanted = labelInput->kind == WEFT_INPUT_BINARY ? 2 : labelInput->num_classes;
  if (classes != wanted) {
    std::string found;
    for (const std::string &name : data.classNames)
      found += (found.empty() ? "" : ", ") + name;
    fail("image folder '", root, "' has ", classes, " class folder(s)",
         classes ? " (" + found + ")" : std::string(), " but label '",
         labelInput->name, "' of model ", model.name, " has ", wanted,
         " classes");
  }
  for (int64_t label = 0; label < classes; ++label) {
    std::string folder = root + "/" + data.classNames[size_t(label)];
    int64_t before = int64_t(data.files.size());
    for (const std::string &name : listFolder(folder))
      if (isImageName(name) && fileExists(folder + "/" + name)) {
        data.files.push_back(folder + "/" + name);
        data.labels.push_back(int32_t(label));
      }
    if (int64_t(data.files.size()) == before)
      fail("class folder '", folder, "' has no .png or .jpg images");
  }
  data.count = int64_t(data.files.size());
  return data;
}

Dataset weft::loadDataset(const DataSpec &spec, const std::string &split,
                          const weft_model_info &model) {
  if (spec.format == "idx")
    return loadIdxDataset(spec.path, split == "test" ? "t10k" : split, model);
  if (spec.format == "image_folder")
    return loadImageFolder(spec.path, split, model, spec.rescale);
  fail("model ", model.name, " reads '", spec.format, "' data, which this "
       "runtime cannot load; it reads idx and image_folder data");
}

void Dataset::load(int64_t k, float *out) const {
  if (files.empty()) {
    std::copy_n(inputs.begin() + k * exampleSize, exampleSize, out);
    return;
  }
  loadImageExample(files[size_t(k)], channels, height, width, rescale, out);
}

Dataset Dataset::select(const std::vector<int64_t> &indices) const {
  Dataset out;
  out.source = source;
  out.count = int64_t(indices.size());
  out.exampleSize = exampleSize;
  out.classNames = classNames;
  out.channels = channels;
  out.height = height;
  out.width = width;
  out.rescale = rescale;
  for (int64_t k : indices) {
    out.labels.push_back(labels[size_t(k)]);
    if (files.empty())
      out.inputs.insert(out.inputs.end(), inputs.begin() + k * exampleSize,
                        inputs.begin() + (k + 1) * exampleSize);
    else
      out.files.push_back(files[size_t(k)]);
  }
  return out;
}

std::string Dataset::className(int64_t label) const {
  return label < int64_t(classNames.size()) ? classNames[size_t(label)]
                                            : std::to_string(label);
}

Dataset weft::splitValidation(Dataset &train, double fraction) {
  std::vector<int64_t> kept, heldOut;
  if (train.files.empty()) {
    int64_t first = train.count - int64_t(double(train.count) * fraction);
    for (int64_t k = 0; k < train.count; ++k)
      (k < first ? kept : heldOut).push_back(k);
  } else {
    // Files are grouped by class; hold out the head of each group.
    for (int64_t start = 0; start < train.count;) {
      int64_t end = start;
      while (end < train.count && train.labels[size_t(end)] == train.labels[size_t(start)])
        ++end;
      int64_t split = start + int64_t(double(end - start) * fraction);
      for (int64_t k = start; k < end; ++k)
        (k < split ? heldOut : kept).push_back(k);
      start = end;
    }
  }
  if (kept.empty() || heldOut.empty())
    fail("a validation split of ", fraction, " leaves ", heldOut.size(),
         " validation and ", kept.size(), " training examples of the ",
         train.count, " in '", train.source, "'");
  Dataset validation = train.select(heldOut);
  train = train.select(kept);
  return validation;
}

std::vector<int64_t> weft::epochOrder(int64_t count, uint64_t seed,
                                      int64_t epoch, bool shuffle) {
  std::vector<int64_t> order(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i)
    order[size_t(i)] = i;
  if (!shuffle)
    return order;
  // Fisher-Yates with our own index draw: std::shuffle's algorithm differs
  // between standard libraries, and a seed should mean the same order
  // everywhere. Each epoch's generator depends on (seed, epoch) only, so a
  // resumed run visits the examples in the order an uninterrupted one does.
  std::mt19937_64 rng(mixSeed(seed, uint64_t(epoch)));
  for (size_t i = order.size(); i > 1; --i) {
    size_t j = size_t(rng() % i);
    std::swap(order[i - 1], order[j]);
  }
  return order;
}

void weft::gatherBatch(const Dataset &data, const int64_t *indices, int64_t n,
                       std::vector<float> &inputs, std::vector<int32_t> &labels) {
  inputs.resize(size_t(n * data.exampleSize));
  labels.resize(size_t(n));
  for (int64_t i = 0; i < n; ++i) {
    data.load(indices[i], inputs.data() + i * data.exampleSize);
    labels[size_t(i)] = data.labels[size_t(indices[i])];
  }
}
