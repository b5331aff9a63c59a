//===- ShapeRules.h - Shape arithmetic shared by Sema and the dialect -*- C++ -*-===//
//
// The one definition of window-op shape arithmetic. The weft dialect's type
// inference and the frontend's Sema (which has no MLIR dependency, so that
// the fuzzer can link it alone) both use it, so a model rejected by one is
// rejected by the other.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_DIALECTS_WEFT_IR_SHAPERULES_H
#define WEFT_DIALECTS_WEFT_IR_SHAPERULES_H

#include <cstdint>
#include <optional>
#include <utility>

namespace weft::shape {

/// The extent of a window of `kernel` taps spaced `dilation` apart.
constexpr int64_t windowSpan(int64_t kernel, int64_t dilation) {
  return dilation * (kernel - 1) + 1;
}

/// Output size of a convolution or pooling along one dimension (floor mode),
/// or nothing if the window does not fit the padded input.
constexpr std::optional<int64_t> windowOutput(int64_t in, int64_t kernel,
                                              int64_t stride, int64_t padLo,
                                              int64_t padHi, int64_t dilation) {
  int64_t padded = in + padLo + padHi;
  int64_t span = windowSpan(kernel, dilation);
  if (padded < span || stride < 1)
    return std::nullopt;
  return (padded - span) / stride + 1;
}

/// Keras' and TensorFlow's 'same' padding along one dimension: the output is
/// ceil(in / stride), and an odd total goes at the end (bottom or right).
/// Returns {before, after}.
constexpr std::pair<int64_t, int64_t> samePadding(int64_t in, int64_t kernel,
                                                  int64_t stride,
                                                  int64_t dilation) {
  int64_t out = (in + stride - 1) / stride;
  int64_t total = (out - 1) * stride + windowSpan(kernel, dilation) - in;
  if (total < 0)
    total = 0;
  return {total / 2, total - total / 2};
}

} // namespace weft::shape

#endif // WEFT_DIALECTS_WEFT_IR_SHAPERULES_H
