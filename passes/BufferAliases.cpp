//===- BufferAliases.cpp - The values that may point into a buffer --------===//

#include "passes/BufferAliases.h"

#include "mlir/Interfaces/CallInterfaces.h"

using namespace mlir;

llvm::SmallPtrSet<Value, 16>
weft::aliasesOf(Value buffer, const BufferViewFlowAnalysis &views) {
  llvm::SmallPtrSet<Value, 16> aliases;
  // resolve() is transitive: only call results need resolving again.
  SmallVector<Value> worklist{buffer};
  while (!worklist.empty()) {
    for (Value alias : views.resolve(worklist.pop_back_val())) {
      if (!aliases.insert(alias).second)
        continue;
      for (Operation *user : alias.getUsers())
        if (isa<CallOpInterface>(user))
          llvm::append_range(worklist, user->getResults());
    }
  }
  return aliases;
}
