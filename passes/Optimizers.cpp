//===- Optimizers.cpp - One training step per optimizer -------------------===//
//
// A training step is: gradients (@loss_grad), clipped by their global norm
// when asked, then an update of every parameter and its optimizer state. The
// update math is a weft op per optimizer (weft.sgd_update, weft.adam_update),
// lowered like any other op. Hyperparameters are function arguments so the
// compiled step serves any learning rate; the runtime passes the train block's
// values or the user's flags.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/weft/IR/WeftOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::weft {
#define GEN_PASS_DEF_WEFTOPTIMIZERSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;
using namespace mlir::weft;

namespace {

/// What an optimizer needs besides the parameter and its gradient.
struct OptimizerSpec {
  StringRef name;
  /// Hyperparameters, in the order the step function takes them.
  SmallVector<StringRef> hyperparameters;
  /// Per-parameter state tensors, named after PyTorch's optimizer state.
  SmallVector<StringRef> stateNames;
};

const OptimizerSpec *lookupOptimizer(StringRef name) {
  static const OptimizerSpec specs[] = {
      {"sgd",
       {"lr", "momentum", "weight_decay", "nesterov", "max_grad_norm"},
       {"momentum_buffer"}},
      {"adam",
       {"lr", "beta1", "beta2", "eps", "weight_decay", "step", "decoupled",
        "max_grad_norm"},
       {"exp_avg", "exp_avg_sq"}},
  };
  for (const OptimizerSpec &spec : specs)
    if (spec.name == name)
      return &spec;
  return nullptr;
}

struct WeftOptimizersPass
    : public weft::impl::WeftOptimizersPassBase<WeftOptimizersPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  void buildTrainStep(func::FuncOp gradFn, const OptimizerSpec &spec);
};

} // namespace

void WeftOptimizersPass::buildTrainStep(func::FuncOp gradFn,
                                        const OptimizerSpec &spec) {
  ModuleOp module = getOperation();
  MLIRContext *ctx = &getContext();
  OpBuilder b(ctx);

  // Signature: the gradient function's inputs, then the hyperparameters.
  SmallVector<Type> argTypes(gradFn.getArgumentTypes());
  argTypes.append(spec.hyperparameters.size(), b.getF32Type());
  auto lossType = gradFn.getResultTypes()[0];
  b.setInsertionPointToEnd(module.getBody());
  auto step = func::FuncOp::create(
      b, gradFn.getLoc(), ("train_step_" + spec.name).str(),
      FunctionType::get(ctx, argTypes, {lossType}));
  SmallVector<Attribute> hyperNames;
  for (StringRef h : spec.hyperparameters)
    hyperNames.push_back(b.getStringAttr(h));
  step->setAttr("weft.hyperparameters", b.getArrayAttr(hyperNames));

  Block *body = step.addEntryBlock();
  b.setInsertionPointToStart(body);
  unsigned numInputs = gradFn.getNumArguments();
  auto call = func::CallOp::create(b, gradFn.getLoc(), gradFn,
                                   body->getArguments().take_front(numInputs));
  ValueRange hyper = body->getArguments().drop_front(numInputs);
  auto gradientOf = gradFn->getAttrOfType<ArrayAttr>("weft.gradients");
  // Clipping by the global norm needs every gradient before any update.
  auto clip = ClipByGlobalNormOp::create(
      b, NameLoc::get(b.getStringAttr("clip_by_global_norm"), gradFn.getLoc()),
      call.getResults().drop_front(), hyper.back());

  // The state, zero-initialised, after the last parameter: each kind for
  // every parameter in turn (all first moments, then all second moments),
  // so that one kind of state, like the parameters and the gradients, is
  // one run of the buffer, and one loop updates every parameter
  // (weft-fuse-updates).
  Operation *lastParam = nullptr;
  for (Attribute attr : gradientOf) {
    Operation *param = module.lookupSymbol(cast<FlatSymbolRefAttr>(attr));
    if (!lastParam || lastParam->isBeforeInBlock(param))
      lastParam = param;
  }
  OpBuilder declBuilder(ctx);
  declBuilder.setInsertionPointAfter(lastParam);
  for (StringRef stateName : spec.stateNames)
    for (Attribute attr : gradientOf) {
      auto param =
          module.lookupSymbol<ParameterOp>(cast<FlatSymbolRefAttr>(attr));
      std::string name = (param.getSymName() + "." + stateName).str();
      if (module.lookupSymbol(name))
        continue;
      auto decl = StateOp::create(declBuilder, param.getLoc(), name,
                                  param.getTensorType(), spec.name);
      declBuilder.setInsertionPointAfter(decl);
    }

  for (auto [i, attr] : llvm::enumerate(gradientOf)) {
    auto symbol = cast<FlatSymbolRefAttr>(attr);
    auto param = module.lookupSymbol<ParameterOp>(symbol);
    RankedTensorType type = param.getTensorType();
    Location loc =
        NameLoc::get(b.getStringAttr(spec.name + "(" + symbol.getValue() + ")"),
                     param.getLoc());
    SmallVector<Value> state;
    for (StringRef stateName : spec.stateNames)
      state.push_back(LoadOp::create(
          b, loc, type, (symbol.getValue() + "." + stateName).str()));

    Value p = LoadOp::create(b, loc, type, symbol);
    Value g = clip.getResult(i);
    SmallVector<Value> updated;
    if (spec.name == "sgd") {
      auto op = SgdUpdateOp::create(b, loc, type, type, p, g, state[0],
                                    hyper[0], hyper[1], hyper[2], hyper[3]);
      updated = {op.getNewParam(), op.getNewMomentumBuffer()};
    } else {
      auto op = AdamUpdateOp::create(b, loc, type, type, type, p, g, state[0],
                                     state[1], hyper[0], hyper[1], hyper[2],
                                     hyper[3], hyper[4], hyper[5], hyper[6]);
      updated = {op.getNewParam(), op.getNewExpAvg(), op.getNewExpAvgSq()};
    }
    StoreOp::create(b, loc, updated[0], symbol);
    for (auto [stateName, value] :
         llvm::zip(spec.stateNames, ArrayRef(updated).drop_front()))
      StoreOp::create(b, loc, value,
                      (symbol.getValue() + "." + stateName).str());
  }
  func::ReturnOp::create(b, gradFn.getLoc(), call.getResult(0));
}

void WeftOptimizersPass::runOnOperation() {
  ModuleOp module = getOperation();
  auto gradFn = module.lookupSymbol<func::FuncOp>("loss_grad");
  if (!gradFn || !gradFn->hasAttr("weft.gradients")) {
    module.emitError("weft-optimizers: no @loss_grad; run weft-autodiff first");
    return signalPassFailure();
  }
  SmallVector<std::string> names(optimizers.begin(), optimizers.end());
  if (names.empty())
    names = {"sgd", "adam"};
  for (const std::string &name : names) {
    const OptimizerSpec *spec = lookupOptimizer(name);
    if (!spec) {
      module.emitError("weft-optimizers: unknown optimizer '")
          << name << "'; expected sgd or adam";
      return signalPassFailure();
    }
    buildTrainStep(gradFn, *spec);
  }
}
