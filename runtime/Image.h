//===- Image.h - Decoding and resizing PNG and JPEG images ------*- C++ -*-===//
//
// What an image folder's files go through before they reach a model, as
// Keras' flow_from_directory does it: decode (libpng, libjpeg-turbo), convert
// to the model's channels as PIL's convert() does, resize to the input size
// with PIL's nearest-neighbour rule (Keras' default interpolation), then
// scale into the model's planar float layout.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_IMAGE_H
#define WEFT_RUNTIME_IMAGE_H

#include <cstdint>
#include <string>
#include <vector>

namespace weft {

/// 8-bit pixels, rows top to bottom, channels interleaved (gray, gray +
/// alpha, RGB or RGBA).
struct Image {
  int64_t height = 0, width = 0, channels = 0;
  std::vector<uint8_t> pixels;
};

enum class ImageFormat { Unknown, Png, Jpeg };

/// The format of `path` as its first bytes tell it (Unknown if it cannot be
/// opened or is neither).
ImageFormat imageFormatOf(const std::string &path);

/// Decodes a PNG or JPEG file, told apart by its first bytes, not its name.
/// Throws weft::Error naming `path` and what is wrong with it.
Image decodeImage(const std::string &path);

/// The image with 1 (luminance, PIL's ITU-R 601-2 rule) or 3 (RGB) channels;
/// alpha is dropped, as PIL's convert("RGB") and convert("L") drop it.
Image convertChannels(const Image &image, int64_t channels);

/// Nearest-neighbour resize: output pixel x reads input pixel
/// (x + 0.5) * in / out, truncated, as PIL's Image.resize(NEAREST).
Image resizeNearest(const Image &image, int64_t height, int64_t width);

/// Writes `image` as planar floats [channels, height, width] times `scale`.
void toPlanar(const Image &image, float scale, float *out);

/// Decodes `path` and makes it a [channels, height, width] float example:
/// the whole chain above.
void loadImageExample(const std::string &path, int64_t channels, int64_t height,
                      int64_t width, float scale, float *out);

} // namespace weft

#endif // WEFT_RUNTIME_IMAGE_H
