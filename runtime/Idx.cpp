//===- Idx.cpp - Reading IDX files (MNIST's format) -----------------------===//
//
// Format: two zero bytes, a type code (0x08 = unsigned byte), the number of
// dimensions, each dimension as a big-endian uint32, then the data. zlib's
// gzread reads gzip and raw files alike.
//
//===----------------------------------------------------------------------===//

#include "runtime/Idx.h"

#include "runtime/Error.h"

#include <cerrno>
#include <zlib.h>

using namespace weft;

namespace {
/// A gzFile that closes itself.
class GzReader {
public:
  explicit GzReader(const std::string &path) : path(path) {
    errno = 0;
    file = gzopen(path.c_str(), "rb");
    if (!file)
      fail("cannot open '", path, "': ",
           errno ? systemError() : std::string("out of memory"));
  }
  ~GzReader() { gzclose(file); }

  /// Reads exactly `size` bytes, or throws saying what was being read.
  void read(void *dest, size_t size, const char *what) {
    auto *out = static_cast<uint8_t *>(dest);
    while (size > 0) {
      unsigned chunk = size > (1u << 30) ? (1u << 30) : unsigned(size);
      int n = gzread(file, out, chunk);
      if (n < 0) {
        int code;
        const char *msg = gzerror(file, &code);
        fail("'", path, "' is corrupt while reading ", what, ": ", msg);
      }
      if (n == 0)
        fail("'", path, "' is truncated: it ends inside the ", what);
      out += n;
      size -= size_t(n);
    }
  }

  bool atEnd() {
    uint8_t byte;
    return gzread(file, &byte, 1) == 0;
  }

private:
  std::string path;
  gzFile file;
};
} // namespace

IdxArray weft::readIdx(const std::string &path) {
  GzReader in(path);
  uint8_t magic[4];
  in.read(magic, 4, "header");
  if (magic[0] != 0 || magic[1] != 0)
    fail("'", path, "' is not an IDX file (bad magic number ",
         int(magic[0]), " ", int(magic[1]), "; expected 0 0)");
  if (magic[2] != 0x08)
    fail("'", path, "' holds IDX element type 0x", std::hex, int(magic[2]),
         "; only unsigned bytes (0x08) are supported");
  int rank = magic[3];
  if (rank < 1 || rank > 4)
    fail("'", path, "' has ", rank, " dimensions; expected 1 to 4");

  IdxArray array;
  int64_t total = 1;
  for (int i = 0; i < rank; ++i) {
    uint8_t be[4];
    in.read(be, 4, "dimension sizes");
    int64_t d = (int64_t(be[0]) << 24) | (int64_t(be[1]) << 16) |
                (int64_t(be[2]) << 8) | int64_t(be[3]);
    if (d == 0 || total > (int64_t(1) << 36) / d)
      fail("'", path, "' has an invalid dimension size ", d);
    total *= d;
    array.dims.push_back(d);
  }
  array.data.resize(size_t(total));
  in.read(array.data.data(), array.data.size(), "data");
  if (!in.atEnd())
    fail("'", path, "' has bytes past the end of its data; is it corrupt?");
  return array;
}
