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

class Sema {
public:
  Sema(ast::Module &module, Diagnostics &diag) : module(module), diag(diag) {}
  bool run();

private:
  // Constants (layer arguments, shapes, settings).
  std::optional<int64_t> constInt(const ast::Expr &e, const char *what);
  std::optional<double> constReal(const ast::Expr &e, const char *what);

  // Declarations.
  void checkParams(ast::ModelDecl &model);
  void checkInputs(ast::ModelDecl &model);
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

  // Forward and loss.
  void checkForward(ast::ModelDecl &model);
  std::optional<ast::ValueType> typeOf(ast::Expr &e);
  std::optional<ast::ValueType> callLayer(ast::LayerDecl &layer,
                                          ast::CallExpr &call);
  std::optional<ast::ValueType> callFunction(const OperatorSpec &spec,
                                             ast::CallExpr &call);
  void checkLoss(ast::ModelDecl &model);

  // Training.
  void checkTrain(ast::ModelDecl &model);
  void checkOptimizer(const ast::Expr &e);
  void checkData(ast::ModelDecl &model, const ast::Expr &e);

  ast::Module &module;
  Diagnostics &diag;
  ast::ModelDecl *model = nullptr;
  llvm::StringMap<ast::ValueType> values; // Forward values in scope.
  llvm::StringMap<SourceRange> valueDefs;
  /// Names whose definition had an error already reported: using them
  /// reports nothing more, so one mistake gives one message.
  llvm::StringSet<> poisoned;
  llvm::StringMap<ast::LayerDecl *> layers;
};

} // namespace weft::sema

#endif // WEFT_FRONTEND_SEMAIMPL_H
