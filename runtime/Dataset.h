//===- Dataset.h - Labelled examples in memory ------------------*- C++ -*-===//

#ifndef WEFT_RUNTIME_DATASET_H
#define WEFT_RUNTIME_DATASET_H

#include "runtime/Augment.h"
#include "runtime/weft_model.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace weft {

/// How to read a model's data: the train block's `data` setting as the
/// command line may override it.
struct DataSpec {
  std::string format = "idx"; // "idx" or "image_folder"
  std::string path;
  float rescale = 1.0f;       // image_folder: multiplies the pixels
  Augmentation augment;       // image_folder: training split only
  bool skipBadImages = false; // image_folder: warn and skip, or stop
};

/// Examples for a model with one float input and one class label: held in
/// memory (IDX) or as one image file each, decoded when a batch needs it.
struct Dataset {
  std::string source;         // For messages: the files it came from.
  int64_t count = 0;
  int64_t exampleSize = 0;    // Floats per example.
  std::vector<int32_t> labels;
  /// Name of each class, by label (folder names); empty for IDX data,
  /// whose classes are only numbers.
  std::vector<std::string> classNames;
  std::vector<float> inputs;  // IDX: count * exampleSize, pixels in [0, 1].
  std::vector<std::string> files; // Image folders: one per example.
  int64_t channels = 0, height = 0, width = 0;
  float rescale = 1.0f;

  /// Writes example `k` (exampleSize floats) to `out`. Throws weft::Error
  /// naming the file if an image cannot be read.
  void load(int64_t k, float *out) const;
  /// The examples `indices`, in that order.
  Dataset select(const std::vector<int64_t> &indices) const;
  /// The display name of class `label`.
  std::string className(int64_t label) const;
};

/// Loads the "train" or "test" split of `spec`'s data for `model`.
Dataset loadDataset(const DataSpec &spec, const std::string &split,
                    const weft_model_info &model);

/// Loads `<dir>/<split>-images-idx3-ubyte[.gz]` and
/// `<dir>/<split>-labels-idx1-ubyte[.gz]` (split is "train" or "t10k") and
/// checks them against `model`: image size, matching counts, labels in range.
Dataset loadIdxDataset(const std::string &dir, const std::string &split,
                       const weft_model_info &model);

/// Lists `<dir>/<split>/<class>/*.png|jpg|jpeg` as Keras'
/// flow_from_directory does: classes are the sub-folders in sorted order,
/// labels their positions; the count must fit the model's label input (two
/// for a binary label). Images are decoded later, by Dataset::load.
Dataset loadImageFolder(const std::string &dir, const std::string &split,
                        const weft_model_info &model, float rescale);

/// Moves `fraction` of `train` into the returned validation set, the part
/// Keras holds out: the last examples of in-memory data (fit's
/// validation_split), the first files of each class of an image folder
/// (flow_from_directory's subset="validation").
Dataset splitValidation(Dataset &train, double fraction);

/// The order in which epoch `epoch` visits `count` examples: shuffled by a
/// generator seeded from (seed, epoch), or in file order.
std::vector<int64_t> epochOrder(int64_t count, uint64_t seed, int64_t epoch,
                                bool shuffle);

/// Copies examples `indices` into contiguous batch buffers.
void gatherBatch(const Dataset &data, const int64_t *indices, int64_t n,
                 std::vector<float> &inputs, std::vector<int32_t> &labels);

} // namespace weft

#endif // WEFT_RUNTIME_DATASET_H
