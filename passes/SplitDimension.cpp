//===- SplitDimension.cpp - A generic's dimension as two ------------------===//

#include "passes/SplitDimension.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;

FailureOr<std::optional<unsigned>> mlir::weft::plainResult(AffineMap map,
                                                           unsigned dim) {
  std::optional<unsigned> found;
  for (auto [i, result] : llvm::enumerate(map.getResults())) {
    if (!result.isFunctionOfDim(dim))
      continue;
    auto plain = dyn_cast<AffineDimExpr>(result);
    if (!plain || found)
      return failure();
    found = i;
  }
  return found;
}

FailureOr<linalg::GenericOp> mlir::weft::splitDimension(RewriterBase &rewriter,
                                                        linalg::GenericOp op,
                                                        unsigned dim,
                                                        int64_t inner) {
  if (!op.getRegion().front().getOps<linalg::IndexOp>().empty())
    return failure();
  int64_t extent = op.getStaticLoopRanges()[dim];
  MLIRContext *context = op.getContext();
  unsigned dims = op.getNumLoops() + 1;
  // Old dimension d: d before `dim`, d + 1 after it; `dim` itself is the
  // pair (dim, dim + 1).
  SmallVector<AffineExpr> renamed;
  for (unsigned d = 0; d < op.getNumLoops(); ++d)
    renamed.push_back(getAffineDimExpr(d <= dim ? d : d + 1, context));
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  SmallVector<Value> operands;
  SmallVector<AffineMap> maps;
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    FailureOr<std::optional<unsigned>> position = plainResult(map, dim);
    if (failed(position))
      return failure();
    SmallVector<AffineExpr> results;
    for (AffineExpr result : map.getResults())
      results.push_back(result.replaceDims(renamed));
    Value value = operand.get();
    if (*position) {
      unsigned at = **position;
      results.insert(results.begin() + at + 1,
                     getAffineDimExpr(dim + 1, context));
      auto type = cast<MemRefType>(value.getType());
      SmallVector<int64_t> shape(type.getShape());
      shape[at] = extent / inner;
      shape.insert(shape.begin() + at + 1, inner);
      SmallVector<ReassociationIndices> groups;
      SmallVector<OpFoldResult> sizes;
      for (int64_t i = 0, e = type.getRank(); i < e; ++i) {
        unsigned first = i <= at ? i : i + 1;
        groups.push_back(i == at ? ReassociationIndices{first, first + 1}
                                 : ReassociationIndices{first});
        if (i != at) {
          sizes.push_back(memref::getMixedSize(rewriter, loc, value, i));
          continue;
        }
        sizes.push_back(rewriter.getIndexAttr(extent / inner));
        sizes.push_back(rewriter.getIndexAttr(inner));
      }
      if (failed(
              memref::ExpandShapeOp::computeExpandedType(type, shape, groups)))
        return failure();
      value = memref::ExpandShapeOp::create(rewriter, loc, shape, value, groups,
                                            sizes);
    }
    operands.push_back(value);
    maps.push_back(AffineMap::get(dims, 0, results, context));
  }
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  iterators.insert(iterators.begin() + dim + 1, iterators[dim]);
  unsigned inputs = op.getNumDpsInputs();
  auto split = linalg::GenericOp::create(
      rewriter, loc, TypeRange{}, ArrayRef(operands).take_front(inputs),
      ArrayRef(operands).drop_front(inputs), maps, iterators);
  rewriter.inlineRegionBefore(op.getRegion(), split.getRegion(),
                              split.getRegion().end());
  rewriter.eraseOp(op);
  return split;
}
