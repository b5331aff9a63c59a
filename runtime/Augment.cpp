//===- Augment.cpp - Keras-style random image augmentation ----------------===//

#include "runtime/Augment.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

using namespace weft;

Transform weft::drawTransform(const Augmentation &a, std::mt19937_64 &rng) {
  auto uniform = [&](double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(rng);
  };
  Transform t;
  if (a.rotation > 0)
    t.theta = uniform(-a.rotation, a.rotation);
  if (a.shear > 0)
    t.shear = uniform(-a.shear, a.shear);
  if (a.zoom > 0) {
    t.zoomRows = uniform(1 - a.zoom, 1 + a.zoom);
    t.zoomCols = uniform(1 - a.zoom, 1 + a.zoom);
  }
  t.flipHorizontal = a.flipHorizontal && uniform(0, 1) < 0.5;
  t.flipVertical = a.flipVertical && uniform(0, 1) < 0.5;
  return t;
}

void weft::applyTransform(const Transform &t, const float *image,
                          int64_t channels, int64_t height, int64_t width,
                          float *out) {
  // apply_affine_transform's matrix, acting on (row, col): rotation, then
  // shear, then zoom, conjugated by a shift to the centre. Keras puts the
  // centre at size / 2 + 0.5; so does this, to draw the same images.
  const double pi = 3.14159265358979323846;
  double theta = t.theta * pi / 180, shear = t.shear * pi / 180;
  double m00 = std::cos(theta), m01 = -std::sin(theta);
  double m10 = std::sin(theta), m11 = std::cos(theta);
  // Times the shear matrix [[1, -sin s], [0, cos s]].
  double s01 = -std::sin(shear), s11 = std::cos(shear);
  double a00 = m00, a01 = m00 * s01 + m01 * s11;
  double a10 = m10, a11 = m10 * s01 + m11 * s11;
  // Times the zoom matrix diag(zoomRows, zoomCols).
  a00 *= t.zoomRows;
  a10 *= t.zoomRows;
  a01 *= t.zoomCols;
  a11 *= t.zoomCols;
  double cr = double(height) / 2 + 0.5, cc = double(width) / 2 + 0.5;
  double offRow = cr - (a00 * cr + a01 * cc);
  double offCol = cc - (a10 * cr + a11 * cc);

  int64_t plane = height * width;
  std::vector<float> moved(size_t(channels * plane));
  for (int64_t r = 0; r < height; ++r) {
    for (int64_t c = 0; c < width; ++c) {
      // scipy.ndimage.affine_transform, order 1, mode "nearest": the input
      // point, clamped to the edge, read bilinearly.
      double inR = std::clamp(a00 * double(r) + a01 * double(c) + offRow, 0.0,
                              double(height - 1));
      double inC = std::clamp(a10 * double(r) + a11 * double(c) + offCol, 0.0,
                              double(width - 1));
      int64_t r0 = int64_t(std::floor(inR)), c0 = int64_t(std::floor(inC));
      int64_t r1 = std::min(r0 + 1, height - 1), c1 = std::min(c0 + 1, width - 1);
      float fr = float(inR - double(r0)), fc = float(inC - double(c0));
      for (int64_t ch = 0; ch < channels; ++ch) {
        const float *p = image + ch * plane;
        float top = p[r0 * width + c0] * (1 - fc) + p[r0 * width + c1] * fc;
        float bottom = p[r1 * width + c0] * (1 - fc) + p[r1 * width + c1] * fc;
        moved[size_t(ch * plane + r * width + c)] = top * (1 - fr) + bottom * fr;
      }
    }
  }
  for (int64_t ch = 0; ch < channels; ++ch)
    for (int64_t r = 0; r < height; ++r)
      for (int64_t c = 0; c < width; ++c) {
        int64_t sr = t.flipVertical ? height - 1 - r : r;
        int64_t sc = t.flipHorizontal ? width - 1 - c : c;
        out[ch * plane + r * width + c] = moved[size_t(ch * plane + sr * width + sc)];
      }
}
