//===- Safetensors.cpp - Reading and writing .safetensors files -----------===//

#include "runtime/Safetensors.h"

#include "runtime/DeferredSignals.h"

#include "runtime/Error.h"

#include <cstdio>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <unistd.h>

using namespace weft;
using json = nlohmann::json;

namespace {
struct FileCloser {
  void operator()(FILE *f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;

int64_t elementCount(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}
/// Bytes per element of a dtype this reader converts, 0 for others.
int64_t dtypeSize(const std::string &dtype) {
  if (dtype == "F32" || dtype == "I32")
    return 4;
  if (dtype == "F64" || dtype == "I64")
    return 8;
  return 0;
}

template <typename T>
std::vector<float> convert(const char *raw, size_t size) {
  std::vector<float> out(size / sizeof(T));
  for (size_t i = 0; i < out.size(); ++i) {
    T v;
    std::memcpy(&v, raw + i * sizeof(T), sizeof(T));
    out[i] = float(v);
  }
  return out;
}

/// Little-endian data of `dtype` as floats (x86-64 and AArch64 are
/// little-endian, as the format is).
std::vector<float> toFloats(const std::string &dtype, const char *raw,
                            size_t size) {
  if (dtype == "F64")
    return convert<double>(raw, size);
  if (dtype == "I64")
    return convert<int64_t>(raw, size);
  if (dtype == "I32")
    return convert<int32_t>(raw, size);
  return convert<float>(raw, size);
}
} // namespace

std::string weft::shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

void weft::writeSafetensors(const std::string &path,
                            const std::vector<TensorRef> &tensors,
                            const Metadata &metadata) {
  json header = json::object();
  int64_t offset = 0;
  for (const TensorRef &t : tensors) {
    int64_t bytes = elementCount(t.shape) * int64_t(sizeof(float));
    header[t.name] = {{"dtype", "F32"},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  json meta = {{"format", "pt"}};
  for (const auto &[key, value] : metadata)
    meta[key] = value;
  header["__metadata__"] = meta;
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' '); // Align the data to 8 bytes.

  // Ctrl-C from here to the rename would leave the temporary file behind.
  DeferredSignals deferred;
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  File file(std::fopen(tmp.c_str(), "wb"));
  if (!file)
    fail("cannot write checkpoint '", path, "': ", systemError());
  uint64_t length = text.size();
  uint8_t le[8];
  for (int i = 0; i < 8; ++i)
    le[i] = uint8_t(length >> (8 * i));
  bool ok = std::fwrite(le, 1, 8, file.get()) == 8 &&
            std::fwrite(text.data(), 1, text.size(), file.get()) == text.size();
  // x86-64 and AArch64 are little-endian, as the format is.
  for (const TensorRef &t : tensors) {
    size_t n = size_t(elementCount(t.shape));
    ok = ok && std::fwrite(t.data, sizeof(float), n, file.get()) == n;
  }
  ok = ok && std::fflush(file.get()) == 0 && fsync(fileno(file.get())) == 0;
  std::string why = ok ? "" : systemError();
  if (std::fclose(file.release()) != 0 && ok) {
    ok = false;
    why = systemError();
  }
  if (ok && std::rename(tmp.c_str(), path.c_str()) != 0) {
    ok = false;
    why = systemError();
  }
  if (!ok) {
    std::remove(tmp.c_str());
    fail("cannot write checkpoint '", path, "': ", why);
  }
}

SafetensorsFile weft::readSafetensors(const std::string &path) {
  File file(std::fopen(path.c_str(), "rb"));
  if (!file)
    fail("cannot open checkpoint '", path, "': ", systemError());
  std::vector<char> bytes;
  char chunk[1 << 16];
  size_t got;
  while ((got = std::fread(chunk, 1, sizeof chunk, file.get())) > 0)
    bytes.insert(bytes.end(), chunk, chunk + got);
  if (std::ferror(file.get()))
    fail("cannot read checkpoint '", path, "': ", systemError());
  return parseSafetensors(bytes.data(), bytes.size(), path);
}

SafetensorsFile weft::parseSafetensors(const void *data, size_t size,
                                       const std::string &path) {
  const char *bytes = static_cast<const char *>(data);
  int64_t fileSize = int64_t(size);
  if (!bytes || fileSize < 8)
    fail("'", path, "' is not a safetensors file: shorter than its 8-byte "
         "header length");
  uint64_t headerSize = 0;
  for (int i = 0; i < 8; ++i)
    headerSize |= uint64_t(uint8_t(bytes[i])) << (8 * i);
  if (headerSize > uint64_t(fileSize) - 8)
    fail("'", path, "' is not a valid safetensors file: its header claims ",
         headerSize, " bytes but the file has ", fileSize - 8, " after the "
         "length");
  std::string text(bytes + 8, size_t(headerSize));
  json header = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object())
    fail("'", path, "' has a corrupt header: not a JSON object");

  int64_t dataStart = 8 + int64_t(headerSize);
  int64_t dataSize = fileSize - dataStart;
  SafetensorsFile result;
  for (auto &[name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object())
        fail("'", path, "' has a malformed __metadata__: not a JSON object");
      for (auto &[key, value] : entry.items())
        if (value.is_string())
          result.metadata[key] = value.get<std::string>();
      continue;
    }
    auto bad = [&](const std::string &what) {
      fail("'", path, "': tensor '", name, "' ", what);
    };
    if (!entry.is_object() || !entry.contains("dtype") ||
        !entry.contains("shape") || !entry.contains("data_offsets"))
      bad("lacks dtype, shape or data_offsets");
    std::string dtype =
        entry["dtype"].is_string() ? entry["dtype"].get<std::string>() : "";
    int64_t elementSize = dtypeSize(dtype);
    if (!elementSize)
      bad("has dtype " + entry["dtype"].dump() +
          "; supported: F32, F64, I64 and I32");
    Tensor t;
    if (!entry["shape"].is_array())
      bad("has a malformed shape");
    for (const json &d : entry["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0)
        bad("has a malformed shape " + entry["shape"].dump());
      t.shape.push_back(d.get<int64_t>());
    }
    const json &offsets = entry["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2 ||
        !offsets[0].is_number_integer() || !offsets[1].is_number_integer())
      bad("has malformed data_offsets");
    int64_t begin = offsets[0].get<int64_t>(), end = offsets[1].get<int64_t>();
    if (begin < 0 || end < begin || end > dataSize)
      bad("has data_offsets [" + std::to_string(begin) + ", " +
          std::to_string(end) + "] outside the " + std::to_string(dataSize) +
          " data bytes of the file");
    int64_t expected = elementCount(t.shape) * elementSize;
    if (end - begin != expected)
      bad("has " + std::to_string(end - begin) + " bytes of data but shape " +
          shapeString(t.shape) + " needs " + std::to_string(expected));
    t.data = toFloats(dtype, bytes + dataStart + begin, size_t(expected));
    result.tensors.emplace(name, std::move(t));
  }
  return result;
}
