//===- Augment.h - Keras-style random image augmentation --------*- C++ -*-===//
//
// Keras' ImageDataGenerator.random_transform on one [channels, height,
// width] example: a random rotation, shear and zoom about the image centre,
// sampled bilinearly with edge pixels repeated (fill_mode "nearest"), then
// random flips. Amounts mean what they mean in Keras: rotation and shear in
// degrees, zoom a range [1 - zoom, 1 + zoom] drawn for each axis.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_AUGMENT_H
#define WEFT_RUNTIME_AUGMENT_H

#include <cstdint>
#include <random>

namespace weft {

struct Augmentation {
  double rotation = 0, shear = 0, zoom = 0;
  bool flipHorizontal = false, flipVertical = false;

  bool active() const {
    return rotation > 0 || shear > 0 || zoom > 0 || flipHorizontal || flipVertical;
  }
};

/// One draw of the random transform.
struct Transform {
  double theta = 0, shear = 0, zoomRows = 1, zoomCols = 1; // degrees, factors
  bool flipHorizontal = false, flipVertical = false;
};

/// Draws a transform as random_transform does, in its order.
Transform drawTransform(const Augmentation &augment, std::mt19937_64 &rng);

/// Applies `t` to `image` ([channels, height, width]) into `out`.
void applyTransform(const Transform &t, const float *image, int64_t channels,
                    int64_t height, int64_t width, float *out);

} // namespace weft

#endif // WEFT_RUNTIME_AUGMENT_H
