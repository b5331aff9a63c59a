//===- WeftOps.cpp - Verifiers and shape inference of weft ops ------------===//
//
// Shape rules live here, once: the builders infer result types from them and
// the verifiers check parsed IR against them. Messages name both shapes so a
// mismatch can be fixed without reading the IR.
//
//===----------------------------------------------------------------------===//

#include "dialects/weft/IR/WeftOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::weft;

static RankedTensorType f32Tensor(MLIRContext *ctx, ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, Float32Type::get(ctx));
}

/// Two dimensions agree when equal or when either is dynamic (the batch).
static bool dimsAgree(int64_t a, int64_t b) {
  return a == b || ShapedType::isDynamic(a) || ShapedType::isDynamic(b);
}

//===----------------------------------------------------------------------===//
// Parameters, state, load and store
//===----------------------------------------------------------------------===//

LogicalResult ParameterOp::verify() {
  StringRef init = getInit();
  if (init != "uniform_fan_in" && init != "zeros" && init != "ones")
    return emitOpError("has unknown initialiser '")
           << init << "'; expected uniform_fan_in, zeros or ones";
  if (!getTensorType().hasStaticShape())
    return emitOpError("parameter shapes must be static, got ")
           << getTensorType();
  if (init == "uniform_fan_in" && getFanIn() <= 0)
    return emitOpError("uniform_fan_in needs fan_in > 0, got ") << getFanIn();
  return success();
}

/// Checks that `symbol` names a weft.parameter or weft.state whose type is
/// `type`.
static LogicalResult verifyVariableUse(Operation *op, FlatSymbolRefAttr symbol,
                                       Type type,
                                       SymbolTableCollection &symbolTable) {
  Operation *decl = symbolTable.lookupNearestSymbolFrom(op, symbol);
  Type declared;
  if (auto param = dyn_cast_or_null<ParameterOp>(decl))
    declared = param.getType();
  else if (auto state = dyn_cast_or_null<StateOp>(decl))
    declared = state.getType();
  else
    return op->emitOpError("'")
           << symbol.getValue()
           << "' does not name a weft.parameter or weft.state";
  if (declared != type)
    return op->emitOpError("type ")
           << type << " does not match " << symbol << " declared as "
           << declared;
  return success();
}

LogicalResult LoadOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  return verifyVariableUse(*this, getVariableAttr(), getType(), symbolTable);
}

LogicalResult StoreOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  return verifyVariableUse(*this, getVariableAttr(), getValue().getType(),
                           symbolTable);
}

//===----------------------------------------------------------------------===//
// Layers and losses
//===----------------------------------------------------------------------===//

LogicalResult DenseOp::inferReturnTypes(MLIRContext *ctx,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  auto weight = cast<RankedTensorType>(adaptor.getWeight().getType());
  if (input.getRank() != 2)
    return emitOptionalError(loc, "weft.dense expects a 2-D input [batch, "
                                  "features], got ",
                             input);
  if (weight.getRank() != 2)
    return emitOptionalError(loc, "weft.dense expects a 2-D weight [out, in], "
                                  "got ",
                             weight);
  if (!dimsAgree(input.getDimSize(1), weight.getDimSize(1)))
    return emitOptionalError(loc, "weft.dense input has ", input.getDimSize(1),
                             " features but the weight ", weight,
                             " expects ", weight.getDimSize(1));
  if (Value bias = adaptor.getBias()) {
    auto biasType = cast<RankedTensorType>(bias.getType());
    if (biasType.getRank() != 1 ||
        !dimsAgree(biasType.getDimSize(0), weight.getDimSize(0)))
      return emitOptionalError(loc, "weft.dense bias ", biasType,
                               " does not match the weight's ",
                               weight.getDimSize(0), " outputs");
  }
  inferred.push_back(
      f32Tensor(ctx, {input.getDimSize(0), weight.getDimSize(0)}));
  return success();
}

LogicalResult ReshapeOp::verify() {
  auto input = getInput().getType();
  auto output = getOutput().getType();
  if (input.getRank() < 1 || output.getRank() < 1)
    return emitOpError("operates on tensors with a leading batch dimension");
  if (!dimsAgree(input.getDimSize(0), output.getDimSize(0)))
    return emitOpError("keeps the batch dimension, but ")
           << input << " and " << output << " differ in dimension 0";
  auto perExample = [](RankedTensorType type) -> std::optional<int64_t> {
    int64_t n = 1;
    for (int64_t d : type.getShape().drop_front()) {
      if (ShapedType::isDynamic(d))
        return std::nullopt;
      n *= d;
    }
    return n;
  };
  std::optional<int64_t> in = perExample(input), out = perExample(output);
  if (!in || !out)
    return emitOpError("needs static per-example dimensions, got ")
           << input << " -> " << output;
  if (*in != *out)
    return emitOpError("cannot reshape ")
           << *in << " elements per example (" << input << ") into " << *out
           << " (" << output << ")";
  return success();
}

LogicalResult SoftmaxCrossEntropyOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  auto logits = cast<RankedTensorType>(adaptor.getLogits().getType());
  auto labels = cast<RankedTensorType>(adaptor.getLabels().getType());
  if (logits.getRank() != 2)
    return emitOptionalError(loc, "softmax_cross_entropy expects logits "
                                  "[batch, classes], got ",
                             logits);
  if (labels.getRank() != 1 ||
      !dimsAgree(labels.getDimSize(0), logits.getDimSize(0)))
    return emitOptionalError(loc, "softmax_cross_entropy expects one label "
                                  "per example: logits ",
                             logits, ", labels ", labels);
  inferred.push_back(f32Tensor(ctx, {}));
  return success();
}

//===----------------------------------------------------------------------===//
// Gradient building blocks
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *ctx,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  auto lhs = cast<RankedTensorType>(adaptor.getLhs().getType());
  auto rhs = cast<RankedTensorType>(adaptor.getRhs().getType());
  if (lhs.getRank() != 2 || rhs.getRank() != 2)
    return emitOptionalError(loc, "weft.matmul expects 2-D operands, got ",
                             lhs, " and ", rhs);
  bool tl = adaptor.getTransposeLhs(), tr = adaptor.getTransposeRhs();
  int64_t m = lhs.getDimSize(tl ? 1 : 0), kl = lhs.getDimSize(tl ? 0 : 1);
  int64_t kr = rhs.getDimSize(tr ? 1 : 0), n = rhs.getDimSize(tr ? 0 : 1);
  if (!dimsAgree(kl, kr))
    return emitOptionalError(loc, "weft.matmul contraction sizes differ: ", kl,
                             " vs ", kr, " (", lhs, ", ", rhs, ")");
  inferred.push_back(f32Tensor(ctx, {m, n}));
  return success();
}

LogicalResult ReduceSumOp::inferReturnTypes(MLIRContext *ctx,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  llvm::SmallVector<bool> reduced(input.getRank(), false);
  for (int64_t d : adaptor.getDims()) {
    if (d < 0 || d >= input.getRank() || reduced[d])
      return emitOptionalError(loc, "weft.reduce_sum has invalid or repeated "
                                    "dimension ",
                               d, " for ", input);
    reduced[d] = true;
  }
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < input.getRank(); ++i)
    if (!reduced[i])
      shape.push_back(input.getDimSize(i));
  inferred.push_back(f32Tensor(ctx, shape));
  return success();
}

LogicalResult SoftmaxCrossEntropyGradOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  auto lossGrad = cast<RankedTensorType>(adaptor.getLossGrad().getType());
  if (lossGrad.getRank() != 0)
    return emitOptionalError(loc, "loss gradient must be a rank-0 tensor, got ",
                             lossGrad);
  inferred.push_back(adaptor.getLogits().getType());
  return success();
}

#define GET_OP_CLASSES
#include "dialects/weft/IR/WeftOps.cpp.inc"
