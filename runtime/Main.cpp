//===- Main.cpp - main() of executables weftc builds ----------------------===//
//
// Kept in its own library (libweft_main.a) so that models compiled into
// libraries link the runtime without a main().
//
//===----------------------------------------------------------------------===//

#include "runtime/CommandLine.h"

int main(int argc, char **argv) {
  return weft::runCommandLine(weft_model, argc, argv);
}
