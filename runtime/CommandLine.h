//===- CommandLine.h - The command line of compiled models ------*- C++ -*-===//

#ifndef WEFT_RUNTIME_COMMANDLINE_H
#define WEFT_RUNTIME_COMMANDLINE_H

#include "runtime/weft_model.h"

namespace weft {

/// `model train|eval|gradcheck [options]`. Prints one clear message and
/// returns 1 on any user error (bad flags, missing or corrupt files);
/// never throws.
int runCommandLine(const weft_model_info &model, int argc, char **argv);

} // namespace weft

#endif // WEFT_RUNTIME_COMMANDLINE_H
