//===- DatasetTest.cpp - IDX datasets and batching tests ------------------===//

#include "runtime/Dataset.h"
#include "runtime/Error.h"
#include "TestFiles.h"

#include <algorithm>
#include <gtest/gtest.h>

using namespace weft;
using namespace weft::test;

namespace {

/// A model description with a [1, 2, 2] image input and 3 classes.
struct TinyModel {
  int64_t imageShape[3] = {1, 2, 2};
  weft_input_info inputs[2] = {
      {"image", WEFT_INPUT_DATA, 3, imageShape, 0},
      {"label", WEFT_INPUT_CLASS_LABEL, 0, nullptr, 3},
  };
  weft_model_info info{};
  TinyModel() {
    info.name = "Tiny";
    info.num_inputs = 2;
    info.inputs = inputs;
    info.train.data_format = "idx";
  }
};

void writeSplit(const TempDir &dir, const std::string &split, uint32_t count,
                uint32_t side, std::vector<uint8_t> labels) {
  std::vector<uint8_t> pixels(count * side * side);
  for (size_t i = 0; i < pixels.size(); ++i)
    pixels[i] = uint8_t(i % 256);
  writeBytes(dir.file(split + "-images-idx3-ubyte"), idxBytes({count, side, side}, pixels));
  writeBytes(dir.file(split + "-labels-idx1-ubyte"), idxBytes({uint32_t(labels.size())}, labels));
}


TEST(Dataset, LoadsAndScalesPixels) {
  TempDir dir;
  TinyModel model;
  writeSplit(dir, "train", 3, 2, {0, 2, 1});
  Dataset d = loadIdxDataset(dir.path, "train", model.info);
  EXPECT_EQ(d.count, 3);
  EXPECT_EQ(d.exampleSize, 4);
  EXPECT_FLOAT_EQ(d.inputs[5], 5.0f / 255.0f);
  EXPECT_EQ(d.labels, (std::vector<int32_t>{0, 2, 1}));
}

TEST(Dataset, RejectsCountMismatch) {
  TempDir dir;
  TinyModel model;
  writeSplit(dir, "train", 3, 2, {0, 1});
  expectError([&] { loadIdxDataset(dir.path, "train", model.info); },
              "has 2 labels but");
}

TEST(Dataset, RejectsLabelOutOfRange) {
  TempDir dir;
  TinyModel model;
  writeSplit(dir, "train", 3, 2, {0, 7, 1});
  expectError([&] { loadIdxDataset(dir.path, "train", model.info); },
              "label 7 of example 1 is out of range for the 3 classes of 'label'");
}

TEST(Dataset, RejectsWrongImageSize) {
  TempDir dir;
  TinyModel model;
  writeSplit(dir, "train", 3, 3, {0, 1, 2});
  expectError([&] { loadIdxDataset(dir.path, "train", model.info); },
              "holds 3x3 images (9 values each) but model input 'image' is 1x2x2");
}

TEST(Dataset, MissingFolderIsNamed) {
  TinyModel model;
  expectError([&] { loadIdxDataset("/no/such/folder", "train", model.info); },
              "data folder '/no/such/folder' does not exist");
}

TEST(Dataset, RefusesUnknownDataFormats) {
  TinyModel model;
  DataSpec spec;
  spec.format = "csv";
  expectError([&] { loadDataset(spec, "train", model.info); },
              "model Tiny reads 'csv' data, which this runtime cannot load");
}

TEST(Dataset, FeedsOneHotLabelsAsClassIndices) {
  // The model encodes them; the dataset keeps the indices.
  TempDir dir;
  TinyModel model;
  model.inputs[1].kind = WEFT_INPUT_ONE_HOT;
  writeSplit(dir, "train", 3, 2, {0, 2, 1});
  Dataset data = loadIdxDataset(dir.path, "train", model.info);
  EXPECT_EQ(data.labels, (std::vector<int32_t>{0, 2, 1}));
}

TEST(Dataset, BinaryLabelsAreZeroOrOne) {
  TempDir dir;
  TinyModel model;
  model.inputs[1] = {"sick", WEFT_INPUT_BINARY, 1, nullptr, 0};
  writeSplit(dir, "train", 3, 2, {0, 1, 2});
  expectError([&] { loadIdxDataset(dir.path, "train", model.info); },
              "label 2 of example 2 is not 0 or 1, as the binary label 'sick' "
              "needs");
}

TEST(EpochOrder, SameSeedAndEpochSameOrderAndAPermutation) {
  std::vector<int64_t> first = epochOrder(100, 42, 1, true);
  EXPECT_EQ(first, epochOrder(100, 42, 1, true));
  EXPECT_NE(first, epochOrder(100, 43, 1, true));
  std::vector<int64_t> sorted = first;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 100; ++i)
    EXPECT_EQ(sorted[size_t(i)], i);
  EXPECT_NE(first, epochOrder(100, 42, 2, true)) << "each epoch is shuffled anew";
}

TEST(EpochOrder, NoShuffleKeepsFileOrder) {
  EXPECT_EQ(epochOrder(5, 1, 3, false), (std::vector<int64_t>{0, 1, 2, 3, 4}));
}

TEST(Dataset, ValidationSplitTakesTheTailOfInMemoryData) {
  Dataset d;
  d.count = 10;
  d.exampleSize = 1;
  for (int i = 0; i < 10; ++i) {
    d.inputs.push_back(float(i));
    d.labels.push_back(i % 2);
  }
  Dataset validation = splitValidation(d, 0.2);
  EXPECT_EQ(d.count, 8);
  EXPECT_EQ(validation.inputs, (std::vector<float>{8, 9}));
  EXPECT_EQ(validation.labels, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(d.inputs.size(), 8u);
}

TEST(Dataset, ValidationSplitTakesTheHeadOfEachClassFolder) {
  Dataset d;
  d.exampleSize = 1;
  d.files = {"a0", "a1", "a2", "a3", "b0", "b1"};
  d.labels = {0, 0, 0, 0, 1, 1};
  d.count = 6;
  Dataset validation = splitValidation(d, 0.5);
  EXPECT_EQ(validation.files, (std::vector<std::string>{"a0", "a1", "b0"}));
  EXPECT_EQ(d.files, (std::vector<std::string>{"a2", "a3", "b1"}));
}

TEST(Dataset, ValidationSplitThatEmptiesASideIsRefused) {
  Dataset d;
  d.count = 3;
  d.exampleSize = 1;
  d.inputs = {0, 1, 2};
  d.labels = {0, 1, 0};
  expectError([&] { splitValidation(d, 0.1); }, "leaves 0 validation and 3 training");
}

TEST(Batching, GathersExamplesInOrder) {
  Dataset d;
  d.count = 3;
  d.exampleSize = 2;
  d.inputs = {0, 1, 10, 11, 20, 21};
  d.labels = {5, 6, 7};
  std::vector<float> inputs;
  std::vector<int32_t> labels;
  int64_t indices[] = {2, 0};
  gatherBatch(d, indices, 2, inputs, labels);
  EXPECT_EQ(inputs, (std::vector<float>{20, 21, 0, 1}));
  EXPECT_EQ(labels, (std::vector<int32_t>{7, 5}));
}

} // namespace
