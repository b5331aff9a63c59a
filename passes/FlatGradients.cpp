//===- FlatGradients.cpp - Every gradient in one flat tensor --------------===//
//
// See weft-flat-gradients in Passes.td. Each gradient is computed straight
// into its slice of the flat result: the op that makes it gets, for its
// output, a view of that slice instead of a tensor.empty, so bufferization
// writes it there, and inserting it into the flat result copies nothing.
// A gradient made some other way (a constant, one returned twice) is still
// correct: bufferization copies it into its slice.
//
//===----------------------------------------------------------------------===//

#include "passes/FlatSlices.h"
#include "passes/Passes.h"
#include "passes/TensorUtils.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::weft {
#define GEN_PASS_DEF_FLATGRADIENTSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

/// Where a gradient is made: the op whose output starts its chain (a
/// tensor.empty, possibly filled first, that the ops computing it
/// accumulate into), and that output.
struct GradientRoot {
  Operation *op = nullptr;
  OpOperand *init = nullptr;
};

/// Follows the chain of outputs `gradient` is computed into back to the
/// tensor.empty it starts from. A zero fill that other ops start from too is
/// cloned for this gradient, and a fill is moved next to the op it feeds, so
/// that the chain starts as late as it can: its slice of the flat result can
/// then come from the flat result after every gradient made before it.
std::optional<GradientRoot> findRoot(OpBuilder &b, Value gradient,
                                     Block &body) {
  Value value = gradient;
  while (Operation *def = value.getDefiningOp()) {
    if (def->getBlock() != &body)
      return std::nullopt;
    if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(def)) {
      value = def->getOperand(0);
      continue;
    }
    auto dps = dyn_cast<DestinationStyleOpInterface>(def);
    if (!dps || !dps.hasPureTensorSemantics())
      return std::nullopt;
    OpOperand *init = dps.getTiedOpOperand(cast<OpResult>(value));
    Operation *initDef = init->get().getDefiningOp();
    if (auto empty = dyn_cast_or_null<tensor::EmptyOp>(initDef)) {
      if (!empty.getType().hasStaticShape())
        return std::nullopt;
      return GradientRoot{def, init};
    }
    if (isa_and_nonnull<linalg::FillOp>(initDef) &&
        initDef->getBlock() == &body) {
      if (init->get().hasOneUse()) {
        initDef->moveBefore(def);
      } else {
        b.setInsertionPoint(def);
        init->set(b.clone(*initDef)->getResult(0));
      }
    }
    value = init->get();
  }
  return std::nullopt;
}

struct FlatGradientsPass
    : public weft::impl::FlatGradientsPassBase<FlatGradientsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    // The gradient function by its attribute, not its name: the CUDA path
    // runs this pass on a copy whose functions are renamed (cuda_loss_grad).
    func::FuncOp gradFn;
    for (auto function : module.getOps<func::FuncOp>()) {
      if (!function->hasAttr("weft.gradients"))
        continue;
      if (gradFn)
        return; // Which one? Leave them as they are.
      gradFn = function;
    }
    if (!gradFn || !gradFn.getBody().hasOneBlock())
      return;
    // Results: the loss, then one gradient per parameter, all static.
    ArrayRef<Type> results = gradFn.getResultTypes();
    if (results.size() < 2)
      return;
    SmallVector<RankedTensorType> gradientTypes;
    SmallVector<int64_t> offsets;
    int64_t total = 0;
    for (Type type : results.drop_front()) {
      auto tensor = dyn_cast<RankedTensorType>(type);
      if (!tensor || !tensor.hasStaticShape() ||
          (!gradientTypes.empty() &&
           tensor.getElementType() != gradientTypes[0].getElementType()))
        return;
      gradientTypes.push_back(tensor);
      offsets.push_back(total);
      total += tensor.getNumElements();
    }
    auto flatType =
        RankedTensorType::get({total}, gradientTypes[0].getElementType());

    Block &body = gradFn.getBody().front();
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    OpBuilder b(gradFn.getBody());
    Location loc = gradFn.getLoc();
    Value flat = tensor::EmptyOp::create(b, loc, flatType.getShape(),
                                         flatType.getElementType());
    SmallVector<Value> gradients(ret.getOperands().drop_front());

    // Each gradient goes into the flat result as soon as it is made, in the
    // order they are made. One made after the one before went in is
    // computed in its slice of the flat result so far: one-shot
    // bufferization sees the slice taken and put back unchanged, and
    // writes it in place. Any other is copied there.
    auto madeAt = [&](Value gradient) -> Operation * {
      Operation *def = gradient.getDefiningOp();
      return def && def->getBlock() == &body ? def : nullptr;
    };
    SmallVector<unsigned> order =
        llvm::to_vector(llvm::seq<unsigned>(0, gradients.size()));
    llvm::stable_sort(order, [&](unsigned x, unsigned y) {
      Operation *a = madeAt(gradients[x]), *c = madeAt(gradients[y]);
      return a && (!c || a->isBeforeInBlock(c));
    });
    Operation *lastInsert = flat.getDefiningOp();
    unsigned placed = 0;
    for (unsigned i : order) {
      Value gradient = gradients[i];
      std::optional<GradientRoot> root = findRoot(b, gradient, body);
      if (root && lastInsert->isBeforeInBlock(root->op)) {
        b.setInsertionPoint(root->op);
        Value slice =
            weft::extractFlatSlice(b, root->op->getLoc(), flat, offsets[i],
                                   gradientTypes[i].getNumElements());
        auto type = cast<RankedTensorType>(root->init->get().getType());
        root->init->set(
            weft::unflattenTensor(b, root->op->getLoc(), slice, type, Value()));
        ++placed;
      }
      Operation *def = madeAt(gradient);
      b.setInsertionPointAfter(
          def && lastInsert->isBeforeInBlock(def) ? def : lastInsert);
      auto insert = tensor::InsertSliceOp::create(
          b, loc, weft::flattenTensor(b, loc, gradient), flat,
          ArrayRef<OpFoldResult>{b.getIndexAttr(offsets[i])},
          ArrayRef<OpFoldResult>{
              b.getIndexAttr(gradientTypes[i].getNumElements())},
          ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
      flat = insert;
      lastInsert = insert;
    }
    b.setInsertionPoint(ret);
    func::ReturnOp::create(b, ret.getLoc(),
                           ValueRange{ret.getOperand(0), flat});
    ret.erase();
    gradFn.setType(FunctionType::get(&getContext(), gradFn.getArgumentTypes(),
                                     {results[0], flatType}));
    if (remarks)
      gradFn.emitRemark() << "the gradients of " << gradients.size()
                          << " parameters are one buffer; " << placed
                          << " of them are computed in place there";

    // Callers read each gradient as a slice of the flat one.
    SmallVector<func::CallOp> calls;
    module.walk([&](func::CallOp call) {
      if (call.getCallee() == gradFn.getSymName())
        calls.push_back(call);
    });
    for (func::CallOp call : calls) {
      b.setInsertionPoint(call);
      auto flatCall =
          func::CallOp::create(b, call.getLoc(), gradFn, call.getOperands());
      flatCall->setDiscardableAttrs(call->getDiscardableAttrDictionary());
      call.getResult(0).replaceAllUsesWith(flatCall.getResult(0));
      for (auto [result, offset, type] :
           llvm::zip(call.getResults().drop_front(), offsets, gradientTypes)) {
        Value slice =
            weft::extractFlatSlice(b, call.getLoc(), flatCall.getResult(1),
                                   offset, type.getNumElements());
        result.replaceAllUsesWith(
            weft::unflattenTensor(b, call.getLoc(), slice, type, Value()));
      }
      call.erase();
    }
  }
};

} // namespace
