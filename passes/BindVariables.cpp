//===- BindVariables.cpp - Parameters and state live in flat buffers ------===//
//
// After inlining, each entry point holds its computation with weft.load /
// weft.store of module-level symbols. Here they become slices of the entry
// point's `params` and `state` buffers, and the layout moves from the
// declarations to module attributes, which the backend turns into the model
// description the runtime reads (names, shapes, offsets, initialisers).
// A function left out of line (the gradient function, which the training
// steps share) gets the two buffers as extra arguments from its callers.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/TensorUtils.h"

#include "dialects/weft/IR/WeftOps.h"

namespace mlir::weft {
#define GEN_PASS_DEF_WEFTBINDVARIABLESPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;
using namespace mlir::weft;

namespace {

/// Where a parameter, buffer or state tensor lives.
struct Slot {
  unsigned bufferArg; // 0: params and buffers, 1: state.
  int64_t offset;
  RankedTensorType type;
};

struct WeftBindVariablesPass
    : public weft::impl::WeftBindVariablesPassBase<WeftBindVariablesPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  LogicalResult bindFunction(func::FuncOp fn, ArrayRef<Value> buffers,
                             const llvm::StringMap<Slot> &slots);
  FailureOr<SmallVector<Value, 2>> passBuffersTo(func::FuncOp fn);
  void recordLayout();
};

} // namespace

LogicalResult WeftBindVariablesPass::bindFunction(
    func::FuncOp fn, ArrayRef<Value> buffers,
    const llvm::StringMap<Slot> &slots) {
  Block &body = fn.front();
  OpBuilder b(&getContext());
  b.setInsertionPointToStart(&body);
  // Each buffer is read through one tensor view, made on first use.
  Value views[2];
  auto viewOf = [&](unsigned arg, Location loc) {
    if (!views[arg]) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&body);
      views[arg] = readFlatBuffer(b, loc, buffers[arg]);
    }
    return views[arg];
  };

  SmallVector<LoadOp> loads;
  SmallVector<StoreOp> stores;
  fn.walk([&](LoadOp op) { loads.push_back(op); });
  fn.walk([&](StoreOp op) { stores.push_back(op); });

  for (LoadOp load : loads) {
    auto it = slots.find(load.getVariable());
    if (it == slots.end())
      return load.emitOpError("reads an undeclared variable");
    const Slot &slot = it->second;
    b.setInsertionPoint(load);
    int64_t size = slot.type.getNumElements();
    Value flat = tensor::ExtractSliceOp::create(
        b, load.getLoc(), viewOf(slot.bufferArg, load.getLoc()),
        ArrayRef<OpFoldResult>{b.getIndexAttr(slot.offset)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(size)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
    load.replaceAllUsesWith(
        unflattenTensor(b, load.getLoc(), flat, slot.type, Value()));
    load.erase();
  }

  // Writes go last, after every read of the step, into the buffer itself.
  // The destination, a view shaped like the variable, is made on entry: it
  // then dominates the op computing the new value, which weft-write-in-place
  // may let write there directly.
  Operation *terminator = body.getTerminator();
  for (StoreOp store : stores) {
    auto it = slots.find(store.getVariable());
    if (it == slots.end())
      return store.emitOpError("writes an undeclared variable");
    const Slot &slot = it->second;
    Location loc = store.getLoc();
    b.setInsertionPointToStart(&body);
    Value view = bufferViewOf(b, loc, buffers[slot.bufferArg], slot.offset,
                              slot.type);
    b.setInsertionPoint(terminator);
    writeBuffer(b, loc, store.getValue(), view);
    store.erase();
  }
  return success();
}

/// Appends the `params` and `state` buffers to `fn`'s arguments and makes
/// every caller, which must be an entry point, pass its own.
FailureOr<SmallVector<Value, 2>>
WeftBindVariablesPass::passBuffersTo(func::FuncOp fn) {
  ModuleOp module = getOperation();
  auto uses = SymbolTable::getSymbolUses(fn, module);
  if (!uses)
    return fn.emitOpError("reads model variables, and its callers cannot all "
                          "be found");
  for (const SymbolTable::SymbolUse &use : *uses) {
    auto call = dyn_cast<func::CallOp>(use.getUser());
    auto caller = call ? call->getParentOfType<func::FuncOp>() : nullptr;
    if (!caller || !caller->hasAttr("weft.entry"))
      return use.getUser()->emitOpError(
          "uses a function that reads model variables; only entry points "
          "may call such a function");
  }
  auto flat = MemRefType::get({ShapedType::kDynamic},
                              Float32Type::get(&getContext()));
  unsigned first = fn.getNumArguments();
  Location loc = fn.getLoc();
  if (failed(fn.insertArguments({first, first}, {flat, flat}, {}, {loc, loc})))
    return failure();
  for (const SymbolTable::SymbolUse &use : *uses) {
    auto call = cast<func::CallOp>(use.getUser());
    auto caller = call->getParentOfType<func::FuncOp>();
    call->insertOperands(call->getNumOperands(),
                         {caller.getArgument(0), caller.getArgument(1)});
  }
  return SmallVector<Value, 2>{fn.getArgument(first),
                               fn.getArgument(first + 1)};
}

void WeftBindVariablesPass::recordLayout() {
  ModuleOp module = getOperation();
  OpBuilder b(&getContext());
  SmallVector<Attribute> params;
  int64_t paramSize = 0, stateSize = 0;
  SmallVector<Operation *> decls;
  for (Operation &op : module.getOps()) {
    // Parameters and buffers share the `params` buffer and its description.
    auto describe = [&](Operation *decl, StringAttr name, RankedTensorType type,
                        StringAttr init, IntegerAttr fanIn, bool trainable) {
      int64_t offset = decl->getAttrOfType<IntegerAttr>("offset").getInt();
      params.push_back(b.getDictionaryAttr({
          b.getNamedAttr("name", name),
          b.getNamedAttr("shape", b.getDenseI64ArrayAttr(type.getShape())),
          b.getNamedAttr("offset", b.getI64IntegerAttr(offset)),
          b.getNamedAttr("init", init),
          b.getNamedAttr("fan_in", fanIn),
          b.getNamedAttr("trainable", b.getBoolAttr(trainable)),
      }));
      paramSize = std::max(paramSize, offset + type.getNumElements());
      decls.push_back(decl);
    };
    if (auto param = dyn_cast<ParameterOp>(op)) {
      describe(param, param.getSymNameAttr(), param.getTensorType(),
               param.getInitAttr(), param.getFanInAttr(), true);
    } else if (auto buffer = dyn_cast<BufferOp>(op)) {
      describe(buffer, buffer.getSymNameAttr(), buffer.getTensorType(),
               buffer.getInitAttr(), b.getI64IntegerAttr(0), false);
    } else if (auto state = dyn_cast<StateOp>(op)) {
      int64_t offset = state->getAttrOfType<IntegerAttr>("offset").getInt();
      stateSize = std::max(stateSize,
                           offset + state.getTensorType().getNumElements());
      decls.push_back(state);
    }
  }
  module->setAttr("weft.parameters", b.getArrayAttr(params));
  module->setAttr("weft.param_size", b.getI64IntegerAttr(paramSize));
  module->setAttr("weft.state_size", b.getI64IntegerAttr(stateSize));
  for (Operation *decl : decls)
    decl->erase();
}

void WeftBindVariablesPass::runOnOperation() {
  ModuleOp module = getOperation();
  llvm::StringMap<Slot> slots;
  for (Operation &op : module.getOps()) {
    auto offsetOf = [&](Operation *decl) -> std::optional<int64_t> {
      if (auto attr = decl->getAttrOfType<IntegerAttr>("offset"))
        return attr.getInt();
      decl->emitOpError("has no buffer offset; run weft-entry-points first");
      return std::nullopt;
    };
    if (auto param = dyn_cast<ParameterOp>(op)) {
      auto offset = offsetOf(param);
      if (!offset)
        return signalPassFailure();
      slots[param.getSymName()] = {0, *offset, param.getTensorType()};
    } else if (auto buffer = dyn_cast<BufferOp>(op)) {
      auto offset = offsetOf(buffer);
      if (!offset)
        return signalPassFailure();
      slots[buffer.getSymName()] = {0, *offset, buffer.getTensorType()};
    } else if (auto state = dyn_cast<StateOp>(op)) {
      auto offset = offsetOf(state);
      if (!offset)
        return signalPassFailure();
      slots[state.getSymName()] = {1, *offset, state.getTensorType()};
    }
  }
  for (auto fn : llvm::make_early_inc_range(module.getOps<func::FuncOp>())) {
    SmallVector<Value, 2> buffers;
    if (fn->hasAttr("weft.entry")) {
      buffers = {fn.getArgument(0), fn.getArgument(1)};
    } else {
      bool usesVariables = fn.walk([](Operation *op) {
        return isa<LoadOp, StoreOp>(op) ? WalkResult::interrupt()
                                        : WalkResult::advance();
      }).wasInterrupted();
      if (!usesVariables)
        continue;
      FailureOr<SmallVector<Value, 2>> passed = passBuffersTo(fn);
      if (failed(passed))
        return signalPassFailure();
      buffers = *passed;
    }
    if (failed(bindFunction(fn, buffers, slots)))
      return signalPassFailure();
  }
  recordLayout();
}
