//===- AST.cpp - Printing the syntax tree ---------------------------------===//

#include "frontend/AST.h"

using namespace weft;
using namespace weft::ast;

std::string ValueType::dimText(size_t dim) const {
  return isSymbolic(dim) ? symbols[dim] : std::to_string(shape[dim]);
}

std::string ValueType::str() const {
  std::string s = "f32[?";
  for (size_t d = 0; d < shape.size(); ++d)
    s += ", " + dimText(d);
  return s + "]";
}

bool ValueType::isStatic() const {
  for (size_t d = 0; d < shape.size(); ++d)
    if (isSymbolic(d))
      return false;
  return true;
}

std::vector<std::string> ValueType::normalizedSymbols() const {
  return isStatic() ? std::vector<std::string>() : symbols;
}

std::vector<Argument> ast::cloneArguments(const std::vector<Argument> &args) {
  std::vector<Argument> copy;
  for (const Argument &a : args)
    copy.push_back(a.clone());
  return copy;
}

std::vector<ExprPtr> ast::cloneExprs(const std::vector<ExprPtr> &exprs) {
  std::vector<ExprPtr> copy;
  for (const ExprPtr &e : exprs)
    copy.push_back(e->clone());
  return copy;
}

LayerDecl LayerDecl::clone() const {
  LayerDecl copy;
  copy.name = name;
  copy.range = range;
  copy.call = call->cloneCall();
  copy.repeatCount = repeatCount ? repeatCount->clone() : nullptr;
  return copy;
}

std::unique_ptr<ModelDecl> ModelDecl::clone() const {
  auto copy = std::make_unique<ModelDecl>();
  copy->name = name;
  copy->range = range;
  copy->isBlock = isBlock;
  for (const ModelParam &p : params)
    copy->params.push_back(p.clone());
  for (const InputDecl &in : inputs)
    copy->inputs.push_back(in.clone());
  for (const LayerDecl &layer : layers)
    copy->layers.push_back(layer.clone());
  for (const Assignment &a : forward)
    copy->forward.push_back(a.clone());
  copy->forwardRange = forwardRange;
  copy->hasForward = hasForward;
  copy->returns = cloneExprs(returns);
  copy->returnRange = returnRange;
  copy->loss = loss ? loss->clone() : nullptr;
  copy->lossRange = lossRange;
  return copy;
}

void StringExpr::print(llvm::raw_ostream &os) const {
  os << '"';
  os.write_escaped(value);
  os << '"';
}

void CallExpr::print(llvm::raw_ostream &os) const {
  os << callee << '(';
  for (size_t i = 0; i < args.size(); ++i) {
    if (i)
      os << ", ";
    if (!args[i].keyword.empty())
      os << args[i].keyword << ": ";
    args[i].value->print(os);
  }
  os << ')';
}

void ListExpr::print(llvm::raw_ostream &os) const {
  os << '[';
  for (size_t i = 0; i < elements.size(); ++i) {
    if (i)
      os << ", ";
    elements[i]->print(os);
  }
  os << ']';
}

void RecordExpr::print(llvm::raw_ostream &os) const {
  os << '{';
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i)
      os << ", ";
    os << fields[i].keyword << ": ";
    fields[i].value->print(os);
  }
  os << '}';
}

void BinaryExpr::print(llvm::raw_ostream &os) const {
  os << '(';
  lhs->print(os);
  os << ' ' << op << ' ';
  rhs->print(os);
  os << ')';
}

void NegateExpr::print(llvm::raw_ostream &os) const {
  os << '-';
  operand->print(os);
}

static llvm::raw_ostream &operator<<(llvm::raw_ostream &os, SourceRange r) {
  return os << "@" << r.line << ":" << r.column;
}

static void printType(llvm::raw_ostream &os, const TypeExpr &type) {
  if (type.bare) {
    os << type.name;
    return;
  }
  os << type.name << (type.bracketed ? '[' : '(');
  for (size_t i = 0; i < type.args.size(); ++i) {
    if (i)
      os << ", ";
    type.args[i]->print(os);
  }
  os << (type.bracketed ? ']' : ')');
}

static void dumpDecl(llvm::raw_ostream &os, const ModelDecl *model) {
  os << (model->isBlock ? "Block " : "Model ") << model->name << " "
     << model->range << "\n";
  for (const ModelParam &p : model->params) {
    os << "  Param " << p.name << ": " << p.typeName;
    if (p.defaultValue) {
      os << " = ";
      p.defaultValue->print(os);
    }
    os << " " << p.range << "\n";
  }
  for (const InputDecl &in : model->inputs) {
    os << "  Input " << in.name << ": ";
    printType(os, in.type);
    os << " " << in.range << "\n";
  }
  for (const LayerDecl &layer : model->layers) {
    os << "  Layer " << layer.name << " = ";
    if (layer.repeatCount) {
      os << "repeat(";
      layer.repeatCount->print(os);
      os << ") ";
    }
    layer.call->print(os);
    os << " " << layer.range << "\n";
  }
  if (model->hasForward) {
    os << "  Forward " << model->forwardRange << "\n";
    for (const Assignment &a : model->forward) {
      os << "    " << a.name;
      for (const Assignment::Target &t : a.more)
        os << ", " << t.name;
      os << " = ";
      a.value->print(os);
      os << " " << a.range << "\n";
    }
    if (!model->returns.empty()) {
      os << "    return ";
      for (size_t i = 0; i < model->returns.size(); ++i) {
        if (i)
          os << ", ";
        model->returns[i]->print(os);
      }
      os << " " << model->returnRange << "\n";
    }
  }
  if (model->loss) {
    os << "  Loss ";
    model->loss->print(os);
    os << " " << model->lossRange << "\n";
  }
}

void Module::dump(llvm::raw_ostream &os) const {
  for (const auto &block : blocks)
    dumpDecl(os, block.get());
  for (const auto &model : models)
    dumpDecl(os, model.get());
  for (const auto &train : trains) {
    os << "Train " << train->modelName << " " << train->range << "\n";
    for (const Assignment &a : train->settings) {
      os << "  " << a.name << " = ";
      a.value->print(os);
      os << " " << a.range << "\n";
    }
  }
}
