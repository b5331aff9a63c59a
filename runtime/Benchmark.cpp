//===- Benchmark.cpp - Timed training steps for bench/ --------------------===//
//
// `model bench` times the compiled training step alone: the batches are
// gathered from the training split before the clock starts and then cycled,
// so that what is measured is the generated code (forward, backward and
// update), not decoding or shuffling. bench/ runs the same protocol in
// PyTorch and compares the two.
//
//===----------------------------------------------------------------------===//

#include "runtime/Trainer.h"

#include "runtime/Cuda.h"
#include "runtime/Error.h"
#include "runtime/Temporaries.h"
#include "runtime/Threads.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <sys/resource.h>

using namespace weft;

int weft::bench(Model &model, const TrainOptions &options, int64_t warmup,
                int64_t steps) {
  if (options.batch <= 0 || steps <= 0 || warmup < 0)
    fail("bench needs a positive --batch and --steps and a --warmup of 0 or "
         "more");
  const weft_model_info &info = model.info();
  Dataset data = loadDataset(options.data, "train", info);
  loadStartingWeights(model, options);

  if (data.count < options.batch)
    fail("bench needs at least --batch ", options.batch, " training examples; '",
         options.data.path, "' has ", data.count);
  // A few distinct batches, so that the step sees real, varying data.
  const int64_t distinct = std::min<int64_t>(8, data.count / options.batch);
  std::vector<std::vector<float>> inputs(static_cast<size_t>(distinct));
  std::vector<std::vector<int32_t>> labels(static_cast<size_t>(distinct));
  std::vector<int64_t> order = epochOrder(data.count, uint64_t(options.seed), 1,
                                          options.shuffle);
  for (int64_t b = 0; b < distinct; ++b)
    gatherBatch(data, order.data() + b * options.batch, options.batch,
                inputs[size_t(b)], labels[size_t(b)]);

  // As training runs them: each step's loss is read once the next one is
  // queued (Trainer.cpp), so that on a GPU the host queues a step while the
  // GPU runs the one before.
  auto queueStep = [&](int64_t s) {
    size_t b = size_t(s % distinct);
    return model.queueTrainStep(
        options.hyper, s + 1, stepSeed(uint64_t(options.seed), s + 1),
        inputs[b].data(), labels[b].data(), options.batch);
  };
  auto runSteps = [&](int64_t first, int64_t count) {
    float loss = 0;
    std::optional<QueuedCall> pending;
    for (int64_t s = first; s < first + count; ++s) {
      QueuedCall call = queueStep(s);
      if (pending)
        loss = model.lossOf(*pending);
      pending = call;
    }
    return pending ? model.lossOf(*pending) : loss;
  };
  runSteps(0, warmup);
  // After warm-up every temporary should come from the cache: on the GPU,
  // the cache of managed memory the CUDA entry points allocate from.
  bool gpu = model.device() == Device::Cuda;
  TemporaryStats (*stats)() = gpu ? cuda::memoryStats : temporaryStats;
  TemporaryStats before = stats();
  auto start = std::chrono::steady_clock::now();
  float loss = runSteps(warmup, steps);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();

  TemporaryStats temporaries = stats();
  uint64_t systemAllocations =
      temporaries.systemAllocations - before.systemAllocations;
  // Each request is one buffer the step asked for (from the cache or not).
  double requestsPerStep =
      double(systemAllocations + temporaries.reused - before.reused) /
      double(steps);
  double temporaryPeakMiB = double(temporaries.peakBytesInUse) / (1 << 20);

  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  double examplesPerSecond = double(steps * options.batch) / seconds;
  std::printf("bench %s: batch %lld, %lld thread(s), %lld steps after %lld "
              "warm-up: %.3f s, %.1f examples/s, %.3f ms/step, peak RSS %.1f "
              "MiB, last loss %.4f\n",
              info.name, (long long)options.batch, (long long)threadCount(),
              (long long)steps, (long long)warmup, seconds, examplesPerSecond,
              1e3 * seconds / double(steps), double(usage.ru_maxrss) / 1024.0,
              loss);
  std::printf("%s: at most %.2f MiB in use; %.1f buffers asked for a step, "
              "%llu allocated from the %s during the timed steps\n",
              gpu ? "managed GPU memory (parameters included)" : "temporaries",
              temporaryPeakMiB, requestsPerStep,
              (unsigned long long)systemAllocations,
              gpu ? "CUDA driver" : "system");
  std::printf("{\"model\": \"%s\", \"device\": \"%s\", \"batch\": %lld, "
              "\"threads\": %lld, "
              "\"steps\": %lld, \"seconds\": %.6f, \"examples_per_second\": "
              "%.3f, \"peak_rss_mib\": %.1f, \"temporaries_peak_mib\": %.2f, "
              "\"temporary_requests_per_step\": %.1f, "
              "\"timed_system_allocations\": %llu}\n",
              info.name, gpu ? "cuda" : "cpu", (long long)options.batch,
              (long long)threadCount(), (long long)steps, seconds,
              examplesPerSecond, double(usage.ru_maxrss) / 1024.0,
              temporaryPeakMiB, requestsPerStep,
              (unsigned long long)systemAllocations);
  return 0;
}
