//===- LayerNames.cpp - Ops named in the model's terms, for remarks -------===//

#include "passes/LayerNames.h"

#include "mlir/IR/Location.h"

#include "llvm/Support/Path.h"

std::string mlir::weft::describeLayer(Operation *op) {
  std::string name, where;
  op->getLoc()->walk([&](Location loc) {
    if (auto named = dyn_cast<NameLoc>(loc); named && name.empty())
      name = named.getName().str();
    if (auto file = dyn_cast<FileLineColLoc>(loc); file && where.empty())
      where = (llvm::sys::path::filename(file.getFilename().getValue()) + ":" +
               Twine(file.getLine()) + ":" + Twine(file.getColumn()))
                  .str();
    return WalkResult::advance();
  });
  if (name.empty())
    return "the op at " + (where.empty() ? std::string("an unknown place") : where);
  return "'" + name + "'" + (where.empty() ? "" : " (" + where + ")");
}
