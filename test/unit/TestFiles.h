//===- TestFiles.h - Temporary files for runtime tests ----------*- C++ -*-===//

#ifndef WEFT_TEST_UNIT_TESTFILES_H
#define WEFT_TEST_UNIT_TESTFILES_H

#include "runtime/Error.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>
#include <gtest/gtest.h>
#include <vector>

namespace weft::test {

/// A fresh folder under $TMPDIR, removed with its files at the end.
class TempDir {
public:
  TempDir() {
    const char *base = std::getenv("TMPDIR");
    std::string pattern = std::string(base ? base : "/tmp") + "/weft-test-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    path = mkdtemp(buf.data());
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  std::string file(const std::string &name) const { return path + "/" + name; }
  std::string path;
};

inline void writeBytes(const std::string &path, const std::vector<uint8_t> &bytes) {
  FILE *f = std::fopen(path.c_str(), "wb");
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
}

/// An IDX file of unsigned bytes with the given dimensions and data.
inline std::vector<uint8_t> idxBytes(const std::vector<uint32_t> &dims,
                                     const std::vector<uint8_t> &data) {
  std::vector<uint8_t> bytes{0, 0, 0x08, uint8_t(dims.size())};
  for (uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8)
      bytes.push_back(uint8_t(d >> shift));
  bytes.insert(bytes.end(), data.begin(), data.end());
  return bytes;
}

/// Expects `fn` to throw weft::Error whose message contains `fragment`.
template <typename Fn> void expectError(Fn fn, const std::string &fragment) {
  try {
    fn();
    FAIL() << "expected an error containing '" << fragment << "'";
  } catch (const weft::Error &e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
        << "message was: " << e.what();
  }
}

} // namespace weft::test

#endif // WEFT_TEST_UNIT_TESTFILES_H
