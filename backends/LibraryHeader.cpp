//===- LibraryHeader.cpp - The C header of a model library ----------------===//

#include "backends/LibraryHeader.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypeInterfaces.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/raw_ostream.h"

#include "backends/LibraryHeaderTemplate.inc"

using namespace mlir;

namespace {
constexpr StringRef kMarker = "/* WEFT_LIB_MODEL_INFO */";
constexpr StringRef kGuard = "#ifndef WEFT_LIB_H";

/// `text` with the template's names in `prefix`'s spelling.
std::string rename(StringRef text, StringRef prefix) {
  std::string upper = StringRef(prefix).upper();
  std::string out;
  while (!text.empty()) {
    if (text.starts_with("weft_lib")) {
      out += prefix;
      text = text.drop_front(strlen("weft_lib"));
    } else if (text.starts_with("WEFT_LIB")) {
      out += upper;
      text = text.drop_front(strlen("WEFT_LIB"));
    } else {
      out += text.front();
      text = text.drop_front();
    }
  }
  return out;
}

std::string shapeText(ArrayRef<int64_t> shape) {
  return "[" + llvm::join(llvm::map_range(shape, [](int64_t d) {
           return std::to_string(d);
         }), ", ") + "]";
}
} // namespace

std::string mlir::weft::libraryPrefix(StringRef name) {
  std::string prefix;
  for (char c : name)
    prefix += llvm::isAlnum(c) ? llvm::toLower(c) : '_';
  if (StringRef(prefix).trim('_').empty())
    return "";
  if (llvm::isDigit(prefix.front()))
    prefix = "model_" + prefix;
  return prefix;
}

std::vector<std::string> mlir::weft::libraryApiFunctions() {
  std::vector<std::string> names;
  llvm::Regex declaration("(weft_lib_[a-z_]+)\\(");
  StringRef rest(kLibraryHeaderTemplate);
  SmallVector<StringRef> match;
  while (declaration.match(rest, &match)) {
    if (!llvm::is_contained(names, match[1]))
      names.push_back(match[1].str());
    rest = rest.drop_front(match[0].end() - rest.begin());
  }
  return names;
}

FailureOr<std::string>
mlir::weft::renderLibraryHeader(ModuleOp module, StringRef prefix,
                                StringRef source, StringRef triple) {
  auto name = module->getAttrOfType<StringAttr>("weft.model");
  auto params = module->getAttrOfType<ArrayAttr>("weft.parameters");
  auto inputs = module->getAttrOfType<ArrayAttr>("weft.inputs");
  auto outputs = module->getAttrOfType<ArrayAttr>("weft.outputs");
  auto loss = module->getAttrOfType<StringAttr>("weft.loss");
  if (!name || !params || !inputs || !outputs || outputs.empty() || !loss)
    return module.emitError("the module lacks the weft.* attributes that "
                            "describe the model");
  auto field = [](Attribute dict, StringRef key) {
    return cast<DictionaryAttr>(dict).get(key);
  };
  auto shapeOf = [&](Attribute dict) {
    return cast<DenseI64ArrayAttr>(field(dict, "shape")).asArrayRef();
  };
  auto nameOf = [&](Attribute dict) {
    return cast<StringAttr>(field(dict, "name")).getValue();
  };
  // The input weft_lib_predict takes: the first data input (Library.cpp).
  auto dataInput = llvm::find_if(inputs, [&](Attribute in) {
    return cast<StringAttr>(field(in, "kind")).getValue() == "data";
  });
  if (dataInput == inputs.end())
    return module.emitError("a library's API takes one data input; model ")
           << name.getValue() << " has none";
  Attribute input = *dataInput;
  Attribute output = outputs[0];
  bool binary = loss.getValue().starts_with("binary_cross_entropy");
  int64_t inputSize = ShapedType::getNumElements(shapeOf(input));
  int64_t outputSize = ShapedType::getNumElements(shapeOf(output));
  int64_t classes = binary ? 2 : outputSize;

  std::string upper = prefix.upper();
  std::string info;
  llvm::raw_string_ostream os(info);
  os << "/*\n * Model " << name.getValue() << ".\n *\n"
     << " * Input  " << nameOf(input) << ": " << shapeText(shapeOf(input))
     << ", " << inputSize << " floats per example\n"
     << " * Output " << nameOf(output) << ": " << shapeText(shapeOf(output))
     << ", " << outputSize << " floats per example\n"
     << " * Loss   " << loss.getValue() << ", " << classes << " classes\n"
     << " *\n * Parameters and buffers (" << prefix
     << "_parameter_info lists them too):\n";
  for (Attribute p : params)
    os << " *   " << nameOf(p) << " " << shapeText(shapeOf(p)) << "\n";
  os << " */\n"
     << "#define " << upper << "_INPUT_SIZE " << inputSize << "\n"
     << "#define " << upper << "_OUTPUT_SIZE " << outputSize << "\n"
     << "#define " << upper << "_NUM_CLASSES " << classes << "\n";

  StringRef text(kLibraryHeaderTemplate);
  size_t guard = text.find(kGuard), marker = text.find(kMarker);
  if (guard == StringRef::npos || marker == StringRef::npos || marker < guard)
    return module.emitError("runtime/weft_lib.h lacks its include guard or "
                            "its model-information marker");
  std::string header;
  llvm::raw_string_ostream out(header);
  out << "/* " << prefix << ".h: the C API of model " << name.getValue()
      << ", compiled by weftc from " << source << " for " << triple
      << ".\n * Link with lib" << prefix << ".so or lib" << prefix
      << ".a; see docs/c-api.md. Generated: do not edit. */\n\n"
      << rename(text.slice(guard, marker), prefix) << info
      << rename(text.drop_front(marker + kMarker.size()), prefix);
  return header;
}
