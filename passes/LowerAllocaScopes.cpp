//===- LowerAllocaScopes.cpp - Stack buffers freed at each iteration ------===//
//
// See weft-lower-alloca-scopes in Passes.td. A parallel loop's iteration
// may keep a small buffer on its thread's stack; the loop body then comes
// from scf-to-openmp wrapped in a memref.alloca_scope, whose region must
// stay one block. Upstream lowers the scope only with the rest of memref to
// LLVM, after the scf loops inside it have become several blocks. This pass
// lowers it first, as upstream does: the stack pointer is saved before the
// body and restored after it.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::weft {
#define GEN_PASS_DEF_LOWERALLOCASCOPESPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

void lowerScope(memref::AllocaScopeOp scope) {
  OpBuilder builder(scope);
  Location loc = scope.getLoc();
  auto pointer = LLVM::LLVMPointerType::get(builder.getContext());
  Value stack = LLVM::StackSaveOp::create(builder, loc, pointer);
  Block &body = scope.getBodyRegion().front();
  auto yield = cast<memref::AllocaScopeReturnOp>(body.getTerminator());
  scope->replaceAllUsesWith(yield.getResults());
  yield.erase();
  scope->getBlock()->getOperations().splice(Block::iterator(scope),
                                            body.getOperations());
  builder.setInsertionPoint(scope);
  LLVM::StackRestoreOp::create(builder, loc, stack);
  scope.erase();
}

struct LowerAllocaScopesPass
    : public weft::impl::LowerAllocaScopesPassBase<LowerAllocaScopesPass> {
  void runOnOperation() override {
    SmallVector<memref::AllocaScopeOp> scopes;
    // Inner scopes first, so that each splice moves plain ops.
    getOperation()->walk<WalkOrder::PostOrder>(
        [&](memref::AllocaScopeOp scope) { scopes.push_back(scope); });
    for (memref::AllocaScopeOp scope : scopes)
      lowerScope(scope);
  }
};

} // namespace
