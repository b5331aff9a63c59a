//===- LoweringUtils.cpp - Builders shared by the weft-to-linalg patterns -===//

#include "passes/Conversion/WeftToLinalg/LoweringUtils.h"

#include "mlir/Dialect/Math/IR/Math.h"

#include <limits>

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

namespace mlir::weft::lowering {

SmallVector<int64_t> identityDims(int64_t rank) {
  SmallVector<int64_t> dims;
  for (int64_t i = 0; i < rank; ++i)
    dims.push_back(i);
  return dims;
}

SmallVector<Value> mapOver(OpBuilder &b, Location loc, Value like,
                           ValueRange inputs, ArrayRef<AffineMap> inputMaps,
                           unsigned numResults, BodyBuilder body) {
  auto type = cast<RankedTensorType>(like.getType());
  int64_t rank = type.getRank();
  SmallVector<Value> inits;
  for (unsigned i = 0; i < numResults; ++i)
    inits.push_back(emptyTensor(b, loc, type, like, identityDims(rank)));
  SmallVector<AffineMap> maps(inputMaps);
  maps.append(numResults, b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto op = linalg::GenericOp::create(b, loc, TypeRange(ValueRange(inits)),
                                      inputs, inits, maps, iterators, body);
  return op.getResults();
}

SmallVector<Value> elementwise(OpBuilder &b, Location loc, ValueRange inputs,
                               unsigned numResults, BodyBuilder body) {
  int64_t rank = cast<RankedTensorType>(inputs.front().getType()).getRank();
  SmallVector<AffineMap> maps(inputs.size(), b.getMultiDimIdentityMap(rank));
  return mapOver(b, loc, inputs.front(), inputs, maps, numResults, body);
}

Value mapElements(OpBuilder &b, Location loc, ValueRange inputs,
                  ScalarFn scalar) {
  return elementwise(b, loc, inputs, 1,
                     [&](OpBuilder &nb, Location nloc, ValueRange args) {
                       // The last block argument is the output element.
                       linalg::YieldOp::create(nb, nloc,
                                               scalar(nb, nloc, args.drop_back()));
                     })[0];
}

Value reduceRows(OpBuilder &b, Location loc, Value x, ValueRange extraRowInputs,
                 double initial,
                 function_ref<Value(OpBuilder &, Location, Value element,
                                    ValueRange rowValues, Value column)>
                     element,
                 function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  MLIRContext *ctx = b.getContext();
  auto xType = cast<RankedTensorType>(x.getType());
  auto rowType = RankedTensorType::get({xType.getDimSize(0)}, b.getF32Type());
  Value init = filledTensor(b, loc, rowType, x, {0}, initial);
  AffineExpr r, c;
  bindDims(ctx, r, c);
  SmallVector<Value> inputs{x};
  inputs.append(extraRowInputs.begin(), extraRowInputs.end());
  SmallVector<AffineMap> maps{AffineMap::get(2, 0, {r, c}, ctx)};
  maps.append(extraRowInputs.size() + 1, AffineMap::get(2, 0, {r}, ctx));
  return linalg::GenericOp::create(
             b, loc, rowType, inputs, ValueRange{init}, maps,
             {utils::IteratorType::parallel, utils::IteratorType::reduction},
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               Value column = linalg::IndexOp::create(nb, nloc, 1);
               Value e = element(nb, nloc, args[0], args.drop_front().drop_back(),
                                 column);
               linalg::YieldOp::create(nb, nloc, combine(nb, nloc, args.back(), e));
             })
      .getResult(0);
}

Value sumRows(OpBuilder &b, Location loc, Value x, ValueRange extraRowInputs,
              function_ref<Value(OpBuilder &, Location, Value, ValueRange)> element) {
  return reduceRows(
      b, loc, x, extraRowInputs, 0.0,
      [&](OpBuilder &nb, Location nloc, Value e, ValueRange row, Value) {
        return element(nb, nloc, e, row);
      },
      [](OpBuilder &nb, Location nloc, Value acc, Value e) -> Value {
        return arith::AddFOp::create(nb, nloc, acc, e);
      });
}

Value sumRows(OpBuilder &b, Location loc, Value x) {
  return sumRows(b, loc, x, {},
                 [](OpBuilder &, Location, Value e, ValueRange) { return e; });
}

std::pair<Value, Value> softmaxStatistics(OpBuilder &b, Location loc, Value x) {
  Value rowMax = reduceRows(
      b, loc, x, {}, -std::numeric_limits<double>::infinity(),
      [](OpBuilder &, Location, Value e, ValueRange, Value) { return e; },
      [](OpBuilder &nb, Location nloc, Value acc, Value e) -> Value {
        return arith::MaximumFOp::create(nb, nloc, acc, e);
      });
  Value sumExp = sumRows(
      b, loc, x, {rowMax},
      [](OpBuilder &nb, Location nloc, Value e, ValueRange row) -> Value {
        return math::ExpOp::create(nb, nloc,
                                   arith::SubFOp::create(nb, nloc, e, row[0]));
      });
  return {rowMax, sumExp};
}

/// A [B, C] result from [B, C] tensors `full` and [B] tensors `perRow`:
/// `scalar` receives the elements of `full`, then the row values.
Value mapRows(OpBuilder &b, Location loc, ValueRange full, ValueRange perRow,
              ScalarFn scalar) {
  MLIRContext *ctx = b.getContext();
  AffineExpr r, c;
  bindDims(ctx, r, c);
  SmallVector<Value> inputs(full);
  inputs.append(perRow.begin(), perRow.end());
  SmallVector<AffineMap> maps(full.size(), AffineMap::get(2, 0, {r, c}, ctx));
  maps.append(perRow.size(), AffineMap::get(2, 0, {r}, ctx));
  return mapOver(b, loc, full.front(), inputs, maps, 1,
                 [&](OpBuilder &nb, Location nloc, ValueRange args) {
                   linalg::YieldOp::create(nb, nloc,
                                           scalar(nb, nloc, args.drop_back()));
                 })[0];
}

/// Reassociation that folds all but the last dimension into one.
static SmallVector<ReassociationIndices> leadingIntoOne(int64_t rank) {
  ReassociationIndices leading;
  for (int64_t i = 0; i + 1 < rank; ++i)
    leading.push_back(i);
  return {leading, {rank - 1}};
}

Value asRows(OpBuilder &b, Location loc, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  if (type.getRank() == 2)
    return x;
  if (type.getRank() == 1) {
    auto rowType = RankedTensorType::get({1, type.getDimSize(0)},
                                         type.getElementType());
    return tensor::ExpandShapeOp::create(b, loc, rowType, x,
                                         SmallVector<ReassociationIndices>{{0, 1}});
  }
  return tensor::CollapseShapeOp::create(b, loc, x, leadingIntoOne(type.getRank()));
}

Value fromRows(OpBuilder &b, Location loc, Value rows, Value like) {
  auto type = cast<RankedTensorType>(like.getType());
  if (type.getRank() == 2)
    return rows;
  if (type.getRank() == 1)
    return tensor::CollapseShapeOp::create(b, loc, rows,
                                           SmallVector<ReassociationIndices>{{0, 1}});
  SmallVector<OpFoldResult> sizes;
  for (int64_t i = 0; i < type.getRank(); ++i)
    sizes.push_back(type.isDynamicDim(i)
                        ? OpFoldResult(tensor::DimOp::create(b, loc, like, i).getResult())
                        : OpFoldResult(b.getIndexAttr(type.getDimSize(i))));
  return tensor::ExpandShapeOp::create(b, loc, type, rows,
                                       leadingIntoOne(type.getRank()), sizes);
}

Value sumAll(OpBuilder &b, Location loc, ValueRange inputs, ScalarFn element) {
  MLIRContext *ctx = b.getContext();
  int64_t rank = cast<RankedTensorType>(inputs.front().getType()).getRank();
  auto scalarType = RankedTensorType::get({}, b.getF32Type());
  Value init = filledTensor(b, loc, scalarType, inputs.front(), {}, 0.0);
  SmallVector<AffineMap> maps(inputs.size(), b.getMultiDimIdentityMap(rank));
  maps.push_back(AffineMap::get(rank, 0, {}, ctx));
  Value total =
      linalg::GenericOp::create(
          b, loc, scalarType, inputs, ValueRange{init}, maps,
          SmallVector<utils::IteratorType>(rank, utils::IteratorType::reduction),
          [&](OpBuilder &nb, Location nloc, ValueRange args) {
            Value e = element(nb, nloc, args.drop_back());
            linalg::YieldOp::create(
                nb, nloc, arith::AddFOp::create(nb, nloc, args.back(), e).getResult());
          })
          .getResult(0);
  return tensor::ExtractOp::create(b, loc, total, ValueRange{});
}

Value meanTensor(OpBuilder &b, Location loc, Value total, Value count) {
  return scalarTensor(b, loc, divf(b, loc, total, count));
}

Value dimAsFloat(OpBuilder &b, Location loc, Value x, int64_t dim) {
  Value n = tensor::DimOp::create(b, loc, x, dim);
  Value n64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), n);
  return arith::SIToFPOp::create(b, loc, b.getF32Type(), n64);
}

Value elementCount(OpBuilder &b, Location loc, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  Value count = f32Const(b, loc, 1.0);
  for (int64_t i = 0; i < type.getRank(); ++i)
    count = arith::MulFOp::create(
        b, loc, count,
        type.isDynamicDim(i) ? dimAsFloat(b, loc, x, i)
                             : f32Const(b, loc, double(type.getDimSize(i))));
  return count;
}

Value scalarTensor(OpBuilder &b, Location loc, Value scalar) {
  auto type = RankedTensorType::get({}, b.getF32Type());
  return tensor::FromElementsOp::create(b, loc, type, ValueRange{scalar});
}

} // namespace mlir::weft::lowering
