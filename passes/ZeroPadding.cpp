//===- ZeroPadding.cpp - Where a tensor is known to be zero ---------------===//

#include "passes/ZeroPadding.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

/// The one dimension of `group` (a reshape's reassociation group) that is
/// not a static 1 in `shape`, or none when there are several.
static std::optional<unsigned> onlyWideDim(ReassociationIndicesRef group,
                                           ArrayRef<int64_t> shape) {
  std::optional<unsigned> wide;
  for (int64_t d : group) {
    if (shape[d] == 1)
      continue;
    if (wide)
      return std::nullopt;
    wide = unsigned(d);
  }
  return wide;
}

/// The group of `reassociation` that holds `dim`, by position.
static std::optional<unsigned>
groupOf(ArrayRef<ReassociationIndices> reassociation, unsigned dim) {
  for (auto [position, group] : llvm::enumerate(reassociation))
    if (llvm::is_contained(group, int64_t(dim)))
      return unsigned(position);
  return std::nullopt;
}

std::optional<weft::NonzeroRange> weft::nonzeroRangeAlong(Value value,
                                                          unsigned dim) {
  NonzeroRange range;
  while (Operation *producer = value.getDefiningOp()) {
    if (auto slice = dyn_cast<tensor::ExtractSliceOp>(producer)) {
      if (!slice.hasUnitStride() ||
          slice.getSourceType().getRank() != slice.getResultType().getRank())
        return std::nullopt;
      range.offsets.push_back(slice.getMixedOffsets()[dim]);
      value = slice.getSource();
      continue;
    }
    // A reshape that moves only unit dimensions around `dim` keeps its
    // positions.
    if (auto expand = dyn_cast<tensor::ExpandShapeOp>(producer)) {
      std::optional<unsigned> group =
          groupOf(expand.getReassociationIndices(), dim);
      if (!group || onlyWideDim(expand.getReassociationIndices()[*group],
                                expand.getResultType().getShape()) != dim)
        return std::nullopt;
      dim = *group;
      value = expand.getSrc();
      continue;
    }
    if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(producer)) {
      std::optional<unsigned> wide =
          onlyWideDim(collapse.getReassociationIndices()[dim],
                      collapse.getSrcType().getShape());
      if (!wide)
        return std::nullopt;
      dim = *wide;
      value = collapse.getSrc();
      continue;
    }
    auto insert = dyn_cast<tensor::InsertSliceOp>(producer);
    if (!insert || !insert.hasUnitStride())
      return std::nullopt;
    auto fill = insert.getDest().getDefiningOp<linalg::FillOp>();
    if (!fill || !matchPattern(fill.value(), m_AnyZeroFloat()))
      return std::nullopt;
    std::optional<int64_t> offset =
        getConstantIntValue(insert.getMixedOffsets()[dim]);
    std::optional<int64_t> size =
        getConstantIntValue(insert.getMixedSizes()[dim]);
    if (!offset || !size ||
        insert.getSourceType().getRank() != insert.getType().getRank())
      return std::nullopt;
    range.begin = *offset;
    range.end = *offset + *size;
    range.length = insert.getType().getDimSize(dim);
    return range;
  }
  return std::nullopt;
}
