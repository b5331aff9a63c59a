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

/// A tensor read from a file, converted to float32 (files may hold F32, F64,
/// I64 or I32 tensors: PyTorch's BatchNorm writes an int64 counter).
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

/// The header's "__metadata__": string keys to string values.
using Metadata = std::map<std::string, std::string>;

/// Everything a file holds.
struct SafetensorsFile {
  std::map<std::string, Tensor> tensors;
  Metadata metadata;
};

/// "[2, 3]": how messages show a tensor shape.
std::string shapeString(const std::vector<int64_t> &shape);

/// Writes `tensors` to `path` atomically: a temporary file in the same
/// folder, renamed over `path` only once complete. Throws weft::Error naming
/// the path on failure, leaving any existing file untouched.
void writeSafetensors(const std::string &path,
                      const std::vector<TensorRef> &tensors,
                      const Metadata &metadata = {});

/// Reads every tensor and the metadata of `path`. Throws weft::Error naming
/// the file and the problem: bad header length or JSON, unsupported dtype,
/// offsets past the end of the file or not matching the shape.
SafetensorsFile readSafetensors(const std::string &path);

/// The same from `size` bytes in memory; messages call them `path`.
SafetensorsFile parseSafetensors(const void *data, size_t size,
                                 const std::string &path);

} // namespace weft

#endif // WEFT_RUNTIME_SAFETENSORS_H
