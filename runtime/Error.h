//===- Error.h - How the runtime reports bad input -------------*- C++ -*-===//
//
// Every failure the user can cause (a missing file, a corrupt checkpoint, a
// bad flag) throws weft::Error with a message that names the file and says
// what is wrong; the command line catches it, prints it once and exits 1.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_ERROR_H
#define WEFT_RUNTIME_ERROR_H

#include <sstream>
#include <stdexcept>
#include <string>

namespace weft {

class Error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Throws an Error (or `ErrorType`, a kind of Error) whose message is the
/// concatenation of `parts`.
template <typename ErrorType = Error, typename... Parts>
[[noreturn]] void fail(const Parts &...parts) {
  std::ostringstream os;
  (os << ... << parts);
  throw ErrorType(os.str());
}

/// The message of the last failed system call (errno).
std::string systemError();

} // namespace weft

#endif // WEFT_RUNTIME_ERROR_H
