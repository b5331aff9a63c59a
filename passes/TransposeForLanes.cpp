//===- TransposeForLanes.cpp - Whole registers of lanes via a transpose ---===//
//
// See weft-transpose-for-lanes in Passes.td. weft-tile-and-vectorize takes
// its lanes along the output's contiguous dimension, or along a reduction
// contiguous in the inputs. A convolution's weight gradient has neither in
// whole registers: its output rows are kernel-wide (5 lanes) and its
// reductions image-wide (10 lanes of 16 in lenet's conv2, one partial sum
// per lane). Its output channels (16) are a whole register, but lie at a
// stride in the output and in the output gradient. Moving them last in both,
// with a copy of the output gradient and of the result, turns the kernel
// into an outer product of a contiguous vector and broadcast scalars. A
// forward convolution's rows (10 wide in lenet's conv2) gain the same way.
//
//===----------------------------------------------------------------------===//

#include "passes/Activations.h"
#include "passes/Broadcasts.h"
#include "passes/LoopWork.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

#include "llvm/Support/FormatVariadic.h"

namespace mlir::weft {
#define GEN_PASS_DEF_TRANSPOSEFORLANESPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

using utils::IteratorType;

/// The position among `map`'s results of the plain dimension `dim`, if it
/// is one of them.
std::optional<unsigned> plainPosition(AffineMap map, unsigned dim) {
  for (auto [i, result] : llvm::enumerate(map.getResults()))
    if (auto d = dyn_cast<AffineDimExpr>(result); d && d.getPosition() == dim)
      return unsigned(i);
  return std::nullopt;
}

/// The permutation of `rank` positions that moves `position` last, keeping
/// the others in order.
SmallVector<int64_t> movedLast(unsigned rank, unsigned position) {
  SmallVector<int64_t> permutation;
  for (unsigned i = 0; i < rank; ++i)
    if (i != position)
      permutation.push_back(i);
  permutation.push_back(position);
  return permutation;
}

/// `map` with its results in the order `permutation` gives.
AffineMap permuteResults(AffineMap map, ArrayRef<int64_t> permutation) {
  SmallVector<AffineExpr> results;
  for (int64_t from : permutation)
    results.push_back(map.getResult(from));
  return AffineMap::get(map.getNumDims(), map.getNumSymbols(), results,
                        map.getContext());
}

/// A linalg.generic over `dest`'s dimensions that reads `source` through
/// `read` and writes `dest`: with `activation`, its body on the element
/// read, else the element itself. The pipeline's elementwise passes lower
/// it like any other.
Value copyInto(OpBuilder &b, Location loc, Value source, Value dest,
               AffineMap read, linalg::GenericOp activation = {}) {
  unsigned rank = read.getNumDims();
  SmallVector<AffineMap> maps = {read, b.getMultiDimIdentityMap(rank)};
  SmallVector<IteratorType> iterators(rank, IteratorType::parallel);
  if (!activation)
    return linalg::GenericOp::create(
               b, loc, dest.getType(), ValueRange{source}, ValueRange{dest},
               maps, iterators,
               [](OpBuilder &nested, Location nestedLoc, ValueRange args) {
                 linalg::YieldOp::create(nested, nestedLoc, args[0]);
               })
        ->getResult(0);
  // The activation's body, on the copy's (input, output) arguments.
  auto copy =
      linalg::GenericOp::create(b, loc, dest.getType(), ValueRange{source},
                                ValueRange{dest}, maps, iterators);
  IRMapping none;
  activation.getRegion().cloneInto(&copy.getRegion(), none);
  return copy->getResult(0);
}

/// A copy of `source` with its dimensions in the order `permutation` gives,
/// written into `dest` (of the permuted shape), applying `activation` if
/// any.
Value transposeInto(OpBuilder &b, Location loc, Value source, Value dest,
                    ArrayRef<int64_t> permutation,
                    linalg::GenericOp activation = {}) {
  unsigned rank = permutation.size();
  // Output position i reads source position permutation[i].
  SmallVector<AffineExpr> reads(rank);
  for (unsigned i = 0; i < rank; ++i)
    reads[permutation[i]] = b.getAffineDimExpr(i);
  return copyInto(b, loc, source, dest,
                  AffineMap::get(rank, 0, reads, b.getContext()), activation);
}

/// `broadcast`'s input broadcast into `dest`, the broadcast's output with
/// its dimensions in the order `permutation` gives.
Value broadcastPermuted(OpBuilder &b, Location loc, linalg::GenericOp broadcast,
                        Value dest, ArrayRef<int64_t> permutation) {
  unsigned rank = permutation.size();
  // The old output dimension j is the new dimension where permutation put j.
  SmallVector<unsigned> newPosition(rank);
  for (auto [i, from] : llvm::enumerate(permutation))
    newPosition[from] = i;
  AffineMap source =
      broadcast.getMatchingIndexingMap(broadcast.getDpsInputOperand(0));
  SmallVector<AffineExpr> reads;
  for (unsigned k = 0; k < source.getNumResults(); ++k)
    reads.push_back(b.getAffineDimExpr(newPosition[source.getDimPosition(k)]));
  return copyInto(b, loc, broadcast.getDpsInputs()[0], dest,
                  AffineMap::get(rank, 0, reads, b.getContext()));
}

/// An empty tensor shaped like `source` with its dimensions permuted.
Value emptyPermuted(OpBuilder &b, Location loc, Value source,
                    ArrayRef<int64_t> permutation) {
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, source);
  SmallVector<OpFoldResult> permuted;
  for (int64_t from : permutation)
    permuted.push_back(sizes[from]);
  return tensor::EmptyOp::create(
      b, loc, permuted,
      cast<RankedTensorType>(source.getType()).getElementType());
}

/// The copies read at a stride, about as slow per element as a few dozen
/// multiply-adds in registers: below this many multiply-adds per element
/// copied, a kernel is left as it is (fashion_cnn's conv1 weight gradient,
/// 9 per element of its output gradient, ran slower transposed; lenet's
/// conv2, 60, and fashion_cnn's, 85, twice as fast).
constexpr int64_t kMinMultiplyAddsPerCopied = 32;

/// Whether the copies transposing `op` along `dim` cost little next to its
/// multiply-adds (per batch row: both grow with the batch).
bool copiesPay(linalg::GenericOp op, unsigned dim) {
  int64_t multiplyAdds =
      weft::estimatedIterations(op.getStaticLoopRanges(), /*batch=*/1);
  int64_t copied = 0;
  for (OpOperand *input : op.getDpsInputOperands())
    if (op.getMatchingIndexingMap(input).isFunctionOfDim(dim))
      copied += weft::elementsPerBatchRow(input->get());
  Value start = op.getDpsInits()[0];
  int64_t output = weft::elementsPerBatchRow(start);
  bool rebuilt = start.getDefiningOp<linalg::FillOp>() ||
                 weft::isBroadcast(start.getDefiningOp<linalg::GenericOp>());
  copied += rebuilt ? output : 2 * output;
  return multiplyAdds >= kMinMultiplyAddsPerCopied * copied;
}

/// Whether `op`, with `dim` as lanes of `registersPerRow` registers of the
/// `registers` a block's accumulators may take, has a
/// static parallel loop that one input alone reads and that splits into
/// blocks of at least two rows within the registers: without one, a block
/// is a single row of few accumulators (fashion_cnn's conv2, 11 x 11
/// outputs), slower than the partly used lanes it replaces.
bool hasRows(linalg::GenericOp op, unsigned dim, int64_t registersPerRow,
             int64_t registers) {
  AffineMap a = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  AffineMap b = op.getMatchingIndexingMap(op.getDpsInputOperand(1));
  SmallVector<IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t rowsAtMost = registers / registersPerRow;
  for (unsigned d = 0; d < ranges.size(); ++d) {
    if (d == dim || iterators[d] != IteratorType::parallel ||
        ShapedType::isDynamic(ranges[d]) ||
        a.isFunctionOfDim(d) == b.isFunctionOfDim(d))
      continue;
    for (int64_t rows = std::min(rowsAtMost, ranges[d]); rows >= 2; --rows)
      if (ranges[d] % rows == 0)
        return true;
  }
  return false;
}

/// The dimension to move last in `op` (its output and the one input that
/// reads it), or none: a parallel dimension of whole registers, read by
/// one input as a plain index, not by the other, where the output's
/// contiguous dimension is static and shorter than a register, the copies
/// pay (copiesPay) and the transposed blocks have rows (hasRows).
std::optional<unsigned> laneDimension(linalg::GenericOp op, int64_t vectorWidth,
                                      int64_t registers) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      !op.hasPureTensorSemantics() || op.getNumReductionLoops() == 0)
    return std::nullopt;
  auto outType = dyn_cast<RankedTensorType>(op.getDpsInits()[0].getType());
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (!outType || outType.getRank() < 2 ||
      outType.isDynamicDim(outType.getRank() - 1) ||
      !out.isProjectedPermutation() || outType.getShape().back() >= vectorWidth)
    return std::nullopt;
  AffineMap a = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  AffineMap b = op.getMatchingIndexingMap(op.getDpsInputOperand(1));
  SmallVector<IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  for (unsigned i = 0; i + 1 < out.getNumResults(); ++i) {
    unsigned d = out.getDimPosition(i);
    if (iterators[d] != IteratorType::parallel ||
        ShapedType::isDynamic(ranges[d]) || ranges[d] % vectorWidth != 0 ||
        a.isFunctionOfDim(d) == b.isFunctionOfDim(d))
      continue;
    AffineMap mover = a.isFunctionOfDim(d) ? a : b;
    // Read as a plain index, and only there (not `oh + kh`).
    std::optional<unsigned> position = plainPosition(mover, d);
    if (!position || llvm::count_if(mover.getResults(), [&](AffineExpr e) {
                       return e.isFunctionOfDim(d);
                     }) != 1)
      continue;
    if (!copiesPay(op, d) ||
        !hasRows(op, d, ranges[d] / vectorWidth, registers))
      return std::nullopt;
    return d;
  }
  return std::nullopt;
}

/// The activation that is the only user of `kernel`'s result, directly or
/// through one reshape that is its only user (a convolution's group
/// dimension dropped), and that reshape; nulls if there is none.
std::pair<linalg::GenericOp, Operation *>
activationAfter(linalg::GenericOp kernel) {
  Value result = kernel->getResult(0);
  if (!result.hasOneUse())
    return {};
  Operation *user = *result.getUsers().begin();
  Operation *reshape = nullptr;
  if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(user)) {
    if (!user->getResult(0).hasOneUse())
      return {};
    reshape = user;
    user = *user->getResult(0).getUsers().begin();
  }
  auto activation = dyn_cast<linalg::GenericOp>(user);
  if (!weft::isActivation(activation))
    return {};
  return {activation, reshape};
}

/// Rewrites `op` so that `dim` is contiguous in its output and in the input
/// that reads it: that input is copied transposed, the output's start
/// refilled, broadcast again or copied transposed, and the result copied
/// back into the original output, applying the activation that followed
/// `op` if there is one.
void transposeForLanes(RewriterBase &rewriter, linalg::GenericOp op,
                       unsigned dim) {
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  SmallVector<Value> inputs = op.getDpsInputs();
  for (auto [i, input] : llvm::enumerate(inputs)) {
    std::optional<unsigned> position = plainPosition(maps[i], dim);
    if (!position)
      continue;
    SmallVector<int64_t> permutation =
        movedLast(maps[i].getNumResults(), *position);
    input = transposeInto(rewriter, loc, input,
                          emptyPermuted(rewriter, loc, input, permutation),
                          permutation);
    maps[i] = permuteResults(maps[i], permutation);
  }

  // The output's start: a fill (the usual zero) is refilled in the new
  // layout, anything else copied.
  OpOperand *init = op.getDpsInitOperand(0);
  unsigned outIndex = init->getOperandNumber();
  SmallVector<int64_t> outPermutation = movedLast(
      maps[outIndex].getNumResults(), *plainPosition(maps[outIndex], dim));
  Value start = init->get();
  Value destination = start;
  Value newStart;
  auto broadcast = start.getDefiningOp<linalg::GenericOp>();
  if (auto fill = start.getDefiningOp<linalg::FillOp>()) {
    destination = fill.getDpsInits()[0];
    newStart = linalg::FillOp::create(
                   rewriter, loc, fill.getDpsInputs()[0],
                   emptyPermuted(rewriter, loc, destination, outPermutation))
                   .getResult(0);
  } else if (weft::isBroadcast(broadcast)) {
    // A bias: broadcast again, into the new layout, so that blocks can
    // still read the bias itself (weft-fold-fill-reads).
    destination = broadcast.getDpsInits()[0];
    newStart = broadcastPermuted(
        rewriter, loc, broadcast,
        emptyPermuted(rewriter, loc, destination, outPermutation),
        outPermutation);
  } else {
    newStart = transposeInto(
        rewriter, loc, start,
        emptyPermuted(rewriter, loc, start, outPermutation), outPermutation);
  }
  maps[outIndex] = permuteResults(maps[outIndex], outPermutation);

  auto transposed = linalg::GenericOp::create(rewriter, loc, newStart.getType(),
                                              inputs, ValueRange{newStart},
                                              maps, op.getIteratorTypesArray());
  rewriter.inlineRegionBefore(op.getRegion(), transposed.getRegion(),
                              transposed.getRegion().end());
  transposed->setDiscardableAttrs(op->getDiscardableAttrDictionary());
  // The vectoriser orders a block's vector dimensions as its loops: the
  // lanes' loop goes after every other parallel one, so that they are the
  // vector's last (contiguous) dimension, not its first.
  SmallVector<unsigned> order;
  SmallVector<IteratorType> iterators = transposed.getIteratorTypesArray();
  for (auto [d, iterator] : llvm::enumerate(iterators))
    if (iterator == IteratorType::parallel && d != dim)
      order.push_back(d);
  order.push_back(dim);
  for (auto [d, iterator] : llvm::enumerate(iterators))
    if (iterator != IteratorType::parallel)
      order.push_back(d);
  if (!llvm::equal(order, llvm::seq<unsigned>(0, order.size()))) {
    FailureOr<linalg::GenericOp> reordered =
        linalg::interchangeGenericOp(rewriter, transposed, order);
    if (succeeded(reordered))
      transposed = *reordered;
  }
  // Back: output position p of the original reads the transposed result
  // where outPermutation put p.
  SmallVector<int64_t> inverse(outPermutation.size());
  for (auto [i, from] : llvm::enumerate(outPermutation))
    inverse[from] = int64_t(i);
  auto [activation, reshape] = activationAfter(op);
  Value back = transposeInto(rewriter, loc, transposed->getResult(0),
                             destination, inverse, activation);
  if (!activation) {
    rewriter.replaceOp(op, back);
    return;
  }
  // The copy applied the activation: what read the activation's result
  // reads the copy's, reshaped as the activation's input was.
  Value activated = back;
  if (reshape) {
    IRMapping mapping;
    mapping.map(op->getResult(0), back);
    rewriter.setInsertionPoint(activation);
    activated = rewriter.clone(*reshape, mapping)->getResult(0);
  }
  rewriter.replaceOp(activation, activated);
  if (reshape)
    rewriter.eraseOp(reshape);
  rewriter.eraseOp(op);
}

struct TransposeForLanesPass
    : public weft::impl::TransposeForLanesPassBase<TransposeForLanesPass> {
  using TransposeForLanesPassBase::TransposeForLanesPassBase;

  void runOnOperation() override {
    SmallVector<std::pair<linalg::GenericOp, unsigned>> kernels;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (std::optional<unsigned> dim =
              laneDimension(op, vectorWidth, registers))
        kernels.emplace_back(op, *dim);
    });
    IRRewriter rewriter(&getContext());
    for (auto [op, dim] : kernels) {
      if (remarks)
        emitRemark(op.getLoc())
            << llvm::formatv("kernel transposed: loop {0} ({1} iterations) "
                             "made contiguous in its output and input, for "
                             "lanes in whole registers",
                             dim, op.getStaticLoopRanges()[dim])
                   .str();
      transposeForLanes(rewriter, op, dim);
    }
  }
};

} // namespace
