//===- ImageTest.cpp - Image conversion, resizing and augmentation --------===//

#include "runtime/Augment.h"
#include "runtime/Image.h"
#include "TestFiles.h"

#include <gtest/gtest.h>
#include <numeric>

using namespace weft;
using namespace weft::test;

namespace {

Image column(int64_t height) {
  Image image{height, 1, 1, {}};
  for (int64_t i = 0; i < height; ++i)
    image.pixels.push_back(uint8_t(i));
  return image;
}

TEST(Image, NearestResizeFollowsPillow) {
  // Pillow's Image.resize(NEAREST) of a 4-pixel column to 6 pixels reads
  // rows 0 1 1 2 2 3 (its accumulated double rounds 2.9999... down), not
  // the exact floor((y + 0.5) * 4 / 6) = 0 1 1 2 3 3.
  EXPECT_EQ(resizeNearest(column(4), 6, 1).pixels,
            (std::vector<uint8_t>{0, 1, 1, 2, 2, 3}));
  EXPECT_EQ(resizeNearest(column(6), 3, 1).pixels, (std::vector<uint8_t>{1, 3, 5}));
}

TEST(Image, GreyFromColourUsesPillowsWeights) {
  Image rgb{1, 2, 3, {255, 0, 0, 10, 200, 30}};
  Image grey = convertChannels(rgb, 1);
  // (R * 19595 + G * 38470 + B * 7471 + 0x8000) >> 16.
  EXPECT_EQ(grey.pixels, (std::vector<uint8_t>{76, 124}));
}

TEST(Image, AlphaIsDroppedAndGreyIsRepeated) {
  Image greyAlpha{1, 1, 2, {7, 99}};
  EXPECT_EQ(convertChannels(greyAlpha, 3).pixels, (std::vector<uint8_t>{7, 7, 7}));
  Image rgba{1, 1, 4, {1, 2, 3, 0}};
  EXPECT_EQ(convertChannels(rgba, 3).pixels, (std::vector<uint8_t>{1, 2, 3}));
}

TEST(Image, PlanarLayoutIsChannelsFirst) {
  Image rgb{1, 2, 3, {1, 2, 3, 4, 5, 6}};
  std::vector<float> out(6);
  toPlanar(rgb, 0.5f, out.data());
  EXPECT_EQ(out, (std::vector<float>{0.5f, 2, 1, 2.5f, 1.5f, 3}));
}

TEST(Image, UnreadableFilesAreNamed) {
  TempDir dir;
  writeBytes(dir.file("empty.png"), {});
  expectError([&] { decodeImage(dir.file("empty.png")); }, "the file is empty");
  writeBytes(dir.file("text.jpg"), {'h', 'i'});
  expectError([&] { decodeImage(dir.file("text.jpg")); },
              "cannot read image '" + dir.file("text.jpg") +
                  "': it is neither PNG nor JPEG");
  writeBytes(dir.file("cut.png"), {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0});
  expectError([&] { decodeImage(dir.file("cut.png")); },
              "cannot read image '" + dir.file("cut.png") + "'");
  writeBytes(dir.file("cut.jpg"), {0xff, 0xd8, 0xff, 0xe0, 0, 16});
  expectError([&] { decodeImage(dir.file("cut.jpg")); },
              "cannot read image '" + dir.file("cut.jpg") + "'");
  expectError([&] { decodeImage(dir.file("missing.png")); }, "cannot open image");
}

std::vector<float> ramp(int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), 0.0f);
  return v;
}

TEST(Augment, IdentityTransformKeepsTheImage) {
  std::vector<float> in = ramp(2 * 3 * 4), out(in.size());
  applyTransform(Transform{}, in.data(), 2, 3, 4, out.data());
  EXPECT_EQ(out, in);
}

TEST(Augment, FlipsMirrorColumnsOrRows) {
  std::vector<float> in = ramp(2 * 3), out(in.size());
  Transform flip;
  flip.flipHorizontal = true;
  applyTransform(flip, in.data(), 1, 2, 3, out.data());
  EXPECT_EQ(out, (std::vector<float>{2, 1, 0, 5, 4, 3}));
  flip = Transform{};
  flip.flipVertical = true;
  applyTransform(flip, in.data(), 1, 2, 3, out.data());
  EXPECT_EQ(out, (std::vector<float>{3, 4, 5, 0, 1, 2}));
}

TEST(Augment, ZoomSamplesAboutKerasCentre) {
  // Keras maps output (r, c) to input zoom * ((r, c) - o) + o with
  // o = size / 2 + 0.5 = 2.5 for a 4x4 image; zoom 0.5 reads in between
  // pixels, bilinearly: row r -> 0.5 r + 1.25.
  std::vector<float> in = ramp(16), out(16);
  Transform zoom;
  zoom.zoomRows = zoom.zoomCols = 0.5;
  applyTransform(zoom, in.data(), 1, 4, 4, out.data());
  // Input (1.25, 1.25) = 1.25 * 4 + 1.25.
  EXPECT_FLOAT_EQ(out[0], 6.25f);
  // Input (2.75, 2.75).
  EXPECT_FLOAT_EQ(out[15], 2.75f * 4 + 2.75f);
}

TEST(Augment, EdgesRepeatOutsideTheImage) {
  // Zooming out (factor 2) reads beyond the border: fill_mode "nearest".
  std::vector<float> in = ramp(9), out(9);
  Transform zoom;
  zoom.zoomRows = zoom.zoomCols = 2;
  applyTransform(zoom, in.data(), 1, 3, 3, out.data());
  EXPECT_FLOAT_EQ(out[0], 0.0f);
  EXPECT_FLOAT_EQ(out[8], 8.0f);
}

TEST(Augment, DrawsStayInTheirRangesAndFollowTheSeed) {
  Augmentation a;
  a.rotation = 10;
  a.shear = 5;
  a.zoom = 0.2;
  a.flipHorizontal = true;
  std::mt19937_64 rng(7), again(7);
  int flips = 0;
  for (int i = 0; i < 1000; ++i) {
    Transform t = drawTransform(a, rng), u = drawTransform(a, again);
    EXPECT_EQ(t.theta, u.theta);
    EXPECT_LE(std::abs(t.theta), 10);
    EXPECT_LE(std::abs(t.shear), 5);
    EXPECT_GE(t.zoomRows, 0.8);
    EXPECT_LE(t.zoomCols, 1.2);
    EXPECT_FALSE(t.flipVertical);
    flips += t.flipHorizontal;
  }
  EXPECT_GT(flips, 400);
  EXPECT_LT(flips, 600);
}

} // namespace
