//===- Predict.cpp - Classifying images and IDX entries -------------------===//

#include "runtime/Predict.h"

#include "runtime/Error.h"
#include "runtime/Idx.h"
#include "runtime/Image.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace weft;

namespace {
/// One example to classify and how to name it in the output.
struct Example {
  std::string name;
  std::vector<float> pixels;
};

/// Splits "FILE:A-B" or "FILE:K" into the file and the entry range.
void parseSelection(const std::string &arg, std::string &file, int64_t &first,
                    int64_t &last) {
  file = arg;
  first = 0;
  last = -1;
  size_t colon = arg.rfind(':');
  if (colon == std::string::npos)
    return;
  std::string range = arg.substr(colon + 1);
  char *end;
  long long a = std::strtoll(range.c_str(), &end, 10);
  long long b = a;
  if (*end == '-')
    b = std::strtoll(end + 1, &end, 10);
  if (range.empty() || *end || a < 0 || b < a)
    return; // Not a selection: a file name with a colon.
  file = arg.substr(0, colon);
  first = a;
  last = b;
}

/// The model's data input.
const weft_input_info &imageInput(const weft_model_info &info) {
  for (int64_t i = 0; i < info.num_inputs; ++i)
    if (info.inputs[i].kind == WEFT_INPUT_DATA)
      return info.inputs[i];
  fail("model ", info.name, " has no data input to predict from");
}

void addIdxEntries(const std::string &arg, const weft_input_info &input,
                   int64_t exampleSize, std::vector<Example> &examples) {
  std::string file;
  int64_t first, last;
  parseSelection(arg, file, first, last);
  IdxArray images = readIdx(file);
  int64_t count = images.dims.empty() ? 0 : images.dims[0];
  if (count == 0 || int64_t(images.data.size()) != count * exampleSize)
    fail("'", file, "' does not hold ", exampleSize, "-value images, as input '",
         input.name, "' needs");
  if (last < 0)
    last = count - 1;
  if (last >= count)
    fail("'", file, "' has ", count, " entries; entry ", last, " does not exist");
  for (int64_t k = first; k <= last; ++k) {
    Example e{file + ":" + std::to_string(k), std::vector<float>(size_t(exampleSize))};
    for (int64_t i = 0; i < exampleSize; ++i)
      e.pixels[size_t(i)] = float(images.data[size_t(k * exampleSize + i)]) / 255.0f;
    examples.push_back(std::move(e));
  }
}

std::vector<std::string> classNamesFrom(const Metadata &meta, int64_t classes) {
  std::vector<std::string> names;
  auto it = meta.find("weft.classes");
  if (it != meta.end() && !it->second.empty()) {
    size_t start = 0;
    for (size_t nl; (nl = it->second.find('\n', start)) != std::string::npos;
         start = nl + 1)
      names.push_back(it->second.substr(start, nl - start));
    names.push_back(it->second.substr(start));
  }
  if (int64_t(names.size()) != classes) {
    names.clear();
    for (int64_t c = 0; c < classes; ++c)
      names.push_back(std::to_string(c));
  }
  return names;
}
} // namespace

int weft::predict(Model &model, const std::string &weightsPath,
                  const std::vector<std::string> &inputs, const DataSpec &data) {
  if (inputs.empty())
    fail("predict needs image or IDX files to classify, as in 'predict "
         "--weights W.safetensors shirt.png'");
  const weft_model_info &info = model.info();
  Metadata meta = model.load(weightsPath);
  const weft_input_info &input = imageInput(info);
  int64_t exampleSize = 1;
  for (int64_t d = 0; d < input.rank; ++d)
    exampleSize *= input.shape[d];
  // Images are scaled as the training data was: by the image folder's
  // rescale, or into [0, 1] as IDX pixels are.
  float scale = data.format == "image_folder" ? data.rescale : 1.0f / 255.0f;
  std::vector<Example> examples;
  for (const std::string &arg : inputs) {
    if (imageFormatOf(arg) != ImageFormat::Unknown) {
      if (input.rank != 3 || (input.shape[0] != 1 && input.shape[0] != 3))
        fail("model ", info.name, "'s input '", input.name,
             "' is not an image of shape [1 or 3, height, width]");
      Example e{arg, std::vector<float>(size_t(exampleSize))};
      loadImageExample(arg, input.shape[0], input.shape[1], input.shape[2],
                       scale, e.pixels.data());
      examples.push_back(std::move(e));
    } else {
      addIdxEntries(arg, input, exampleSize, examples);
    }
  }

  bool classifier = std::string(info.loss) != "mse";
  int64_t classes = model.isBinary() ? 2 : model.outputSize();
  std::vector<std::string> names = classNamesFrom(meta, classes);
  std::vector<float> outputs;
  for (const Example &e : examples) {
    model.forward(e.pixels.data(), 1, outputs);
    std::vector<float> p = model.probabilities(outputs.data());
    if (!classifier) {
      std::printf("%s:", e.name.c_str());
      for (float v : p)
        std::printf(" %.6g", v);
      std::printf("\n");
      continue;
    }
    int64_t best = std::max_element(p.begin(), p.end()) - p.begin();
    std::printf("%s: %s (%.4f)", e.name.c_str(), names[size_t(best)].c_str(),
                p[size_t(best)]);
    for (int64_t c = 0; c < classes; ++c)
      std::printf("%s%s %.4f", c ? ", " : "  [", names[size_t(c)].c_str(), p[size_t(c)]);
    std::printf("]\n");
  }
  return 0;
}
