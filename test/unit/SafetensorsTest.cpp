//===- SafetensorsTest.cpp - Checkpoint reader and writer tests -----------===//

#include "runtime/Error.h"
#include "runtime/Safetensors.h"
#include "TestFiles.h"

#include <cstring>
#include <gtest/gtest.h>
#include <sys/stat.h>

using namespace weft;
using namespace weft::test;

namespace {


/// A safetensors file with the given JSON header and data bytes.
std::vector<uint8_t> safetensorsBytes(const std::string &header,
                                      size_t dataBytes) {
  std::vector<uint8_t> bytes(8);
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i)
    bytes[size_t(i)] = uint8_t(n >> (8 * i));
  bytes.insert(bytes.end(), header.begin(), header.end());
  bytes.resize(bytes.size() + dataBytes, 0);
  return bytes;
}

TEST(Safetensors, RoundTrip) {
  TempDir dir;
  std::vector<float> w{1.5f, -2.0f, 3.25f, 0.0f, 7.0f, -8.5f}, b{0.5f, 1.0f};
  writeSafetensors(dir.file("m.safetensors"),
                   {{"fc.weight", {2, 3}, w.data()}, {"fc.bias", {2}, b.data()}});
  auto tensors = readSafetensors(dir.file("m.safetensors")).tensors;
  ASSERT_EQ(tensors.size(), 2u);
  EXPECT_EQ(tensors["fc.weight"].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(tensors["fc.weight"].data, w);
  EXPECT_EQ(tensors["fc.bias"].data, b);
}

TEST(Safetensors, WriteLeavesNoTemporaryFile) {
  TempDir dir;
  float x = 1;
  writeSafetensors(dir.file("m.safetensors"), {{"x", {1}, &x}});
  std::string listing;
  FILE *p = popen(("ls -A '" + dir.path + "'").c_str(), "r");
  char line[256];
  while (fgets(line, sizeof line, p))
    listing += line;
  pclose(p);
  EXPECT_EQ(listing, "m.safetensors\n");
}

TEST(Safetensors, UnwritablePathFailsAndKeepsOldFile) {
  TempDir dir;
  float x = 1;
  expectError([&] { writeSafetensors(dir.file("no/such/dir/m.safetensors"), {{"x", {1}, &x}}); },
              "cannot write checkpoint");
}

TEST(Safetensors, RejectsShortFile) {
  TempDir dir;
  writeBytes(dir.file("m"), {1, 2, 3});
  expectError([&] { readSafetensors(dir.file("m")); }, "not a safetensors file");
}

TEST(Safetensors, RejectsHeaderLongerThanFile) {
  TempDir dir;
  std::vector<uint8_t> bytes = safetensorsBytes("{}", 0);
  bytes[0] = 200;
  writeBytes(dir.file("m"), bytes);
  expectError([&] { readSafetensors(dir.file("m")); }, "header claims 200 bytes");
}

TEST(Safetensors, RejectsCorruptJson) {
  TempDir dir;
  writeBytes(dir.file("m"), safetensorsBytes("{\"x\": [", 0));
  expectError([&] { readSafetensors(dir.file("m")); }, "corrupt header");
}

TEST(Safetensors, RejectsOffsetsPastTheEnd) {
  TempDir dir;
  writeBytes(dir.file("m"),
             safetensorsBytes(R"({"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 8));
  expectError([&] { readSafetensors(dir.file("m")); }, "outside the 8 data bytes");
}

TEST(Safetensors, RejectsSizeShapeMismatch) {
  TempDir dir;
  writeBytes(dir.file("m"),
             safetensorsBytes(R"({"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8));
  expectError([&] { readSafetensors(dir.file("m")); }, "shape [3] needs 12");
}

TEST(Safetensors, RejectsOtherDtypes) {
  TempDir dir;
  writeBytes(dir.file("m"),
             safetensorsBytes(R"({"x":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", 4));
  expectError([&] { readSafetensors(dir.file("m")); }, "supported: F32, F64, I64");
}

TEST(Safetensors, MetadataRoundTrips) {
  TempDir dir;
  float x = 1;
  writeSafetensors(dir.file("m"), {{"x", {1}, &x}}, {{"weft.epoch", "3"}});
  Metadata meta = readSafetensors(dir.file("m")).metadata;
  EXPECT_EQ(meta["weft.epoch"], "3");
  EXPECT_EQ(meta["format"], "pt");
}

TEST(Safetensors, ReadsInt64AsFloat) {
  // PyTorch's BatchNorm saves num_batches_tracked as an int64 scalar.
  TempDir dir;
  std::vector<uint8_t> bytes = safetensorsBytes(
      R"({"n":{"dtype":"I64","shape":[],"data_offsets":[0,8]}})", 8);
  bytes[bytes.size() - 8] = 42;
  writeBytes(dir.file("m"), bytes);
  auto tensors = readSafetensors(dir.file("m")).tensors;
  EXPECT_EQ(tensors["n"].shape, std::vector<int64_t>{});
  EXPECT_EQ(tensors["n"].data, std::vector<float>{42.0f});
}

} // namespace
