//===- PackBuffers.cpp - A call's temporaries laid out in arenas ----------===//
//
// See weft-pack-buffers in Passes.td. The buffers a call makes once are laid
// out at offsets chosen here from when each is live, so that a call makes
// one allocation for all of them instead of one each:
//  - buffers of a fixed size (weight gradients, flipped kernels, the
//    optimizer's scalars) go in the fixed arena, at offsets in bytes;
//  - buffers whose one dynamic dimension is the batch (activations and their
//    gradients) go in the batch arena. Their sizes are the batch times a
//    constant, so they are laid out at batch 1 and every offset is the batch
//    times the offset found: buffers that do not overlap at batch 1 overlap
//    at no batch, and the arena is the batch times its size at batch 1.
// Two buffers share bytes only when no op between the first use of one and
// the last use of the other touches both.
//
// The layout is the greedy-by-size scheme of TensorFlow Lite's arena
// planner: the largest buffer first, each at the lowest offset that no
// buffer live at the same time occupies.
//
//===----------------------------------------------------------------------===//

#include "passes/BufferAliases.h"
#include "passes/BufferConventions.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"

namespace mlir::weft {
#define GEN_PASS_DEF_PACKBUFFERSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

/// A batch arena's offsets are multiples of the alignment times the batch,
/// so they are aligned too.
constexpr int64_t kAlignment = weft::kBufferAlignment;

int64_t alignUp(int64_t bytes) { return llvm::alignTo(bytes, kAlignment); }

/// A buffer to place: live from the op at `first` to the op at `last`
/// (positions in the function's body; a buffer used inside a nested region
/// is live across the whole op that holds the region).
struct Candidate {
  memref::AllocOp alloc;
  memref::DeallocOp dealloc;
  /// Its one dynamic size (the batch), or null for a fixed-size buffer.
  Value batch;
  /// Its bytes; per unit of `batch` if it has one.
  int64_t bytes = 0;
  int64_t first = 0, last = 0;
  int64_t offset = -1;

  bool liveWith(const Candidate &other) const {
    return first <= other.last && other.first <= last;
  }
};

/// Whether `alloc` is made once per call: in the function's body, or in a
/// branch of an `scf.if` there. An allocation in a loop (a block that may
/// run on several threads at once, or many times) keeps its own.
bool madeOncePerCall(memref::AllocOp alloc, func::FuncOp function) {
  for (Operation *parent = alloc->getParentOp(); parent != function;
       parent = parent->getParentOp())
    if (!isa<scf::IfOp, scf::ExecuteRegionOp>(parent))
      return false;
  return true;
}

/// The size that scales a buffer of `alloc`'s type: none for a static
/// shape, its one dynamic size if that is known at the top of the
/// function's body; failure for any other shape.
FailureOr<Value> batchOf(memref::AllocOp alloc, Block &body) {
  ValueRange sizes = alloc.getDynamicSizes();
  if (sizes.empty())
    return Value();
  if (sizes.size() != 1 || sizes[0].getParentBlock() != &body)
    return failure();
  return sizes[0];
}

/// `alloc` as a buffer to place, or nothing if it must keep its own
/// allocation: its size is not a constant or a constant times one size,
/// it leaves the function, or its free is not the one unconditional free in
/// the block that made it.
std::optional<Candidate> asCandidate(memref::AllocOp alloc,
                                     func::FuncOp function,
                                     const DataLayout &layout,
                                     const BufferViewFlowAnalysis &views,
                                     const DenseMap<Operation *, int64_t> &at) {
  MemRefType type = alloc.getType();
  Block &body = function.front();
  FailureOr<Value> batch = batchOf(alloc, body);
  if (failed(batch) || !type.getLayout().isIdentity() ||
      type.getMemorySpace() ||
      alloc.getAlignment().value_or(1) > kAlignment ||
      !madeOncePerCall(alloc, function))
    return std::nullopt;
  int64_t elements = 1;
  for (int64_t extent : type.getShape())
    if (!ShapedType::isDynamic(extent))
      elements *= extent;
  if (elements == 0)
    return std::nullopt;

  Candidate candidate;
  candidate.alloc = alloc;
  candidate.batch = *batch;
  candidate.bytes =
      elements * int64_t(layout.getTypeSize(type.getElementType()));
  candidate.first = candidate.last =
      at.lookup(body.findAncestorOpInBlock(*alloc));
  for (Value alias : weft::aliasesOf(alloc.getResult(), views)) {
    for (Operation *user : alias.getUsers()) {
      Operation *ancestor = body.findAncestorOpInBlock(*user);
      if (!ancestor || ancestor->hasTrait<OpTrait::IsTerminator>())
        return std::nullopt;
      candidate.first = std::min(candidate.first, at.lookup(ancestor));
      candidate.last = std::max(candidate.last, at.lookup(ancestor));
      if (auto dealloc = dyn_cast<memref::DeallocOp>(user)) {
        if (candidate.dealloc || alias != alloc.getResult() ||
            dealloc->getBlock() != alloc->getBlock())
          return std::nullopt;
        candidate.dealloc = dealloc;
      }
    }
  }
  if (!candidate.dealloc)
    return std::nullopt;
  return candidate;
}

/// Gives each candidate an offset: the largest first, each at the lowest
/// aligned offset clear of every placed buffer live at the same time.
/// Returns the arena's size.
int64_t layOut(MutableArrayRef<Candidate> candidates) {
  SmallVector<Candidate *> order;
  for (Candidate &candidate : candidates)
    order.push_back(&candidate);
  llvm::stable_sort(order, [](const Candidate *a, const Candidate *b) {
    return a->bytes > b->bytes;
  });
  int64_t arenaBytes = 0;
  SmallVector<Candidate *> placed;
  for (Candidate *candidate : order) {
    SmallVector<Candidate *> neighbours;
    for (Candidate *other : placed)
      if (candidate->liveWith(*other))
        neighbours.push_back(other);
    llvm::sort(neighbours, [](const Candidate *a, const Candidate *b) {
      return a->offset < b->offset;
    });
    int64_t offset = 0;
    for (Candidate *other : neighbours) {
      if (offset + candidate->bytes <= other->offset)
        break;
      offset = std::max(offset, alignUp(other->offset + other->bytes));
    }
    candidate->offset = offset;
    arenaBytes = std::max(arenaBytes, alignUp(offset + candidate->bytes));
    placed.push_back(candidate);
  }
  return arenaBytes;
}

/// Makes one arena for `candidates` (all scaled by `batch`, or all fixed
/// when it is null) and turns each into a view of it.
void packIntoArena(MutableArrayRef<Candidate> candidates, Value batch,
                   ArrayRef<Operation *> ops) {
  int64_t arenaBytes = layOut(candidates);
  auto firstUse = llvm::min_element(
      candidates, [](auto &a, auto &b) { return a.first < b.first; });
  auto lastUse = llvm::max_element(
      candidates, [](auto &a, auto &b) { return a.last < b.last; });
  Operation *start = ops[firstUse->first];
  OpBuilder builder(start);
  Location loc = start->getLoc();
  IntegerAttr alignment = builder.getI64IntegerAttr(kAlignment);
  Type byte = builder.getIntegerType(8);

  Value arena, bytes;
  if (!batch) {
    arena = memref::AllocOp::create(
        builder, loc, MemRefType::get({arenaBytes}, byte), alignment);
    arena.getDefiningOp()->setAttr(weft::kStaticArenaAttr,
                                   builder.getUnitAttr());
    bytes = arena;
  } else {
    // Batch rows of the arena's bytes at batch 1, so that its type says how
    // it scales (weft-kernel-stats counts it at a batch size); the views
    // take the rows as one run of bytes.
    arena = memref::AllocOp::create(
        builder, loc,
        MemRefType::get({ShapedType::kDynamic, arenaBytes}, byte),
        ValueRange{batch}, alignment);
    arena.getDefiningOp()->setAttr(weft::kBatchArenaAttr,
                                   builder.getUnitAttr());
    bytes = memref::CollapseShapeOp::create(
        builder, loc, arena, ArrayRef<ReassociationIndices>{{0, 1}});
  }
  builder.setInsertionPointAfter(ops[lastUse->last]);
  memref::DeallocOp::create(builder, loc, arena);

  for (Candidate &candidate : candidates) {
    builder.setInsertionPoint(candidate.alloc);
    Location where = candidate.alloc.getLoc();
    Value offset =
        arith::ConstantIndexOp::create(builder, where, candidate.offset);
    if (batch)
      offset = arith::MulIOp::create(builder, where, batch, offset);
    Value view = memref::ViewOp::create(builder, where,
                                        candidate.alloc.getType(), bytes,
                                        offset,
                                        candidate.alloc.getDynamicSizes());
    candidate.alloc.replaceAllUsesWith(view);
    candidate.dealloc.erase();
    candidate.alloc.erase();
  }
}

struct PackBuffersPass
    : public weft::impl::PackBuffersPassBase<PackBuffersPass> {
  void runOnOperation() override {
    func::FuncOp function = getOperation();
    if (function.isExternal())
      return;
    Block &body = function.front();
    DenseMap<Operation *, int64_t> at;
    SmallVector<Operation *> ops;
    for (Operation &op : body) {
      at[&op] = ops.size();
      ops.push_back(&op);
    }

    DataLayout layout = DataLayout::closest(function);
    BufferViewFlowAnalysis views(function);
    // Fixed-size buffers under the null value, then one group per size
    // that scales buffers, in the order first met.
    llvm::MapVector<Value, SmallVector<Candidate>> groups;
    function.walk([&](memref::AllocOp alloc) {
      if (auto candidate = asCandidate(alloc, function, layout, views, at))
        groups[candidate->batch].push_back(*candidate);
    });
    for (auto &[batch, candidates] : groups) {
      // One buffer gains nothing from an arena of its own.
      if (candidates.size() >= 2)
        packIntoArena(candidates, batch, ops);
    }
  }
};

} // namespace
