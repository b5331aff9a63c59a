//===- LoweringUtils.cpp - Builders shared by the weft-to-linalg patterns -===//

#include "passes/Conversion/WeftToLinalg/LoweringUtils.h"

using namespace mlir;

Value mlir::weft::lowering::multiplyAccumulate(
    OpBuilder &b, Location loc, Value lhs, Value rhs, Value init,
    ArrayRef<AffineMap> maps, ArrayRef<utils::IteratorType> iterators) {
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{lhs, rhs}, ValueRange{init},
             maps, iterators,
             [](OpBuilder &nb, Location nloc, ValueRange args) {
               // Reassociation lets LLVM vectorise the reduction in the
               // innermost loop, the freedom any BLAS takes with the order
               // of a sum; contraction allows fused multiply-add.
               auto flags = arith::FastMathFlags::reassoc |
                            arith::FastMathFlags::contract;
               Value product =
                   arith::MulFOp::create(nb, nloc, args[0], args[1], flags);
               linalg::YieldOp::create(
                   nb, nloc,
                   arith::AddFOp::create(nb, nloc, args[2], product, flags)
                       .getResult());
             })
      .getResult(0);
}

Value mlir::weft::lowering::broadcastInto(OpBuilder &b, Location loc,
                                          Value source, Value dest,
                                          AffineMap sourceMap) {
  int64_t rank = cast<RankedTensorType>(dest.getType()).getRank();
  return linalg::GenericOp::create(
             b, loc, dest.getType(), ValueRange{source}, ValueRange{dest},
             SmallVector<AffineMap>{sourceMap, b.getMultiDimIdentityMap(rank)},
             SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
             [](OpBuilder &nb, Location nloc, ValueRange args) {
               linalg::YieldOp::create(nb, nloc, args[0]);
             })
      .getResult(0);
}
