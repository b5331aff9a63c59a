//===- Main.cpp - main() of executables weftc builds ----------------------===//
//
// Kept in its own library (libweft_main.a) so that models compiled into
// libraries link the runtime without a main().
//
//===----------------------------------------------------------------------===//

#include "runtime/CommandLine.h"

#include <malloc.h>

int main(int argc, char **argv) {
  // A training step allocates and frees the same large temporaries every
  // time. By default glibc serves blocks over 128 KiB with mmap and gives
  // freed memory back to the system, so every step pays page faults and the
  // kernel's zeroing of fresh pages; kept in the heap, the blocks are reused.
  // (The executable owns the process; libraries leave malloc as it is.)
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  return weft::runCommandLine(weft_model, argc, argv);
}
