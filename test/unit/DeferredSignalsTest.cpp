//===- DeferredSignalsTest.cpp - Signals wait for a checkpoint write ------===//

#include "runtime/DeferredSignals.h"
#include "runtime/Safetensors.h"

#include "TestFiles.h"

#include <csignal>
#include <dirent.h>
#include <cstdlib>
#include <unistd.h>

using namespace weft;
using weft::test::TempDir;

namespace {

/// The names in folder `path`.
std::vector<std::string> filesIn(const std::string &path) {
  std::vector<std::string> names;
  if (DIR *dir = opendir(path.c_str())) {
    while (dirent *entry = readdir(dir))
      if (std::string(entry->d_name) != "." && std::string(entry->d_name) != "..")
        names.push_back(entry->d_name);
    closedir(dir);
  }
  return names;
}

// A TERM that arrives while a checkpoint is being written (raised inside the
// deferred section, so the timing is certain) ends the process only once
// the write is complete: the checkpoint is whole and no temporary is left.
TEST(DeferredSignalsDeathTest, TerminationWaitsForTheCheckpoint) {
  GTEST_FLAG_SET(death_test_style, "fast"); // The child writes where the parent looks.
  TempDir dir;
  std::string path = dir.file("model.safetensors");
  std::vector<float> data(1 << 16, 1.5f);
  EXPECT_EXIT(
      {
        DeferredSignals deferred;
        std::raise(SIGTERM);
        writeSafetensors(path, {{"w", {int64_t(data.size())}, data.data()}},
                         {});
        // Still alive here; the signal ends the process at the scope's end.
        std::fprintf(stderr, "written\n");
      },
      testing::KilledBySignal(SIGTERM), "written");
  SafetensorsFile file = readSafetensors(path);
  ASSERT_EQ(file.tensors.size(), 1u);
  EXPECT_EQ(file.tensors.at("w").shape, std::vector<int64_t>{1 << 16});
  // No temporary file next to it.
  EXPECT_EQ(filesIn(dir.path), std::vector<std::string>{"model.safetensors"});
}

// With no signal, leaving the section changes nothing, and the previous
// handling is back: a TERM then ends the process at once.
TEST(DeferredSignalsDeathTest, PreviousHandlingComesBack) {
  GTEST_FLAG_SET(death_test_style, "fast"); // The child writes where the parent looks.
  EXPECT_EXIT(
      {
        { DeferredSignals deferred; }
        std::raise(SIGTERM);
        std::fprintf(stderr, "survived\n");
        std::exit(0);
      },
      testing::KilledBySignal(SIGTERM), "");
}

} // namespace
