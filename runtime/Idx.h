//===- Idx.h - Reading IDX files (MNIST's format) ---------------*- C++ -*-===//

#ifndef WEFT_RUNTIME_IDX_H
#define WEFT_RUNTIME_IDX_H

#include <cstdint>
#include <string>
#include <vector>

namespace weft {

/// An IDX array of unsigned bytes: dims[0] items of dims[1..] each.
struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;
};

/// Reads an IDX file of unsigned bytes, gzip-compressed or raw. Throws
/// weft::Error naming `path` if it is missing, truncated, has the wrong
/// magic number or an element type other than unsigned byte.
IdxArray readIdx(const std::string &path);

} // namespace weft

#endif // WEFT_RUNTIME_IDX_H
