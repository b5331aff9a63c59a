//===- WeftToLinalg.cpp - Lower weft ops to linalg on tensors -------------===//
//
// Each weft op becomes linalg.generic ops (plus tensor reshapes), so that
// upstream elementwise fusion, tiling, vectorisation and bufferization apply
// unchanged. The patterns share a few builders (elementwise maps,
// contractions, row reductions); an op's pattern only says what its loops
// compute.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/TensorUtils.h"
#include "passes/Conversion/WeftToLinalg/LoweringUtils.h"

#include "dialects/weft/IR/WeftOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::weft {
#define GEN_PASS_DEF_CONVERTWEFTTOLINALGPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;
using namespace mlir::weft;
using namespace mlir::weft::lowering;

namespace {

/// `op(lhs) * op(rhs)` accumulated into `init` ([M, N]), where op transposes
/// when asked. Iteration space (m, n, k).
Value contraction(OpBuilder &b, Location loc, Value lhs, Value rhs,
                  bool transposeLhs, bool transposeRhs, Value init) {
  MLIRContext *ctx = b.getContext();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  auto map = [&](ArrayRef<AffineExpr> exprs) {
    return AffineMap::get(3, 0, exprs, ctx);
  };
  SmallVector<AffineMap> maps{
      transposeLhs ? map({k, m}) : map({m, k}),
      transposeRhs ? map({n, k}) : map({k, n}),
      map({m, n}),
  };
  SmallVector<utils::IteratorType> iterators{utils::IteratorType::parallel,
                                             utils::IteratorType::parallel,
                                             utils::IteratorType::reduction};
  return multiplyAccumulate(b, loc, lhs, rhs, init, maps, iterators);
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

struct DenseLowering : OpConversionPattern<DenseOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(DenseOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getType();
    Value init;
    if (Value bias = adaptor.getBias()) {
      // Start the accumulation from the bias broadcast over the batch.
      Value empty = emptyTensor(rewriter, loc, type, adaptor.getInput(), {0, 0});
      init = broadcastInto(rewriter, loc, bias, empty,
                           AffineMap::get(2, 0, {rewriter.getAffineDimExpr(1)},
                                          rewriter.getContext()));
    } else {
      init = filledTensor(rewriter, loc, type, adaptor.getInput(), {0, 0}, 0.0);
    }
    rewriter.replaceOp(op, contraction(rewriter, loc, adaptor.getInput(),
                                       adaptor.getWeight(), false, true, init));
    return success();
  }
};

struct MatmulLowering : OpConversionPattern<MatmulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(MatmulOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    bool tl = op.getTransposeLhs(), tr = op.getTransposeRhs();
    // Dynamic result dimensions come from the operands' matching dimensions.
    auto type = op.getType();
    SmallVector<Value> dynamic;
    if (type.isDynamicDim(0))
      dynamic.push_back(tensor::DimOp::create(rewriter, loc, adaptor.getLhs(), tl ? 1 : 0));
    if (type.isDynamicDim(1))
      dynamic.push_back(tensor::DimOp::create(rewriter, loc, adaptor.getRhs(), tr ? 0 : 1));
    Value empty = tensor::EmptyOp::create(rewriter, loc, type, dynamic);
    Value init = linalg::FillOp::create(rewriter, loc,
                                        ValueRange{f32Const(rewriter, loc, 0.0)},
                                        ValueRange{empty})
                     .getResult(0);
    rewriter.replaceOp(op, contraction(rewriter, loc, adaptor.getLhs(),
                                       adaptor.getRhs(), tl, tr, init));
    return success();
  }
};

/// relu: max(x, 0).
Value reluScalar(OpBuilder &b, Location loc, ValueRange args) {
  return arith::MaximumFOp::create(b, loc, args[0], f32Const(b, loc, 0.0));
}

/// relu_grad: the output gradient where the input is positive, else 0.
Value reluGradScalar(OpBuilder &b, Location loc, ValueRange args) {
  Value zero = f32Const(b, loc, 0.0);
  Value positive =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, args[0], zero);
  return arith::SelectOp::create(b, loc, positive, args[1], zero);
}

Value addScalar(OpBuilder &b, Location loc, ValueRange args) {
  return arith::AddFOp::create(b, loc, args[0], args[1]);
}

Value mulScalar(OpBuilder &b, Location loc, ValueRange args) {
  return arith::MulFOp::create(b, loc, args[0], args[1]);
}

using ReluLowering = ElementwiseLowering<ReluOp, reluScalar>;
using MulLowering = ElementwiseLowering<MulOp, mulScalar>;
using ReluGradLowering = ElementwiseLowering<ReluGradOp, reluGradScalar>;
using AddLowering = ElementwiseLowering<AddOp, addScalar>;

struct ReshapeLowering : OpConversionPattern<ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ReshapeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    // Collapse the per-example dimensions into one, then expand them into
    // the target shape; the batch dimension passes through.
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    auto inType = cast<RankedTensorType>(x.getType());
    auto outType = op.getType();
    if (inType == outType) {
      rewriter.replaceOp(op, x);
      return success();
    }
    if (inType.getRank() < 2 || outType.getRank() < 2)
      return rewriter.notifyMatchFailure(op, "needs per-example dimensions");
    Value batch = tensor::DimOp::create(rewriter, loc, x, 0);
    if (inType.getRank() > 2) {
      ReassociationIndices rest;
      for (int64_t i = 1; i < inType.getRank(); ++i)
        rest.push_back(i);
      x = tensor::CollapseShapeOp::create(
          rewriter, loc, x, SmallVector<ReassociationIndices>{{0}, rest});
    }
    if (outType.getRank() > 2) {
      ReassociationIndices rest;
      SmallVector<OpFoldResult> sizes{batch};
      for (int64_t i = 1; i < outType.getRank(); ++i) {
        rest.push_back(i);
        sizes.push_back(rewriter.getIndexAttr(outType.getDimSize(i)));
      }
      x = tensor::ExpandShapeOp::create(
          rewriter, loc, outType, x,
          SmallVector<ReassociationIndices>{{0}, rest}, sizes);
    }
    if (x.getType() != outType)
      x = tensor::CastOp::create(rewriter, loc, outType, x);
    rewriter.replaceOp(op, x);
    return success();
  }
};

struct ReduceSumLowering : OpConversionPattern<ReduceSumOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ReduceSumOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = adaptor.getInput();
    int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
    llvm::SmallDenseSet<int64_t> reduced(op.getDims().begin(), op.getDims().end());
    SmallVector<AffineExpr> kept;
    SmallVector<int64_t> keptDims;
    SmallVector<utils::IteratorType> iterators;
    for (int64_t i = 0; i < rank; ++i) {
      bool isReduced = reduced.contains(i);
      iterators.push_back(isReduced ? utils::IteratorType::reduction
                                    : utils::IteratorType::parallel);
      if (!isReduced) {
        kept.push_back(getAffineDimExpr(i, ctx));
        keptDims.push_back(i);
      }
    }
    Value init = filledTensor(rewriter, loc, op.getType(), x, keptDims, 0.0);
    SmallVector<AffineMap> maps{rewriter.getMultiDimIdentityMap(rank),
                                AffineMap::get(rank, 0, kept, ctx)};
    rewriter.replaceOp(
        op, linalg::GenericOp::create(
                rewriter, loc, op.getType(), ValueRange{x}, ValueRange{init},
                maps, iterators,
                [](OpBuilder &nb, Location nloc, ValueRange args) {
                  linalg::YieldOp::create(
                      nb, nloc,
                      arith::AddFOp::create(nb, nloc, args[1], args[0]).getResult());
                })
                .getResult(0));
    return success();
  }
};

struct ConvertWeftToLinalgPass
    : public weft::impl::ConvertWeftToLinalgPassBase<ConvertWeftToLinalgPass> {
  using Base::Base;
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addLegalDialect<arith::ArithDialect, bufferization::BufferizationDialect,
                           func::FuncDialect, linalg::LinalgDialect,
                           math::MathDialect, memref::MemRefDialect,
                           scf::SCFDialect, tensor::TensorDialect>();
    target.addIllegalDialect<WeftDialect>();
    RewritePatternSet patterns(ctx);
    patterns.add<AddLowering, DenseLowering, MatmulLowering,
                 MulLowering,
                 ReduceSumLowering, ReluGradLowering, ReluLowering,
                 ReshapeLowering>(ctx);
    populateActivationLoweringPatterns(patterns);
    populateConvolutionLoweringPatterns(patterns);
    populateLossLoweringPatterns(patterns);
    populateNormalizationLoweringPatterns(patterns);
    populateOptimizerLoweringPatterns(patterns);
    // An op without a lowering gets one clear message at its source, not
    // the conversion framework's "failed to legalize".
    llvm::DenseSet<OperationName> lowered;
    for (const auto &pattern : patterns.getNativePatterns())
      if (std::optional<OperationName> root = pattern->getRootKind())
        lowered.insert(*root);
    WalkResult walk = getOperation()->walk([&](Operation *op) {
      if (!isa<WeftDialect>(op->getDialect()) || lowered.contains(op->getName()))
        return WalkResult::advance();
      op->emitError("code generation for '")
          << op->getName() << "' is not implemented yet";
      return WalkResult::interrupt();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    if (failed(applyPartialConversion(getOperation(), target, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
