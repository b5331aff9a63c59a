//===- BindVariables.cpp - Parameters and state live in flat buffers ------===//
//
// After inlining, each entry point holds the whole computation with
// weft.load / weft.store of module-level symbols. Here they become slices of
// the entry point's `params` and `state` buffers, and the layout moves from
// the declarations to module attributes, which the backend turns into the
// model description the runtime reads (names, shapes, offsets, initialisers).
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
  unsigned bufferArg; // 0: params and buffers, 1: state (entry arguments).
  int64_t offset;
  RankedTensorType type;
};

struct WeftBindVariablesPass
    : public weft::impl::WeftBindVariablesPassBase<WeftBindVariablesPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  LogicalResult bindEntry(func::FuncOp entry, const llvm::StringMap<Slot> &slots);
  void recordLayout();
};

} // namespace

LogicalResult WeftBindVariablesPass::bindEntry(
    func::FuncOp entry, const llvm::StringMap<Slot> &slots) {
  Block &body = entry.front();
  OpBuilder b(&getContext());
  b.setInsertionPointToStart(&body);
  // Each buffer is read through one tensor view, made on first use.
  Value views[2];
  auto viewOf = [&](unsigned arg, Location loc) {
    if (!views[arg]) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&body);
      views[arg] = readFlatBuffer(b, loc, entry.getArgument(arg));
    }
    return views[arg];
  };

  SmallVector<LoadOp> loads;
  SmallVector<StoreOp> stores;
  entry.walk([&](LoadOp op) { loads.push_back(op); });
  entry.walk([&](StoreOp op) { stores.push_back(op); });

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
  Operation *terminator = body.getTerminator();
  for (StoreOp store : stores) {
    auto it = slots.find(store.getVariable());
    if (it == slots.end())
      return store.emitOpError("writes an undeclared variable");
    const Slot &slot = it->second;
    b.setInsertionPoint(terminator);
    Location loc = store.getLoc();
    auto view = memref::SubViewOp::create(
        b, loc, entry.getArgument(slot.bufferArg),
        ArrayRef<OpFoldResult>{b.getIndexAttr(slot.offset)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(slot.type.getNumElements())},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
    writeFlatBuffer(b, loc, store.getValue(), view);
    store.erase();
  }
  return success();
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
  for (auto entry : module.getOps<func::FuncOp>()) {
    if (!entry->hasAttr("weft.entry"))
      continue;
    if (failed(bindEntry(entry, slots)))
      return signalPassFailure();
  }
  // Anything left reading a variable is not an entry point's code.
  WalkResult leftover = module.walk([](Operation *op) {
    if (isa<LoadOp, StoreOp>(op)) {
      op->emitOpError("is outside an entry point; inline the model functions "
                      "into their entry points first");
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (leftover.wasInterrupted())
    return signalPassFailure();
  recordLayout();
}
