//===- Safetensors.h - Reading and writing .safetensors files ---*- C++ -*-===//
//
// The checkpoint format of Hugging Face and PyTorch users: an 8-byte
// little-endian header length, a JSON header mapping each tensor name to
// {dtype, shape, data_offsets}, then the raw little-endian data.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_SAFETENSORS_H
#define WEFT_RUNTIME_SAFETENSORS_H

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace weft {

/// A float32 tensor to write; `data` holds product(shape) values.
struct TensorRef {
  std::string name;
  std::vector<int64_t> shape;
  const float *data;
};

/// A float32 tensor read from a file.
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

/// "[2, 3]": how messages show a tensor shape.
std::string shapeString(const std::vector<int64_t> &shape);

/// Writes `tensors` to `path` atomically: a temporary file in the same
/// folder, renamed over `path` only once complete. Throws weft::Error naming
/// the path on failure, leaving any existing file untouched.
void writeSafetensors(const std::string &path,
                      const std::vector<TensorRef> &tensors);

/// Reads every tensor of `path`. Throws weft::Error naming the file and the
/// problem: bad header length or JSON, unsupported dtype, offsets past the
/// end of the file or not matching the shape.
std::map<std::string, Tensor> readSafetensors(const std::string &path);

} // namespace weft

#endif // WEFT_RUNTIME_SAFETENSORS_H
