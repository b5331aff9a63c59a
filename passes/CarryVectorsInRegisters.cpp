//===- CarryVectorsInRegisters.cpp - Loop-carried vectors as registers ----===//
//
// See weft-carry-vectors-in-registers in Passes.td. LLVM's instruction
// selection works one basic block at a time; a value that lives across
// blocks (a loop's accumulator, a phi) is split into the registers its type
// breaks down into, and x86 breaks a vector longer than a register whose
// length is not a power of two (<112 x float>, <26 x float>) into single
// elements. fc2's input gradient, a 112-lane accumulator, spent 104 cycles
// a step inserting and extracting them instead of 7 multiply-adds. An array
// of whole registers breaks down into those registers, so the loop carries
// vector<7x16> and reshapes it where it is used, inside one block.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"

namespace mlir::weft {
#define GEN_PASS_DEF_CARRYVECTORSINREGISTERSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

/// The type `type` is carried as, with its last dimension as rows of
/// `width` lanes (padded to whole rows), or null when LLVM carries it well
/// already: at most one register, or a power of two that splits evenly.
VectorType carriedType(Type type, int64_t width) {
  auto vector = dyn_cast<VectorType>(type);
  if (!vector || vector.getRank() == 0 || vector.isScalable())
    return {};
  int64_t lanes = vector.getShape().back();
  if (lanes <= width || llvm::isPowerOf2_64(uint64_t(lanes)))
    return {};
  SmallVector<int64_t> shape(vector.getShape().drop_back());
  shape.push_back(llvm::divideCeil(lanes, width));
  shape.push_back(width);
  return VectorType::get(shape, vector.getElementType());
}

/// `carried` with its rows joined again: the carried type's lanes, padding
/// included, as one last dimension.
VectorType joinedRows(VectorType carried) {
  SmallVector<int64_t> shape(carried.getShape().drop_back(2));
  shape.push_back(carried.getShape().back() *
                  carried.getShape()[carried.getRank() - 2]);
  return VectorType::get(shape, carried.getElementType());
}

/// `value` with its last dimension as the rows of `carried`.
Value toCarried(OpBuilder &builder, Location loc, Value value,
                VectorType carried) {
  auto type = cast<VectorType>(value.getType());
  VectorType flatType = joinedRows(carried);
  if (flatType != type) {
    // Padded to whole rows; the padding lanes are never read.
    Value padding = ub::PoisonOp::create(builder, loc, flatType);
    SmallVector<int64_t> zeros(type.getRank(), 0), ones(type.getRank(), 1);
    value = vector::InsertStridedSliceOp::create(builder, loc, value, padding,
                                                 zeros, ones);
  }
  return builder.createOrFold<vector::ShapeCastOp>(loc, carried, value);
}

/// The inverse of toCarried: `value`, of a carried type, as `type`.
Value fromCarried(OpBuilder &builder, Location loc, Value value,
                  VectorType type) {
  VectorType flatType = joinedRows(cast<VectorType>(value.getType()));
  value = builder.createOrFold<vector::ShapeCastOp>(loc, flatType, value);
  if (flatType == type)
    return value;
  SmallVector<int64_t> zeros(type.getRank(), 0), ones(type.getRank(), 1);
  return vector::ExtractStridedSliceOp::create(builder, loc, value, zeros,
                                               type.getShape(), ones);
}

/// The uses of `value`, to redirect once the ops reading it are built.
SmallVector<OpOperand *> usesOf(Value value) {
  return llvm::map_to_vector(value.getUses(),
                             [](OpOperand &use) { return &use; });
}

/// Carries each of `loop`'s vector arguments that needs it as rows of
/// registers: converted before the loop, at the top of its body, before
/// its yield and after it.
void carryInRegisters(scf::ForOp loop, int64_t width) {
  OpBuilder builder(loop);
  Location loc = loop.getLoc();
  auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
  for (unsigned i = 0; i < loop.getNumRegionIterArgs(); ++i) {
    BlockArgument argument = loop.getRegionIterArgs()[i];
    VectorType carried = carriedType(argument.getType(), width);
    if (!carried)
      continue;
    auto type = cast<VectorType>(argument.getType());
    OpOperand &init = loop.getInitArgsMutable()[i];
    builder.setInsertionPoint(loop);
    init.set(toCarried(builder, loc, init.get(), carried));

    SmallVector<OpOperand *> bodyUses = usesOf(argument);
    argument.setType(carried);
    builder.setInsertionPointToStart(loop.getBody());
    Value inBody = fromCarried(builder, loc, argument, type);
    for (OpOperand *use : bodyUses)
      use->set(inBody);

    OpOperand &yielded = yield->getOpOperand(i);
    builder.setInsertionPoint(yield);
    yielded.set(toCarried(builder, loc, yielded.get(), carried));

    OpResult result = loop->getResult(i);
    SmallVector<OpOperand *> resultUses = usesOf(result);
    result.setType(carried);
    builder.setInsertionPointAfter(loop);
    Value after = fromCarried(builder, loc, result, type);
    for (OpOperand *use : resultUses)
      use->set(after);
  }
}

struct CarryVectorsInRegistersPass
    : public weft::impl::CarryVectorsInRegistersPassBase<
          CarryVectorsInRegistersPass> {
  using CarryVectorsInRegistersPassBase::CarryVectorsInRegistersPassBase;

  void runOnOperation() override {
    // Outer loops first: an inner loop's start value is then the outer
    // loop's reshaped argument, and reshaping it back folds away.
    SmallVector<scf::ForOp> loops;
    getOperation()->walk<WalkOrder::PreOrder>(
        [&](scf::ForOp loop) { loops.push_back(loop); });
    for (scf::ForOp loop : loops)
      carryInRegisters(loop, vectorWidth);
    // An outer loop's argument reshaped for a body that only hands it to an
    // inner loop is left unread.
    for (scf::ForOp loop : loops)
      for (Operation &op : llvm::make_early_inc_range(
               llvm::reverse(loop.getBody()->without_terminator())))
        if (isa<vector::ShapeCastOp, vector::ExtractStridedSliceOp>(op) &&
            op.use_empty())
          op.erase();
  }
};

} // namespace
