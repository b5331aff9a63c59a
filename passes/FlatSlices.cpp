//===- FlatSlices.cpp - Slices of flat tensors and buffers ----------------===//

#include "passes/FlatSlices.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

std::optional<weft::FlatSlice> weft::flatSliceOf(Value value) {
  Operation *def = value.getDefiningOp();
  while (isa_and_nonnull<tensor::ExpandShapeOp, memref::ExpandShapeOp>(def)) {
    value = def->getOperand(0);
    def = value.getDefiningOp();
  }
  auto slice = dyn_cast_or_null<OffsetSizeAndStrideOpInterface>(def);
  if (!slice || !isa<tensor::ExtractSliceOp, memref::SubViewOp>(def) ||
      cast<ShapedType>(def->getOperand(0).getType()).getRank() != 1 ||
      slice.getStaticOffsets().size() != 1 ||
      ShapedType::isDynamic(slice.getStaticOffsets()[0]) ||
      ShapedType::isDynamic(slice.getStaticSizes()[0]) ||
      slice.getStaticStrides()[0] != 1)
    return std::nullopt;
  return FlatSlice{def->getOperand(0), slice.getStaticOffsets()[0],
                   slice.getStaticSizes()[0]};
}

Value weft::extractFlatSlice(OpBuilder &b, Location loc, Value flat,
                             int64_t offset, int64_t size) {
  return tensor::ExtractSliceOp::create(
      b, loc, flat, ArrayRef<OpFoldResult>{b.getIndexAttr(offset)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(size)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
}
