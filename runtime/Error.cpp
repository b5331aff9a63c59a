//===- Error.cpp - How the runtime reports bad input ----------------------===//

#include "runtime/Error.h"

#include <cerrno>
#include <cstring>

std::string weft::systemError() { return std::strerror(errno); }
