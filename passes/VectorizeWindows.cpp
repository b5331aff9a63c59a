//===- VectorizeWindows.cpp - Pools over tiling windows as vector rows ----===//
//
// See weft-vectorize-windows in Passes.td. A pool whose windows tile its
// input (the usual 2x2 pool of stride 2) is lowered to ops on a view of the
// input as [N, C, OH, KH, OW, KW] (ConvolutionLowering.cpp). Their loops are
// short and strided: a row of 14 outputs reads every other element of a row
// of 28. LLVM unrolls them in full and leaves them scalar.
//
// This pass tiles such an op (upstream's tiling) down to one output row per
// step and writes that step as vector code: each input row of OW * KW
// elements is loaded once and split into KW vectors of OW lanes (element kw
// of every window: a shuffle); the op's body is applied to those vectors,
// window element by window element in the op's own order, so that a
// reduction (a max, a first-max position) combines them as the scalar loops
// did; an output row of windows is the KW vectors interleaved again.
//
// Upstream's linalg vectoriser reads such an op as vector<KH x OW x KW>, a
// transposing read LLVM lowers lane by lane; the loads and shuffles here are
// what it cannot express.
//
//===----------------------------------------------------------------------===//

#include "passes/ForallOutputs.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::weft {
#define GEN_PASS_DEF_VECTORIZEWINDOWSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

/// Window roles, in the order of the window operand's dimensions.
enum Role { kN, kC, kOH, kKH, kOW, kKW, kRoles };

/// The loops of a window op, by role, and the static window and row sizes.
struct WindowLoops {
  unsigned loop[kRoles];
  int64_t kh, ow, kw;
};

/// The map of a [N, C, OH, OW] operand (one value per window) under `loops`.
AffineMap pooledMap(const WindowLoops &loops, MLIRContext *ctx) {
  SmallVector<AffineExpr> results;
  for (Role role : {kN, kC, kOH, kOW})
    results.push_back(getAffineDimExpr(loops.loop[role], ctx));
  return AffineMap::get(kRoles, 0, results, ctx);
}

/// Whether the body of `op` can run on vectors of lanes along OW: arith and
/// math ops, which map over vectors element by element, and linalg.index of
/// the window loops, constant at each window element.
bool bodyVectorizes(linalg::GenericOp op, const WindowLoops &loops) {
  for (Operation &inner : op.getBody()->without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
      if (index.getDim() != loops.loop[kKH] &&
          index.getDim() != loops.loop[kKW])
        return false;
      continue;
    }
    if (inner.getNumRegions() != 0 || inner.getNumResults() != 1)
      return false;
    if (!isa<arith::ArithDialect, math::MathDialect>(inner.getDialect()))
      return false;
    if (inner.getNumOperands() != 0 && !inner.hasTrait<OpTrait::Elementwise>())
      return false;
  }
  return true;
}

/// The window loops of `op`, if it is an op over tiling windows this pass
/// vectorises: six loops; every operand either a window view
/// [N, C, OH, KH, OW, KW] read in its dimensions' order, or one value per
/// window [N, C, OH, OW]; the window loops both reductions (a pool) or both
/// parallel (a pool's gradient), and a reduction writing only per-window
/// values; static window and row sizes, a row at most `maxLanes` long.
FailureOr<WindowLoops> matchWindows(linalg::GenericOp op, int64_t maxLanes) {
  if (!op.hasPureTensorSemantics() || op.getNumLoops() != kRoles)
    return failure();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  const AffineMap *window = llvm::find_if(
      maps, [](AffineMap map) { return map.getNumResults() == kRoles; });
  if (window == maps.end() || !window->isPermutation())
    return failure();
  WindowLoops loops;
  for (unsigned role = 0; role < kRoles; ++role)
    loops.loop[role] = window->getDimPosition(role);
  AffineMap pooled = pooledMap(loops, op.getContext());
  for (AffineMap map : maps)
    if (map != *window && map != pooled)
      return failure();

  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  loops.kh = ranges[loops.loop[kKH]];
  loops.ow = ranges[loops.loop[kOW]];
  loops.kw = ranges[loops.loop[kKW]];
  if (ShapedType::isDynamic(loops.kh) || ShapedType::isDynamic(loops.ow) ||
      ShapedType::isDynamic(loops.kw) || loops.ow * loops.kw > maxLanes)
    return failure();

  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (Role role : {kN, kC, kOH, kOW})
    if (iterators[loops.loop[role]] != utils::IteratorType::parallel)
      return failure();
  utils::IteratorType windowKind = iterators[loops.loop[kKH]];
  if (iterators[loops.loop[kKW]] != windowKind)
    return failure();
  // A reduction writes one value per window; a map writes every element
  // of its windows.
  AffineMap written =
      windowKind == utils::IteratorType::reduction ? pooled : *window;
  for (OpOperand &init : op.getDpsInitsMutable())
    if (op.getMatchingIndexingMap(&init) != written)
      return failure();
  if (!bodyVectorizes(op, loops))
    return failure();
  return loops;
}

/// The constant every element of `tensor` holds, if it is made by filling
/// (a linalg.fill, or an scf.forall whose every tile is one: how
/// weft-parallelize-loops leaves a large fill), seen through slices and
/// reshapes. Null otherwise.
Value splatValue(Value tensor) {
  while (true) {
    if (Value initial = weft::initialValue(tensor); initial != tensor) {
      tensor = initial;
      continue;
    }
    Operation *producer = tensor.getDefiningOp();
    if (!producer)
      return {};
    if (auto fill = dyn_cast<linalg::FillOp>(producer)) {
      Value value = fill.getInputs()[0];
      return matchPattern(value, m_Constant()) ? value : Value();
    }
    if (isa<tensor::ExtractSliceOp, tensor::ExpandShapeOp,
            tensor::CollapseShapeOp>(producer)) {
      tensor = producer->getOperand(0);
      continue;
    }
    // A loop of fills: every tile it inserts is filled with one constant,
    // and its initial tensor is empty or filled with that constant too.
    auto forall = dyn_cast<scf::ForallOp>(producer);
    if (!forall)
      return {};
    auto result = cast<OpResult>(tensor);
    BlockArgument shared = forall.getRegionIterArgs()[result.getResultNumber()];
    Value value;
    for (Operation &op : forall.getTerminator().getYieldingOps()) {
      auto insert = cast<tensor::ParallelInsertSliceOp>(op);
      if (insert.getDest() != shared)
        continue;
      auto fill = insert.getSource().getDefiningOp<linalg::FillOp>();
      if (!fill || (value && fill.getInputs()[0] != value) ||
          !matchPattern(fill.getInputs()[0], m_Constant()))
        return {};
      value = fill.getInputs()[0];
    }
    Value init = forall.getOutputs()[result.getResultNumber()];
    if (!value ||
        (!init.getDefiningOp<tensor::EmptyOp>() && splatValue(init) != value))
      return {};
    return value;
  }
}

/// Whether nothing reads `result` after its op: no uses, or only the
/// insertion of its tile into an scf.forall output that nothing reads (the
/// op tiled per image by weft-parallelize-loops).
bool unreadAfter(OpResult result) {
  return llvm::all_of(result.getUses(), [](OpOperand &use) {
    auto insert = dyn_cast<tensor::ParallelInsertSliceOp>(use.getOwner());
    if (!insert || use.getOperandNumber() != 0)
      return false;
    auto shared = dyn_cast<BlockArgument>(insert.getDest());
    auto forall = dyn_cast_or_null<scf::ForallOp>(
        shared ? shared.getOwner()->getParentOp() : nullptr);
    return forall && shared.getArgNumber() >= forall.getRank() &&
           forall.getTiedOpResult(forall.getTiedOpOperand(shared)).use_empty();
  });
}

/// Emits the vector code of `op`, one output row of windows: every operand
/// has unit N, C and OH dimensions. `scratch` holds, for each output that
/// nothing reads after the op and that starts from a constant, that
/// constant (null for the others): such an output starts from it, is not
/// stored, and its result is its init unchanged. Returns the values
/// replacing its results.
SmallVector<Value> vectorizeRow(RewriterBase &rewriter, linalg::GenericOp op,
                                const WindowLoops &loops,
                                ArrayRef<Value> scratch) {
  Location loc = op.getLoc();
  const int64_t kh = loops.kh, ow = loops.ow, kw = loops.kw;
  auto c = [&](int64_t v) {
    return arith::ConstantIndexOp::create(rewriter, loc, v).getResult();
  };
  auto lanesOf = [&](Type element, int64_t n) {
    return VectorType::get({n}, element);
  };
  // A window operand as [KH, OW * KW] (each row contiguous), one value per
  // window as [OW].
  SmallVector<ReassociationIndices> windowRows{{0, 1, 2, 3}, {4, 5}};
  SmallVector<ReassociationIndices> pooledRow{{0, 1, 2, 3}};
  auto isWindow = [&](Value v) {
    return cast<RankedTensorType>(v.getType()).getRank() == kRoles;
  };
  auto collapse = [&](Value v) -> Value {
    return tensor::CollapseShapeOp::create(
        rewriter, loc, v, isWindow(v) ? windowRows : pooledRow);
  };
  auto elementOf = [](Value v) { return getElementTypeOrSelf(v.getType()); };
  auto read = [&](Value rows, ValueRange at, int64_t n) -> Value {
    return vector::TransferReadOp::create(
        rewriter, loc, lanesOf(elementOf(rows), n), rows, at,
        /*padding=*/std::nullopt, ArrayRef<bool>{true});
  };
  // Element `k` of each window in a row of OW * KW: lanes k, k + KW, ...
  auto strided = [&](Value row, int64_t k) -> Value {
    if (kw == 1)
      return row;
    SmallVector<int64_t> lanes;
    for (int64_t i = 0; i < ow; ++i)
      lanes.push_back(k + i * kw);
    return vector::ShuffleOp::create(rewriter, loc, row, row, lanes);
  };
  // The KW vectors of one window row interleaved back into a row: lane i
  // of piece k goes to k + i * KW. Two pieces are one shuffle; more are
  // first joined end to end.
  auto interleave = [&](ArrayRef<Value> pieces) -> Value {
    if (kw == 1)
      return pieces.front();
    Value first = pieces[0], second = pieces[1];
    if (kw > 2) {
      for (Value piece : pieces.drop_front()) {
        int64_t size = cast<VectorType>(first.getType()).getNumElements();
        first = vector::ShuffleOp::create(
            rewriter, loc, first, piece,
            llvm::to_vector(llvm::seq<int64_t>(0, size + ow)));
      }
      second = first;
    }
    SmallVector<int64_t> lanes;
    for (int64_t i = 0; i < ow; ++i)
      for (int64_t k = 0; k < kw; ++k)
        lanes.push_back(k * ow + i);
    return vector::ShuffleOp::create(rewriter, loc, first, second, lanes);
  };

  rewriter.setInsertionPoint(op);
  // Inputs: the window pieces [kh][kw] of window operands, the row of
  // per-window operands.
  SmallVector<Value> inputs = op.getDpsInputs();
  SmallVector<SmallVector<Value>> pieces(inputs.size());
  for (auto [i, input] : llvm::enumerate(inputs)) {
    Value rows = collapse(input);
    if (!isWindow(input)) {
      pieces[i].push_back(read(rows, {c(0)}, ow));
      continue;
    }
    for (int64_t r = 0; r < kh; ++r) {
      Value row = read(rows, {c(r), c(0)}, ow * kw);
      for (int64_t k = 0; k < kw; ++k)
        pieces[i].push_back(strided(row, k));
    }
  }
  // Outputs: a per-window output carries its value from one window element
  // to the next (a reduction); a window output is written piece by piece.
  SmallVector<Value> inits = op.getDpsInits();
  SmallVector<Value> initRows, carried;
  for (auto [o, init] : llvm::enumerate(inits)) {
    initRows.push_back(collapse(init));
    if (isWindow(init))
      carried.push_back(Value());
    else if (scratch[o])
      carried.push_back(vector::BroadcastOp::create(
          rewriter, loc, lanesOf(scratch[o].getType(), ow), scratch[o]));
    else
      carried.push_back(read(initRows.back(), {c(0)}, ow));
  }
  SmallVector<SmallVector<Value>> written(inits.size());

  Block *body = op.getBody();
  unsigned numInputs = inputs.size();
  auto bodyOperands = [&](int64_t r, int64_t k, IRMapping &mapping) {
    for (unsigned i = 0; i < numInputs; ++i)
      mapping.map(body->getArgument(i), pieces[i].size() == 1
                                            ? pieces[i].front()
                                            : pieces[i][r * kw + k]);
    for (unsigned o = 0; o < inits.size(); ++o) {
      BlockArgument arg = body->getArgument(numInputs + o);
      if (carried[o]) {
        mapping.map(arg, carried[o]);
      } else if (!arg.use_empty()) {
        // A window output whose old value is read: its piece of the init.
        Value row = read(initRows[o], {c(r), c(0)}, ow * kw);
        mapping.map(arg, strided(row, k));
      }
    }
  };

  // Window elements in the op's loop order, so that a reduction combines
  // them as its scalar loops did.
  bool khFirst = loops.loop[kKH] < loops.loop[kKW];
  for (int64_t outer = 0; outer < (khFirst ? kh : kw); ++outer) {
    for (int64_t inner = 0; inner < (khFirst ? kw : kh); ++inner) {
      int64_t r = khFirst ? outer : inner, k = khFirst ? inner : outer;
      IRMapping mapping;
      bodyOperands(r, k, mapping);
      for (Operation &scalar : body->without_terminator()) {
        if (auto index = dyn_cast<linalg::IndexOp>(scalar)) {
          mapping.map(index.getResult(),
                      c(index.getDim() == loops.loop[kKH] ? r : k));
          continue;
        }
        SmallVector<Value> operands =
            llvm::map_to_vector(scalar.getOperands(), [&](Value v) {
              return mapping.lookupOrDefault(v);
            });
        bool anyVector = llvm::any_of(
            operands, [](Value v) { return isa<VectorType>(v.getType()); });
        if (!anyVector) {
          rewriter.clone(scalar, mapping);
          continue;
        }
        // Scalars (a constant, a window index) meet the lanes broadcast;
        // the op itself is cloned (properties and flags kept) with vector
        // operands and result.
        IRMapping lanesMapping;
        for (auto [scalarOperand, operand] :
             llvm::zip(scalar.getOperands(), operands)) {
          if (!isa<VectorType>(operand.getType()))
            operand = vector::BroadcastOp::create(
                rewriter, loc, lanesOf(operand.getType(), ow), operand);
          lanesMapping.map(scalarOperand, operand);
        }
        Operation *lanes = rewriter.clone(scalar, lanesMapping);
        lanes->getResult(0).setType(lanesOf(scalar.getResult(0).getType(), ow));
        mapping.map(scalar.getResult(0), lanes->getResult(0));
      }
      auto yield = cast<linalg::YieldOp>(body->getTerminator());
      for (auto [o, value] : llvm::enumerate(yield.getValues())) {
        Value lanes = mapping.lookupOrDefault(value);
        if (!isa<VectorType>(lanes.getType()))
          lanes = vector::BroadcastOp::create(
              rewriter, loc, lanesOf(lanes.getType(), ow), lanes);
        if (carried[o])
          carried[o] = lanes;
        else
          written[o].push_back(lanes);
      }
    }
  }

  // Write each output's row(s) and view it in the op's shape again.
  SmallVector<Value> results;
  for (auto [o, init] : llvm::enumerate(inits)) {
    if (scratch[o] && carried[o]) {
      results.push_back(init);
      continue;
    }
    Value rows = initRows[o];
    if (carried[o]) {
      rows = vector::TransferWriteOp::create(rewriter, loc, carried[o], rows,
                                             ValueRange{c(0)},
                                             ArrayRef<bool>{true})
                 .getResult();
    } else {
      for (int64_t r = 0; r < kh; ++r) {
        // Pieces were made in the op's loop order: window row r's are
        // [r][0..KW) with KH outermost, [0..KW)[r] otherwise.
        SmallVector<Value> row;
        for (int64_t k = 0; k < kw; ++k)
          row.push_back(written[o][khFirst ? r * kw + k : k * kh + r]);
        rows = vector::TransferWriteOp::create(rewriter, loc, interleave(row),
                                               rows, ValueRange{c(r), c(0)},
                                               ArrayRef<bool>{true})
                   .getResult();
      }
    }
    results.push_back(
        tensor::ExpandShapeOp::create(rewriter, loc, init.getType(), rows,
                                      isWindow(init) ? windowRows : pooledRow));
  }
  return results;
}

struct VectorizeWindowsPass
    : public weft::impl::VectorizeWindowsPassBase<VectorizeWindowsPass> {
  using VectorizeWindowsPassBase::VectorizeWindowsPassBase;

  void runOnOperation() override {
    SmallVector<std::pair<linalg::GenericOp, WindowLoops>> candidates;
    getOperation().walk([&](linalg::GenericOp op) {
      if (FailureOr<WindowLoops> loops = matchWindows(op, maxLanes);
          succeeded(loops))
        candidates.emplace_back(op, *loops);
    });

    IRRewriter rewriter(&getContext());
    for (auto [op, loops] : candidates) {
      // An output read after the op by nothing (the running maximum of a
      // first-max positions op) that starts from a constant (-inf) needs
      // no memory: its init, often shared with the pool that fills the
      // same constant, becomes an empty tensor of its own, never read.
      SmallVector<Value> scratch, originalInits = op.getDpsInits();
      for (OpOperand &init : op.getDpsInitsMutable()) {
        Value value;
        if (unreadAfter(op.getTiedOpResult(&init)) &&
            op.getMatchingIndexingMap(&init) ==
                pooledMap(loops, op.getContext()))
          value = splatValue(init.get());
        if (value) {
          rewriter.setInsertionPoint(op);
          Value empty = tensor::EmptyOp::create(
              rewriter, op.getLoc(),
              tensor::getMixedSizes(rewriter, op.getLoc(), init.get()),
              getElementTypeOrSelf(init.get().getType()));
          rewriter.modifyOpInPlace(op, [&] { init.set(empty); });
        }
        scratch.push_back(value);
      }
      // One output row per step: N, C and OH tiled by one.
      SmallVector<int64_t> sizes(kRoles, 0);
      for (Role role : {kN, kC, kOH})
        sizes[loops.loop[role]] = 1;
      scf::SCFTilingOptions options;
      options.setTileSizes(getAsIndexOpFoldResult(&getContext(), sizes));
      rewriter.setInsertionPoint(op);
      FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
          rewriter, cast<TilingInterface>(op.getOperation()), options);
      if (failed(tiled)) {
        // Left as it is: it reads its inits again.
        rewriter.modifyOpInPlace(op, [&] {
          for (auto [init, original] :
               llvm::zip(op.getDpsInitsMutable(), originalInits))
            init.set(original);
        });
        continue;
      }
      rewriter.replaceOp(op, tiled->replacements);
      auto row = cast<linalg::GenericOp>(tiled->tiledOps.front());
      if (remarks)
        row.emitRemark() << "pool windows vectorised: one output row of "
                         << loops.ow << " lanes a step, each input row of "
                         << loops.ow * loops.kw
                         << " loaded once and split by shuffles";
      rewriter.replaceOp(row, vectorizeRow(rewriter, row, loops, scratch));
    }
  }
};

} // namespace
