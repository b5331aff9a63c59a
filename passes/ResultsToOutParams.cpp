//===- ResultsToOutParams.cpp - Callers own what a function computes ------===//
//
// See weft-results-to-out-params in Passes.td. Upstream's
// promoteBufferResultsToOutParams does the work; this pass prepares for it
// and chooses the allocation:
//  - a private function that returns one buffer in two places (the same
//    gradient for two parameters: two biases added into one sum) returns it
//    once, and its callers read that result twice. Upstream's hoisting of
//    static allocations replaces and erases the allocation at the first
//    place and then dereferences it at the second.
//    A function where only some returns repeat a value is left as it is.
//  - the caller's buffers are aligned as bufferization aligns its own, so
//    that the callee's vector code sees the same buffers as before.
//
//===----------------------------------------------------------------------===//

#include "passes/BufferConventions.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/BitVector.h"

namespace mlir::weft {
#define GEN_PASS_DEF_RESULTSTOOUTPARAMSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

/// For each result of `function`, the first result that every return gives
/// the same value; the result itself when there is none.
SmallVector<unsigned> firstEqualResult(func::FuncOp function) {
  unsigned count = function.getNumResults();
  SmallVector<func::ReturnOp> returns;
  function.walk([&](func::ReturnOp ret) { returns.push_back(ret); });
  SmallVector<unsigned> first(count);
  for (unsigned result = 0; result < count; ++result) {
    first[result] = result;
    for (unsigned earlier = 0; earlier < result; ++earlier) {
      if (llvm::all_of(returns, [&](func::ReturnOp ret) {
            return ret.getOperand(result) == ret.getOperand(earlier);
          })) {
        first[result] = earlier;
        break;
      }
    }
  }
  return first;
}

/// Drops the results of private `function` that repeat an earlier one;
/// its calls read the earlier result instead. Left alone if the function
/// is used other than by calls.
void dropRepeatedResults(func::FuncOp function, ModuleOp module) {
  if (!function.isPrivate() || function.isExternal())
    return;
  SmallVector<unsigned> first = firstEqualResult(function);
  llvm::BitVector repeated(first.size());
  for (unsigned result = 0; result < first.size(); ++result)
    if (first[result] != result)
      repeated.set(result);
  if (repeated.none())
    return;
  auto uses = SymbolTable::getSymbolUses(function, module);
  if (!uses)
    return;
  SmallVector<func::CallOp> calls;
  for (const SymbolTable::SymbolUse &use : *uses) {
    auto call = dyn_cast<func::CallOp>(use.getUser());
    if (!call)
      return;
    calls.push_back(call);
  }

  function.walk([&](func::ReturnOp ret) { ret->eraseOperands(repeated); });
  if (failed(function.eraseResults(repeated)))
    return;
  for (func::CallOp call : calls) {
    OpBuilder builder(call);
    auto kept = func::CallOp::create(builder, call.getLoc(), function,
                                     call.getOperands());
    kept->setAttrs(call->getAttrs());
    // Each old result is a kept one: itself, or the earlier one it repeats.
    unsigned next = 0;
    SmallVector<Value> results(first.size());
    for (unsigned result = 0; result < first.size(); ++result)
      results[result] =
          repeated[result] ? results[first[result]] : kept.getResult(next++);
    call.replaceAllUsesWith(results);
    call.erase();
  }
}

/// Whether a return of `function` gives one value in two places (after
/// dropRepeatedResults, only where another return gives two values there).
bool returnsOneValueTwice(func::FuncOp function) {
  bool twice = false;
  function.walk([&](func::ReturnOp ret) {
    llvm::SmallPtrSet<Value, 8> seen;
    for (Value operand : ret.getOperands())
      if (isa<BaseMemRefType>(operand.getType()) &&
          !seen.insert(operand).second)
        twice = true;
  });
  return twice;
}

struct ResultsToOutParamsPass
    : public weft::impl::ResultsToOutParamsPassBase<ResultsToOutParamsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (auto function : module.getOps<func::FuncOp>())
      dropRepeatedResults(function, module);

    bufferization::BufferResultsToOutParamsOpts options;
    options.hoistStaticAllocs = true;
    // Such a function keeps its results rather than crash upstream's
    // hoisting; Weft's functions have one return.
    options.filterFn = [](func::FuncOp *function) {
      return !returnsOneValueTwice(*function);
    };
    options.allocationFn = [](OpBuilder &builder, Location loc, MemRefType type,
                              ValueRange sizes) -> FailureOr<Value> {
      return memref::AllocOp::create(
                 builder, loc, type, sizes,
                 builder.getI64IntegerAttr(weft::kBufferAlignment))
          .getResult();
    };
    if (failed(bufferization::promoteBufferResultsToOutParams(module, options)))
      signalPassFailure();
  }
};

} // namespace
