//===- BatchLoader.h - Batches assembled ahead on a thread ------*- C++ -*-===//
//
// Decoding and augmenting images costs as much as a small model's step, so a
// background thread assembles the next batches while the compiled step runs.
// The consumer sees batches in order; an error in the thread (an unreadable
// image, when not skipping) comes out of next() as the weft::Error it was.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_BATCHLOADER_H
#define WEFT_RUNTIME_BATCHLOADER_H

#include "runtime/Dataset.h"

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

namespace weft {

struct Batch {
  std::vector<float> inputs;
  std::vector<int32_t> labels;
  int64_t size = 0; // Examples; fewer than asked when images were skipped.
  int64_t skipped = 0;
};

struct LoaderOptions {
  int64_t batch = 32;
  /// Random augmentation (training only); each example's draw depends on
  /// (seed, epoch, example) alone, so it does not depend on thread timing
  /// and a resumed run draws what an uninterrupted one did.
  const Augmentation *augment = nullptr;
  uint64_t seed = 0;
  int64_t epoch = 0;
  /// An unreadable image is skipped with a warning, or stops the run.
  bool skipBadImages = false;
};

class BatchLoader {
public:
  /// Starts assembling batches of `data`'s examples `order`, from batch
  /// `firstBatch` on.
  BatchLoader(const Dataset &data, std::vector<int64_t> order,
              LoaderOptions options, int64_t firstBatch = 0);
  ~BatchLoader();
  BatchLoader(const BatchLoader &) = delete;
  BatchLoader &operator=(const BatchLoader &) = delete;

  /// Moves the next batch into `batch`; false once all are delivered.
  bool next(Batch &batch);

private:
  void run(int64_t firstBatch);
  void assemble(int64_t index, Batch &batch);

  const Dataset &data;
  std::vector<int64_t> order;
  LoaderOptions options;
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<Batch> ready;
  bool finished = false, stopping = false;
  std::exception_ptr error;
  std::thread worker;
};

} // namespace weft

#endif // WEFT_RUNTIME_BATCHLOADER_H
