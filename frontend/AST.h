//===- AST.h - The syntax tree of a model file ------------------*- C++ -*-===//
//
// Plain classes, as in MLIR's Toy tutorial: the parser builds them, Sema
// fills in what it infers (shapes, resolved layers), MLIRGen reads them.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_FRONTEND_AST_H
#define WEFT_FRONTEND_AST_H

#include "frontend/Diagnostics.h"

#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace weft::ast {

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

/// What Sema knows about the value of an expression in a forward section:
/// a float tensor with an implicit leading batch dimension. A dimension may
/// be symbolic (`S` in `f32[S, 768]`, bound per batch): its size is then
/// kSymbolic and `symbols` holds its name.
struct ValueType {
  static constexpr int64_t kSymbolic = -1;
  std::vector<int64_t> shape;       // Per example, without the batch.
  std::vector<std::string> symbols; // Empty, or one name per dimension
                                    // ("" where the size is known).
  std::string str() const;          // "f32[?, 1, 28, 28]", "f32[?, S, 768]"
  bool isSymbolic(size_t dim) const {
    return dim < symbols.size() && !symbols[dim].empty();
  }
  bool isStatic() const;
  /// Dimension `dim` as written: "28" or "S".
  std::string dimText(size_t dim) const;
  bool operator==(const ValueType &other) const {
    return shape == other.shape && normalizedSymbols() == other.normalizedSymbols();
  }
  bool operator!=(const ValueType &other) const { return !(*this == other); }

private:
  std::vector<std::string> normalizedSymbols() const;
};

class Expr {
public:
  enum class Kind { Number, String, Ident, Call, List, Record, Binary, Negate };
  Expr(Kind kind, SourceRange range) : range(range), kind(kind) {}
  virtual ~Expr() = default;
  Kind getKind() const { return kind; }

  SourceRange range;
  /// 1 for a leaf, else 1 + the deepest operand. The parser bounds it, so
  /// the recursive walks over expressions cannot exhaust the stack.
  unsigned depth = 1;
  /// Set by Sema on forward-section expressions.
  std::optional<ValueType> type;
  /// Prints the expression as it would be written in a model file.
  virtual void print(llvm::raw_ostream &os) const = 0;
  /// A deep copy without Sema's annotations: each use of a block checks its
  /// own copy of the block's body.
  virtual std::unique_ptr<Expr> clone() const = 0;

private:
  Kind kind;
};
using ExprPtr = std::unique_ptr<Expr>;

class NumberExpr : public Expr {
public:
  NumberExpr(SourceRange range, double value, bool isInteger, std::string text)
      : Expr(Kind::Number, range), value(value), isInteger(isInteger),
        text(std::move(text)) {}
  void print(llvm::raw_ostream &os) const override { os << text; }
  std::unique_ptr<Expr> clone() const override {
    return std::make_unique<NumberExpr>(range, value, isInteger, text);
  }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Number; }
  double value;
  bool isInteger;
  std::string text;
};

class StringExpr : public Expr {
public:
  StringExpr(SourceRange range, std::string value)
      : Expr(Kind::String, range), value(std::move(value)) {}
  void print(llvm::raw_ostream &os) const override;
  std::unique_ptr<Expr> clone() const override {
    return std::make_unique<StringExpr>(range, value);
  }
  static bool classof(const Expr *e) { return e->getKind() == Kind::String; }
  std::string value;
};

class IdentExpr : public Expr {
public:
  IdentExpr(SourceRange range, std::string name)
      : Expr(Kind::Ident, range), name(std::move(name)) {}
  void print(llvm::raw_ostream &os) const override { os << name; }
  std::unique_ptr<Expr> clone() const override {
    return std::make_unique<IdentExpr>(range, name);
  }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Ident; }
  std::string name;
};

/// A layer's or function's arguments after Sema: everything MLIRGen needs
/// to emit it. Which fields matter depends on the operator.
struct LayerConfig {
  int64_t units = 0;              // Dense units, Conv2D filters.
  int64_t kernel[2] = {1, 1};
  int64_t stride[2] = {1, 1};
  int64_t dilation[2] = {1, 1};
  bool samePadding = false;       // Keras 'same': resolved per input size.
  int64_t symmetricPadding[2] = {0, 0};
  int64_t padding[4] = {0, 0, 0, 0}; // [top, left, bottom, right], per call.
  int64_t groups = 1;
  bool useBias = true;
  std::string activation;         // "" (none), relu, sigmoid, tanh, ...
  double negativeSlope = 0.01;    // leaky_relu
  std::vector<int64_t> shape;     // Reshape: the per-example target shape.
  double rate = 0.5;              // Dropout
  double momentum = 0.1, eps = 1e-5; // BatchNorm2D
};

/// A positional (`keyword` empty) or keyword argument of a call.
struct Argument {
  std::string keyword;
  SourceRange keywordRange;
  ExprPtr value;
  Argument clone() const { return {keyword, keywordRange, value->clone()}; }
};
std::vector<Argument> cloneArguments(const std::vector<Argument> &args);
std::vector<ExprPtr> cloneExprs(const std::vector<ExprPtr> &exprs);

class CallExpr : public Expr {
public:
  CallExpr(SourceRange range, std::string callee, SourceRange calleeRange,
           std::vector<Argument> args)
      : Expr(Kind::Call, range), callee(std::move(callee)),
        calleeRange(calleeRange), args(std::move(args)) {
    for (const Argument &a : this->args)
      depth = std::max(depth, a.value->depth + 1);
  }
  void print(llvm::raw_ostream &os) const override;
  std::unique_ptr<Expr> clone() const override { return cloneCall(); }
  std::unique_ptr<CallExpr> cloneCall() const {
    return std::make_unique<CallExpr>(range, callee, calleeRange,
                                      cloneArguments(args));
  }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Call; }
  std::string callee;
  SourceRange calleeRange;
  std::vector<Argument> args;
  /// Set by Sema in forward sections: the operator called (a layer kind such
  /// as "Conv2D", or a function such as "max_pool") and its arguments, with
  /// padding resolved for this call's input.
  std::string op;
  LayerConfig config;
};

class ListExpr : public Expr {
public:
  ListExpr(SourceRange range, std::vector<ExprPtr> elements)
      : Expr(Kind::List, range), elements(std::move(elements)) {
    for (const ExprPtr &e : this->elements)
      depth = std::max(depth, e->depth + 1);
  }
  void print(llvm::raw_ostream &os) const override;
  std::unique_ptr<Expr> clone() const override {
    return std::make_unique<ListExpr>(range, cloneExprs(elements));
  }
  static bool classof(const Expr *e) { return e->getKind() == Kind::List; }
  std::vector<ExprPtr> elements;
};

/// `{shear: 0.2, flip: horizontal}`: named settings, as `augment:` takes.
class RecordExpr : public Expr {
public:
  RecordExpr(SourceRange range, std::vector<Argument> fields)
      : Expr(Kind::Record, range), fields(std::move(fields)) {
    for (const Argument &f : this->fields)
      depth = std::max(depth, f.value->depth + 1);
  }
  void print(llvm::raw_ostream &os) const override;
  std::unique_ptr<Expr> clone() const override {
    return std::make_unique<RecordExpr>(range, cloneArguments(fields));
  }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Record; }
  std::vector<Argument> fields; // Every one has a keyword.
};

class BinaryExpr : public Expr {
public:
  BinaryExpr(SourceRange range, char op, ExprPtr lhs, ExprPtr rhs)
      : Expr(Kind::Binary, range), op(op), lhs(std::move(lhs)),
        rhs(std::move(rhs)) {
    depth = std::max(this->lhs->depth, this->rhs->depth) + 1;
  }
  void print(llvm::raw_ostream &os) const override;
  std::unique_ptr<Expr> clone() const override {
    return std::make_unique<BinaryExpr>(range, op, lhs->clone(), rhs->clone());
  }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Binary; }
  char op;
  ExprPtr lhs, rhs;
};

class NegateExpr : public Expr {
public:
  NegateExpr(SourceRange range, ExprPtr operand)
      : Expr(Kind::Negate, range), operand(std::move(operand)) {
    depth = this->operand->depth + 1;
  }
  void print(llvm::raw_ostream &os) const override;
  std::unique_ptr<Expr> clone() const override {
    return std::make_unique<NegateExpr>(range, operand->clone());
  }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Negate; }
  ExprPtr operand;
};

//===----------------------------------------------------------------------===//
// Declarations
//===----------------------------------------------------------------------===//

/// `f32[1, 28, 28]` or `class(10)`.
struct TypeExpr {
  SourceRange range;
  std::string name;           // "f32", "class", "one_hot", "binary"
  bool bracketed = false;     // f32[...] rather than class(...)
  bool bare = false;          // binary, or a block's f32 (any shape)
  std::vector<ExprPtr> args;
  TypeExpr clone() const {
    return {range, name, bracketed, bare, cloneExprs(args)};
  }
};

/// `name = value`: a forward statement or a train setting. In forward,
/// `a, b = block(x)` takes the values of a block that returns two.
struct Assignment {
  struct Target {
    std::string name;
    SourceRange range;
  };
  std::string name; // The first target.
  SourceRange range;
  ExprPtr value;
  std::vector<Target> more; // Further targets.
  Assignment clone() const { return {name, range, value->clone(), more}; }
};

/// `classes: int = 10` in a model's or block's parameter list, or `S: dim`,
/// a symbolic dimension.
struct ModelParam {
  std::string name, typeName;
  SourceRange range;
  ExprPtr defaultValue; // May be null.
  int64_t value = 0;    // Set by Sema.
  bool isDim() const { return typeName == "dim"; }
  ModelParam clone() const {
    return {name, typeName, range, defaultValue ? defaultValue->clone() : nullptr,
            value};
  }
};

struct InputDecl {
  std::string name;
  SourceRange range;
  TypeExpr type;
  // Set by Sema.
  /// "" for data; "class" (an index), "one_hot" or "binary" for labels,
  /// which only the loss may use.
  std::string labelKind;
  bool isLabel() const { return !labelKind.empty(); }
  std::vector<int64_t> shape; // Per example: [N] one-hot, [1] binary.
  ValueType valueType;        // Data inputs: the shape with its symbols.
  bool valid = true;          // False after an error in its type.
  int64_t numClasses = 0;     // class and one_hot labels.
  InputDecl clone() const {
    InputDecl copy;
    copy.name = name;
    copy.range = range;
    copy.type = type.clone();
    return copy;
  }
};

struct ModelDecl;

/// `layer fc1 = Dense(256, activation: relu)`, resolved by Sema; or a use of
/// a block, `layer enc = Encoder(64)`, possibly stacked:
/// `layer enc = repeat(6) Encoder(64)`.
struct LayerDecl {
  std::string name;
  SourceRange range;
  std::unique_ptr<CallExpr> call;
  ExprPtr repeatCount; // Null unless `repeat(n)`.
  // Set by Sema.
  std::string kind;                // "Dense", "Conv2D", ..., or "block";
                                   // empty if invalid.
  LayerConfig config;
  ValueType inputType; // From the first use.
  bool used = false;
  // Blocks: the definition, its parameters' values for this use, and one
  // checked copy of its body per repetition (made at the first call, when
  // the input types are known).
  const ModelDecl *block = nullptr;
  int64_t repeat = 0; // 0: not repeated.
  std::vector<std::pair<std::string, int64_t>> blockArgs;
  std::vector<std::unique_ptr<ModelDecl>> instances;
  std::vector<ValueType> inputTypes, outputTypes; // Of the first call.
  bool failed = false; // Its body had errors: uses report nothing more.
  LayerDecl clone() const;
};

/// A model, or a block (`isBlock`): a reusable sub-network with parameters,
/// inputs, layers and a forward section that returns values.
struct ModelDecl {
  std::string name;
  SourceRange range;
  bool isBlock = false;
  std::vector<ModelParam> params;
  std::vector<InputDecl> inputs;
  std::vector<LayerDecl> layers;
  std::vector<Assignment> forward;
  SourceRange forwardRange;
  bool hasForward = false;
  std::vector<ExprPtr> returns; // `return a, b` at the end of forward.
  SourceRange returnRange;
  ExprPtr loss;
  SourceRange lossRange;
  // Set by Sema: the model's outputs, the one the loss scores first; the
  // loss's weft op and its target input.
  std::vector<std::string> outputNames;
  std::vector<ValueType> outputTypes;
  std::string lossOp;      // "softmax_cross_entropy", "categorical_cross_entropy", ...
  bool lossFromLogits = false;
  std::string lossTarget;
  /// A copy of the declarations, without Sema's annotations.
  std::unique_ptr<ModelDecl> clone() const;
};

struct TrainDecl {
  std::string modelName;
  SourceRange range;
  std::vector<Assignment> settings;
};

/// Training settings after Sema: the train block with defaults filled in.
struct TrainConfig {
  std::string dataFormat = "idx"; // or "image_folder"
  std::string dataPath = "/usr/share/datasets/fashion-mnist";
  // image_folder: images resized to imageSize, scaled by rescale, and (for
  // training only) augmented as Keras' ImageDataGenerator does.
  int64_t imageSize[2] = {0, 0};
  double rescale = 1.0;
  double shear = 0.0, zoom = 0.0, rotation = 0.0;
  std::string flip = "none";       // none, horizontal, vertical, both
  double validationSplit = 0.0;    // Fraction of training data held out.
  // Early stopping (Keras' EarlyStopping): stop once `monitor` has not
  // improved by more than minDelta for `patience` epochs; 0: never.
  std::string monitor = "val_loss"; // or val_accuracy
  int64_t patience = 0;
  double minDelta = 0.0;
  std::string optimizer = "adam";  // sgd, adam or adamw
  double lr = 1e-3, momentum = 0.0, beta1 = 0.9, beta2 = 0.999, eps = 1e-8,
         weightDecay = 0.0;
  bool nesterov = false;
  double clipNorm = 0.0;           // Global gradient norm limit; 0: none.
  // Learning-rate schedule: constant, step (times gamma every
  // scheduleEvery epochs), cosine (to minLr over the run), linear (warmup
  // over warmupSteps steps, then down to 0 at the end).
  std::string schedule = "constant";
  int64_t scheduleEvery = 1, warmupSteps = 0;
  double gamma = 0.1, minLr = 0.0;
  int64_t batch = 32, epochs = 1, seed = 0;
  std::vector<std::string> metrics;
};

struct Module {
  std::vector<std::unique_ptr<ModelDecl>> models;
  std::vector<std::unique_ptr<ModelDecl>> blocks;
  std::vector<std::unique_ptr<TrainDecl>> trains;
  // Set by Sema: the model to compile and its training configuration.
  ModelDecl *selected = nullptr;
  TrainConfig train;

  /// Prints the tree with source locations, for `weftc --emit=ast`.
  void dump(llvm::raw_ostream &os) const;
};

} // namespace weft::ast

#endif // WEFT_FRONTEND_AST_H
