//===- TileAndVectorize.cpp - Register blocks for multiply-accumulate -----===//
//
// See weft-tile-and-vectorize in Passes.td. Upstream supplies every step
// (scf tiling, unit-dimension folding, the linalg vectoriser; after this
// pass, canonicalisation and loop-invariant subset hoisting); what this pass
// adds is the choice of tiles for the generic, non-named convolutions and
// matmuls Weft lowers to.
//
// The block is an outer product: with the output's contiguous dimension v
// as vector lanes and one other output dimension r as rows,
//
//   acc[r, v] += a[r] * b[v]     (a broadcast along v, b along r)
//
// where `a` and `b` are the operands of the multiply at one point of the
// reduction. For a forward convolution v is the output column, r the output
// channel; for a matmul v is the output column, r the row.
//
//===----------------------------------------------------------------------===//

#include "passes/Activations.h"
#include "passes/LoopWork.h"
#include "passes/MultiplyAdd.h"
#include "passes/Passes.h"
#include "passes/ZeroPadding.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

#include "llvm/Support/FormatVariadic.h"

namespace mlir::weft {
#define GEN_PASS_DEF_TILEANDVECTORIZEPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

using utils::IteratorType;

/// How one kernel is blocked. The outer loops step over blocks
/// (`parallelTiles`, 0 for reduction loops). Inside a block, with
/// `partialDim` >= 0, that reduction loop is cut into `lanes`-wide pieces
/// whose partial sums are kept per lane and added up once at the end; every
/// other reduction loop steps by one.
struct BlockPlan {
  SmallVector<int64_t> parallelTiles;
  int64_t lanesDim = -1, rowsDim = -1;
  int64_t lanes = 0, rows = 1;
  int64_t partialDim = -1;
  /// With partial sums, rows along a second dimension, which the other
  /// input moves along: each step loads rows + rows2 vectors for
  /// rows x rows2 multiply-adds.
  int64_t rows2Dim = -1, rows2 = 1;
  bool parallel = false;
  /// The order of the loops over blocks, outermost first (empty: the
  /// kernel's own).
  SmallVector<int64_t> blockOrder;
};

/// Independent accumulators a block needs so that its multiply-adds do not
/// wait on each other: two FMA pipes, four cycles' latency each.
constexpr int64_t kLatencyHidingAccumulators = 8;

/// Whether `map` reads dimension `dim` (in any result expression).
bool uses(AffineMap map, unsigned dim) { return map.isFunctionOfDim(dim); }

/// Whether the innermost (contiguous) index of `map` moves with `dim`.
bool contiguousIn(AffineMap map, unsigned dim) {
  return map.getNumResults() > 0 &&
         map.getResults().back().isFunctionOfDim(dim);
}

/// The lanes a dimension of `extent` iterations is cut into: all of it when
/// it fits in a few registers (11 lanes are one register, partly used; 84
/// are six), else whole vectors dividing it; 0 if neither.
int64_t lanesFor(int64_t extent, int64_t vectorWidth) {
  if (ShapedType::isDynamic(extent) || extent < 4)
    return 0;
  if (extent <= 8 * vectorWidth)
    return extent;
  for (int64_t candidate : {4 * vectorWidth, 2 * vectorWidth, vectorWidth})
    if (extent % candidate == 0)
      return candidate;
  return 0;
}

/// Whether `lanes` fill whole registers of `vectorWidth` lanes or one
/// power of two: LLVM then needs no shuffles to assemble them.
bool evenWidth(int64_t lanes, int64_t vectorWidth) {
  return lanes % vectorWidth == 0 || llvm::isPowerOf2_64(uint64_t(lanes));
}

/// What `lanes` are worth in a block: odd widths count half, for the
/// shuffling LLVM adds (a 4-lane row beats 5 lanes of partial sums; 8 and
/// 28 lanes beat 5).
double usefulLanes(int64_t lanes, int64_t vectorWidth) {
  return evenWidth(lanes, vectorWidth) ? double(lanes) : double(lanes) / 2;
}

/// Where to split `lanes` so that every piece vectorises into whole
/// registers of `vectorWidth` lanes or one power of two of at least 4: the
/// longest such prefix (28 = 16 + 12, then 12 = 8 + 4). `lanes` itself when
/// it is such a piece already, or when it is no multiple of 4 (some piece
/// would be odd again).
int64_t evenLanes(int64_t lanes, int64_t vectorWidth) {
  if (evenWidth(lanes, vectorWidth) || lanes % 4 != 0)
    return lanes;
  return lanes > vectorWidth ? lanes - lanes % vectorWidth
                             : int64_t(llvm::bit_floor(uint64_t(lanes)));
}

/// The largest divisor of `extent` that is at most `atMost` (at least 1):
/// how many rows a block takes along a dimension without a partial block.
int64_t largestDivisor(int64_t extent, int64_t atMost) {
  for (int64_t candidate = atMost; candidate > 1; --candidate)
    if (extent % candidate == 0)
      return candidate;
  return 1;
}

/// Whether every result of `map` that reads `dim` reads no other dimension
/// in `wide`: once the block's unit dimensions are dropped, the operand is
/// then indexed by `dim` alone there, which the vectoriser accepts (a
/// kernel row `kh + oh` with `oh` stepped by one, but not `kw + ow` with
/// `ow` the lanes).
bool readsAlone(AffineMap map, unsigned dim, ArrayRef<int64_t> wide) {
  for (AffineExpr result : map.getResults()) {
    if (!result.isFunctionOfDim(dim))
      continue;
    for (int64_t other : wide)
      if (other >= 0 && unsigned(other) != dim &&
          result.isFunctionOfDim(unsigned(other)))
        return false;
  }
  return true;
}

/// With lanes along a reduction both inputs are loaded as vectors at every
/// step, and rows along a dimension of one input reuse the other's vector
/// only: 16 rows take 17 loads for 16 multiply-adds. Rows along a second
/// dimension, of the other input, reuse both (a weight gradient's output
/// channels and kernel rows: 4 x 3 rows take 7 loads for 12). Adds them to
/// `plan` when that loads less per multiply-add.
void addSecondRows(BlockPlan &plan, ArrayRef<int64_t> ranges,
                   ArrayRef<IteratorType> iterators, AffineMap a, AffineMap b,
                   int64_t registers, int64_t registersPerRow, bool fewest) {
  AffineMap rowMover = uses(a, plan.rowsDim) ? a : b;
  AffineMap other = rowMover == a ? b : a;
  auto perLoad = [](int64_t rows, int64_t rows2) {
    return double(rows * rows2) / double(rows + rows2);
  };
  double best = perLoad(plan.rows, 1);
  std::optional<std::pair<int64_t, int64_t>> chosen;
  for (unsigned d = 0; d < ranges.size(); ++d) {
    if (int64_t(d) == plan.lanesDim || int64_t(d) == plan.rowsDim ||
        iterators[d] != IteratorType::parallel ||
        ShapedType::isDynamic(ranges[d]))
      continue;
    // For latency, rows may also follow the rows' own input when it is
    // broadcast (not read along the lanes): one more scalar per row.
    bool alongOther = uses(other, d) && !uses(rowMover, d) &&
                      readsAlone(other, d, {plan.lanesDim, plan.rowsDim});
    bool alongBroadcast = fewest && uses(rowMover, d) && !uses(other, d) &&
                          !uses(rowMover, plan.lanesDim) &&
                          readsAlone(rowMover, d, {plan.rowsDim});
    if (!alongOther && !alongBroadcast)
      continue;
    if (fewest) {
      // The fewest second rows that hide the latency, the block's rows
      // unchanged: each extra row reaches further into any zero padding
      // the input has, whose steps are then no longer skipped.
      for (int64_t rows2 = 2; rows2 <= std::min<int64_t>(ranges[d], 8);
           ++rows2) {
        if (ranges[d] % rows2 != 0)
          continue;
        // Fewer first rows where both no longer fit the registers (6 x 5
        // of a 5-wide kernel become 3 x 5).
        int64_t rows = largestDivisor(ranges[plan.rowsDim],
                                      registers / (registersPerRow * rows2));
        if (rows * rows2 * registersPerRow < kLatencyHidingAccumulators)
          continue;
        if (!chosen || rows2 < chosen->second) {
          chosen = {rows, rows2};
          plan.rows2Dim = d;
        }
        break;
      }
      continue;
    }
    // Every divisor up to 8 of the dimension (a kernel's 3 or 5 rows whole):
    // the most multiply-adds per load, within the registers.
    for (int64_t rows2 = 2; rows2 <= std::min<int64_t>(ranges[d], 8); ++rows2) {
      if (ranges[d] % rows2 != 0)
        continue;
      int64_t rows = largestDivisor(ranges[plan.rowsDim],
                                    registers / (registersPerRow * rows2));
      if (perLoad(rows, rows2) > best) {
        best = perLoad(rows, rows2);
        plan.rows = rows;
        plan.rows2 = rows2;
        plan.rows2Dim = d;
      }
    }
  }
  if (chosen)
    std::tie(plan.rows, plan.rows2) = *chosen;
}

/// A block of one row (no static dimension for rows: a dense layer's input
/// gradient, whose rows would be the batch) is one chain of dependent
/// multiply-adds per register of lanes. Takes more registers of the lanes'
/// dimension, up to those that hide the latency, in whole registers that
/// divide it (lenet's fc1: 400 inputs as blocks of 80, not 16).
void widenSingleRow(BlockPlan &plan, int64_t extent, int64_t vectorWidth) {
  if (ShapedType::isDynamic(extent) || plan.lanes % vectorWidth != 0)
    return;
  for (int64_t registers = kLatencyHidingAccumulators;
       registers * vectorWidth > plan.lanes; --registers) {
    if (extent % (registers * vectorWidth) == 0) {
      plan.lanes = registers * vectorWidth;
      return;
    }
  }
}

/// Loops over the blocks of a one-row kernel that keep its largest input's
/// tile in cache: the loops that input moves along outermost, the others
/// (a dense layer's batch, for its weight) innermost, so that consecutive
/// blocks read the same tile. Without it, lenet's fc1 input gradient reads
/// its whole weight (192 KB) from L2 once per example.
SmallVector<int64_t> reuseOrder(linalg::GenericOp op) {
  OpOperand *largest = nullptr;
  for (OpOperand *input : op.getDpsInputOperands())
    if (!largest || weft::elementsPerBatchRow(input->get()) >
                        weft::elementsPerBatchRow(largest->get()))
      largest = input;
  AffineMap map = op.getMatchingIndexingMap(largest);
  SmallVector<int64_t> moving, still;
  for (unsigned d = 0; d < op.getNumLoops(); ++d)
    (map.isFunctionOfDim(d) ? moving : still).push_back(d);
  llvm::append_range(moving, still);
  return moving;
}

/// Why `op` cannot be blocked, or the plan to block it.
FailureOr<BlockPlan> planBlock(linalg::GenericOp op, int64_t vectorWidth,
                               int64_t registers, int64_t parallelWork,
                               std::string &why) {
  if (op.getNumDpsInits() != 1 || op.getNumDpsInputs() != 2 ||
      !op.hasPureTensorSemantics()) {
    why = "not a two-input, one-output kernel on tensors";
    return failure();
  }
  SmallVector<IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  AffineMap a = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  AffineMap b = op.getMatchingIndexingMap(op.getDpsInputOperand(1));
  if (!out.isProjectedPermutation()) {
    why = "the output is not indexed by loop dimensions alone";
    return failure();
  }

  BlockPlan plan;
  // Lanes along the output's contiguous dimension when it is long enough
  // (convolutions, matmuls with a contiguous right operand); otherwise
  // along a reduction loop contiguous in an input, with one partial sum per
  // lane (weight gradients, whose output rows are kernel-wide; dense layers,
  // whose weight rows are contiguous in the reduction).
  // A lane must be a contiguous load in every input that moves with it (a
  // dense layer's weight [out, in] moves with the output column at a stride).
  auto contiguousWherever = [&](unsigned d) {
    return (!uses(a, d) || contiguousIn(a, d)) &&
           (!uses(b, d) || contiguousIn(b, d));
  };
  auto last = dyn_cast<AffineDimExpr>(out.getResults().back());
  if (last && iterators[last.getPosition()] == IteratorType::parallel &&
      contiguousWherever(last.getPosition())) {
    plan.lanes = lanesFor(ranges[last.getPosition()], vectorWidth);
    plan.lanesDim = plan.lanes ? last.getPosition() : -1;
  }
  // A short output row (a 5-wide kernel's weight gradient) fills a fraction
  // of a register; a longer contiguous reduction fills more of it.
  if (plan.lanes < vectorWidth) {
    for (unsigned d = 0; d < op.getNumLoops(); ++d) {
      if (iterators[d] != IteratorType::reduction || !contiguousWherever(d) ||
          uses(out, d))
        continue;
      int64_t lanes = lanesFor(ranges[d], vectorWidth);
      if (usefulLanes(lanes, vectorWidth) >
          usefulLanes(plan.lanes, vectorWidth)) {
        plan.lanes = lanes;
        plan.lanesDim = plan.partialDim = d;
        break;
      }
    }
  }
  if (!plan.lanes) {
    why = "neither the output's contiguous dimension nor a reduction "
          "contiguous in an input is static and at least 4 long";
    return failure();
  }

  // Rows: an output dimension only one input moves along, so that the other
  // input's vector is loaded once per step for every row. Best is an input
  // that does not move with the lanes either (a convolution's weight along
  // output channels): each row then takes one broadcast scalar, where rows
  // along the other input (output rows of the image) each load a vector.
  int64_t registersPerRow = (plan.lanes + vectorWidth - 1) / vectorWidth;
  bool broadcastRows = false;
  for (unsigned d = 0; d < op.getNumLoops(); ++d) {
    if (int64_t(d) == plan.lanesDim || iterators[d] != IteratorType::parallel ||
        ShapedType::isDynamic(ranges[d]) || uses(a, d) == uses(b, d))
      continue;
    AffineMap mover = uses(a, d) ? a : b;
    bool broadcast = !uses(mover, plan.lanesDim);
    if (broadcastRows && !broadcast)
      continue;
    int64_t best = broadcast && !broadcastRows ? 1 : plan.rows;
    int64_t rows = largestDivisor(ranges[d], registers / registersPerRow);
    if (rows > best) {
      plan.rows = rows;
      plan.rowsDim = d;
      broadcastRows = broadcast;
    }
  }

  // Without partial sums, a block of few accumulators waits on each
  // multiply-add's latency (lenet's conv2 input gradient: 6 rows of one
  // register); rows along a second dimension give it independent sums.
  if (plan.rowsDim >= 0 && plan.partialDim >= 0)
    addSecondRows(plan, ranges, iterators, a, b, registers, registersPerRow,
                  /*fewest=*/false);
  else if (plan.rowsDim >= 0 &&
           plan.rows * registersPerRow < kLatencyHidingAccumulators)
    addSecondRows(plan, ranges, iterators, a, b, registers, registersPerRow,
                  /*fewest=*/true);
  else if (plan.rowsDim < 0 && plan.partialDim < 0) {
    widenSingleRow(plan, ranges[plan.lanesDim], vectorWidth);
    plan.blockOrder = reuseOrder(op);
  }

  for (unsigned d = 0; d < op.getNumLoops(); ++d) {
    int64_t tile = int64_t(d) == plan.lanesDim   ? plan.lanes
                   : int64_t(d) == plan.rowsDim  ? plan.rows
                   : int64_t(d) == plan.rows2Dim ? plan.rows2
                                                 : 1;
    plan.parallelTiles.push_back(
        iterators[d] == IteratorType::reduction ? 0 : tile);
  }
  // Starting and joining threads costs a few microseconds, more than a small
  // kernel's whole work: below `parallelWork` multiply-adds, one thread.
  plan.parallel = weft::estimatedIterations(ranges) >= parallelWork;
  return plan;
}

/// The plan in words, for remarks: loops are named by their position.
std::string describe(const BlockPlan &plan) {
  std::string text =
      llvm::formatv("kernel vectorised: blocks of {0} row(s) x {1} lanes "
                    "(lanes: loop {2}",
                    plan.rows, plan.lanes, plan.lanesDim)
          .str();
  if (plan.rowsDim >= 0)
    text += llvm::formatv(", rows: loop {0}", plan.rowsDim).str();
  if (plan.rows2Dim >= 0)
    text += llvm::formatv(" x {0} (loop {1})", plan.rows2, plan.rows2Dim).str();
  text += ")";
  if (plan.partialDim >= 0)
    text += ", one partial sum per lane";
  text += plan.parallel ? ", blocks in parallel" : ", blocks in sequence";
  return text;
}

/// Tiles `op` as `options` say and returns the tiled op, or sets `why` to
/// "<what> failed". Ops that merge partial results afterwards are appended
/// to `mergeOps`.
FailureOr<linalg::GenericOp>
tile(RewriterBase &rewriter, linalg::GenericOp op,
     const scf::SCFTilingOptions &options, StringRef what, std::string &why,
     SmallVectorImpl<Operation *> *mergeOps = nullptr,
     SmallVector<LoopLikeOpInterface> *loops = nullptr) {
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(tiled)) {
    why = (what + " failed").str();
    return failure();
  }
  rewriter.replaceOp(op, tiled->replacements);
  if (mergeOps)
    llvm::append_range(*mergeOps, tiled->mergeOps);
  if (loops)
    *loops = tiled->loops;
  return cast<linalg::GenericOp>(tiled->tiledOps.back());
}

/// Vectorises `op` in place, or sets `why`.
LogicalResult vectorizeInPlace(RewriterBase &rewriter, Operation *op,
                               StringRef what, std::string &why) {
  if (failed(linalg::vectorizeOpPrecondition(op))) {
    why = ("the vectoriser does not accept " + what).str();
    return failure();
  }
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::VectorizationResult> vectors =
      linalg::vectorize(rewriter, op);
  if (failed(vectors)) {
    why = ("vectorising " + what + " failed").str();
    return failure();
  }
  rewriter.replaceOp(op, vectors->replacements);
  return success();
}

/// Drops the unit dimensions of `op` (one step or tile of a block) and
/// vectorises what is left, or sets `why`.
LogicalResult foldUnitDimsAndVectorize(RewriterBase &rewriter,
                                       linalg::GenericOp op, StringRef what,
                                       std::string &why) {
  linalg::ControlDropUnitDims control;
  control.rankReductionStrategy =
      linalg::ControlDropUnitDims::RankReductionStrategy::ExtractInsertSlice;
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::DropUnitDimsResult> folded =
      linalg::dropUnitDims(rewriter, op, control);
  Operation *kernel = op;
  if (succeeded(folded)) {
    rewriter.replaceOp(op, folded->replacements);
    kernel = folded->resultOp;
  }
  return vectorizeInPlace(rewriter, kernel, what, why);
}

/// The activation that is the only user of `kernel`'s result, in its shape,
/// which a block can apply to its accumulators before storing them; null
/// if there is none.
linalg::GenericOp epilogueOf(linalg::GenericOp kernel) {
  Value result = kernel->getResult(0);
  if (!result.hasOneUse())
    return {};
  auto user = dyn_cast<linalg::GenericOp>(*result.getUsers().begin());
  if (!weft::isActivation(user) ||
      user->getResult(0).getType() != result.getType())
    return {};
  return user;
}

/// A convolution's activation reads its result through a reshape (the group
/// dimension dropped, or a pool's windows split out): act(reshape(conv)).
/// The activation commutes with the reshape, so this makes it
/// reshape(act(conv)), with the activation in the kernel's shape, where
/// epilogueOf finds it.
void sinkReshapeBelowActivation(RewriterBase &rewriter,
                                linalg::GenericOp kernel) {
  Value result = kernel->getResult(0);
  if (!result.hasOneUse())
    return;
  Operation *reshape = *result.getUsers().begin();
  if (!isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(reshape) ||
      !reshape->getResult(0).hasOneUse())
    return;
  auto activation =
      dyn_cast<linalg::GenericOp>(*reshape->getResult(0).getUsers().begin());
  if (!weft::isActivation(activation))
    return;
  Location loc = activation.getLoc();
  auto type = cast<RankedTensorType>(result.getType());
  rewriter.setInsertionPoint(activation);
  // Sized like the kernel's output (its init): a tensor.dim of the result
  // itself would be a second user.
  Value init = tensor::EmptyOp::create(
      rewriter, loc,
      tensor::getMixedSizes(rewriter, loc, kernel.getDpsInitOperand(0)->get()),
      type.getElementType());
  SmallVector<AffineMap> maps(2,
                              rewriter.getMultiDimIdentityMap(type.getRank()));
  SmallVector<IteratorType> iterators(type.getRank(), IteratorType::parallel);
  auto moved = linalg::GenericOp::create(rewriter, loc, TypeRange{type},
                                         ValueRange{result}, ValueRange{init},
                                         maps, iterators);
  rewriter.cloneRegionBefore(activation.getRegion(), moved.getRegion(),
                             moved.getRegion().end());
  IRMapping mapping;
  mapping.map(result, moved->getResult(0));
  Operation *after = rewriter.clone(*reshape, mapping);
  rewriter.replaceOp(activation, after->getResults());
  rewriter.eraseOp(reshape);
}

/// Tiles `epilogue` into the blocks `plan` gives its producer `op`, with `op`
/// fused into each: the block computes its tile of `op` and then the
/// epilogue's, and `op`'s result is never stored whole. Returns `op`'s tile
/// and sets `epilogueTile`; on failure the IR is unchanged.
FailureOr<linalg::GenericOp> tileWithEpilogue(RewriterBase &rewriter,
                                              linalg::GenericOp op,
                                              linalg::GenericOp epilogue,
                                              const BlockPlan &plan,
                                              linalg::GenericOp &epilogueTile) {
  // The epilogue's loops are the kernel's output dimensions.
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  SmallVector<int64_t> sizes;
  for (unsigned i = 0; i < out.getNumResults(); ++i)
    sizes.push_back(plan.parallelTiles[out.getDimPosition(i)]);
  scf::SCFTileAndFuseOptions options;
  options.tilingOptions.setTileSizes(
      getAsIndexOpFoldResult(rewriter.getContext(), sizes));
  if (plan.parallel)
    options.tilingOptions.setLoopType(
        scf::SCFTilingOptions::LoopType::ForallOp);
  // Only the kernel: what produces its inputs is computed once, outside.
  options.setFusionControlFn(
      [&](tensor::ExtractSliceOp, OpResult producer,
          bool) -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
        if (producer.getOwner() == op.getOperation())
          return scf::SCFTileAndFuseOptions::ControlFnResult{};
        return std::nullopt;
      });
  rewriter.setInsertionPoint(epilogue);
  FailureOr<scf::SCFTileAndFuseResult> fused =
      scf::tileConsumerAndFuseProducersUsingSCF(
          rewriter, cast<TilingInterface>(epilogue.getOperation()), options);
  if (failed(fused))
    return failure();
  if (!fused->fusedProducers.contains(op)) {
    // The epilogue was tiled alone: drop those loops, nothing uses them.
    if (!fused->loops.empty())
      rewriter.eraseOp(fused->loops.front());
    return failure();
  }
  linalg::GenericOp block;
  for (Operation *tiled : fused->tiledAndFusedOps) {
    auto generic = dyn_cast<linalg::GenericOp>(tiled);
    if (generic && generic.getNumReductionLoops() > 0)
      block = generic;
    else if (generic && !epilogueTile)
      epilogueTile = generic;
  }
  for (auto [original, replacement] : fused->replacements)
    rewriter.replaceAllUsesWith(original, replacement);
  rewriter.eraseOp(epilogue);
  // Tiling sized the loops by the kernel's result (tensor.dim); its output
  // tensor has the same shape and is computed anyway. Anything else still
  // reading the whole result keeps the kernel.
  Value result = op->getResult(0);
  Value init = op.getDpsInitOperand(0)->get();
  for (OpOperand &use : llvm::make_early_inc_range(result.getUses()))
    if (isa<tensor::DimOp>(use.getOwner()))
      rewriter.modifyOpInPlace(use.getOwner(), [&] { use.set(init); });
  if (result.use_empty())
    rewriter.eraseOp(op);
  return block;
}

/// A reduction loop of a block whose steps may be cut to those where an
/// input reads something other than zero padding: the input is read along
/// one dimension at `p + r`, p a parallel loop of `rows` in the block and r
/// the reduction's `steps`, and is nonzero only in `nonzero`.
struct PaddingSkip {
  unsigned reductionDim;
  int64_t rows, steps;
  weft::NonzeroRange nonzero;
};

/// The reduction loops of `block` (a tile of a multiply-add kernel) that
/// may skip steps reading only padding. A convolution's input gradient
/// reads the output gradient padded by kernel - 1 rows on each side; for
/// an output row near the edge, most kernel rows read padding (lenet's
/// conv2: 470k multiply-adds per image, 240k of them useful).
SmallVector<PaddingSkip> paddingSkips(linalg::GenericOp block) {
  SmallVector<PaddingSkip> skips;
  SmallVector<int64_t> ranges = block.getStaticLoopRanges();
  SmallVector<IteratorType> iterators = block.getIteratorTypesArray();
  for (OpOperand *input : block.getDpsInputOperands()) {
    if (!weft::addsProductOf(block, input))
      continue;
    AffineMap map = block.getMatchingIndexingMap(input);
    for (auto [dim, result] : llvm::enumerate(map.getResults())) {
      auto sum = dyn_cast<AffineBinaryOpExpr>(result);
      if (!sum || sum.getKind() != AffineExprKind::Add)
        continue;
      auto lhs = dyn_cast<AffineDimExpr>(sum.getLHS());
      auto rhs = dyn_cast<AffineDimExpr>(sum.getRHS());
      if (!lhs || !rhs)
        continue;
      unsigned p = lhs.getPosition(), r = rhs.getPosition();
      if (iterators[p] == IteratorType::reduction)
        std::swap(p, r);
      if (iterators[p] != IteratorType::parallel ||
          iterators[r] != IteratorType::reduction ||
          ShapedType::isDynamic(ranges[p]) || ShapedType::isDynamic(ranges[r]))
        continue;
      std::optional<weft::NonzeroRange> nonzero =
          weft::nonzeroRangeAlong(input->get(), dim);
      if (!nonzero)
        continue;
      // Offsets are at least 0 and at most length - (rows + steps - 1):
      // skip nothing when no offset can reach the padding.
      bool skipsFirst = nonzero->begin - ranges[p] + 1 > 0;
      bool skipsLast = ShapedType::isDynamic(nonzero->length) ||
                       nonzero->end + ranges[p] - 1 < nonzero->length;
      if (skipsFirst || skipsLast)
        skips.push_back({r, ranges[p], ranges[r], *nonzero});
    }
  }
  return skips;
}

/// Narrows `loop`, the reduction loop of `skip` (from 0 to its steps, by
/// one), to [max(0, begin - rows + 1 - offset), min(steps, end - offset)),
/// the steps whose rows reach the nonzero range.
void skipPadding(RewriterBase &rewriter, scf::ForOp loop,
                 const PaddingSkip &skip) {
  Location loc = loop.getLoc();
  rewriter.setInsertionPoint(loop);
  MLIRContext *context = rewriter.getContext();
  // The offset: the sum of the slices' offsets.
  SmallVector<OpFoldResult> offsets = skip.nonzero.offsets;
  AffineExpr total = getAffineConstantExpr(0, context);
  for (unsigned i = 0; i < offsets.size(); ++i)
    total = total + getAffineSymbolExpr(i, context);
  auto bound = [&](std::initializer_list<AffineExpr> results) {
    return AffineMap::get(0, offsets.size(), results, context);
  };
  AffineExpr zero = getAffineConstantExpr(0, context);
  OpFoldResult first = affine::makeComposedFoldedAffineMax(
      rewriter, loc, bound({zero, skip.nonzero.begin - skip.rows + 1 - total}),
      offsets);
  OpFoldResult last = affine::makeComposedFoldedAffineMin(
      rewriter, loc,
      bound({getAffineConstantExpr(skip.steps, context),
             skip.nonzero.end - total}),
      offsets);
  rewriter.modifyOpInPlace(loop, [&] {
    loop.setLowerBound(getValueOrCreateConstantIndexOp(rewriter, loc, first));
    loop.setUpperBound(getValueOrCreateConstantIndexOp(rewriter, loc, last));
  });
}

/// Tiles, folds and vectorises `op` as `plan` says, with `epilogue` (if
/// any) applied to each block before it is stored; `epilogue` is cleared if
/// it could not be. On failure the IR may hold a tiled but scalar kernel,
/// which is still correct.
LogicalResult blockKernel(RewriterBase &rewriter, linalg::GenericOp op,
                          const BlockPlan &plan, linalg::GenericOp &epilogue,
                          std::string &why) {
  MLIRContext *context = rewriter.getContext();
  FailureOr<linalg::GenericOp> block;
  linalg::GenericOp epilogueTile;
  // Without the epilogue if it cannot be fused (the IR is then as it was).
  if (epilogue)
    block = tileWithEpilogue(rewriter, op, epilogue, plan, epilogueTile);
  if (!epilogue || failed(block)) {
    epilogue = {};
    epilogueTile = {};
    scf::SCFTilingOptions outer;
    outer.setTileSizes(getAsIndexOpFoldResult(context, plan.parallelTiles));
    // Blocks write disjoint tiles of the output: as an scf.forall they may
    // run on several threads (the CPU pipeline makes them an OpenMP loop).
    if (plan.parallel)
      outer.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
    outer.setInterchange(plan.blockOrder);
    block = tile(rewriter, op, outer, "tiling the parallel loops", why);
  }
  if (failed(block))
    return failure();
  // The epilogue's tile reads the block's result: vectorised, it reads the
  // accumulators straight from registers once canonicalisation forwards
  // the block's write to its read.
  if (epilogueTile &&
      failed(vectorizeInPlace(rewriter, epilogueTile, "the epilogue", why)))
    return failure();

  // A reduction along the lanes keeps one partial sum per lane, in a
  // block-sized buffer, and adds them up after its loop.
  SmallVector<Operation *> mergeOps;
  if (plan.partialDim >= 0) {
    SmallVector<int64_t> pieces(block->getNumLoops(), 0);
    pieces[plan.partialDim] = plan.lanes;
    scf::SCFTilingOptions partial;
    partial.setTileSizes(getAsIndexOpFoldResult(context, pieces));
    partial.setReductionTilingStrategy(
        ReductionTilingStrategy::PartialReductionOuterReduction);
    partial.setReductionDims({unsigned(plan.partialDim)});
    block = tile(rewriter, *block, partial,
                 "splitting the reduction into per-lane partial sums", why,
                 &mergeOps);
    if (failed(block))
      return failure();
  }

  // Steps that read only zero padding add nothing: the reduction loops skip
  // them (not with partial sums, whose block is a different op).
  SmallVector<PaddingSkip> skips;
  if (plan.partialDim < 0)
    skips = paddingSkips(*block);

  SmallVector<unsigned> reductionDims;
  SmallVector<int64_t> ones;
  for (utils::IteratorType iterator : block->getIteratorTypesArray()) {
    bool reduction = iterator == utils::IteratorType::reduction;
    if (reduction)
      reductionDims.push_back(ones.size());
    ones.push_back(reduction ? 1 : 0);
  }
  scf::SCFTilingOptions inner;
  inner.setTileSizes(getAsIndexOpFoldResult(context, ones));
  inner.setReductionDims(reductionDims);
  SmallVector<LoopLikeOpInterface> loops;
  FailureOr<linalg::GenericOp> step =
      tile(rewriter, *block, inner, "tiling the reduction loops", why, nullptr,
           &loops);
  if (failed(step))
    return failure();
  for (const PaddingSkip &skip : skips) {
    // One loop per reduction dimension, in order.
    unsigned position =
        llvm::find(reductionDims, skip.reductionDim) - reductionDims.begin();
    if (auto loop = dyn_cast_or_null<scf::ForOp>(
            position < loops.size() ? loops[position].getOperation() : nullptr))
      skipPadding(rewriter, loop, skip);
  }

  // One step of the block has unit extents everywhere but the lanes and
  // rows; dropping them leaves `acc[r, v] += a[r] * b[v]`.
  if (failed(foldUnitDimsAndVectorize(rewriter, *step, "the block", why)))
    return failure();
  // Adding up the partial sums as vectors lets canonicalisation forward the
  // block's sums to it, so the partial-sum buffer disappears.
  for (Operation *merge : mergeOps)
    if (failed(vectorizeInPlace(rewriter, merge, "the partial-sum merge", why)))
      return failure();
  return success();
}

/// Splits `op` along loop `dim` at `piece` with upstream's linalg::splitOp:
/// the pieces, in order, or none (and `op` untouched) if it cannot.
SmallVector<linalg::GenericOp> splitLanes(RewriterBase &rewriter,
                                          linalg::GenericOp op, int64_t dim,
                                          int64_t piece) {
  rewriter.setInsertionPoint(op);
  auto [first, second] =
      linalg::splitOp(rewriter, cast<TilingInterface>(op.getOperation()),
                      unsigned(dim), rewriter.getIndexAttr(piece));
  SmallVector<linalg::GenericOp> pieces;
  for (TilingInterface part : {first, second})
    if (auto generic = dyn_cast_or_null<linalg::GenericOp>(part.getOperation()))
      pieces.push_back(generic);
  return pieces;
}

/// Splits `op` and its activation `epilogue` along the kernel's loop `dim`
/// at `piece`: each piece of the activation reads its piece of the kernel
/// directly, so each kernel piece keeps an epilogue to apply in its blocks
/// (upstream's splitOp would leave the pieces joined by insert_slices, and
/// the activation a pass of its own). Returns the kernel pieces, in order,
/// or none (and the IR unchanged) when `dim` is not a static loop of the
/// kernel's output longer than `piece`.
SmallVector<linalg::GenericOp>
splitLanesWithEpilogue(RewriterBase &rewriter, linalg::GenericOp op,
                       linalg::GenericOp epilogue, int64_t dim, int64_t piece) {
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  std::optional<unsigned> outDim =
      out.getResultPosition(rewriter.getAffineDimExpr(dim));
  int64_t extent = op.getStaticLoopRanges()[dim];
  if (!outDim || ShapedType::isDynamic(extent) || piece >= extent)
    return {};
  auto kernel = cast<TilingInterface>(op.getOperation());
  auto activation = cast<TilingInterface>(epilogue.getOperation());
  rewriter.setInsertionPoint(epilogue);
  SmallVector<Range> kernelDomain = kernel.getIterationDomain(rewriter);
  // The activation's loops are the kernel's output dimensions (its own
  // domain would be sized by tensor.dims of the kernel's result, which is
  // about to go).
  SmallVector<Range> activationDomain;
  for (unsigned i = 0; i < out.getNumResults(); ++i)
    activationDomain.push_back(kernelDomain[out.getDimPosition(i)]);
  auto offsetsAndSizes = [&](ArrayRef<Range> domain, unsigned d, int64_t start,
                             int64_t size) {
    SmallVector<OpFoldResult> offsets, sizes;
    for (const Range &range : domain) {
      offsets.push_back(range.offset);
      sizes.push_back(range.size);
    }
    offsets[d] = rewriter.getIndexAttr(start);
    sizes[d] = rewriter.getIndexAttr(size);
    return std::make_pair(offsets, sizes);
  };

  // The second piece of the activation writes into the first's result, as
  // splitOp chains them, so that bufferization writes both in one buffer.
  Value activationResult = epilogue.getDpsInitOperand(0)->get();
  SmallVector<linalg::GenericOp> pieces;
  for (auto [start, size] :
       {std::pair<int64_t, int64_t>{0, piece}, {piece, extent - piece}}) {
    auto [kernelOffsets, kernelSizes] =
        offsetsAndSizes(kernelDomain, dim, start, size);
    auto [offsets, sizes] =
        offsetsAndSizes(activationDomain, *outDim, start, size);
    FailureOr<TilingResult> kernelPiece =
        kernel.getTiledImplementation(rewriter, kernelOffsets, kernelSizes);
    rewriter.modifyOpInPlace(epilogue, [&] {
      epilogue.getDpsInitOperand(0)->set(activationResult);
    });
    FailureOr<TilingResult> activationPiece =
        activation.getTiledImplementation(rewriter, offsets, sizes);
    if (failed(kernelPiece) || failed(activationPiece))
      return {};
    auto kernelTile = cast<linalg::GenericOp>(kernelPiece->tiledOps.front());
    Operation *activationTile = activationPiece->tiledOps.front();
    // The activation's piece reads the kernel's piece itself, not a slice
    // of the whole kernel's result.
    Operation *slice = activationTile->getOperand(0).getDefiningOp();
    rewriter.modifyOpInPlace(activationTile, [&] {
      activationTile->setOperand(0, kernelTile->getResult(0));
    });
    if (slice && slice->use_empty())
      rewriter.eraseOp(slice);
    SmallVector<OpFoldResult> strides(offsets.size(), rewriter.getIndexAttr(1));
    activationResult = tensor::InsertSliceOp::create(
        rewriter, epilogue.getLoc(), activationTile->getResult(0),
        activationResult, offsets, sizes, strides);
    pieces.push_back(kernelTile);
  }
  rewriter.replaceOp(epilogue, activationResult);
  rewriter.eraseOp(op);
  return pieces;
}

struct TileAndVectorizePass
    : public weft::impl::TileAndVectorizePassBase<TileAndVectorizePass> {
  using TileAndVectorizePassBase::TileAndVectorizePassBase;

  void runOnOperation() override {
    SmallVector<linalg::GenericOp> kernels;
    getOperation().walk([&](linalg::GenericOp op) {
      if (op.getNumReductionLoops() > 0)
        kernels.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    // Kernels split along their lanes come back as two pieces, planned anew.
    std::reverse(kernels.begin(), kernels.end());
    while (!kernels.empty()) {
      linalg::GenericOp op = kernels.pop_back_val();
      Location loc = op.getLoc();
      std::string why;
      FailureOr<BlockPlan> plan =
          planBlock(op, vectorWidth, registers, parallelWork, why);
      if (failed(plan)) {
        if (remarks)
          emitRemark(loc) << "kernel left as loops: " << why;
        continue;
      }
      // LLVM assembles an odd-sized vector (28 lanes) from pieces through
      // the stack; split into whole registers and powers of two (16 + 8 +
      // 4), each piece is a kernel of its own with clean vectors.
      // An activation after the kernel is applied in its blocks (with
      // partial sums, to the block's sums once they are added up).
      sinkReshapeBelowActivation(rewriter, op);
      linalg::GenericOp epilogue = epilogueOf(op);
      int64_t piece = evenLanes(plan->lanes, vectorWidth);
      if (piece != plan->lanes) {
        SmallVector<linalg::GenericOp> pieces =
            epilogue ? splitLanesWithEpilogue(rewriter, op, epilogue,
                                              plan->lanesDim, piece)
                     : splitLanes(rewriter, op, plan->lanesDim, piece);
        if (!pieces.empty()) {
          if (remarks)
            emitRemark(loc) << "kernel split: " << plan->lanes
                            << " lanes (loop " << plan->lanesDim << ") as "
                            << piece << " + " << plan->lanes - piece;
          kernels.append(pieces.rbegin(), pieces.rend());
          continue;
        }
      }
      if (failed(blockKernel(rewriter, op, *plan, epilogue, why))) {
        if (remarks)
          emitRemark(loc) << "kernel not vectorised: " << why;
        continue;
      }
      if (remarks)
        emitRemark(loc) << describe(*plan)
                        << (epilogue ? ", with the elementwise op after it"
                                       " applied to each block"
                                     : "");
    }
  }
};

} // namespace
