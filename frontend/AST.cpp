//===- AST.cpp - Printing the syntax tree ---------------------------------===//

#include "frontend/AST.h"

using namespace weft;
using namespace weft::ast;

std::string ValueType::str() const {
  std::string s = "f32[?";
  for (int64_t d : shape)
    s += ", " + std::to_string(d);
  return s + "]";
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

void Module::dump(llvm::raw_ostream &os) const {
  for (const auto &model : models) {
    os << "Model " << model->name << " " << model->range << "\n";
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
      layer.call->print(os);
      os << " " << layer.range << "\n";
    }
    if (model->hasForward) {
      os << "  Forward " << model->forwardRange << "\n";
      for (const Assignment &a : model->forward) {
        os << "    " << a.name << " = ";
        a.value->print(os);
        os << " " << a.range << "\n";
      }
    }
    if (model->loss) {
      os << "  Loss ";
      model->loss->print(os);
      os << " " << model->lossRange << "\n";
    }
  }
  for (const auto &train : trains) {
    os << "Train " << train->modelName << " " << train->range << "\n";
    for (const Assignment &a : train->settings) {
      os << "  " << a.name << " = ";
      a.value->print(os);
      os << " " << a.range << "\n";
    }
  }
}
