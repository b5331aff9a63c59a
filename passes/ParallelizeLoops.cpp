//===- ParallelizeLoops.cpp - Outer loops of large ops as scf.forall ------===//
//
// See weft-parallelize-loops in Passes.td. The multiply-accumulate kernels
// get their parallel loops from weft-tile-and-vectorize; this pass gives them
// to everything else that is large (elementwise chains, pools, fills,
// reductions into a few outputs), with upstream's tiling. Leading loops are
// cut, one iteration at a time, so each thread runs whole inner loops that
// LLVM can still vectorise; a loop nest whose only parallel loop is the
// innermost has that loop cut into long chunks instead.
//
//===----------------------------------------------------------------------===//

#include "passes/Broadcasts.h"
#include "passes/LoopWork.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

#include "llvm/Support/FormatVariadic.h"

namespace mlir::weft {
#define GEN_PASS_DEF_PARALLELIZELOOPSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

/// Whether `map` reads an index backwards (`2 - d3`, a flipped kernel).
/// Upstream's tiling sizes such a slice wrongly (one element, whatever the
/// untiled range), so those ops stay whole.
bool readsBackwards(AffineMap map) {
  bool backwards = false;
  for (AffineExpr result : map.getResults())
    result.walk([&](AffineExpr e) {
      if (auto product = dyn_cast<AffineBinaryOpExpr>(e))
        if (product.getKind() == AffineExprKind::Mul)
          if (auto factor = dyn_cast<AffineConstantExpr>(product.getRHS()))
            backwards |= factor.getValue() < 0;
    });
  return backwards;
}

/// Elements in a chunk of a cut innermost loop are a multiple of this: whole
/// 512-bit vectors, aligned if the loop's start is.
constexpr int64_t kChunkAlignment = 64;

/// Tile sizes that cut the leading parallel loops into single iterations
/// until there are at least `minTiles` tiles (`tiles` of them), leaving the
/// innermost loop whole, or cut only the innermost loop into chunks when it
/// is the only parallel one; or failure, with the reason in `why`.
FailureOr<SmallVector<int64_t>> chooseTiles(linalg::LinalgOp op,
                                            int64_t parallelWork,
                                            int64_t minTiles, int64_t &tiles,
                                            std::string &why) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  if (llvm::any_of(op.getIndexingMapsArray(), readsBackwards)) {
    why = "an operand is read backwards, which tiling mis-sizes";
    return failure();
  }
  int64_t work = weft::estimatedIterations(ranges);
  if (work < parallelWork) {
    why = llvm::formatv("about {0} iterations, fewer than {1}", work,
                        parallelWork);
    return failure();
  }
  SmallVector<int64_t> sizes(ranges.size(), 0);
  tiles = 1;
  for (size_t d = 0; d + 1 < ranges.size() && tiles < minTiles; ++d) {
    if (iterators[d] != utils::IteratorType::parallel || ranges[d] == 1)
      continue;
    sizes[d] = 1;
    tiles *= weft::estimatedExtent(ranges[d]);
  }
  if (tiles >= 2)
    return sizes;
  // Only the innermost loop can be cut (a flat loop, like the optimizer's
  // update of every parameter): into `minTiles` chunks, each a whole number
  // of vectors, so each thread still runs a long loop LLVM vectorises.
  int64_t inner = ranges.back();
  if (iterators.back() == utils::IteratorType::parallel &&
      !ShapedType::isDynamic(inner) && inner >= 2 * kChunkAlignment) {
    int64_t chunk =
        llvm::alignTo(llvm::divideCeil(inner, minTiles), kChunkAlignment);
    sizes.back() = chunk;
    tiles = llvm::divideCeil(inner, chunk);
    return sizes;
  }
  why = "no parallel loop to cut";
  return failure();
}

/// Whether `op` is a broadcast (a bias over a kernel's output) whose
/// every user is a kernel's loop over blocks starting from it: the blocks
/// read the bias instead once weft-fold-fill-reads has run, and the
/// broadcast is then dead.
bool startsKernelsOnly(linalg::LinalgOp op) {
  auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!weft::isBroadcast(generic) || generic->getResult(0).use_empty())
    return false;
  return llvm::all_of(generic->getResult(0).getUses(), [](OpOperand &use) {
    Operation *user = use.getOwner();
    if (auto forall = dyn_cast<scf::ForallOp>(user))
      return llvm::is_contained(forall.getOutputsMutable(), use);
    if (auto kernel = dyn_cast<linalg::LinalgOp>(user))
      return kernel.isDpsInit(&use) && kernel.getNumReductionLoops() > 0;
    return isa<tensor::DimOp, tensor::ExtractSliceOp>(user);
  });
}

struct ParallelizeLoopsPass
    : public weft::impl::ParallelizeLoopsPassBase<ParallelizeLoopsPass> {
  using ParallelizeLoopsPassBase::ParallelizeLoopsPassBase;

  void runOnOperation() override {
    // Ops already inside loops (tiled kernels, their blocks) are left alone.
    SmallVector<linalg::LinalgOp> candidates;
    for (Operation &op : getOperation().getBody().getOps())
      if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
        if (linalgOp.hasPureTensorSemantics() && isa<TilingInterface>(op))
          candidates.push_back(linalgOp);

    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : candidates) {
      int64_t tiles = 0;
      std::string why;
      if (startsKernelsOnly(op)) {
        if (remarks)
          op.emitRemark("loops left as they are: the kernels it starts read "
                        "its input instead (a bias)");
        continue;
      }
      FailureOr<SmallVector<int64_t>> sizes =
          chooseTiles(op, parallelWork, minTiles, tiles, why);
      if (failed(sizes)) {
        if (remarks)
          op.emitRemark("loops left in sequence: " + why);
        continue;
      }
      scf::SCFTilingOptions options;
      options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
      options.setTileSizes(getAsIndexOpFoldResult(&getContext(), *sizes));
      rewriter.setInsertionPoint(op);
      FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
          rewriter, cast<TilingInterface>(op.getOperation()), options);
      if (failed(tiled)) {
        if (remarks)
          op.emitRemark("loops left in sequence: tiling failed");
        continue;
      }
      if (remarks) {
        std::string loops;
        for (auto [d, size] : llvm::enumerate(*sizes))
          if (size)
            loops += (loops.empty() ? "" : ", ") + std::to_string(d);
        op.emitRemark(
            llvm::formatv("loops in parallel: {0} tiles (loop(s) {1})", tiles,
                          loops)
                .str());
      }
      rewriter.replaceOp(op, tiled->replacements);
    }
  }
};

} // namespace
