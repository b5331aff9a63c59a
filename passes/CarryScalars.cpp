//===- CarryScalars.cpp - Kernels' scalar results stay on the GPU ---------===//
//
// See weft-carry-scalars in Passes.td. The clip-norm adds the gradients'
// squared sums on the host, one after each sum's kernel, and its factor
// reaches the update kernels as an argument: the host waited for every
// sum. Kept in rank-0 buffers instead, each addition reads and writes
// buffers, so that weft-scalars-to-gpu moves it into a kernel of one
// thread, and the update kernels read the factor themselves.
//
//===----------------------------------------------------------------------===//

#include "passes/GpuLaunches.h"
#include "passes/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::weft {
#define GEN_PASS_DEF_CARRYSCALARSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

/// Whether `buffer` is memory a kernel wrote: an allocation, seen through
/// views. An entry point's arguments are not: the host wrote the
/// hyperparameters, and kernels should get them as arguments, not read
/// them from host memory in every thread.
bool isKernelMemory(Value buffer) {
  Value root = weft::rootOf(buffer);
  return root.getDefiningOp<memref::AllocOp>() ||
         root.getDefiningOp<gpu::AllocOp>();
}

/// The launch `op` is in, if any.
gpu::LaunchOp launchOf(Operation *op) {
  return op->getParentOfType<gpu::LaunchOp>();
}

/// Whether `user` of `value` is code that can read `value` from a buffer:
/// a kernel, or element code in the same block as `value`'s definition,
/// after code that is none (a launch, a loop), so that weft-scalars-to-gpu
/// would not take both into one kernel.
bool canReadFromBuffer(Value value, Operation *user) {
  if (launchOf(user))
    return true;
  Block *block = value.getParentBlock();
  if (user->getBlock() != block || !weft::isElementCode(user))
    return false;
  Operation *def = value.getDefiningOp();
  for (Operation *op = def ? def->getNextNode() : &block->front(); op != user;
       op = op->getNextNode())
    if (!weft::isElementCode(op))
      return true;
  return false;
}

/// The uses of `value` that can read it from a buffer and should: every
/// one outside its own stretch of element code, or none when one of those
/// is host code that needs the value itself (a loop bound, a branch's
/// condition), whose wait would stay.
SmallVector<OpOperand *> usesToCarry(Value value) {
  SmallVector<OpOperand *> uses;
  for (OpOperand &use : value.getUses()) {
    Operation *user = use.getOwner();
    if (canReadFromBuffer(value, user)) {
      uses.push_back(&use);
      continue;
    }
    bool sameStretch =
        user->getBlock() == value.getParentBlock() && weft::isElementCode(user);
    if (!sameStretch)
      return {};
  }
  return uses;
}

/// A rank-0 buffer of `type`, allocated at the start of `function` and
/// freed before its return.
Value newCarry(func::FuncOp function, Type type) {
  Block &entry = function.getBody().front();
  OpBuilder b = OpBuilder::atBlockBegin(&entry);
  Location loc = function.getLoc();
  Value carry = memref::AllocOp::create(b, loc, MemRefType::get({}, type));
  b.setInsertionPoint(entry.getTerminator());
  memref::DeallocOp::create(b, loc, carry);
  return carry;
}

/// Reads `carry` where each of `uses` needs it: once at the start of each
/// kernel, right before element code.
void readFromCarry(Value carry, ArrayRef<OpOperand *> uses) {
  DenseMap<Operation *, Value> loaded;
  for (OpOperand *use : uses) {
    Operation *user = use->getOwner();
    Operation *at = user;
    if (gpu::LaunchOp launch = launchOf(user))
      at = &launch.getBody().front().front();
    Value &value = loaded[at];
    if (!value || at == user) {
      OpBuilder b(at);
      value = memref::LoadOp::create(b, user->getLoc(), carry);
    }
    use->set(value);
  }
}

/// `branch` without its results `drop` (unused): the branches no longer
/// yield them, so that what they were computed from is free to move into
/// a kernel.
void dropResults(scf::IfOp branch, ArrayRef<unsigned> drop) {
  SmallVector<Type> types;
  SmallVector<unsigned> kept;
  for (unsigned i = 0; i < branch.getNumResults(); ++i)
    if (!llvm::is_contained(drop, i)) {
      types.push_back(branch.getResult(i).getType());
      kept.push_back(i);
    }
  OpBuilder b(branch);
  auto replacement =
      scf::IfOp::create(b, branch.getLoc(), types, branch.getCondition(),
                        /*addThenBlock=*/false,
                        /*addElseBlock=*/false);
  for (auto [from, to] :
       llvm::zip(branch->getRegions(), replacement->getRegions())) {
    to.takeBody(from);
    if (to.empty())
      continue;
    Operation *yield = to.front().getTerminator();
    SmallVector<Value> values;
    for (unsigned i : kept)
      values.push_back(yield->getOperand(i));
    yield->setOperands(values);
  }
  for (auto [index, i] : llvm::enumerate(kept))
    branch.getResult(i).replaceAllUsesWith(replacement.getResult(index));
  branch.erase();
}

/// The scf.if results that come from kernel memory in some branch and can
/// be read from a buffer by all their users: each branch stores what it
/// yields into a rank-0 buffer, and the users read that.
void carryBranchResults(func::FuncOp function,
                        const llvm::SetVector<Value> &fromKernels) {
  SmallVector<std::pair<scf::IfOp, unsigned>> results;
  function.walk([&](scf::IfOp branch) {
    if (launchOf(branch))
      return;
    for (unsigned i = 0; i < branch.getNumResults(); ++i) {
      Value result = branch.getResult(i);
      bool yieldsKernelValue =
          llvm::any_of(branch->getRegions(), [&](Region &region) {
            return fromKernels.contains(
                region.front().getTerminator()->getOperand(i));
          });
      if (yieldsKernelValue && !result.use_empty() &&
          isa<FloatType, IntegerType>(result.getType()) &&
          usesToCarry(result).size() ==
              size_t(std::distance(result.use_begin(), result.use_end())))
        results.push_back({branch, i});
    }
  });
  DenseMap<Operation *, SmallVector<unsigned>> carried;
  for (auto [branch, i] : results) {
    Value result = branch.getResult(i);
    Value carry = newCarry(function, result.getType());
    for (Region &region : branch->getRegions()) {
      Operation *yield = region.front().getTerminator();
      OpBuilder b(yield);
      memref::StoreOp::create(b, yield->getLoc(), yield->getOperand(i), carry);
    }
    readFromCarry(carry,
                  llvm::to_vector(llvm::map_range(
                      result.getUses(), [](OpOperand &use) { return &use; })));
    carried[branch].push_back(i);
  }
  for (auto &[op, indices] : carried)
    dropResults(cast<scf::IfOp>(op), indices);
}

/// The values host code computes from kernel memory: its loads, and the
/// element code and branch results that depend on them.
llvm::SetVector<Value> valuesFromKernels(func::FuncOp function) {
  llvm::SetVector<Value> values;
  function.walk<WalkOrder::PostOrder>([&](Operation *op) {
    if (launchOf(op) || isa<gpu::LaunchOp>(op))
      return;
    if (auto load = dyn_cast<memref::LoadOp>(op)) {
      if (isKernelMemory(load.getMemRef()))
        values.insert(load.getResult());
      return;
    }
    if (auto branch = dyn_cast<scf::IfOp>(op)) {
      for (unsigned i = 0; i < branch.getNumResults(); ++i)
        for (Region &region : branch->getRegions())
          if (values.contains(region.front().getTerminator()->getOperand(i)))
            values.insert(branch.getResult(i));
      return;
    }
    if (weft::isElementCode(op) &&
        llvm::any_of(op->getOperands(),
                     [&](Value v) { return values.contains(v); }))
      values.insert(op->result_begin(), op->result_end());
  });
  return values;
}

struct CarryScalarsPass
    : public weft::impl::CarryScalarsPassBase<CarryScalarsPass> {
  void runOnOperation() override {
    func::FuncOp function = getOperation();
    if (function.isExternal() || !function.getBody().hasOneBlock())
      return;
    carryBranchResults(function, valuesFromKernels(function));
    for (Value value : valuesFromKernels(function)) {
      if (isa<scf::IfOp>(value.getDefiningOp()))
        continue;
      SmallVector<OpOperand *> uses = usesToCarry(value);
      if (uses.empty())
        continue;
      // A buffer of its own, even for a load of a rank-0 buffer: kernels
      // queued in between may write that one again (a sum's start).
      Value carry = newCarry(function, value.getType());
      OpBuilder b(value.getContext());
      b.setInsertionPointAfterValue(value);
      memref::StoreOp::create(b, value.getLoc(), value, carry);
      readFromCarry(carry, uses);
    }
  }
};

} // namespace
