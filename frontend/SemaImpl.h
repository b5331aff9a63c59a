//===- SemaImpl.h - Sema's internals, shared by its files -------*- C++ -*-===//
//
// Sema.cpp checks declarations, the forward section, the loss and the train
// block; SemaOperators.cpp knows the layers and functions (their arguments
// and shape rules). This header is private to the two.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_FRONTEND_SEMAIMPL_H
#define WEFT_FRONTEND_SEMAIMPL_H

#include "frontend/AST.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <optional>
#include <string>
#include <vector>

namespace weft::sema {

/// `; did you mean 'x'?` when `name` is a likely typo of a candidate.
std::string didYouMean(llvm::StringRef name,
                       const std::vector<std::string> &candidates);

/// "a, b, c".
std::string joinNames(const std::vector<std::string> &names);

/// A layer (declared with `layer x = Kind(...)`) or a function called inline
/// in forward: what it accepts and which operation it performs.
struct OperatorSpec {
  const char *name;   // As written: "Conv2D", "max_pool".
  const char *op;     // The operation: "conv2d", "max_pool", "relu", ...
  bool isLayer;
  bool hasParameters; // Layers with weights cannot change input shape.
  std::vector<std::string> positional; // After the input, for functions.
  std::vector<std::string> keywords;
};

/// The spec of layer kind or function `name`, or null.
const OperatorSpec *lookupOperator(llvm::StringRef name, bool layer);
/// The names of all layer kinds or all functions, for suggestions.
std::vector<std::string> operatorNames(bool layers);

/// Block parameters bound by a use: name and value.
using BlockArguments = std::vector<std::pair<std::string, int64_t>>;

class Sema {
public:
  Sema(ast::Module &module, Diagnostics &diag, bool forCodegen)
      : module(module), diag(diag), forCodegen(forCodegen) {}
  bool run();

private:
  // Constants (layer arguments, shapes, settings).
  std::optional<int64_t> constInt(const ast::Expr &e, const char *what);
  std::optional<double> constReal(const ast::Expr &e, const char *what);
  /// `true` or `false`; anything else is reported as `what` expecting one.
  std::optional<bool> constBool(const ast::Expr &e, const char *what);
  const ast::ModelParam *findParam(llvm::StringRef name) const;
  /// The current model's or block's parameter names, for suggestions.
  std::vector<std::string> paramNames() const;

  // Declarations.
  /// Evaluates the parameters of `model`; a block's come from `bound`.
  void checkParams(ast::ModelDecl &model, const BlockArguments *bound = nullptr);
  void checkInputs(ast::ModelDecl &model);
  /// The type `f32[...]` declares, with symbolic dimensions named.
  std::optional<ast::ValueType> declaredType(const ast::TypeExpr &type);
  void checkLayers(ast::ModelDecl &model);
  bool checkCallArgs(const ast::CallExpr &call,
                     const std::vector<std::string> &positional,
                     const std::vector<std::string> &keywords,
                     std::vector<const ast::Expr *> &out, unsigned first = 0);

  // Operators (SemaOperators.cpp).
  /// Reads `args` (in the order of the spec's positional then keyword
  /// arguments) into `config`. Returns false after reporting a problem.
  bool resolveArguments(const OperatorSpec &spec, const ast::CallExpr &call,
                        const std::vector<const ast::Expr *> &args,
                        ast::LayerConfig &config);
  /// The type of applying `spec` with `config` to `input`; reports a
  /// mismatch at `at` (naming `what`, e.g. "Conv2D layer 'conv1'") and
  /// returns nothing. Resolves 'same' padding into `config`.
  std::optional<ast::ValueType> applyOperator(const OperatorSpec &spec,
                                              ast::LayerConfig &config,
                                              const ast::ValueType &input,
                                              SourceRange at,
                                              const std::string &what);
  std::optional<int64_t> positiveInt(const ast::Expr &e, const char *what);
  bool pairOf(const ast::Expr &e, const char *what, int64_t minimum,
              int64_t out[2]);

  // Blocks (SemaBlocks.cpp).
  void checkBlockDefinitions();
  /// `layer x = Block(args)` or `layer x = repeat(n) Block(args)`.
  void checkBlockLayer(ast::LayerDecl &layer, const ast::ModelDecl &block);
  /// The types a block layer returns for this call's inputs; checks a copy
  /// of the block's body per repetition at the first call.
  std::optional<std::vector<ast::ValueType>> callBlock(ast::LayerDecl &layer,
                                                       ast::CallExpr &call);
  std::optional<std::vector<ast::ValueType>>
  checkInstance(ast::ModelDecl &instance, const BlockArguments &arguments,
                const std::vector<ast::ValueType> &inputs);
  bool bindInput(const ast::InputDecl &input, const ast::ValueType &actual,
                 llvm::StringMap<std::string> &dims);
  void warnUnusedLayers(const ast::ModelDecl &model);

  // Forward and loss.
  /// Types the forward section of `model`, whose inputs are in scope.
  void checkForward(ast::ModelDecl &model);
  std::optional<ast::ValueType> typeOf(ast::Expr &e);
  std::optional<ast::ValueType> callLayer(ast::LayerDecl &layer,
                                          ast::CallExpr &call);
  /// Reports, when compiling past the AST, what code generation cannot do
  /// yet (symbolic dimensions, Dense over more than one dimension).
  void unsupported(SourceRange at, std::string message);
  void checkOutputs(ast::ModelDecl &model);
  std::optional<ast::ValueType> callFunction(const OperatorSpec &spec,
                                             ast::CallExpr &call);
  void checkLoss(ast::ModelDecl &model);

  // Training.
  void checkTrain(ast::ModelDecl &model);
  void checkSchedule(const ast::Expr &e);
  void checkOptimizer(const ast::Expr &e);
  void checkData(ast::ModelDecl &model, const ast::Expr &e);
  void checkEarlyStopping(const ast::Expr &e);

  ast::Module &module;
  Diagnostics &diag;
  bool forCodegen;
  std::vector<std::pair<SourceRange, std::string>> unsupportedUses;
  llvm::StringMap<const ast::ModelDecl *> blocks;
  /// Blocks whose unused layers were reported (once, not per use).
  llvm::StringSet<> warnedBlocks;
  /// Blocks whose bodies are being checked, outermost first.
  std::vector<std::string> usesInProgress;
  int64_t blockCopies = 0;

  /// What names mean inside the model or block body being checked. A use
  /// of a block swaps in a fresh scope for its body.
  struct Scope {
    ast::ModelDecl *model = nullptr;
    llvm::StringMap<ast::ValueType> values; // Forward values in scope.
    llvm::StringMap<SourceRange> valueDefs;
    /// Names whose definition had an error already reported: using them
    /// reports nothing more, so one mistake gives one message.
    llvm::StringSet<> poisoned;
    llvm::StringMap<ast::LayerDecl *> layers;
    /// Symbolic dimensions of a block bound to the caller's sizes or
    /// names ("S" -> "128" or "T").
    llvm::StringMap<std::string> dims;
  };
  Scope scope;
  // The current scope's fields, by their old names.
  ast::ModelDecl *&model = scope.model;
  llvm::StringMap<ast::ValueType> &values = scope.values;
  llvm::StringMap<SourceRange> &valueDefs = scope.valueDefs;
  llvm::StringSet<> &poisoned = scope.poisoned;
  llvm::StringMap<ast::LayerDecl *> &layers = scope.layers;
};


} // namespace weft::sema

#endif // WEFT_FRONTEND_SEMAIMPL_H
