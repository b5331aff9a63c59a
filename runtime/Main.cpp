//===- Main.cpp - main() of executables weftc builds ----------------------===//
//
// Kept in its own library (libweft_main.a) so that models compiled into
// libraries link the runtime without a main().
//
//===----------------------------------------------------------------------===//

#include "runtime/CommandLine.h"

#include <malloc.h>

int main(int argc, char **argv) {
  // The compiled code's temporaries come from the runtime's own cache
  // (Temporaries.cpp); the runtime's other large buffers (batches,
  // evaluation outputs) still come from malloc. By default glibc serves
  // blocks over 128 KiB with mmap and gives freed memory back to the
  // system, so each of them pays page faults and the kernel's zeroing of
  // fresh pages (fashion_cnn, 600 steps and an evaluation: 73.5k page faults
  // without these settings, 60.1k with them); kept in the heap, blocks are
  // reused. (The executable owns the process; libraries leave malloc as it
  // is.)
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  return weft::runCommandLine(weft_model, argc, argv);
}
