//===- FuseElementwise.cpp - Upstream elementwise fusion, explained -------===//
//
// See weft-fuse-elementwise in Passes.td. The patterns and the rule (fuse a
// producer into its consumer when the consumer is its only user) are
// upstream's linalg-fuse-elementwise-ops; what this pass adds is a remark
// for each decision, naming the model's layers, for `weftc
// --remarks=fusion`.
//
//===----------------------------------------------------------------------===//

#include "passes/LayerNames.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <set>

namespace mlir::weft {
#define GEN_PASS_DEF_FUSEELEMENTWISEPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

bool hasReductions(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  return linalgOp && linalgOp.getNumReductionLoops() > 0;
}

struct FuseElementwisePass
    : public weft::impl::FuseElementwisePassBase<FuseElementwisePass> {
  using FuseElementwisePassBase::FuseElementwisePassBase;

  void runOnOperation() override {
    MLIRContext *context = &getContext();
    // Upstream's rule: fusing a producer with several users would compute
    // it once per user.
    linalg::ControlFusionFn onlyUser = [](OpOperand *operand) {
      Operation *producer = operand->get().getDefiningOp();
      return producer && producer->hasOneUse();
    };
    // A reshape folds into an elementwise op, never into a kernel with
    // reductions: expanding a dense layer's [batch, 400] gradient to the
    // [batch, 16, 5, 5] its consumer reads would split the contiguous
    // dimension that weft-tile-and-vectorize uses as its lanes into
    // five-wide rows of strided loads (lenet's fc1 ran 3x slower so).
    linalg::ControlFusionFn reshapeKeepsKernel = [&](OpOperand *operand) {
      Operation *owner = operand->getOwner();
      Operation *producer = operand->get().getDefiningOp();
      if (hasReductions(owner) || (producer && hasReductions(producer)))
        return false;
      return onlyUser(operand);
    };
    // The greedy driver may ask about one pair more than once, and the
    // forward pass appears in several entry points: each remark (which
    // names both ops and their places) is made once.
    std::set<std::string> explained;
    auto explain = [&](Operation *op, std::string message) {
      if (explained.insert(message).second)
        op->emitRemark(message);
    };
    linalg::ControlFusionFn explainedRule = [&](OpOperand *operand) {
      bool fuse = onlyUser(operand);
      Operation *producer = operand->get().getDefiningOp();
      Operation *consumer = operand->getOwner();
      if (!remarks || !producer)
        return fuse;
      if (fuse)
        explain(consumer, "fused " + weft::describeLayer(producer) + " into " +
                              weft::describeLayer(consumer) + ": one loop nest");
      else
        explain(consumer,
                "not fused: " + weft::describeLayer(producer) + " feeds " +
                    std::to_string(std::distance(producer->getUsers().begin(),
                                                 producer->getUsers().end())) +
                    " ops, and fused into " + weft::describeLayer(consumer) +
                    " it would be computed again for each");
      return fuse;
    };

    // The same patterns as upstream's linalg-fuse-elementwise-ops.
    RewritePatternSet patterns(context);
    linalg::populateElementwiseOpsFusionPatterns(patterns, explainedRule);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns,
                                                      reshapeKeepsKernel);
    tensor::populateBubbleUpExpandShapePatterns(patterns);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, context);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, context);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, context);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, context);
    context->getLoadedDialect<linalg::LinalgDialect>()
        ->getCanonicalizationPatterns(patterns);
    linalg::populateConstantFoldLinalgOperations(patterns, onlyUser);
    if (failed(applyPatternsGreedily(
            getOperation(), std::move(patterns),
            GreedyRewriteConfig().setUseTopDownTraversal())))
      return signalPassFailure();

    if (!remarks)
      return;
    // What elementwise fusion cannot do: an elementwise op after a kernel
    // with reductions (a bias and activation after a convolution) stays a
    // loop nest of its own.
    getOperation()->walk([&](linalg::GenericOp consumer) {
      if (consumer.getNumReductionLoops() > 0)
        return;
      for (Value input : consumer.getDpsInputs()) {
        Operation *producer = input.getDefiningOp();
        if (producer && hasReductions(producer))
          explain(consumer, "not fused: " + weft::describeLayer(producer) +
                                " has reductions; elementwise fusion does not "
                                "fuse into them, so " + weft::describeLayer(consumer) +
                                " runs as a loop nest of its own");
      }
    });
  }
};

} // namespace
