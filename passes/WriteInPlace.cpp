//===- WriteInPlace.cpp - Updates write into the variable's own buffer ----===//
//
// See weft-write-in-place in Passes.td. A training step stores each new
// parameter (and optimizer state, running statistics) into the flat buffer
// it was read from. One-shot bufferization cannot tell that the parameter's
// read view and its write destination are the same memory, so it computes
// the new value into a temporary and copies it over: one allocation and one
// extra pass over every parameter, per step. This pass proves, for each
// store, that nothing reads the old value after the op computing the new
// one (or reads it only element by element inside that op), and then lets
// that op write into the destination directly, as upstream's empty-tensor
// elimination would if it could see the aliasing.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::weft {
#define GEN_PASS_DEF_WRITEINPLACEPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

/// A range of elements of a rank-1 buffer.
struct Range {
  int64_t offset = 0, size = 0;
  bool overlaps(const Range &other) const {
    return offset < other.offset + other.size &&
           other.offset < offset + size;
  }
  bool operator==(const Range &other) const {
    return offset == other.offset && size == other.size;
  }
};

/// The range a static, unit-stride, rank-1 slice (tensor or memref) takes.
template <typename SliceOp>
std::optional<Range> staticRange(SliceOp slice) {
  if (slice.getSourceType().getRank() != 1 ||
      !slice.hasUnitStride() ||
      ShapedType::isDynamic(slice.getStaticOffsets()[0]) ||
      ShapedType::isDynamic(slice.getStaticSizes()[0]))
    return std::nullopt;
  return Range{slice.getStaticOffsets()[0], slice.getStaticSizes()[0]};
}

/// Whether `op` only reinterprets its operand's elements in row-major
/// order: with equal shapes at both ends, a chain of these maps every
/// element to itself.
bool isReshape(Operation *op) {
  return isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp, tensor::CastOp,
             memref::ExpandShapeOp, memref::CollapseShapeOp>(op);
}

/// Where the store `store` writes: its buffer (a function argument) and
/// range, if `store` writes a reshaped static slice of one.
std::optional<std::pair<Value, Range>>
destinationOf(bufferization::MaterializeInDestinationOp store) {
  Value view = store.getDest();
  if (!isa<BaseMemRefType>(view.getType()) || !view.hasOneUse())
    return std::nullopt;
  while (Operation *def = view.getDefiningOp()) {
    if (auto subview = dyn_cast<memref::SubViewOp>(def)) {
      std::optional<Range> range = staticRange(subview);
      if (!range || !isa<BlockArgument>(subview.getSource()))
        return std::nullopt;
      return std::make_pair(subview.getSource(), *range);
    }
    // The view must be the destination's alone: nothing else may read or
    // write the new value through it.
    if (!isReshape(def) || !def->getResult(0).hasOneUse())
      return std::nullopt;
    view = def->getOperand(0);
  }
  return std::nullopt;
}

/// Checks, for one store, that no op reads the destination's old contents
/// after `writer`, the op that computes the new value into result `result`.
class OldValueReaders {
public:
  OldValueReaders(linalg::GenericOp writer, OpResult result, Range range)
      : writer(writer), result(result), range(range) {}

  /// Every use of `buffer`, the flat argument the store writes into:
  /// disjoint views and the destination's own are harmless, tensor views are
  /// followed to their readers, anything else (a call) must come first.
  bool allowAll(Value buffer, Operation *destinationView) {
    for (OpOperand &use : buffer.getUses()) {
      Operation *user = use.getOwner();
      if (user == destinationView)
        continue;
      if (auto subview = dyn_cast<memref::SubViewOp>(user)) {
        std::optional<Range> other = staticRange(subview);
        if (other && !other->overlaps(range))
          continue;
        return false;
      }
      if (auto view = dyn_cast<bufferization::ToTensorOp>(user)) {
        if (!allowTensorReaders(view.getResult()))
          return false;
        continue;
      }
      // Another view of the buffer could be read anywhere: not followed.
      if (isa<ViewLikeOpInterface>(user) || !before(user))
        return false;
    }
    return true;
  }

private:
  /// Whether `op` (or the op holding it) runs before `writer`.
  bool before(Operation *op) {
    Operation *ancestor = writer->getBlock()->findAncestorOpInBlock(*op);
    return ancestor && ancestor != writer && ancestor->isBeforeInBlock(writer);
  }

  /// Follows the tensor `view` of the whole buffer through slices and
  /// reshapes (every value that may alias it) to the ops that read it.
  bool allowTensorReaders(Value view) {
    // A value that aliases the buffer, and whether it is exactly the
    // destination's range, reshaped.
    SmallVector<std::pair<Value, bool>> worklist{{view, false}};
    while (!worklist.empty()) {
      auto [value, exact] = worklist.pop_back_val();
      for (OpOperand &use : value.getUses()) {
        Operation *user = use.getOwner();
        if (auto slice = dyn_cast<tensor::ExtractSliceOp>(user)) {
          // Of the whole buffer, a slice disjoint from the destination is
          // harmless and one equal to it is exact; any other slice may
          // still read the destination.
          std::optional<Range> other =
              value == view ? staticRange(slice) : std::nullopt;
          if (other && !other->overlaps(range))
            continue;
          worklist.push_back({slice.getResult(), other && *other == range});
          continue;
        }
        if (isReshape(user)) {
          worklist.push_back({user->getResult(0), exact});
          continue;
        }
        if (user == writer ? !readsInStep(use, exact) : !before(user))
          return false;
      }
    }
    return true;
  }

  /// Whether the writer reads `use` element by element where it writes its
  /// result: each element is then read before it is overwritten.
  bool readsInStep(OpOperand &use, bool exact) {
    if (!exact || !writer.isDpsInput(&use) ||
        use.get().getType() != result.getType())
      return false;
    return writer.getMatchingIndexingMap(&use) ==
           writer.getIndexingMapMatchingResult(result);
  }

  linalg::GenericOp writer;
  OpResult result;
  Range range;
};

struct WriteInPlacePass
    : public weft::impl::WriteInPlacePassBase<WriteInPlacePass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    DominanceInfo dominance(fn);
    SmallVector<bufferization::MaterializeInDestinationOp> stores;
    fn.walk([&](bufferization::MaterializeInDestinationOp store) {
      stores.push_back(store);
    });
    for (auto store : stores) {
      auto result = dyn_cast<OpResult>(store.getSource());
      auto writer =
          result ? dyn_cast<linalg::GenericOp>(result.getOwner()) : nullptr;
      if (!writer || !writer.hasPureTensorSemantics() ||
          writer.getNumParallelLoops() != writer.getNumLoops() ||
          !result.hasOneUse() || !store.getRestrict() || !store.getWritable())
        continue;
      OpOperand *init = writer.getDpsInitOperand(result.getResultNumber());
      if (!init->get().getDefiningOp<tensor::EmptyOp>())
        continue;
      std::optional<std::pair<Value, Range>> destination = destinationOf(store);
      Value dest = store.getDest();
      if (!destination || !dominance.properlyDominates(dest, writer))
        continue;
      Operation *destinationView = dest.getDefiningOp();
      while (isReshape(destinationView))
        destinationView = destinationView->getOperand(0).getDefiningOp();
      OldValueReaders readers(writer, result, destination->second);
      if (!readers.allowAll(destination->first, destinationView))
        continue;

      // The writer's result becomes the destination's memory. Like
      // upstream's empty-tensor elimination, the store hands its `restrict`
      // to the new view: one restricted tensor per memory.
      OpBuilder b(writer);
      auto view = bufferization::ToTensorOp::create(
          b, store.getLoc(), init->get().getType(), dest, /*restrict=*/true,
          /*writable=*/true);
      init->set(view);
      store.setRestrict(false);
    }
  }
};

} // namespace
