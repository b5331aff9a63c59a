//===- Sema.cpp - Names, shapes and arguments of a model file -------------===//
//
// Everything wrong with a model is reported here, at its source location and
// before any IR exists: unknown names (with the nearest known one), wrong
// keyword arguments (with the accepted ones), shape mismatches (with both
// shapes). On success every forward expression has a type and every used
// layer knows its input size, so MLIRGen never fails.
//
//===----------------------------------------------------------------------===//

#include "frontend/Sema.h"
#include "frontend/SemaImpl.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Casting.h"

#include <cmath>

using namespace weft;
using namespace weft::ast;
using namespace weft::sema;
using llvm::cast;
using llvm::dyn_cast;
using llvm::isa;

namespace weft::sema {

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

std::optional<int64_t> Sema::constInt(const Expr &e, const char *what) {
  if (auto *n = dyn_cast<NumberExpr>(&e)) {
    if (!n->isInteger) {
      diag.error(e.range, std::string(what) + " must be an integer, got " + n->text);
      return std::nullopt;
    }
    if (n->value > 9.0e15) {
      diag.error(e.range, std::string(what) + " " + n->text + " is too large");
      return std::nullopt;
    }
    return int64_t(n->value);
  }
  if (auto *id = dyn_cast<IdentExpr>(&e)) {
    if (const ModelParam *p = findParam(id->name)) {
      if (!p->isDim())
        return p->value;
      // A block's dimension that this use binds to a size is a constant.
      auto bound = scope.dims.find(id->name);
      if (bound != scope.dims.end() && llvm::isDigit(bound->second.front()))
        return std::stoll(bound->second);
      diag.error(e.range, std::string(what) + " must be a constant, but '" +
                              id->name + "' is a symbolic dimension (known "
                              "only per batch)");
      return std::nullopt;
    }
    diag.error(e.range, "unknown name '" + id->name + "' in " + what +
                            didYouMean(id->name, paramNames()));
    return std::nullopt;
  }
  if (auto *neg = dyn_cast<NegateExpr>(&e)) {
    auto v = constInt(*neg->operand, what);
    return v ? std::optional<int64_t>(-*v) : std::nullopt;
  }
  if (auto *bin = dyn_cast<BinaryExpr>(&e)) {
    auto l = constInt(*bin->lhs, what), r = constInt(*bin->rhs, what);
    if (!l || !r)
      return std::nullopt;
    if (std::llabs(*l) > (1ll << 31) || std::llabs(*r) > (1ll << 31)) {
      diag.error(e.range, std::string(what) + " is too large");
      return std::nullopt;
    }
    switch (bin->op) {
    case '+': return *l + *r;
    case '-': return *l - *r;
    case '*': return *l * *r;
    default:
      if (*r == 0 || *l % *r != 0) {
        diag.error(e.range, std::string(what) + ": " + std::to_string(*l) +
                                " / " + std::to_string(*r) +
                                " is not a whole number");
        return std::nullopt;
      }
      return *l / *r;
    }
  }
  diag.error(e.range, std::string(what) + " must be a constant integer");
  return std::nullopt;
}

std::vector<std::string> Sema::paramNames() const {
  std::vector<std::string> names;
  for (const ModelParam &p : model->params)
    names.push_back(p.name);
  return names;
}

const ModelParam *Sema::findParam(llvm::StringRef name) const {
  for (const ModelParam &p : model->params)
    if (p.name == name)
      return &p;
  return nullptr;
}

std::optional<bool> Sema::constBool(const Expr &e, const char *what) {
  auto *id = dyn_cast<IdentExpr>(&e);
  if (id && (id->name == "true" || id->name == "false"))
    return id->name == "true";
  diag.error(e.range, std::string(what) + " expects true or false");
  return std::nullopt;
}

std::optional<double> Sema::constReal(const Expr &e, const char *what) {
  if (auto *n = dyn_cast<NumberExpr>(&e))
    return n->value;
  if (auto *neg = dyn_cast<NegateExpr>(&e)) {
    auto v = constReal(*neg->operand, what);
    return v ? std::optional<double>(-*v) : std::nullopt;
  }
  if (auto *bin = dyn_cast<BinaryExpr>(&e)) {
    auto l = constReal(*bin->lhs, what), r = constReal(*bin->rhs, what);
    if (!l || !r)
      return std::nullopt;
    if (bin->op == '/' && *r == 0) {
      diag.error(e.range, std::string(what) + " divides by zero");
      return std::nullopt;
    }
    return bin->op == '+' ? *l + *r
           : bin->op == '-' ? *l - *r
           : bin->op == '*' ? *l * *r
                            : *l / *r;
  }
  if (isa<IdentExpr>(&e))
    if (std::optional<int64_t> v = constInt(e, what)) // A model parameter.
      return double(*v);
  if (!isa<IdentExpr>(&e))
    diag.error(e.range, std::string(what) + " must be a number");
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Declarations
//===----------------------------------------------------------------------===//

void Sema::checkParams(ModelDecl &m, const BlockArguments *bound) {
  llvm::StringMap<SourceRange> seen;
  const char *owner = m.isBlock ? "block" : "model";
  for (ModelParam &p : m.params) {
    if (!seen.insert({p.name, p.range}).second) {
      diag.error(p.range, std::string(owner) + " parameter '" + p.name +
                              "' is declared twice");
      diag.note(seen[p.name], "'" + p.name + "' first declared here");
    }
    if (p.isDim()) {
      if (p.defaultValue)
        diag.error(p.defaultValue->range,
                   "'" + p.name + "' is a symbolic dimension: its size comes "
                   "from the data, so it has no default");
      continue;
    }
    if (p.typeName != "int") {
      diag.error(p.range, std::string(owner) + " parameter '" + p.name +
                              "' has type '" + p.typeName +
                              "'; expected 'int' or 'dim' (a symbolic dimension)");
      continue;
    }
    if (bound) {
      auto it = llvm::find_if(*bound, [&](const auto &b) { return b.first == p.name; });
      if (it != bound->end()) {
        p.value = it->second;
        continue;
      }
    }
    if (!p.defaultValue) {
      // A block's use reports a missing argument (checkBlockLayer).
      if (!m.isBlock)
        diag.error(p.range, "model parameter '" + p.name +
                                "' needs a default value ('" + p.name +
                                ": int = 10')");
      continue;
    }
    if (auto v = constInt(*p.defaultValue, "a parameter's default"))
      p.value = *v;
  }
}

std::optional<ValueType> Sema::declaredType(const TypeExpr &t) {
  ValueType type;
  bool ok = true;
  for (const ExprPtr &d : t.args) {
    auto *id = dyn_cast<IdentExpr>(d.get());
    const ModelParam *p = id ? findParam(id->name) : nullptr;
    if (id && !p) {
      std::string hint = didYouMean(id->name, paramNames());
      diag.error(d->range, "unknown name '" + id->name + "' in a dimension" +
                               (hint.empty() ? "; a symbolic dimension is "
                                               "declared as a parameter, '" +
                                                   id->name + ": dim'"
                                             : hint));
      ok = false;
      type.shape.push_back(1);
      continue;
    }
    if (p && p->isDim()) {
      type.symbols.resize(t.args.size());
      type.symbols[type.shape.size()] = id->name;
      type.shape.push_back(ValueType::kSymbolic);
      continue;
    }
    auto v = constInt(*d, "a dimension size");
    if (v && *v <= 0)
      diag.error(d->range, "dimension sizes must be positive, got " +
                               std::to_string(*v));
    ok = ok && v && *v > 0;
    type.shape.push_back(v.value_or(1));
  }
  if (!ok)
    return std::nullopt;
  return type;
}

void Sema::checkInputs(ModelDecl &m) {
  llvm::StringMap<SourceRange> seen;
  for (InputDecl &in : m.inputs) {
    if (!seen.insert({in.name, in.range}).second) {
      diag.error(in.range, "input '" + in.name + "' is declared twice");
      diag.note(seen[in.name], "'" + in.name + "' first declared here");
    }
    const TypeExpr &t = in.type;
    if (t.name == "f32" && t.bare) {
      // A block's `input x: f32` takes the shape of the call's argument.
      if (!m.isBlock) {
        diag.error(t.range, "input '" + in.name + "' needs its shape per "
                            "example, as in f32[1, 28, 28]");
        in.valid = false;
      }
      continue;
    }
    if (m.isBlock && !(t.name == "f32" && t.bracketed)) {
      diag.error(t.range, "a block's inputs are tensors: f32[d1, ...], or f32 "
                          "for any shape; labels belong to the model");
      continue;
    }
    if (t.name == "f32" && t.bracketed) {
      if (auto type = declaredType(t)) {
        in.valueType = *type;
        in.shape = type->shape;
        if (!m.isBlock && !type->isStatic())
          unsupported(t.range, "symbolic dimensions in input '" + in.name +
                                   "' (" + type->str() + ")");
      } else {
        in.valid = false;
      }
    } else if ((t.name == "class" || t.name == "one_hot") && !t.bracketed &&
               !t.bare) {
      in.labelKind = t.name;
      if (t.args.size() != 1) {
        diag.error(t.range, t.name + "(N) takes the number of classes");
        continue;
      }
      auto v = constInt(*t.args[0], "the number of classes");
      if (v && *v < 2)
        diag.error(t.args[0]->range, "a class label needs at least 2 classes, got " +
                                         std::to_string(*v));
      in.numClasses = v.value_or(2);
      if (t.name == "one_hot")
        in.shape = {in.numClasses};
    } else if (t.name == "binary" && t.bare) {
      in.labelKind = "binary";
      in.shape = {1};
    } else {
      diag.error(t.range, "unknown input type '" + t.name +
                              "'; expected f32[d1, d2, ...], class(N), "
                              "one_hot(N) or binary");
      in.valid = false;
    }
  }
}

/// Collects positional and keyword arguments in declaration order into
/// `out` (null where absent); reports extra, unknown and repeated ones.
bool Sema::checkCallArgs(const CallExpr &call,
                         const std::vector<std::string> &positional,
                         const std::vector<std::string> &keywords,
                         std::vector<const Expr *> &out, unsigned first) {
  std::vector<std::string> all(positional);
  all.insert(all.end(), keywords.begin(), keywords.end());
  out.assign(all.size(), nullptr);
  bool ok = true;
  size_t nextPositional = 0;
  for (const Argument &arg : llvm::drop_begin(call.args, first)) {
    if (arg.keyword.empty()) {
      if (nextPositional >= positional.size()) {
        diag.error(arg.value->range,
                   call.callee + " takes " + std::to_string(positional.size()) +
                       " positional argument(s); pass the others by keyword (" +
                       joinNames(keywords) + ")");
        ok = false;
        continue;
      }
      out[nextPositional++] = arg.value.get();
      continue;
    }
    auto it = llvm::find(all, arg.keyword);
    if (it == all.end()) {
      diag.error(arg.keywordRange, call.callee + " has no argument '" +
                                       arg.keyword + "'" +
                                       didYouMean(arg.keyword, all) +
                                       " (accepted: " + joinNames(all) + ")");
      ok = false;
      continue;
    }
    size_t index = size_t(it - all.begin());
    if (out[index]) {
      diag.error(arg.keywordRange, "argument '" + arg.keyword + "' of " +
                                       call.callee + " is given twice");
      ok = false;
      continue;
    }
    out[index] = arg.value.get();
  }
  return ok;
}

void Sema::checkLayers(ModelDecl &m) {
  for (LayerDecl &layer : m.layers) {
    auto [it, inserted] = layers.insert({layer.name, &layer});
    if (!inserted) {
      diag.error(layer.range, "layer '" + layer.name + "' is declared twice");
      diag.note(it->second->range, "'" + layer.name + "' first declared here");
      continue;
    }
    const CallExpr &call = *layer.call;
    if (const ModelDecl *block = blocks.lookup(call.callee)) {
      checkBlockLayer(layer, *block);
      continue;
    }
    const OperatorSpec *spec = lookupOperator(call.callee, /*layer=*/true);
    if (layer.repeatCount) {
      diag.error(call.calleeRange,
                 "repeat(n) stacks blocks, and '" + call.callee +
                     "' is not one; define a block around it ('block Name "
                     "{ input x  layer l = " + call.callee +
                     "(...)  forward { return l(x) } }')");
      continue;
    }
    if (!spec) {
      std::string hint = lookupOperator(call.callee, /*layer=*/false)
                             ? "; '" + call.callee + "' is a function: call it in forward"
                             : "";
      std::vector<std::string> known = operatorNames(true);
      for (auto &b : blocks)
        known.push_back(b.first().str());
      if (hint.empty())
        hint = didYouMean(call.callee, known);
      diag.error(call.calleeRange, "unknown layer type '" + call.callee + "'" +
                                       hint + " (known: " + joinNames(known) +
                                       ")");
      continue;
    }
    // The layer becomes usable (kind set) only if every argument is valid,
    // so its uses report nothing more.
    std::vector<const Expr *> args;
    if (checkCallArgs(call, spec->positional, spec->keywords, args) &&
        resolveArguments(*spec, call, args, layer.config))
      layer.kind = spec->name;
  }
}

//===----------------------------------------------------------------------===//
// Forward
//===----------------------------------------------------------------------===//

std::optional<ValueType> Sema::callLayer(LayerDecl &layer, CallExpr &call) {
  if (call.args.size() != 1 || !call.args[0].keyword.empty()) {
    diag.error(call.range, "layer '" + layer.name + "' takes one input, as in " +
                               layer.name + "(x)");
    return std::nullopt;
  }
  auto input = typeOf(*call.args[0].value);
  if (!input || layer.kind.empty())
    return std::nullopt;
  const OperatorSpec &spec = *lookupOperator(layer.kind, /*layer=*/true);
  if (spec.hasParameters && layer.used && layer.inputType != *input) {
    diag.error(call.args[0].value->range,
               "layer '" + layer.name + "' is reused with input " + input->str() +
                   ", but its first use had " + layer.inputType.str() +
                   ": its weights fit only one");
    return std::nullopt;
  }
  call.op = spec.op;
  call.config = layer.config;
  auto out = applyOperator(spec, call.config, *input, call.args[0].value->range,
                           layer.kind + " layer '" + layer.name + "'");
  if (!out) {
    diag.note(layer.range, "'" + layer.name + "' declared here");
    return std::nullopt;
  }
  layer.used = true;
  layer.inputType = *input;
  return out;
}

std::optional<ValueType> Sema::callFunction(const OperatorSpec &spec,
                                            CallExpr &call) {
  if (call.args.empty() || !call.args[0].keyword.empty()) {
    diag.error(call.range, call.callee + " takes its input first, as in " +
                               call.callee + "(x)");
    return std::nullopt;
  }
  auto input = typeOf(*call.args[0].value);
  std::vector<const Expr *> args;
  if (!checkCallArgs(call, spec.positional, spec.keywords, args, /*first=*/1) ||
      !resolveArguments(spec, call, args, call.config) || !input)
    return std::nullopt;
  call.op = spec.op;
  return applyOperator(spec, call.config, *input, call.range,
                       "'" + call.callee + "'");
}

std::optional<ValueType> Sema::typeOf(Expr &e) {
  std::optional<ValueType> result;
  if (auto *id = dyn_cast<IdentExpr>(&e)) {
    auto it = values.find(id->name);
    if (it != values.end()) {
      result = it->second;
    } else if (poisoned.contains(id->name)) {
      // Already reported where it was defined.
    } else {
      std::vector<std::string> names;
      for (auto &entry : values)
        names.push_back(entry.first().str());
      bool isLabel = llvm::any_of(model->inputs, [&](const InputDecl &in) {
        return in.name == id->name && in.isLabel();
      });
      if (isLabel)
        diag.error(e.range, "'" + id->name + "' is a label: only the "
                                "loss can use it, not the forward section");
      else if (layers.count(id->name))
        diag.error(e.range, "'" + id->name + "' is a layer; call it on a "
                                "value, as in " + id->name + "(x)");
      else
        diag.error(e.range, "unknown name '" + id->name + "'" +
                                didYouMean(id->name, names));
    }
  } else if (auto *call = dyn_cast<CallExpr>(&e)) {
    if (auto it = layers.find(call->callee);
        it != layers.end() && it->second->kind == "block") {
      if (auto outputs = callBlock(*it->second, *call)) {
        if (outputs->size() == 1)
          result = outputs->front();
        else
          diag.error(e.range, "'" + call->callee + "' returns " +
                                  std::to_string(outputs->size()) +
                                  " values; take them with 'a, b = " +
                                  call->callee + "(...)'");
      }
    } else if (it != layers.end()) {
      result = callLayer(*it->second, *call);
    } else if (const OperatorSpec *spec = lookupOperator(call->callee, false)) {
      result = callFunction(*spec, *call);
    } else if (lookupOperator(call->callee, /*layer=*/true)) {
      diag.error(call->calleeRange,
                 "'" + call->callee + "' is a layer type: declare it, as in "
                 "'layer name = " + call->callee + "(...)', then call name(x)");
    } else {
      std::vector<std::string> names = operatorNames(false);
      for (auto &entry : layers)
        names.push_back(entry.first().str());
      diag.error(call->calleeRange, "unknown layer or function '" +
                                        call->callee + "'" +
                                        didYouMean(call->callee, names));
    }
  } else if (auto *bin = dyn_cast<BinaryExpr>(&e)) {
    auto l = typeOf(*bin->lhs), r = typeOf(*bin->rhs);
    if (bin->op != '+' && bin->op != '*') {
      diag.error(e.range, std::string("operator '") + bin->op +
                              "' is not supported on tensors; '+' and '*' are");
    } else if (l && r) {
      if (*l != *r)
        diag.error(e.range, std::string("cannot ") +
                                (bin->op == '+' ? "add " : "multiply ") +
                                l->str() + " and " + r->str() +
                                ": the shapes differ");
      else
        result = l;
    }
  } else {
    diag.error(e.range, "expected a value computed from the inputs (a name, "
                        "a layer or function call, a + b or a * b)");
  }
  e.type = result;
  return result;
}

void Sema::checkForward(ModelDecl &m) {
  if (!m.hasForward) {
    diag.error(m.range, std::string(m.isBlock ? "block '" : "model '") +
                            m.name + "' has no forward section");
    return;
  }
  for (Assignment &a : m.forward) {
    std::vector<Assignment::Target> targets{{a.name, a.range}};
    targets.insert(targets.end(), a.more.begin(), a.more.end());
    bool ok = true;
    for (const Assignment::Target &t : targets)
      if (layers.count(t.name)) {
        diag.error(t.range, "'" + t.name + "' is already a layer; give the "
                            "value another name");
        ok = false;
      }
    if (!ok)
      continue;
    std::optional<std::vector<ValueType>> types;
    if (targets.size() == 1) {
      if (auto type = typeOf(*a.value))
        types = std::vector<ValueType>{*type};
    } else {
      // Only a block returns several values.
      auto *call = dyn_cast<CallExpr>(a.value.get());
      LayerDecl *layer = call ? layers.lookup(call->callee) : nullptr;
      if (!layer || layer->kind != "block") {
        diag.error(a.value->range,
                   "only a block returns several values; this gives one for " +
                       std::to_string(targets.size()) + " names");
      } else if ((types = callBlock(*layer, *call)) &&
                 types->size() != targets.size()) {
        diag.error(targets.front().range,
                   std::to_string(targets.size()) + " names for the " +
                       std::to_string(types->size()) + " value(s) '" +
                       call->callee + "' returns");
        types.reset();
      }
    }
    for (size_t i = 0; i < targets.size(); ++i) {
      const std::string &name = targets[i].name;
      if (types) {
        values[name] = (*types)[i];
        valueDefs[name] = targets[i].range;
        poisoned.erase(name);
      } else {
        values.erase(name);
        poisoned.insert(name);
      }
    }
  }
}

namespace {
/// A loss function: its weft op and the label kinds it takes.
struct LossSpec {
  const char *name;
  std::vector<std::string> labelKinds; // "" accepts a data input too.
};
const LossSpec kLosses[] = {
    {"cross_entropy", {"class", "one_hot"}},
    {"binary_cross_entropy", {"binary"}},
    {"mse", {"binary", "one_hot", ""}},
};
} // namespace

void Sema::checkLoss(ModelDecl &m) {
  if (!m.loss) {
    diag.error(m.range, "model '" + m.name + "' has no loss; add, for "
                        "example, 'loss = cross_entropy(logits, label)'");
    return;
  }
  std::vector<std::string> names;
  for (const LossSpec &l : kLosses)
    names.push_back(l.name);
  auto *call = dyn_cast<CallExpr>(m.loss.get());
  const LossSpec *spec = nullptr;
  for (const LossSpec &l : kLosses)
    if (call && call->callee == l.name)
      spec = &l;
  if (!spec) {
    diag.error(call ? call->calleeRange : m.loss->range,
               "unknown loss" +
                   (call ? " '" + call->callee + "'" + didYouMean(call->callee, names)
                         : std::string()) +
                   " (known: " + joinNames(names) + ")");
    return;
  }
  std::string name = spec->name;
  std::vector<const Expr *> args;
  std::vector<std::string> keywords;
  if (name == "binary_cross_entropy")
    keywords.push_back("from_logits");
  if (!checkCallArgs(*call, {"output", "target"}, keywords, args))
    return;
  if (!args[0] || !args[1]) {
    diag.error(call->range, name + " takes the model's output and a label: " +
                                name + "(output, label)");
    return;
  }
  // typeOf annotates the expression, so take the argument from the call.
  IdentExpr *output = nullptr;
  for (Argument &a : call->args)
    if (a.value.get() == args[0])
      output = dyn_cast<IdentExpr>(a.value.get());
  if (!output) {
    diag.error(args[0]->range, "the loss's first input must name a value of "
                               "the forward section (the model's output)");
    return;
  }
  // The target: a label input of a kind this loss takes (mse: any input).
  auto *targetExpr = dyn_cast<IdentExpr>(args[1]);
  const InputDecl *target = nullptr;
  for (const InputDecl &in : m.inputs)
    if (targetExpr && in.name == targetExpr->name &&
        llvm::is_contained(spec->labelKinds, in.labelKind))
      target = &in;
  if (!target) {
    std::string kinds;
    for (const std::string &k : spec->labelKinds)
      kinds += (kinds.empty() ? "" : ", ") +
               (k.empty() ? std::string("f32[...]") : k == "binary" ? k : k + "(N)");
    std::string actual;
    for (const InputDecl &in : m.inputs)
      if (targetExpr && in.name == targetExpr->name)
        actual = "; '" + in.name + "' is " +
                 (in.isLabel() ? "a " + in.labelKind + " label"
                               : "a data input " + ValueType{in.shape}.str());
    diag.error(args[1]->range, "the second input of " + name +
                                   " must name an input declared as " + kinds +
                                   actual);
    return;
  }
  if (args.size() > 2 && args[2]) {
    if (auto fromLogits = constBool(*args[2], "from_logits"))
      m.lossFromLogits = *fromLogits;
  }
  auto type = typeOf(*output);
  if (!type)
    return;
  ValueType expected = target->isLabel() ? ValueType{target->shape}
                                          : target->valueType;
  if (target->labelKind == "class")
    expected = ValueType{{target->numClasses}};
  if (*type != expected) {
    std::string why = target->labelKind == "class" || target->labelKind == "one_hot"
                          ? " for '" + target->name + "' with " +
                                std::to_string(target->numClasses) + " classes"
                          : " to match '" + target->name + "'";
    diag.error(output->range, name + " needs " +
                                  (name == "cross_entropy" ? "logits " : "") +
                                  expected.str() + why + ", but '" +
                                  output->name + "' is " + type->str());
    diag.note(valueDefs[output->name], "'" + output->name + "' defined here");
    return;
  }
  m.outputNames = {output->name};
  m.outputTypes = {*type};
  m.lossTarget = target->name;
  m.lossOp = name == "cross_entropy"
                 ? (target->labelKind == "class" ? "softmax_cross_entropy"
                                                 : "categorical_cross_entropy")
                 : name;
}

void Sema::checkOutputs(ModelDecl &m) {
  if (m.returns.empty())
    return; // The model's one output is what the loss scores.
  std::vector<std::string> names;
  for (const ExprPtr &e : m.returns) {
    auto *id = dyn_cast<IdentExpr>(e.get());
    if (!id) {
      diag.error(e->range, "a model returns named values; name this one in "
                           "forward ('probs = softmax(logits)') and return "
                           "the name");
      continue;
    }
    if (llvm::is_contained(names, id->name)) {
      diag.error(e->range, "'" + id->name + "' is returned twice");
      continue;
    }
    names.push_back(id->name);
    auto type = typeOf(*id);
    if (!type)
      continue;
    if (!type->isStatic())
      unsupported(e->range, "an output with symbolic dimensions (" +
                                type->str() + ")");
    if (m.outputNames.empty() || id->name != m.outputNames.front()) {
      m.outputNames.push_back(id->name);
      m.outputTypes.push_back(*type);
    }
  }
  // The scored output comes first in the compiled model (what eval scores
  // and predict shows), so it must be one the model returns.
  if (!m.outputNames.empty() &&
      !llvm::is_contained(names, m.outputNames.front())) {
    diag.error(m.returnRange, "the model returns " + joinNames(names) +
                                  " but not '" + m.outputNames.front() +
                                  "', which the loss scores; return it too");
    diag.note(m.lossRange, "the loss is declared here");
  }
}

void Sema::unsupported(SourceRange at, std::string message) {
  unsupportedUses.push_back({at, std::move(message)});
}

//===----------------------------------------------------------------------===//
// Training
//===----------------------------------------------------------------------===//

void Sema::checkOptimizer(const Expr &e) {
  auto *call = dyn_cast<CallExpr>(&e);
  const std::vector<std::string> names{"sgd", "adam", "adamw"};
  if (!call || !llvm::is_contained(names, call->callee)) {
    diag.error(e.range, "optimizer must be sgd(...), adam(...) or adamw(...)" +
                            (call ? didYouMean(call->callee, names) : ""));
    return;
  }
  TrainConfig &t = module.train;
  t.optimizer = call->callee;
  std::vector<const Expr *> args;
  if (call->callee == "sgd") {
    if (!checkCallArgs(*call, {"lr"}, {"momentum", "weight_decay", "nesterov"},
                       args))
      return;
    t.lr = 1e-2; // torch.optim.SGD has no default; a common starting point.
    if (args[1])
      t.momentum = constReal(*args[1], "momentum").value_or(0.0);
    if (args[2])
      t.weightDecay = constReal(*args[2], "weight_decay").value_or(0.0);
    if (args[3])
      t.nesterov = constBool(*args[3], "nesterov").value_or(false);
    if (t.nesterov && !(t.momentum > 0))
      diag.error(args[3]->range, "Nesterov momentum needs momentum > 0, as "
                                 "torch.optim.SGD requires");
  } else {
    if (!checkCallArgs(*call, {"lr"}, {"beta1", "beta2", "eps", "weight_decay"},
                       args))
      return;
    // torch.optim.AdamW decays by 0.01 unless told otherwise; Adam by 0.
    t.weightDecay = call->callee == "adamw" ? 0.01 : 0.0;
    if (args[1])
      t.beta1 = constReal(*args[1], "beta1").value_or(t.beta1);
    if (args[2])
      t.beta2 = constReal(*args[2], "beta2").value_or(t.beta2);
    if (args[3])
      t.eps = constReal(*args[3], "eps").value_or(t.eps);
    if (args[4])
      t.weightDecay = constReal(*args[4], "weight_decay").value_or(0.0);
  }
  if (args[0])
    t.lr = constReal(*args[0], "lr").value_or(t.lr);
  if (!(t.lr > 0))
    diag.error(args[0] ? args[0]->range : call->range,
               "the learning rate must be positive");
}

void Sema::checkSchedule(const Expr &e) {
  auto *call = dyn_cast<CallExpr>(&e);
  auto *id = dyn_cast<IdentExpr>(&e);
  const std::vector<std::string> names{"constant", "step", "cosine", "linear"};
  std::string name = call ? call->callee : id ? id->name : "";
  if (!llvm::is_contained(names, name)) {
    diag.error(e.range, "schedule must be constant, step(every: N, gamma: G), "
                        "cosine(min_lr: X) or linear(warmup: N)" +
                            didYouMean(name, names));
    return;
  }
  TrainConfig &t = module.train;
  t.schedule = name;
  if (!call)
    return;
  std::vector<const Expr *> args;
  if (name == "step") {
    if (!checkCallArgs(*call, {}, {"every", "gamma"}, args))
      return;
    if (args[0])
      t.scheduleEvery = constInt(*args[0], "a count of epochs").value_or(1);
    if (args[1])
      t.gamma = constReal(*args[1], "gamma").value_or(t.gamma);
    if (t.scheduleEvery < 1)
      diag.error(args[0]->range, "'every' counts epochs and must be positive");
    if (!(t.gamma > 0))
      diag.error(args[1] ? args[1]->range : call->range, "gamma must be positive");
  } else if (name == "cosine") {
    if (!checkCallArgs(*call, {}, {"min_lr"}, args))
      return;
    if (args[0])
      t.minLr = constReal(*args[0], "min_lr").value_or(0.0);
    if (t.minLr < 0)
      diag.error(args[0]->range, "min_lr cannot be negative");
  } else if (name == "linear") {
    if (!checkCallArgs(*call, {}, {"warmup"}, args))
      return;
    if (args[0])
      t.warmupSteps = constInt(*args[0], "a count of steps").value_or(0);
    if (t.warmupSteps < 0)
      diag.error(args[0]->range, "warmup counts steps and cannot be negative");
  } else {
    checkCallArgs(*call, {}, {}, args);
  }
}

void Sema::checkData(ModelDecl &m, const Expr &v) {
  TrainConfig &t = module.train;
  auto *call = dyn_cast<CallExpr>(&v);
  const char *usage =
      "data must be idx(\"FOLDER\") (IDX files such as "
      "train-images-idx3-ubyte.gz) or image_folder(\"FOLDER\", size: [h, w], "
      "rescale: 1 / 255, augment: {...}) (FOLDER/train/<class>/*.png|jpg)";
  if (!call || (call->callee != "idx" && call->callee != "image_folder")) {
    diag.error(v.range, usage);
    return;
  }
  std::vector<const Expr *> args;
  std::vector<std::string> keywords;
  if (call->callee == "image_folder")
    keywords = {"size", "rescale", "augment"};
  if (!checkCallArgs(*call, {"folder"}, keywords, args))
    return;
  auto *folder = args[0] ? dyn_cast<StringExpr>(args[0]) : nullptr;
  if (!folder) {
    diag.error(args[0] ? args[0]->range : call->range,
               call->callee + " needs the data folder as a string, as in " +
                   call->callee + "(\"data/images\")");
    return;
  }
  t.dataFormat = call->callee;
  t.dataPath = folder->value;
  if (call->callee == "idx")
    return;

  // The image input the folder feeds: its size is the default target size.
  const InputDecl *image = nullptr;
  for (const InputDecl &in : m.inputs)
    if (!in.isLabel() && in.shape.size() == 3)
      image = &in;
  if (!image) {
    diag.error(call->range, "image_folder feeds an image input declared as "
                            "f32[channels, height, width]; model '" + m.name +
                                "' has none");
    return;
  }
  t.imageSize[0] = image->shape[1];
  t.imageSize[1] = image->shape[2];
  if (image->shape[0] != 1 && image->shape[0] != 3)
    diag.error(image->range, "image_folder gives 1 (grayscale) or 3 (RGB) "
                             "channels, but '" + image->name + "' has " +
                                 std::to_string(image->shape[0]));
  if (const Expr *size = args[1]) {
    int64_t hw[2];
    if (pairOf(*size, "the image size", 1, hw) &&
        (hw[0] != t.imageSize[0] || hw[1] != t.imageSize[1]))
      diag.error(size->range, "image_folder resizes to " + std::to_string(hw[0]) +
                                  "x" + std::to_string(hw[1]) + " but input '" +
                                  image->name + "' is " +
                                  ValueType{image->shape}.str());
  }
  if (const Expr *rescale = args[2])
    t.rescale = constReal(*rescale, "rescale").value_or(1.0);
  if (const Expr *augment = args[3]) {
    auto *record = dyn_cast<RecordExpr>(augment);
    if (!record) {
      diag.error(augment->range, "augment takes settings in braces, as in "
                                 "{shear: 0.2, zoom: 0.2, flip: horizontal}");
      return;
    }
    const std::vector<std::string> known{"shear", "zoom", "rotation", "flip"};
    for (const Argument &f : record->fields) {
      if (f.keyword == "flip") {
        auto *id = dyn_cast<IdentExpr>(f.value.get());
        const std::vector<std::string> modes{"none", "horizontal", "vertical",
                                             "both"};
        if (!id || !llvm::is_contained(modes, id->name))
          diag.error(f.value->range, "flip is none, horizontal, vertical or both");
        else
          t.flip = id->name;
      } else if (llvm::is_contained(known, f.keyword)) {
        double value = constReal(*f.value, "an augmentation amount").value_or(0);
        if (value < 0)
          diag.error(f.value->range, "augmentation amounts cannot be negative");
        (f.keyword == "shear" ? t.shear : f.keyword == "zoom" ? t.zoom : t.rotation) =
            value;
      } else {
        diag.error(f.keywordRange, "unknown augmentation '" + f.keyword + "'" +
                                       didYouMean(f.keyword, known) +
                                       " (known: " + joinNames(known) + ")");
      }
    }
  }
}

void Sema::checkEarlyStopping(const Expr &v) {
  TrainConfig &t = module.train;
  auto *record = dyn_cast<RecordExpr>(&v);
  if (!record) {
    diag.error(v.range, "early_stopping takes settings in braces, as in "
                        "{monitor: val_loss, patience: 3, min_delta: 0}");
    return;
  }
  const std::vector<std::string> known{"monitor", "patience", "min_delta"};
  t.patience = 1; // Keras' default patience once early stopping is asked for.
  for (const Argument &f : record->fields) {
    if (f.keyword == "monitor") {
      auto *id = dyn_cast<IdentExpr>(f.value.get());
      if (!id || (id->name != "val_loss" && id->name != "val_accuracy"))
        diag.error(f.value->range, "early stopping monitors val_loss or "
                                   "val_accuracy");
      else
        t.monitor = id->name;
    } else if (f.keyword == "patience") {
      auto value = constInt(*f.value, "a count of epochs");
      if (value && *value < 1)
        diag.error(f.value->range, "patience is a count of epochs, at least 1");
      else if (value)
        t.patience = *value;
    } else if (f.keyword == "min_delta") {
      auto value = constReal(*f.value, "min_delta");
      if (value && *value < 0)
        diag.error(f.value->range, "min_delta cannot be negative");
      else if (value)
        t.minDelta = *value;
    } else {
      diag.error(f.keywordRange, "unknown early_stopping setting '" + f.keyword +
                                     "'" + didYouMean(f.keyword, known) +
                                     " (known: " + joinNames(known) + ")");
    }
  }
}

void Sema::checkTrain(ModelDecl &m) {
  TrainDecl *train = nullptr;
  for (auto &t : module.trains) {
    if (t->modelName != m.name) {
      diag.error(t->range, "train block for unknown model '" + t->modelName +
                               "'" + didYouMean(t->modelName, {m.name}));
      continue;
    }
    if (train) {
      diag.error(t->range, "model '" + m.name + "' has a second train block");
      diag.note(train->range, "first train block here");
      continue;
    }
    train = t.get();
  }
  if (!train)
    return; // The defaults of TrainConfig apply.
  const std::vector<std::string> keys{
      "data",    "optimizer", "batch",      "epochs",   "seed",
      "metrics", "validation", "schedule", "clip_norm", "early_stopping"};
  llvm::StringMap<SourceRange> seen;
  TrainConfig &t = module.train;
  for (const Assignment &s : train->settings) {
    if (!seen.insert({s.name, s.range}).second) {
      diag.error(s.range, "'" + s.name + "' is set twice");
      diag.note(seen[s.name], "first set here");
      continue;
    }
    const Expr &v = *s.value;
    if (s.name == "data") {
      checkData(m, v);
    } else if (s.name == "validation") {
      auto split = constReal(v, "validation");
      if (split && (*split <= 0 || *split >= 1))
        diag.error(v.range, "validation is the fraction of the training data "
                            "held out, between 0 and 1");
      else if (split)
        t.validationSplit = *split;
    } else if (s.name == "early_stopping") {
      checkEarlyStopping(v);
    } else if (s.name == "optimizer") {
      checkOptimizer(v);
    } else if (s.name == "schedule") {
      checkSchedule(v);
    } else if (s.name == "clip_norm") {
      auto norm = constReal(v, "clip_norm");
      if (norm && !(*norm > 0))
        diag.error(v.range, "clip_norm is the largest global gradient norm "
                            "and must be positive");
      else if (norm)
        t.clipNorm = *norm;
    } else if (s.name == "batch" || s.name == "epochs" || s.name == "seed") {
      auto value = constInt(v, s.name == "seed" ? "seed" : "a count");
      if (!value)
        continue;
      if (*value < (s.name == "seed" ? 0 : 1))
        diag.error(v.range, "'" + s.name + "' must be " +
                                (s.name == "seed" ? "non-negative" : "positive"));
      (s.name == "batch" ? t.batch : s.name == "epochs" ? t.epochs : t.seed) =
          *value;
    } else if (s.name == "metrics") {
      auto *list = dyn_cast<ListExpr>(&v);
      if (!list) {
        diag.error(v.range, "metrics must be a list, e.g. [accuracy]");
        continue;
      }
      const std::vector<std::string> known{"accuracy", "precision", "recall",
                                           "f1"};
      for (const ExprPtr &e : list->elements) {
        auto *id = dyn_cast<IdentExpr>(e.get());
        if (!id || !llvm::is_contained(known, id->name))
          diag.error(e->range, "unknown metric" +
                                   (id ? " '" + id->name + "'" +
                                             didYouMean(id->name, known)
                                       : std::string()) +
                                   " (known: " + joinNames(known) + ")");
        else
          t.metrics.push_back(id->name);
      }
    } else {
      diag.error(s.range, "unknown train setting '" + s.name + "'" +
                              didYouMean(s.name, keys) +
                              " (accepted: " + joinNames(keys) + ")");
    }
  }
  if (seen.count("early_stopping") && !seen.count("validation"))
    diag.error(seen["early_stopping"],
               "early_stopping watches the validation split; set validation "
               "too, as in 'validation = 0.1'");
}

bool Sema::run() {
  checkBlockDefinitions();
  // Models of the main file come first; an imported file lends models too.
  std::vector<ModelDecl *> candidates;
  for (auto &m : module.models)
    if (m->range.buffer == 0)
      candidates.push_back(m.get());
  if (module.models.empty() || (candidates.empty() && module.trains.empty())) {
    diag.error(SourceRange{1, 1, 1, 1}, "no model in this file; a model file "
                                        "starts with 'model Name { ... }'");
    return false;
  }
  llvm::StringMap<SourceRange> names;
  for (auto &m : module.models)
    if (!names.insert({m->name, m->range}).second) {
      diag.error(m->range, "model '" + m->name + "' is defined twice");
      diag.note(names[m->name], "first defined here");
    }
  // The model a train block names is compiled; else the main file's last.
  model = candidates.empty() ? module.models.back().get() : candidates.back();
  if (!module.trains.empty())
    for (auto &m : module.models)
      if (m->name == module.trains.front()->modelName)
        model = m.get();
  module.selected = model;

  checkParams(*model);
  checkInputs(*model);
  checkLayers(*model);
  for (const InputDecl &in : model->inputs) {
    if (in.isLabel())
      continue;
    if (!in.valid) {
      poisoned.insert(in.name); // Its uses report nothing more.
      continue;
    }
    values[in.name] = in.valueType;
    valueDefs[in.name] = in.range;
  }
  checkForward(*model);
  checkLoss(*model);
  checkOutputs(*model);
  checkTrain(*model);
  if (diag.errorCount() == 0)
    warnUnusedLayers(*model);
  if (diag.errorCount() == 0 && forCodegen)
    for (auto &[at, what] : unsupportedUses)
      diag.error(at, "code generation does not support " + what +
                         " yet; `weftc --emit=ast` checks the model without it");
  return diag.errorCount() == 0;
}

void Sema::warnUnusedLayers(const ModelDecl &m) {
  for (const LayerDecl &layer : m.layers) {
    if (layer.used || layer.kind.empty())
      continue;
    bool hasParameters = layer.kind == "block" ||
                         lookupOperator(layer.kind, true)->hasParameters;
    diag.warning(layer.range, "layer '" + layer.name +
                                  "' is never used in forward" +
                                  (hasParameters ? "; it gets no parameters" : ""));
  }
}

} // namespace weft::sema

bool weft::analyze(Module &module, Diagnostics &diagnostics, bool forCodegen) {
  return Sema(module, diagnostics, forCodegen).run();
}
