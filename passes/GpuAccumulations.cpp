//===- GpuAccumulations.cpp - Sums in registers, shared sums atomic -------===//

#include "passes/GpuAccumulations.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;

namespace {

/// Whether `a` and `b` index different elements of one buffer, as far as
/// constants tell: some position holds two different constants (the copies
/// of an unrolled loop's body index their own elements so).
bool differentElements(ValueRange a, ValueRange b) {
  for (auto [x, y] : llvm::zip(a, b)) {
    std::optional<int64_t> first = getConstantIntValue(x);
    std::optional<int64_t> second = getConstantIntValue(y);
    if (first && second && *first != *second)
      return true;
  }
  return false;
}

/// Whether `op` or an operation nested in it may touch `load`'s element:
/// it uses the buffer other than by loads and stores of other elements.
bool mayTouch(Operation *op, memref::LoadOp load) {
  Value memref = load.getMemRef();
  return op
      ->walk([&](Operation *inner) {
        if (!llvm::is_contained(inner->getOperands(), memref))
          return WalkResult::advance();
        std::optional<ValueRange> indices;
        if (auto other = dyn_cast<memref::LoadOp>(inner))
          indices = other.getIndices();
        else if (auto other = dyn_cast<memref::StoreOp>(inner);
                 other && other.getMemRef() == memref)
          indices = other.getIndices();
        return indices && differentElements(*indices, load.getIndices())
                   ? WalkResult::advance()
                   : WalkResult::interrupt();
      })
      .wasInterrupted();
}

/// The store in `loop`'s body (not nested deeper) of `load`'s element, if
/// it follows the load and the loop touches that element no other way.
memref::StoreOp onlyStoreOf(scf::ForOp loop, memref::LoadOp load) {
  memref::StoreOp found;
  for (Operation &op : loop.getBody()->without_terminator()) {
    if (&op == load)
      continue;
    auto store = dyn_cast<memref::StoreOp>(&op);
    if (store && store.getMemRef() == load.getMemRef() && !found &&
        store.getIndices() == load.getIndices() && load->isBeforeInBlock(store))
      found = store;
    else if (mayTouch(&op, load))
      return {};
  }
  return found;
}

/// Carries one accumulator of `loop` in registers; returns the loop that
/// replaces it, or null if it has none.
scf::ForOp promoteOne(RewriterBase &rewriter, scf::ForOp loop) {
  for (Operation &op : loop.getBody()->without_terminator()) {
    auto load = dyn_cast<memref::LoadOp>(&op);
    if (!load || !loop.isDefinedOutsideOfLoop(load.getMemRef()) ||
        !llvm::all_of(load.getIndices(), [&](Value index) {
          return loop.isDefinedOutsideOfLoop(index);
        }))
      continue;
    memref::StoreOp store = onlyStoreOf(loop, load);
    if (!store)
      continue;
    Location loc = load.getLoc();
    Value memref = load.getMemRef();
    SmallVector<Value> indices(load.getIndices());
    rewriter.setInsertionPoint(loop);
    auto initial = memref::LoadOp::create(rewriter, loc, memref, indices);
    Value stored = store.getValueToStore();
    FailureOr<LoopLikeOpInterface> replaced = loop.replaceWithAdditionalYields(
        rewriter, initial.getResult(), /*replaceInitOperandUsesInLoop=*/false,
        [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
          return SmallVector<Value>{stored};
        });
    if (failed(replaced))
      return {};
    auto promoted = cast<scf::ForOp>(replaced->getOperation());
    rewriter.replaceAllUsesWith(load.getResult(),
                                promoted.getRegionIterArgs().back());
    rewriter.eraseOp(store);
    rewriter.eraseOp(load);
    rewriter.setInsertionPointAfter(promoted);
    memref::StoreOp::create(rewriter, loc, promoted.getResults().back(),
                            memref, indices);
    return promoted;
  }
  return {};
}

/// Whether `value` depends on `iv` inside `root`.
bool dependsOn(Value value, Value iv, Operation *root,
               DenseMap<Value, bool> &known) {
  if (value == iv)
    return true;
  auto [it, inserted] = known.try_emplace(value, false);
  if (!inserted)
    return it->second;
  Operation *from = value.getDefiningOp();
  if (!from)
    from = cast<BlockArgument>(value).getOwner()->getParentOp();
  bool depends = from != root && root->isProperAncestor(from) &&
                 llvm::any_of(from->getOperands(), [&](Value operand) {
                   return dependsOn(operand, iv, root, known);
                 });
  known[value] = depends;
  return depends;
}

/// The load of `store`'s element that `value` is, if it is used only once.
memref::LoadOp loadOfStored(Value value, memref::StoreOp store) {
  auto load = value.getDefiningOp<memref::LoadOp>();
  if (!load || !value.hasOneUse() || load.getMemRef() != store.getMemRef() ||
      load.getIndices() != store.getIndices())
    return {};
  return load;
}

/// Whether `loop`'s result `i` is its initial value plus terms: the
/// iteration argument is read only by an addition (or a nested loop
/// summing onto it) whose result is yielded and read nowhere else.
bool sumsOntoInitial(scf::ForOp loop, unsigned i) {
  BlockArgument carried = loop.getRegionIterArgs()[i];
  Value yielded = loop.getYieldedValues()[i];
  if (!carried.hasOneUse() || !yielded.hasOneUse())
    return false;
  Operation *user = *carried.getUsers().begin();
  if (auto add = dyn_cast<arith::AddFOp>(user))
    return add.getResult() == yielded;
  auto inner = dyn_cast<scf::ForOp>(user);
  if (!inner || yielded.getDefiningOp() != inner)
    return false;
  unsigned j = cast<OpResult>(yielded).getResultNumber();
  return inner.getInitArgs()[j] == carried && sumsOntoInitial(inner, j);
}

/// Rewrites `store` as an atomic addition; false if it is not a sum.
bool storeAsAtomicAdd(RewriterBase &rewriter, memref::StoreOp store) {
  Value stored = store.getValueToStore();
  Value term;
  Operation *dead = nullptr;
  memref::LoadOp load;
  if (auto add = stored.getDefiningOp<arith::AddFOp>();
      add && stored.hasOneUse()) {
    if ((load = loadOfStored(add.getLhs(), store)))
      term = add.getRhs();
    else if ((load = loadOfStored(add.getRhs(), store)))
      term = add.getLhs();
    dead = add;
  } else if (auto loop = stored.getDefiningOp<scf::ForOp>()) {
    unsigned i = cast<OpResult>(stored).getResultNumber();
    load = loadOfStored(loop.getInitArgs()[i], store);
    if (load && stored.hasOneUse() && sumsOntoInitial(loop, i)) {
      // The loop sums this thread's part from zero; the atomic addition
      // adds it to what the other threads added.
      rewriter.setInsertionPoint(loop);
      Value zero = arith::ConstantOp::create(
          rewriter, load.getLoc(),
          rewriter.getZeroAttr(load.getResult().getType()));
      rewriter.modifyOpInPlace(
          loop, [&] { loop.getInitArgsMutable()[i].assign(zero); });
      term = stored;
    }
  }
  if (!term)
    return false;
  rewriter.setInsertionPoint(store);
  memref::AtomicRMWOp::create(rewriter, store.getLoc(),
                              arith::AtomicRMWKind::addf, term,
                              store.getMemRef(), store.getIndices());
  rewriter.eraseOp(store);
  if (dead)
    rewriter.eraseOp(dead);
  rewriter.eraseOp(load);
  return true;
}

} // namespace

void mlir::weft::keepAccumulatorsInRegisters(Operation *root) {
  SmallVector<scf::ForOp> loops;
  root->walk([&](scf::ForOp loop) { loops.push_back(loop); });
  IRRewriter rewriter(root->getContext());
  for (scf::ForOp loop : loops)
    while (scf::ForOp promoted = promoteOne(rewriter, loop))
      loop = promoted;
}

LogicalResult mlir::weft::makeSharedSumsAtomic(scf::ParallelOp loop) {
  SmallVector<memref::StoreOp> shared;
  DenseMap<Value, bool> known;
  loop.getBody()->walk([&](memref::StoreOp store) {
    SmallVector<Value> address(store.getIndices());
    address.push_back(store.getMemRef());
    for (Value iv : loop.getInductionVars()) {
      known.clear();
      bool indexed = llvm::any_of(address, [&](Value value) {
        return dependsOn(value, iv, loop, known);
      });
      if (!indexed) {
        shared.push_back(store);
        return;
      }
    }
  });
  IRRewriter rewriter(loop.getContext());
  for (memref::StoreOp store : shared)
    if (!storeAsAtomicAdd(rewriter, store))
      return store.emitOpError(
          "stores to one element from several GPU threads, and what it "
          "stores is not a sum that atomic additions could compute");
  return success();
}

void mlir::weft::unrollNestedParallelLoops(Operation *root,
                                           int64_t mostIterations) {
  SmallVector<scf::ParallelOp> nested;
  root->walk([&](scf::ParallelOp loop) {
    if (loop != root)
      nested.push_back(loop);
  });
  // The copies' indices are constants defined before `root`, outside every
  // loop, so that the accumulators they index move out of all of them.
  OpBuilder constants(root);
  DenseMap<int64_t, Value> constantOf;
  auto indexConstant = [&](int64_t value) {
    Value &constant = constantOf[value];
    if (!constant)
      constant =
          arith::ConstantIndexOp::create(constants, root->getLoc(), value);
    return constant;
  };
  for (scf::ParallelOp loop : nested) {
    if (loop.getNumResults() != 0)
      continue;
    SmallVector<int64_t> lower, trips, steps;
    int64_t iterations = 1;
    for (auto [lb, ub, step] : llvm::zip(
             loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
      std::optional<int64_t> first = getConstantIntValue(lb);
      std::optional<int64_t> last = getConstantIntValue(ub);
      std::optional<int64_t> stride = getConstantIntValue(step);
      if (!first || !last || !stride || *stride <= 0)
        break;
      lower.push_back(*first);
      steps.push_back(*stride);
      trips.push_back(
          llvm::divideCeil(std::max<int64_t>(*last - *first, 0), *stride));
      iterations *= trips.back();
    }
    if (trips.size() != loop.getNumLoops() || iterations > mostIterations)
      continue;
    OpBuilder b(loop);
    for (int64_t point = 0; point < iterations; ++point) {
      IRMapping mapping;
      int64_t rest = point;
      for (int64_t d = int64_t(trips.size()) - 1; d >= 0; --d) {
        int64_t index = rest % trips[d];
        rest /= trips[d];
        mapping.map(loop.getInductionVars()[d],
                    indexConstant(lower[d] + index * steps[d]));
      }
      for (Operation &op : loop.getBody()->without_terminator())
        b.clone(op, mapping);
    }
    loop.erase();
  }
}
