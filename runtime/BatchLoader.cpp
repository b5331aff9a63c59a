//===- BatchLoader.cpp - Batches assembled ahead on a thread --------------===//

#include "runtime/BatchLoader.h"

#include "runtime/Error.h"
#include "runtime/Seeds.h"

#include <cstdio>
#include <set>

using namespace weft;

namespace {
/// Batches kept ready: enough to cover a slow image, little memory.
constexpr size_t kQueueDepth = 4;

/// Warns once per process about each skipped file.
void warnSkipped(const std::string &message) {
  static std::mutex mutex;
  static std::set<std::string> warned;
  std::lock_guard<std::mutex> lock(mutex);
  if (warned.insert(message).second)
    std::fprintf(stderr, "warning: %s; skipped\n", message.c_str());
}
} // namespace

BatchLoader::BatchLoader(const Dataset &data, std::vector<int64_t> order,
                         LoaderOptions options, int64_t firstBatch)
    : data(data), order(std::move(order)), options(options) {
  worker = std::thread([this, firstBatch] { run(firstBatch); });
}

BatchLoader::~BatchLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
  }
  changed.notify_all();
  worker.join();
}

void BatchLoader::assemble(int64_t index, Batch &batch) {
  int64_t first = index * options.batch;
  int64_t n = std::min(options.batch, int64_t(order.size()) - first);
  batch.inputs.resize(size_t(n * data.exampleSize));
  batch.labels.resize(size_t(n));
  batch.size = batch.skipped = 0;
  std::vector<float> original;
  for (int64_t i = 0; i < n; ++i) {
    int64_t k = order[size_t(first + i)];
    float *slot = batch.inputs.data() + batch.size * data.exampleSize;
    try {
      data.load(k, slot);
    } catch (const Error &e) {
      if (!options.skipBadImages)
        fail(e.what(), "; pass --bad-images skip to skip such files with a "
                       "warning");
      warnSkipped(e.what());
      ++batch.skipped;
      continue;
    }
    if (options.augment && options.augment->active()) {
      std::mt19937_64 rng(mixSeed(mixSeed(options.seed, uint64_t(options.epoch)),
                                  uint64_t(k)));
      Transform t = drawTransform(*options.augment, rng);
      original.assign(slot, slot + data.exampleSize);
      applyTransform(t, original.data(), data.channels, data.height,
                     data.width, slot);
    }
    batch.labels[size_t(batch.size++)] = data.labels[size_t(k)];
  }
  batch.inputs.resize(size_t(batch.size * data.exampleSize));
  batch.labels.resize(size_t(batch.size));
}

void BatchLoader::run(int64_t firstBatch) {
  int64_t batches = (int64_t(order.size()) + options.batch - 1) / options.batch;
  try {
    for (int64_t b = firstBatch; b < batches; ++b) {
      Batch batch;
      assemble(b, batch);
      std::unique_lock<std::mutex> lock(mutex);
      changed.wait(lock, [&] { return stopping || ready.size() < kQueueDepth; });
      if (stopping)
        return;
      ready.push_back(std::move(batch));
      changed.notify_all();
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex);
    error = std::current_exception();
  }
  std::lock_guard<std::mutex> lock(mutex);
  finished = true;
  changed.notify_all();
}

bool BatchLoader::next(Batch &batch) {
  std::unique_lock<std::mutex> lock(mutex);
  changed.wait(lock, [&] { return !ready.empty() || finished; });
  if (ready.empty()) {
    if (error)
      std::rethrow_exception(error);
    return false;
  }
  batch = std::move(ready.front());
  ready.pop_front();
  changed.notify_all();
  return true;
}
