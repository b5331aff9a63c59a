//===- ModelInfo.cpp - The model description compiled models export -------===//
//
// Every field of the structs in runtime/weft_model.h is 8 bytes wide (a
// pointer, int64_t or double), so the LLVM struct types below match the C
// layout without padding rules.
//
//===----------------------------------------------------------------------===//

#include "backends/ModelInfo.h"

#include "runtime/weft_model.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"

using namespace mlir;

namespace {

/// Builds constants of the shapes weft_model.h declares.
class InfoBuilder {
public:
  explicit InfoBuilder(llvm::Module &m)
      : m(m), ctx(m.getContext()), ptr(llvm::PointerType::get(ctx, 0)),
        i64(llvm::Type::getInt64Ty(ctx)), f64(llvm::Type::getDoubleTy(ctx)) {}

  llvm::Constant *str(StringRef s) {
    auto *init = llvm::ConstantDataArray::getString(ctx, s);
    auto *g = new llvm::GlobalVariable(m, init->getType(), true,
                                       llvm::GlobalValue::PrivateLinkage, init,
                                       ".weft.str");
    g->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
    return g;
  }
  llvm::Constant *int64(int64_t v) { return llvm::ConstantInt::get(i64, v); }
  llvm::Constant *real(double v) { return llvm::ConstantFP::get(f64, v); }
  llvm::Constant *null() { return llvm::ConstantPointerNull::get(ptr); }

  /// A private constant array of `elements` (all of one type); null if empty.
  llvm::Constant *array(ArrayRef<llvm::Constant *> elements, StringRef name) {
    if (elements.empty())
      return null();
    auto *type = llvm::ArrayType::get(elements[0]->getType(), elements.size());
    return new llvm::GlobalVariable(m, type, true,
                                    llvm::GlobalValue::PrivateLinkage,
                                    llvm::ConstantArray::get(type, elements),
                                    name);
  }
  llvm::Constant *shape(ArrayRef<int64_t> dims) {
    SmallVector<llvm::Constant *> c;
    for (int64_t d : dims)
      c.push_back(int64(d));
    return array(c, ".weft.shape");
  }
  llvm::Constant *record(ArrayRef<llvm::Constant *> fields) {
    SmallVector<llvm::Type *> types;
    for (llvm::Constant *f : fields)
      types.push_back(f->getType());
    return llvm::ConstantStruct::get(llvm::StructType::get(ctx, types), fields);
  }

  llvm::Module &m;
  llvm::LLVMContext &ctx;
  llvm::PointerType *ptr;
  llvm::Type *i64, *f64;
};

/// `void packed(weft_buffer **args)` calling `_mlir_ciface_<name>(args[0],
/// ...)`: one C signature for every entry point of every model.
llvm::Constant *packedEntry(InfoBuilder &ib, StringRef name) {
  llvm::Function *ciface = ib.m.getFunction(("_mlir_ciface_" + name).str());
  if (!ciface)
    return ib.null();
  auto *type = llvm::FunctionType::get(llvm::Type::getVoidTy(ib.ctx), {ib.ptr},
                                       false);
  auto *wrapper = llvm::Function::Create(
      type, llvm::GlobalValue::InternalLinkage, ("_weft_packed_" + name).str(),
      ib.m);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ib.ctx, "entry", wrapper));
  SmallVector<llvm::Value *> args;
  for (unsigned i = 0; i < ciface->arg_size(); ++i) {
    llvm::Value *slot = b.CreateConstGEP1_64(ib.ptr, wrapper->getArg(0), i);
    args.push_back(b.CreateLoad(ib.ptr, slot));
  }
  b.CreateCall(ciface, args);
  b.CreateRetVoid();
  return wrapper;
}

} // namespace

template <typename T>
static T getAttr(DictionaryAttr dict, StringRef name) {
  return dict ? dict.getAs<T>(name) : T();
}

LogicalResult mlir::weft::emitModelInfo(ModuleOp module,
                                        llvm::Module &llvmModule) {
  auto name = module->getAttrOfType<StringAttr>("weft.model");
  auto params = module->getAttrOfType<ArrayAttr>("weft.parameters");
  auto paramSize = module->getAttrOfType<IntegerAttr>("weft.param_size");
  auto stateSize = module->getAttrOfType<IntegerAttr>("weft.state_size");
  auto inputs = module->getAttrOfType<ArrayAttr>("weft.inputs");
  auto outputs = module->getAttrOfType<ArrayAttr>("weft.outputs");
  auto train = module->getAttrOfType<DictionaryAttr>("weft.train");
  auto loss = module->getAttrOfType<StringAttr>("weft.loss");
  if (!name || !params || !paramSize || !stateSize || !inputs || !outputs ||
      !train || !loss)
    return module.emitError("the module lacks the weft.* attributes that "
                            "describe the model; was it made by weftc's "
                            "pipeline?");

  for (StringRef key :
       {"data_format", "data_path", "optimizer", "lr", "momentum", "beta1",
        "beta2", "eps", "weight_decay", "batch", "epochs", "seed", "nesterov",
        "clip_norm", "schedule", "schedule_every", "gamma", "min_lr", "warmup",
        "validation", "rescale", "augment", "early_stopping"})
    if (!train.get(key))
      return module.emitError("weft.train lacks '") << key << "'";

  InfoBuilder ib(llvmModule);
  SmallVector<llvm::Constant *> paramInfos;
  for (auto dict : params.getAsRange<DictionaryAttr>()) {
    auto shape = getAttr<DenseI64ArrayAttr>(dict, "shape").asArrayRef();
    int64_t size = 1;
    for (int64_t d : shape)
      size *= d;
    paramInfos.push_back(ib.record({
        ib.str(getAttr<StringAttr>(dict, "name").getValue()),
        ib.int64(shape.size()), ib.shape(shape),
        ib.int64(getAttr<IntegerAttr>(dict, "offset").getInt()), ib.int64(size),
        ib.str(getAttr<StringAttr>(dict, "init").getValue()),
        ib.int64(getAttr<IntegerAttr>(dict, "fan_in").getInt()),
        ib.int64(getAttr<BoolAttr>(dict, "trainable").getValue()),
    }));
  }
  SmallVector<llvm::Constant *> inputInfos;
  for (auto dict : inputs.getAsRange<DictionaryAttr>()) {
    auto shape = getAttr<DenseI64ArrayAttr>(dict, "shape").asArrayRef();
    // weft_input_kind in runtime/weft_model.h.
    int64_t kind = llvm::StringSwitch<int64_t>(
                       getAttr<StringAttr>(dict, "kind").getValue())
                       .Case("class", 1)
                       .Case("one_hot", 2)
                       .Case("binary", 3)
                       .Default(0);
    inputInfos.push_back(ib.record({
        ib.str(getAttr<StringAttr>(dict, "name").getValue()),
        ib.int64(kind), ib.int64(shape.size()), ib.shape(shape),
        ib.int64(getAttr<IntegerAttr>(dict, "num_classes").getInt()),
    }));
  }
  SmallVector<llvm::Constant *> outputInfos;
  for (auto dict : outputs.getAsRange<DictionaryAttr>()) {
    auto shape = getAttr<DenseI64ArrayAttr>(dict, "shape").asArrayRef();
    outputInfos.push_back(ib.record({
        ib.str(getAttr<StringAttr>(dict, "name").getValue()),
        ib.int64(shape.size()), ib.shape(shape),
    }));
  }
  auto real = [&](StringRef key) {
    return ib.real(getAttr<FloatAttr>(train, key).getValueAsDouble());
  };
  auto integer = [&](StringRef key) {
    return ib.int64(getAttr<IntegerAttr>(train, key).getInt());
  };
  auto string = [&](StringRef key) {
    return ib.str(getAttr<StringAttr>(train, key).getValue());
  };
  auto augment = getAttr<DictionaryAttr>(train, "augment");
  auto early = getAttr<DictionaryAttr>(train, "early_stopping");
  auto nested = [&](StringRef group, StringRef key) {
    return ib.real(getAttr<FloatAttr>(getAttr<DictionaryAttr>(train, group), key)
                       .getValueAsDouble());
  };
  llvm::Constant *info = ib.record({
      ib.int64(WEFT_ABI_VERSION), ib.str(name.getValue()), ib.int64(paramInfos.size()),
      ib.array(paramInfos, ".weft.params"), ib.int64(paramSize.getInt()),
      ib.int64(stateSize.getInt()), ib.int64(inputInfos.size()),
      ib.array(inputInfos, ".weft.inputs"), ib.int64(outputInfos.size()),
      ib.array(outputInfos, ".weft.outputs"), ib.str(loss.getValue()),
      packedEntry(ib, "weft_forward"), packedEntry(ib, "weft_eval_step"),
      packedEntry(ib, "weft_gradients"), packedEntry(ib, "weft_train_step_sgd"),
      packedEntry(ib, "weft_train_step_adam"),
      ib.record({string("data_format"), string("data_path"), string("optimizer"),
                 real("lr"), real("momentum"), real("beta1"), real("beta2"),
                 real("eps"), real("weight_decay"), integer("batch"),
                 integer("epochs"), integer("seed"),
                 ib.int64(getAttr<BoolAttr>(train, "nesterov").getValue()),
                 real("clip_norm"), string("schedule"), integer("schedule_every"),
                 real("gamma"), real("min_lr"), integer("warmup"),
                 real("validation"), real("rescale"), nested("augment", "shear"),
                 nested("augment", "zoom"), nested("augment", "rotation"),
                 ib.str(getAttr<StringAttr>(augment, "flip").getValue()),
                 ib.str(getAttr<StringAttr>(early, "monitor").getValue()),
                 ib.int64(getAttr<IntegerAttr>(early, "patience").getInt()),
                 nested("early_stopping", "min_delta")}),
      packedEntry(ib, "weft_cuda_forward"), packedEntry(ib, "weft_cuda_eval_step"),
      packedEntry(ib, "weft_cuda_gradients"),
      packedEntry(ib, "weft_cuda_train_step_sgd"),
      packedEntry(ib, "weft_cuda_train_step_adam"),
  });
  new llvm::GlobalVariable(llvmModule, info->getType(), true,
                           llvm::GlobalValue::ExternalLinkage, info,
                           "weft_model");
  return success();
}
