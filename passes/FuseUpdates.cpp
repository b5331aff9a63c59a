//===- FuseUpdates.cpp - One loop for the updates of all parameters -------===//
//
// See weft-fuse-updates in Passes.td. After weft-flat-gradients, each
// parameter's update reads slices of three flat tensors (the parameters,
// the gradients, the optimizer state) and stores slices of two flat
// buffers; when the parameters follow one another in all of them, the
// updates are one elementwise loop over the concatenated slices.
//
//===----------------------------------------------------------------------===//

#include "passes/FlatSlices.h"
#include "passes/LayerNames.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::weft {
#define GEN_PASS_DEF_FUSEUPDATESPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;
using weft::FlatSlice;
using weft::flatSliceOf;

namespace {

/// A per-parameter update: an elementwise op whose operands are slices of
/// flat tensors and whose results are each stored into a slice of a flat
/// buffer, and nothing else.
struct Update {
  mutable linalg::GenericOp op;
  SmallVector<FlatSlice> inputs;
  SmallVector<bufferization::MaterializeInDestinationOp> stores;
  SmallVector<FlatSlice> destinations;
  int64_t size = 0;
};

std::optional<Update> asUpdate(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumResults() == 0 ||
      op.getNumParallelLoops() != op.getNumLoops() ||
      !llvm::all_of(op.getIndexingMapsArray(),
                    [](AffineMap map) { return map.isIdentity(); }) ||
      !op.getBody()->getOps<linalg::IndexOp>().empty())
    return std::nullopt;
  auto type = cast<RankedTensorType>(op.getResult(0).getType());
  if (!type.hasStaticShape())
    return std::nullopt;
  Update update{op, {}, {}, {}, type.getNumElements()};
  for (Value input : op.getDpsInputs()) {
    std::optional<FlatSlice> slice = flatSliceOf(input);
    if (!slice || slice->size != update.size)
      return std::nullopt;
    update.inputs.push_back(*slice);
  }
  for (OpOperand &init : op.getDpsInitsMutable())
    if (!init.get().getDefiningOp<tensor::EmptyOp>())
      return std::nullopt;
  for (Value result : op.getResults()) {
    if (!result.hasOneUse())
      return std::nullopt;
    auto store = dyn_cast<bufferization::MaterializeInDestinationOp>(
        *result.getUsers().begin());
    if (!store || !isa<BaseMemRefType>(store.getDest().getType()))
      return std::nullopt;
    std::optional<FlatSlice> slice = flatSliceOf(store.getDest());
    if (!slice || slice->size != update.size)
      return std::nullopt;
    update.stores.push_back(store);
    update.destinations.push_back(*slice);
  }
  return update;
}

/// Whether `next` is `previous` for the parameter after it: the same
/// computation on the same flat tensors, each slice right after
/// `previous`'s.
bool follows(const Update &previous, const Update &next) {
  auto adjacent = [&](ArrayRef<FlatSlice> a, ArrayRef<FlatSlice> b) {
    return a.size() == b.size() && llvm::all_of(llvm::zip(a, b), [](auto pair) {
             auto [x, y] = pair;
             return weft::followsSlice(x, y);
           });
  };
  return adjacent(previous.inputs, next.inputs) &&
         adjacent(previous.destinations, next.destinations) &&
         OperationEquivalence::isRegionEquivalentTo(
             &previous.op.getRegion(), &next.op.getRegion(),
             OperationEquivalence::IgnoreLocations);
}

/// The buffer `memref` is a view of.
Value rootBuffer(Value memref) {
  while (auto view = memref.getDefiningOp<ViewLikeOpInterface>())
    memref = view.getViewSource();
  return memref;
}

/// Whether the stores of `run` can all wait for the last of them: nothing
/// else between the first and the last touches the buffers they write.
bool storesCanWait(ArrayRef<Update> run) {
  SmallPtrSet<Operation *, 8> stores;
  DenseSet<Value> buffers;
  Operation *first = nullptr;
  for (const Update &update : run)
    for (auto store : update.stores) {
      stores.insert(store);
      buffers.insert(rootBuffer(store.getDest()));
      if (!first || store->isBeforeInBlock(first))
        first = store;
    }
  if (!first)
    return true;
  unsigned seen = 0;
  for (Operation *op = first; seen < stores.size(); op = op->getNextNode()) {
    if (stores.contains(op)) {
      ++seen;
      continue;
    }
    bool touches = false;
    op->walk([&](Operation *nested) {
      for (Value operand : nested->getOperands())
        touches |= isa<BaseMemRefType>(operand.getType()) &&
                   buffers.contains(rootBuffer(operand)) &&
                   !isa<ViewLikeOpInterface>(nested);
    });
    if (touches)
      return false;
  }
  return true;
}

struct FuseUpdatesPass
    : public weft::impl::FuseUpdatesPassBase<FuseUpdatesPass> {
  using Base::Base;

  /// Replaces `run` (updates each following the one before) with one.
  void fuse(ArrayRef<Update> run) {
    const Update &first = run.front();
    int64_t total = 0;
    for (const Update &update : run)
      total += update.size;
    Operation *last = first.op;
    for (const Update &update : run)
      if (last->isBeforeInBlock(update.op))
        last = update.op;
    Location loc = first.op.getLoc();
    OpBuilder b(last->getContext());
    b.setInsertionPointAfter(last);
    auto index = [&](int64_t value) -> OpFoldResult {
      return b.getIndexAttr(value);
    };
    SmallVector<Value> inputs, inits;
    for (const FlatSlice &slice : first.inputs)
      inputs.push_back(
          weft::extractFlatSlice(b, loc, slice.flat, slice.offset, total));
    for (unsigned i = 0; i < first.op.getNumResults(); ++i)
      inits.push_back(tensor::EmptyOp::create(
          b, loc, {total},
          getElementTypeOrSelf(first.op.getResult(i).getType())));
    SmallVector<AffineMap> maps(inputs.size() + inits.size(),
                                b.getMultiDimIdentityMap(1));
    auto fused =
        linalg::GenericOp::create(b, loc, TypeRange(inits), inputs, inits, maps,
                                  {utils::IteratorType::parallel});
    b.cloneRegionBefore(first.op.getRegion(), fused.getRegion(),
                        fused.getRegion().end());

    // The stores go where the last of the old ones was; their destinations
    // are made before the update, as weft-write-in-place wants them.
    Operation *lastStore = first.stores.front();
    for (const Update &update : run)
      for (auto store : update.stores)
        if (lastStore->isBeforeInBlock(store))
          lastStore = store;
    for (auto [result, slice] :
         llvm::zip(fused.getResults(), first.destinations)) {
      b.setInsertionPoint(fused);
      Value dest = memref::SubViewOp::create(
          b, loc, slice.flat, ArrayRef<OpFoldResult>{index(slice.offset)},
          ArrayRef<OpFoldResult>{index(total)},
          ArrayRef<OpFoldResult>{index(1)});
      b.setInsertionPoint(lastStore);
      auto store = bufferization::MaterializeInDestinationOp::create(
          b, loc, result, dest);
      store.setRestrict(true);
      store.setWritable(true);
    }
    if (remarks) {
      std::string names;
      for (const Update &update : run)
        names += (names.empty() ? "" : ", ") + weft::describeLayer(update.op);
      fused.emitRemark() << "fused the updates of " << run.size()
                         << " parameters into one loop over " << total
                         << " elements: " << names;
    }
    for (const Update &update : run) {
      for (auto store : update.stores)
        store.erase();
      update.op.erase();
    }
  }

  void runOnOperation() override {
    for (Block &block : getOperation().getBody()) {
      SmallVector<Update> updates;
      for (auto op : block.getOps<linalg::GenericOp>())
        if (std::optional<Update> update = asUpdate(op))
          updates.push_back(std::move(*update));
      // Chains of updates that follow one another, in parameter order.
      llvm::sort(updates, [](const Update &a, const Update &b) {
        return a.inputs.front().offset < b.inputs.front().offset;
      });
      SmallVector<SmallVector<Update>> runs;
      SmallVector<bool> taken(updates.size(), false);
      for (size_t i = 0; i < updates.size(); ++i) {
        if (taken[i])
          continue;
        SmallVector<Update> run{updates[i]};
        taken[i] = true;
        for (size_t j = i + 1; j < updates.size(); ++j)
          if (!taken[j] && follows(run.back(), updates[j])) {
            run.push_back(updates[j]);
            taken[j] = true;
          }
        if (run.size() > 1)
          runs.push_back(std::move(run));
      }
      for (ArrayRef<Update> run : runs) {
        if (storesCanWait(run)) {
          fuse(run);
        } else if (remarks) {
          run.front().op.emitRemark()
              << "the updates of " << run.size()
              << " parameters are not fused: something between their "
                 "stores uses the buffers they write";
        }
      }
    }
  }
};

} // namespace
