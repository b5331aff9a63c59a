//===- InlineHostCalls.cpp - One chain of launches per entry point --------===//
//
// See weft-inline-host-calls in Passes.td. Upstream's inliner would do, but
// it takes every call the dialects allow and honours the `no_inline` that
// keeps `@loss_grad` whole for the CPU; here only host functions whose work
// is launching kernels are wanted, and their bodies are one block, so a
// copy of the block is the whole inlining.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/IR/IRMapping.h"

namespace mlir::weft {
#define GEN_PASS_DEF_INLINEHOSTCALLSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

/// A function worth inlining: private, defined in one block, without
/// results, and launching kernels.
bool launchesKernels(func::FuncOp function) {
  if (!function.isPrivate() || function.isExternal() ||
      !function.getBody().hasOneBlock() || function.getNumResults() != 0)
    return false;
  return function
      .walk([](gpu::LaunchFuncOp) { return WalkResult::interrupt(); })
      .wasInterrupted();
}

void inlineCall(func::CallOp call, func::FuncOp callee) {
  IRMapping mapping;
  mapping.map(callee.getArguments(), call.getOperands());
  OpBuilder b(call);
  for (Operation &op : callee.getBody().front().without_terminator())
    b.clone(op, mapping);
  call.erase();
}

struct InlineHostCallsPass
    : public weft::impl::InlineHostCallsPassBase<InlineHostCallsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::CallOp> calls;
    for (auto function : module.getOps<func::FuncOp>())
      function.walk([&](func::CallOp call) { calls.push_back(call); });
    llvm::SmallSetVector<func::FuncOp, 2> inlined;
    for (func::CallOp call : calls) {
      auto callee = symbols.lookup<func::FuncOp>(call.getCallee());
      if (!callee || !launchesKernels(callee))
        continue;
      inlineCall(call, callee);
      inlined.insert(callee);
    }
    for (func::FuncOp callee : inlined)
      if (SymbolTable::symbolKnownUseEmpty(callee, module))
        callee.erase();
  }
};

} // namespace
