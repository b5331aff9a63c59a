//===- IdxTest.cpp - IDX reader tests -------------------------------------===//

#include "runtime/Error.h"
#include "runtime/Idx.h"
#include "TestFiles.h"

#include <gtest/gtest.h>
#include <zlib.h>

using namespace weft;
using namespace weft::test;

namespace {


TEST(Idx, ReadsRawFile) {
  TempDir dir;
  writeBytes(dir.file("a"), idxBytes({2, 3}, {1, 2, 3, 4, 5, 6}));
  IdxArray a = readIdx(dir.file("a"));
  EXPECT_EQ(a.dims, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a.data, (std::vector<uint8_t>{1, 2, 3, 4, 5, 6}));
}

TEST(Idx, ReadsGzipFile) {
  TempDir dir;
  std::vector<uint8_t> bytes = idxBytes({4}, {9, 8, 7, 6});
  gzFile f = gzopen(dir.file("a.gz").c_str(), "wb");
  gzwrite(f, bytes.data(), unsigned(bytes.size()));
  gzclose(f);
  IdxArray a = readIdx(dir.file("a.gz"));
  EXPECT_EQ(a.dims, (std::vector<int64_t>{4}));
  EXPECT_EQ(a.data, (std::vector<uint8_t>{9, 8, 7, 6}));
}

TEST(Idx, MissingFileNamesThePath) {
  TempDir dir;
  expectError([&] { readIdx(dir.file("nope")); }, dir.file("nope"));
}

TEST(Idx, RejectsWrongMagic) {
  TempDir dir;
  std::vector<uint8_t> bytes = idxBytes({2}, {1, 2});
  bytes[0] = 0x1f;
  writeBytes(dir.file("a"), bytes);
  expectError([&] { readIdx(dir.file("a")); }, "not an IDX file");
}

TEST(Idx, RejectsOtherElementTypes) {
  TempDir dir;
  std::vector<uint8_t> bytes = idxBytes({2}, {1, 2});
  bytes[2] = 0x0D; // float
  writeBytes(dir.file("a"), bytes);
  expectError([&] { readIdx(dir.file("a")); }, "only unsigned bytes");
}

TEST(Idx, RejectsTruncatedData) {
  TempDir dir;
  std::vector<uint8_t> bytes = idxBytes({2, 3}, {1, 2, 3, 4, 5, 6});
  bytes.resize(bytes.size() - 2);
  writeBytes(dir.file("a"), bytes);
  expectError([&] { readIdx(dir.file("a")); }, "truncated");
}

TEST(Idx, RejectsTruncatedHeader) {
  TempDir dir;
  writeBytes(dir.file("a"), {0, 0, 8});
  expectError([&] { readIdx(dir.file("a")); }, "truncated");
}

TEST(Idx, RejectsTrailingBytes) {
  TempDir dir;
  std::vector<uint8_t> bytes = idxBytes({2}, {1, 2});
  bytes.push_back(0);
  writeBytes(dir.file("a"), bytes);
  expectError([&] { readIdx(dir.file("a")); }, "past the end");
}

} // namespace
