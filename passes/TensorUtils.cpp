//===- TensorUtils.cpp - Reshaping between flat buffers and tensors -------===//

#include "passes/TensorUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::weft;

/// One reassociation group holding every dimension of a rank-`rank` tensor.
static SmallVector<ReassociationIndices> allInOneGroup(int64_t rank) {
  ReassociationIndices group;
  for (int64_t i = 0; i < rank; ++i)
    group.push_back(i);
  return {group};
}

Value mlir::weft::flattenTensor(OpBuilder &b, Location loc, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  if (type.getRank() == 1)
    return tensor;
  if (type.getRank() == 0)
    return tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get({1}, type.getElementType()), tensor,
        SmallVector<ReassociationIndices>{}, ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
  return tensor::CollapseShapeOp::create(b, loc, tensor,
                                         allInOneGroup(type.getRank()));
}

Value mlir::weft::unflattenTensor(OpBuilder &b, Location loc, Value flat,
                                  RankedTensorType type, Value batch) {
  auto flatType = cast<RankedTensorType>(flat.getType());
  if (type.hasStaticShape() && !flatType.hasStaticShape()) {
    flat = tensor::CastOp::create(
        b, loc,
        RankedTensorType::get({type.getNumElements()}, type.getElementType()),
        flat);
    flatType = cast<RankedTensorType>(flat.getType());
  }
  if (type.getRank() == 1)
    return flatType == type ? flat
                            : tensor::CastOp::create(b, loc, type, flat).getResult();
  if (type.getRank() == 0)
    return tensor::CollapseShapeOp::create(b, loc, type, flat,
                                           SmallVector<ReassociationIndices>{});
  SmallVector<OpFoldResult> sizes;
  for (int64_t d : type.getShape())
    sizes.push_back(ShapedType::isDynamic(d) ? OpFoldResult(batch)
                                             : OpFoldResult(b.getIndexAttr(d)));
  return tensor::ExpandShapeOp::create(b, loc, type, flat,
                                       allInOneGroup(type.getRank()), sizes);
}

Value mlir::weft::batchSizeOf(OpBuilder &b, Location loc, Value flat,
                              RankedTensorType type) {
  if (type.getRank() == 0 || !ShapedType::isDynamic(type.getDimSize(0)))
    return Value();
  int64_t perExample = 1;
  for (int64_t d : type.getShape().drop_front())
    perExample *= d;
  Value length = tensor::DimOp::create(b, loc, flat, 0);
  if (perExample == 1)
    return length;
  return arith::DivUIOp::create(
      b, loc, length, arith::ConstantIndexOp::create(b, loc, perExample));
}

Value mlir::weft::readFlatBuffer(OpBuilder &b, Location loc, Value buffer) {
  auto type = cast<MemRefType>(buffer.getType());
  auto op = bufferization::ToTensorOp::create(
      b, loc, RankedTensorType::get(type.getShape(), type.getElementType()),
      buffer);
  op.setRestrict(true);
  return op;
}

Value mlir::weft::bufferViewOf(OpBuilder &b, Location loc, Value flatBuffer,
                               int64_t offset, RankedTensorType type) {
  Value view = memref::SubViewOp::create(
      b, loc, flatBuffer, ArrayRef<OpFoldResult>{b.getIndexAttr(offset)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(type.getNumElements())},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
  if (type.getRank() == 1)
    return view;
  if (type.getRank() == 0)
    return memref::CollapseShapeOp::create(b, loc, view,
                                           SmallVector<ReassociationIndices>{});
  return memref::ExpandShapeOp::create(b, loc, type.getShape(), view,
                                       allInOneGroup(type.getRank()));
}

void mlir::weft::writeBuffer(OpBuilder &b, Location loc, Value tensor,
                             Value dest) {
  auto destType = cast<MemRefType>(dest.getType());
  if (cast<RankedTensorType>(tensor.getType()).getShape() != destType.getShape())
    tensor = flattenTensor(b, loc, tensor);
  auto tensorType = cast<RankedTensorType>(tensor.getType());
  if (tensorType.getShape() != destType.getShape())
    tensor = tensor::CastOp::create(
        b, loc,
        RankedTensorType::get(destType.getShape(), tensorType.getElementType()),
        tensor);
  auto op = bufferization::MaterializeInDestinationOp::create(b, loc, tensor, dest);
  op.setRestrict(true);
  op.setWritable(true);
}
