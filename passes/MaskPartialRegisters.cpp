//===- MaskPartialRegisters.cpp - Partial registers as masked accesses ----===//
//
// See weft-mask-partial-registers in Passes.td. A kernel row of 14 or 10
// lanes (a 14-wide image row) fills most of a 16-lane register. LLVM may
// not read past the row's end, so it loads <14 x float> as 8 + 4 + 2
// floats and assembles the register (five instructions; in conv2's input
// gradient, every step). x86 loads a partial register in one masked
// instruction, which a masked load of the whole register becomes.
//
// Only loads: a masked store followed by a load of the same place (an
// accumulator, a step later) is not forwarded from the store buffer on
// Zen 5, and lenet ran 7% slower with masked stores too.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::weft {
#define GEN_PASS_DEF_MASKPARTIALREGISTERSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

/// The lanes a 1-D access of `lanes` is widened to: the next power of two
/// below one register, whole registers above; `lanes` when that is already
/// what it is.
int64_t wholeRegisters(int64_t lanes, int64_t width) {
  if (lanes < width)
    return int64_t(llvm::PowerOf2Ceil(uint64_t(lanes)));
  return llvm::alignTo(lanes, width);
}

/// The widened type of `read`, a plain, in-bounds 1-D read of a memref's
/// contiguous last dimension, or null if it needs none.
VectorType widenedType(vector::TransferReadOp read, int64_t width) {
  auto memref = dyn_cast<MemRefType>(read.getBase().getType());
  VectorType type = read.getVectorType();
  if (!memref || !memref.isLastDimUnitStride() || type.getRank() != 1 ||
      type.isScalable() || read.getMask() ||
      !read.getPermutationMap().isMinorIdentity() || !read.isDimInBounds(0))
    return {};
  int64_t lanes = type.getDimSize(0);
  int64_t wide = wholeRegisters(lanes, width);
  if (wide == lanes)
    return {};
  return VectorType::get({wide}, type.getElementType());
}

struct MaskPartialRead : OpRewritePattern<vector::TransferReadOp> {
  MaskPartialRead(MLIRContext *context, int64_t width)
      : OpRewritePattern(context), width(width) {}

  LogicalResult matchAndRewrite(vector::TransferReadOp read,
                                PatternRewriter &rewriter) const override {
    VectorType type = read.getVectorType();
    VectorType wide = widenedType(read, width);
    if (!wide)
      return failure();
    Location loc = read.getLoc();
    int64_t lanes = type.getDimSize(0);
    Value padding = ub::PoisonOp::create(rewriter, loc, wide);
    auto maskType = VectorType::get(wide.getShape(), rewriter.getI1Type());
    Value mask = vector::ConstantMaskOp::create(rewriter, loc, maskType,
                                                ArrayRef<int64_t>{lanes});
    Value loaded = vector::MaskedLoadOp::create(
        rewriter, loc, wide, read.getBase(), read.getIndices(), mask, padding);
    rewriter.replaceOpWithNewOp<vector::ExtractStridedSliceOp>(
        read, loaded, ArrayRef<int64_t>{0}, ArrayRef<int64_t>{lanes},
        ArrayRef<int64_t>{1});
    return success();
  }

  int64_t width;
};

struct MaskPartialRegistersPass
    : public weft::impl::MaskPartialRegistersPassBase<
          MaskPartialRegistersPass> {
  using MaskPartialRegistersPassBase::MaskPartialRegistersPassBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<MaskPartialRead>(&getContext(), vectorWidth);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
