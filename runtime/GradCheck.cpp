//===- GradCheck.cpp - Compiled gradients against finite differences ------===//

#include "runtime/Trainer.h"

#include "runtime/Error.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

using namespace weft;

int weft::gradcheck(Model &model, const TrainOptions &options, int64_t samples) {
  const weft_model_info &info = model.info();
  Dataset data = loadDataset(options.data, "test", info);
  loadStartingWeights(model, options);
  int64_t n = std::min(options.batch, data.count);
  std::vector<int64_t> indices(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    indices[size_t(i)] = i;
  std::vector<float> inputs;
  std::vector<int32_t> labels;
  gatherBatch(data, indices.data(), n, inputs, labels);

  // One seed for every evaluation, so that dropout keeps one mask and the
  // loss is one smooth function of the parameters.
  uint32_t seed = stepSeed(uint64_t(options.seed), 0);
  // One call gives both the loss at the unperturbed point and the gradient.
  double base = model.computeGradients(seed, inputs.data(), labels.data(), n);
  std::vector<float> analytic(model.gradients().begin(),
                              model.gradients().end());
  DeviceFloats &params = model.parameters();
  /// The loss with parameter k moved by `delta`.
  auto lossAt = [&](int64_t k, float delta) {
    float saved = params[size_t(k)];
    params[size_t(k)] = saved + delta;
    double loss = model.computeGradients(seed, inputs.data(), labels.data(), n);
    params[size_t(k)] = saved;
    return loss;
  };
  // Float32 forces a large step h, and then a ReLU kink inside [p-h, p+h]
  // breaks the difference quotient, not the gradient. Two signs of a kink:
  // central differences at h and h/2 disagree (a kink at distance d moves
  // them by (h-d)/2h and (h/2-d)/h of the slope change), or the second
  // difference is large (a kink at p adds the slope change times h to it,
  // where a smooth loss adds only its curvature times h^2). Such coordinates
  // are skipped and counted; too many skips fail the check.
  const float h = 1e-2f;
  const double atol = 3e-4, rtol = 2e-2;
  std::mt19937_64 rng(uint64_t(options.seed));
  int failures = 0;
  int64_t checked = 0, skipped = 0;
  for (int64_t i = 0; i < info.num_params; ++i) {
    const weft_param_info &p = info.params[i];
    if (!p.trainable)
      continue; // Running statistics have no gradient.
    std::vector<int64_t> coordinates(static_cast<size_t>(p.size));
    for (int64_t k = 0; k < p.size; ++k)
      coordinates[size_t(k)] = k;
    std::shuffle(coordinates.begin(), coordinates.end(), rng);
    coordinates.resize(size_t(std::min(samples, p.size)));
    double worst = 0;
    for (int64_t c : coordinates) {
      int64_t k = p.offset + c;
      double up = lossAt(k, h), down = lossAt(k, -h);
      double coarse = (up - down) / (2.0 * double(h));
      double fine = (lossAt(k, h / 2) - lossAt(k, -h / 2)) / double(h);
      double curvature = std::fabs(up - 2.0 * base + down) / (2.0 * double(h));
      double smoothness = 0.25 * (atol + rtol * std::fabs(fine));
      if (std::fabs(coarse - fine) > smoothness || curvature > smoothness) {
        ++skipped;
        continue;
      }
      ++checked;
      double error = std::fabs(fine - double(analytic[size_t(k)]));
      double allowed = atol + rtol * std::fabs(fine);
      worst = std::max(worst, error / allowed);
      if (error > allowed) {
        ++failures;
        std::printf("  %s[%lld]: compiled %.6g, finite difference %.6g\n",
                    p.name, (long long)c, analytic[size_t(k)], fine);
      }
    }
    std::printf("gradcheck %-24s worst error %.3f of tolerance\n", p.name, worst);
  }
  std::printf("gradcheck: %lld coordinates checked, %lld skipped at kinks\n",
              (long long)checked, (long long)skipped);
  if (skipped > checked)
    ++failures;
  std::printf("gradcheck: %s\n", failures ? "FAILED" : "PASSED");
  return failures ? 1 : 0;
}
