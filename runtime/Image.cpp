//===- Image.cpp - Decoding and resizing PNG and JPEG images --------------===//

#include "runtime/Image.h"

#include "runtime/Error.h"

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>

// libjpeg's header needs FILE and size_t declared before it.
#include <jpeglib.h>
#include <png.h>

using namespace weft;

namespace {
struct FileCloser {
  void operator()(FILE *f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;

Image decodePng(const std::string &path) {
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&png, path.c_str()))
    fail("cannot read image '", path, "': ", png.message);
  // Keep alpha so that convertChannels can drop it as PIL does; libpng's
  // simplified API would otherwise composite it onto a background.
  bool color = png.format & PNG_FORMAT_FLAG_COLOR;
  png.format = color ? PNG_FORMAT_RGBA : PNG_FORMAT_GA;
  Image image{png.height, png.width, color ? 4 : 2, {}};
  image.pixels.resize(PNG_IMAGE_SIZE(png));
  if (!png_image_finish_read(&png, nullptr, image.pixels.data(), 0, nullptr)) {
    std::string why = png.message;
    png_image_free(&png);
    fail("cannot read image '", path, "': ", why);
  }
  return image;
}

/// libjpeg reports errors through a callback that must not return; it
/// jumps back to decodeJpeg with the message.
struct JpegErrors {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void jpegErrorExit(j_common_ptr info) {
  auto *errors = reinterpret_cast<JpegErrors *>(info->err);
  info->err->format_message(info, errors->message);
  std::longjmp(errors->jump, 1);
}

void jpegSilentWarning(j_common_ptr, int) {}

Image decodeJpeg(FILE *file, const std::string &path) {
  jpeg_decompress_struct jpeg;
  JpegErrors errors;
  jpeg.err = jpeg_std_error(&errors.manager);
  errors.manager.error_exit = jpegErrorExit;
  errors.manager.emit_message = jpegSilentWarning;
  // Only plain data lives between setjmp and longjmp: `image` is declared
  // before and not touched by the jump.
  Image image;
  if (setjmp(errors.jump)) {
    jpeg_destroy_decompress(&jpeg);
    fail("cannot read image '", path, "': ", errors.message);
  }
  jpeg_create_decompress(&jpeg);
  jpeg_stdio_src(&jpeg, file);
  jpeg_read_header(&jpeg, TRUE);
  bool gray = jpeg.jpeg_color_space == JCS_GRAYSCALE;
  jpeg.out_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&jpeg);
  image.height = jpeg.output_height;
  image.width = jpeg.output_width;
  image.channels = jpeg.output_components;
  image.pixels.resize(size_t(image.height * image.width * image.channels));
  while (jpeg.output_scanline < jpeg.output_height) {
    JSAMPROW row = image.pixels.data() +
                   size_t(jpeg.output_scanline) * size_t(image.width * image.channels);
    jpeg_read_scanlines(&jpeg, &row, 1);
  }
  jpeg_finish_decompress(&jpeg);
  jpeg_destroy_decompress(&jpeg);
  return image;
}
} // namespace

namespace {
ImageFormat formatOfMagic(const unsigned char *magic, size_t size) {
  static const unsigned char png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (size >= 8 && !std::memcmp(magic, png, 8))
    return ImageFormat::Png;
  if (size >= 3 && magic[0] == 0xff && magic[1] == 0xd8 && magic[2] == 0xff)
    return ImageFormat::Jpeg;
  return ImageFormat::Unknown;
}

/// Reads the first bytes of `file` and rewinds it.
ImageFormat sniff(FILE *file, size_t &got) {
  unsigned char magic[8] = {};
  got = std::fread(magic, 1, sizeof magic, file);
  std::rewind(file);
  return formatOfMagic(magic, got);
}
} // namespace

ImageFormat weft::imageFormatOf(const std::string &path) {
  File file(std::fopen(path.c_str(), "rb"));
  size_t got = 0;
  return file ? sniff(file.get(), got) : ImageFormat::Unknown;
}

Image weft::decodeImage(const std::string &path) {
  File file(std::fopen(path.c_str(), "rb"));
  if (!file)
    fail("cannot open image '", path, "': ", systemError());
  size_t got = 0;
  switch (sniff(file.get(), got)) {
  case ImageFormat::Png:
    file.reset();
    return decodePng(path);
  case ImageFormat::Jpeg:
    return decodeJpeg(file.get(), path);
  case ImageFormat::Unknown:
    break;
  }
  fail("cannot read image '", path, "': ",
       got == 0 ? "the file is empty" : "it is neither PNG nor JPEG");
}

Image weft::convertChannels(const Image &image, int64_t channels) {
  Image out{image.height, image.width, channels, {}};
  size_t count = size_t(image.height * image.width);
  out.pixels.resize(count * size_t(channels));
  bool color = image.channels >= 3;
  for (size_t i = 0; i < count; ++i) {
    const uint8_t *in = image.pixels.data() + i * size_t(image.channels);
    uint8_t *o = out.pixels.data() + i * size_t(channels);
    if (channels == 1) {
      // PIL's L = R * 299/1000 + G * 587/1000 + B * 114/1000, in its
      // 16-bit fixed point with rounding.
      o[0] = color ? uint8_t((in[0] * 19595u + in[1] * 38470u + in[2] * 7471u +
                              0x8000u) >> 16)
                   : in[0];
    } else {
      for (int64_t c = 0; c < channels; ++c)
        o[c] = color ? in[c] : in[0];
    }
  }
  return out;
}

namespace {
/// The source index of each output index along one axis, as Pillow's
/// ImagingScaleAffine computes it: a double that starts at half a step and
/// grows by in/out, truncated. Its rounding decides some ties, so the
/// arithmetic is Pillow's own, not the exact floor((x + 0.5) * in / out).
std::vector<int64_t> nearestSources(int64_t in, int64_t out) {
  std::vector<int64_t> sources(static_cast<size_t>(out));
  double step = double(in) / double(out), position = step * 0.5;
  for (int64_t i = 0; i < out; ++i, position += step)
    sources[size_t(i)] = std::min(in - 1, int64_t(position));
  return sources;
}
} // namespace

Image weft::resizeNearest(const Image &image, int64_t height, int64_t width) {
  if (image.height == height && image.width == width)
    return image;
  Image out{height, width, image.channels, {}};
  out.pixels.resize(size_t(height * width * image.channels));
  std::vector<int64_t> rows = nearestSources(image.height, height);
  std::vector<int64_t> cols = nearestSources(image.width, width);
  for (int64_t y = 0; y < height; ++y)
    for (int64_t x = 0; x < width; ++x)
      std::memcpy(out.pixels.data() + (y * width + x) * image.channels,
                  image.pixels.data() +
                      (rows[size_t(y)] * image.width + cols[size_t(x)]) * image.channels,
                  size_t(image.channels));
  return out;
}

void weft::toPlanar(const Image &image, float scale, float *out) {
  int64_t plane = image.height * image.width;
  for (int64_t c = 0; c < image.channels; ++c)
    for (int64_t i = 0; i < plane; ++i)
      out[c * plane + i] = float(image.pixels[size_t(i * image.channels + c)]) * scale;
}

void weft::loadImageExample(const std::string &path, int64_t channels,
                            int64_t height, int64_t width, float scale,
                            float *out) {
  Image image = decodeImage(path);
  if (image.height <= 0 || image.width <= 0)
    fail("cannot read image '", path, "': it has no pixels");
  toPlanar(resizeNearest(convertChannels(image, channels), height, width),
           scale, out);
}
