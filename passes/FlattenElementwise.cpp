//===- FlattenElementwise.cpp - Elementwise ops as long contiguous rows ---===//
//
// See weft-flatten-elementwise in Passes.td. Upstream's
// collapseOpIterationDims does the rewrite; what this pass adds is the
// choice of dimensions (every run that is contiguous in all operands, the
// leading dynamic batch kept apart for weft-parallelize-loops to cut) and the
// check that the operands' buffers will be contiguous, so that one-shot
// bufferization can collapse them as views rather than copies.
//
// Why: LLVM fully unrolls a short innermost loop (a 28-wide image row) and
// then vectorises the loop around it with gathers and scatters, one lane per
// row. A ReLU after lenet's first convolution ran that way at a fifth of
// memory speed. One row of 4704 elements per image is a plain vector loop.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::weft {
#define GEN_PASS_DEF_FLATTENELEMENTWISEPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

/// Whether `slice` covers a contiguous piece of its source: unit strides,
/// whole trailing dimensions, and single indices before the one dimension
/// that is cut.
bool isContiguousSlice(tensor::ExtractSliceOp slice) {
  if (!slice.hasUnitStride())
    return false;
  ArrayRef<int64_t> sizes = slice.getStaticSizes();
  ArrayRef<int64_t> full = slice.getSourceType().getShape();
  size_t d = 0;
  // Leading single indices (an image of the batch).
  while (d < sizes.size() && sizes[d] == 1)
    ++d;
  // One dimension may be cut anywhere; every later one must be whole.
  if (d < sizes.size())
    ++d;
  for (; d < sizes.size(); ++d)
    if (ShapedType::isDynamic(sizes[d]) || sizes[d] != full[d])
      return false;
  return true;
}

/// Whether the buffer `value` bufferizes to is contiguous (a whole
/// allocation, a function argument with the identity layout, or a
/// contiguous piece of one), following in-place writes back to the tensor
/// they write into. Conservative: anything else is not.
bool isContiguous(Value value) {
  while (true) {
    if (isa<BlockArgument>(value))
      return isa<func::FuncOp>(value.getParentBlock()->getParentOp());
    Operation *op = value.getDefiningOp();
    if (isa<tensor::EmptyOp, arith::ConstantOp>(op))
      return true;
    if (auto toTensor = dyn_cast<bufferization::ToTensorOp>(op))
      return cast<MemRefType>(toTensor.getBuffer().getType())
          .getLayout()
          .isIdentity();
    if (auto reshape = dyn_cast<tensor::CollapseShapeOp>(op)) {
      value = reshape.getSrc();
    } else if (auto reshape = dyn_cast<tensor::ExpandShapeOp>(op)) {
      value = reshape.getSrc();
    } else if (auto insert = dyn_cast<tensor::InsertSliceOp>(op)) {
      value = insert.getDest();
    } else if (auto slice = dyn_cast<tensor::ExtractSliceOp>(op)) {
      if (!isContiguousSlice(slice))
        return false;
      value = slice.getSource();
    } else if (auto forall = dyn_cast<scf::ForallOp>(op)) {
      value = forall.getTiedOpOperand(cast<OpResult>(value))->get();
    } else if (auto dps = dyn_cast<DestinationStyleOpInterface>(op)) {
      value = dps.getTiedOpOperand(cast<OpResult>(value))->get();
    } else {
      return false;
    }
  }
}

/// The runs of loops to collapse: consecutive loops contiguous in every
/// operand, the leading loop alone when its extent is dynamic (the batch,
/// which weft-parallelize-loops cuts into tiles). Empty unless they make
/// one row (per image).
SmallVector<ReassociationIndices> runsToFold(linalg::GenericOp op) {
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  bool batchApart = !ranges.empty() && ShapedType::isDynamic(ranges[0]);
  SmallVector<ReassociationIndices> runs;
  for (int64_t d = 0; d < int64_t(ranges.size()); ++d) {
    if (!runs.empty() && !(batchApart && runs.size() == 1)) {
      ReassociationIndices longer = runs.back();
      longer.push_back(d);
      if (linalg::areDimSequencesPreserved(maps, {longer})) {
        runs.back() = longer;
        continue;
      }
    }
    runs.push_back({d});
  }
  // Only when one loop is left (two with the batch): a static loop around
  // the row (a bias's channels) LLVM unrolls in full around the fully
  // unrolled vector row, and fashion_cnn took 6 s longer to compile so.
  if (runs.size() == ranges.size() || runs.size() > (batchApart ? 2u : 1u))
    return {};
  // Upstream takes the runs to fold; every other loop stays as it is.
  llvm::erase_if(
      runs, [](const ReassociationIndices &run) { return run.size() < 2; });
  return runs;
}

struct FlattenElementwisePass
    : public weft::impl::FlattenElementwisePassBase<FlattenElementwisePass> {
  using FlattenElementwisePassBase::FlattenElementwisePassBase;

  void runOnOperation() override {
    // Ops inside loops are blocks of tiled kernels: their operands are
    // slices, seldom contiguous, and their shapes chosen on purpose.
    SmallVector<linalg::GenericOp> candidates;
    for (auto generic : getOperation().getBody().getOps<linalg::GenericOp>())
      if (generic.hasPureTensorSemantics() &&
          generic.getNumParallelLoops() == generic.getNumLoops() &&
          !generic.hasIndexSemantics() &&
          llvm::all_of(generic.getIndexingMapsArray(), [](AffineMap map) {
            return map.isProjectedPermutation();
          }))
        candidates.push_back(generic);

    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : candidates) {
      SmallVector<ReassociationIndices> runs = runsToFold(op);
      if (runs.empty() || !llvm::all_of(op->getOperands(), isContiguous))
        continue;
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::CollapseResult> collapsed =
          linalg::collapseOpIterationDims(op, runs, rewriter);
      if (failed(collapsed))
        continue;
      rewriter.replaceOp(op, collapsed->results);
    }
  }
};

} // namespace
