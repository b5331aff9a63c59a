//===- LibraryHeader.h - The C header of a model library --------*- C++ -*-===//
//
// weftc --emit=lib writes runtime/weft_lib.h for one model: `weft_lib`
// becomes the model's prefix, and the model's inputs, outputs and
// parameters are described where the template says WEFT_LIB_MODEL_INFO.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_BACKENDS_LIBRARYHEADER_H
#define WEFT_BACKENDS_LIBRARYHEADER_H

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace mlir::weft {

/// `name` as a C identifier for the API's prefix ("fashion-cnn" ->
/// "fashion_cnn"); empty if nothing of it is usable.
std::string libraryPrefix(StringRef name);

/// The API's functions as the runtime defines them (weft_lib_create, ...),
/// read from the template.
std::vector<std::string> libraryApiFunctions();

/// The header for the model `module` (lowered: its weft.* attributes
/// describe it), with `prefix`; `source` and `triple` are mentioned.
FailureOr<std::string> renderLibraryHeader(ModuleOp module, StringRef prefix,
                                           StringRef source, StringRef triple);

} // namespace mlir::weft

#endif // WEFT_BACKENDS_LIBRARYHEADER_H
