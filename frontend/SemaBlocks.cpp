//===- SemaBlocks.cpp - Blocks: definitions, uses, repeat -----------------===//
//
// A block is checked where it is used, like a C++ template: its parameters
// come from the `layer` declaration and its input types from the call, so
// each use (and each copy of a `repeat(n)` stack) checks its own copy of the
// body. Errors inside a body are reported at the body's source with a note
// pointing at the use.
//
//===----------------------------------------------------------------------===//

#include "frontend/SemaImpl.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Casting.h"

using namespace weft;
using namespace weft::ast;
using namespace weft::sema;
using llvm::dyn_cast;

namespace weft::sema {

/// Longer stacks are a typo; BERT-large has 24 layers.
constexpr int64_t kMaxRepeat = 1024;
/// Copies of block bodies in one model: nested repeats multiply, and each
/// copy is checked and emitted.
constexpr int64_t kMaxBlockCopies = 20000;

void Sema::checkBlockDefinitions() {
  for (auto &block : module.blocks) {
    const ModelDecl &b = *block;
    if (lookupOperator(b.name, /*layer=*/true) ||
        lookupOperator(b.name, /*layer=*/false)) {
      diag.error(b.range, "block '" + b.name + "' has the name of a built-in " +
                              "layer or function; choose another");
      continue;
    }
    auto [it, inserted] = blocks.insert({b.name, &b});
    if (!inserted) {
      diag.error(b.range, "block '" + b.name + "' is defined twice");
      diag.note(it->second->range, "first defined here");
      continue;
    }
    if (b.loss)
      diag.error(b.lossRange, "a block has no loss; the model that uses it "
                              "declares the loss");
    if (b.hasForward && b.returns.empty())
      diag.error(b.forwardRange, "block '" + b.name + "' returns nothing; end "
                                 "its forward with 'return y'");
  }
}

void Sema::checkBlockLayer(LayerDecl &layer, const ModelDecl &block) {
  const CallExpr &call = *layer.call;
  std::vector<std::string> positional, dims;
  for (const ModelParam &p : block.params)
    (p.isDim() ? dims : positional).push_back(p.name);
  for (const Argument &arg : call.args)
    if (llvm::is_contained(dims, arg.keyword)) {
      diag.error(arg.keywordRange, "'" + arg.keyword + "' is a symbolic "
                                   "dimension of block '" + block.name +
                                   "'; it comes from the inputs' shapes");
      return;
    }
  std::vector<const Expr *> args;
  if (!checkCallArgs(call, positional, {}, args))
    return;
  bool ok = true;
  for (size_t i = 0; i < positional.size(); ++i) {
    const ModelParam &p = *llvm::find_if(
        block.params, [&](const ModelParam &q) { return q.name == positional[i]; });
    if (!args[i]) {
      if (!p.defaultValue) {
        diag.error(call.range, "block '" + block.name + "' needs its '" +
                                   p.name + "' argument, as in " + block.name +
                                   "(" + joinNames(positional) + ")");
        diag.note(p.range, "'" + p.name + "' declared here");
        ok = false;
      }
      continue;
    }
    std::optional<int64_t> value = constInt(*args[i], "a block argument");
    ok = ok && value;
    if (value)
      layer.blockArgs.push_back({p.name, *value});
  }
  if (layer.repeatCount) {
    std::optional<int64_t> n = positiveInt(*layer.repeatCount, "repeat's count");
    if (n && *n > kMaxRepeat) {
      diag.error(layer.repeatCount->range, "repeat(" + std::to_string(*n) +
                                               ") is more than " +
                                               std::to_string(kMaxRepeat) +
                                               " copies");
      n.reset();
    }
    ok = ok && n;
    layer.repeat = n.value_or(0);
  }
  if (ok) {
    layer.kind = "block";
    layer.block = &block;
  }
}

/// Matches the input of a block against the type its declaration states,
/// binding the block's symbolic dimensions to the caller's sizes.
bool Sema::bindInput(const InputDecl &input, const ValueType &actual,
                     llvm::StringMap<std::string> &dims) {
  if (input.type.bare)
    return true; // `f32`: any shape the body accepts.
  const ValueType &declared = input.valueType;
  bool ok = declared.shape.size() == actual.shape.size();
  for (size_t d = 0; ok && d < declared.shape.size(); ++d) {
    if (!declared.isSymbolic(d)) {
      ok = !actual.isSymbolic(d) && declared.shape[d] == actual.shape[d];
      continue;
    }
    auto [it, inserted] = dims.insert({declared.symbols[d], actual.dimText(d)});
    ok = inserted || it->second == actual.dimText(d);
  }
  if (!ok)
    diag.error(input.type.range, "input '" + input.name + "' is declared as " +
                                     declared.str() + " but gets " +
                                     actual.str());
  return ok;
}

std::optional<std::vector<ValueType>>
Sema::checkInstance(ModelDecl &instance, const BlockArguments &arguments,
                    const std::vector<ValueType> &inputs) {
  Scope outer;
  std::swap(scope, outer);
  scope.model = &instance;
  unsigned errorsBefore = diag.errorCount();
  checkParams(instance, &arguments);
  checkInputs(instance);
  bool inputsOk = diag.errorCount() == errorsBefore;
  for (auto [in, type] : llvm::zip(instance.inputs, inputs)) {
    inputsOk = inputsOk && bindInput(in, type, scope.dims);
    values[in.name] = type;
    valueDefs[in.name] = in.range;
  }
  std::optional<std::vector<ValueType>> outputs;
  if (inputsOk) {
    checkLayers(instance);
    checkForward(instance);
    std::vector<ValueType> types;
    for (ExprPtr &e : instance.returns)
      if (auto type = typeOf(*e))
        types.push_back(*type);
    if (diag.errorCount() == errorsBefore && !instance.returns.empty())
      outputs = std::move(types);
  }
  if (outputs && warnedBlocks.insert(instance.name).second)
    warnUnusedLayers(instance);
  std::swap(scope, outer);
  return outputs;
}

std::optional<std::vector<ValueType>> Sema::callBlock(LayerDecl &layer,
                                                      CallExpr &call) {
  const ModelDecl &block = *layer.block;
  std::vector<std::string> inputNames;
  for (const InputDecl &in : block.inputs)
    inputNames.push_back(in.name);
  bool keywords = llvm::any_of(call.args, [](const Argument &a) {
    return !a.keyword.empty();
  });
  if (keywords || call.args.size() != block.inputs.size()) {
    diag.error(call.range, "layer '" + layer.name + "' (block '" + block.name +
                               "') takes " + std::to_string(inputNames.size()) +
                               " input(s), as in " + layer.name + "(" +
                               joinNames(inputNames) + ")");
    return std::nullopt;
  }
  std::vector<ValueType> inputs;
  for (Argument &arg : call.args)
    if (auto type = typeOf(*arg.value))
      inputs.push_back(*type);
  if (inputs.size() != call.args.size() || layer.failed)
    return std::nullopt;
  if (layer.used) {
    // A second call shares the weights, so it must fit them.
    if (inputs != layer.inputTypes) {
      std::string was, now;
      for (size_t i = 0; i < inputs.size(); ++i) {
        was += (i ? ", " : "") + layer.inputTypes[i].str();
        now += (i ? ", " : "") + inputs[i].str();
      }
      diag.error(call.range, "layer '" + layer.name + "' is reused with " +
                                 now + ", but its first use had " + was +
                                 ": its weights fit only one");
      return std::nullopt;
    }
    return layer.outputTypes;
  }
  if (layer.repeat && block.returns.size() != 1) {
    diag.error(call.range, "repeat(n) chains blocks that return one value; '" +
                               block.name + "' returns " +
                               std::to_string(block.returns.size()));
    layer.failed = true;
    return std::nullopt;
  }
  if (llvm::is_contained(usesInProgress, block.name)) {
    diag.error(call.range, "block '" + block.name + "' uses itself (through "
                           "layer '" + layer.name + "'); a block cannot "
                           "contain itself");
    layer.failed = true;
    return std::nullopt;
  }
  layer.used = true;
  layer.inputTypes = inputs;
  usesInProgress.push_back(block.name);
  // repeat(n): the first input flows through the copies; the others (a
  // mask, say) go to each copy unchanged.
  int64_t copies = layer.repeat ? layer.repeat : 1;
  std::vector<ValueType> current = inputs;
  for (int64_t i = 0; i < copies; ++i) {
    if (++blockCopies > kMaxBlockCopies) {
      diag.error(call.range, "the model needs more than " +
                                 std::to_string(kMaxBlockCopies) +
                                 " copies of blocks (nested repeats multiply)");
      layer.failed = true;
      usesInProgress.pop_back();
      return std::nullopt;
    }
    std::string use = layer.name + (layer.repeat ? "." + std::to_string(i) : "");
    diag.pushContext(call.range, "in block '" + block.name +
                                     "', used as layer '" + use + "' here");
    auto instance = block.clone();
    auto outputs = checkInstance(*instance, layer.blockArgs, current);
    diag.popContext();
    layer.instances.push_back(std::move(instance));
    if (!outputs) {
      layer.failed = true;
      usesInProgress.pop_back();
      return std::nullopt;
    }
    if (layer.repeat)
      current.front() = outputs->front();
    else
      current = *outputs;
  }
  usesInProgress.pop_back();
  layer.outputTypes =
      layer.repeat ? std::vector<ValueType>{current.front()} : current;
  return layer.outputTypes;
}

} // namespace weft::sema
