//===- WeftOps.cpp - Verifiers and shape inference of weft ops ------------===//
//
// Shape rules live here, once: the builders infer result types from them and
// the verifiers check parsed IR against them. Messages name both shapes so a
// mismatch can be fixed without reading the IR.
//
//===----------------------------------------------------------------------===//

#include "dialects/weft/IR/WeftOps.h"
#include "dialects/weft/IR/ShapeRules.h"

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

LogicalResult BufferOp::verify() {
  if (getInit() != "zeros" && getInit() != "ones")
    return emitOpError("init must be \"zeros\" or \"ones\", got \"")
           << getInit() << "\"";
  return success();
}

/// Checks that `symbol` names a weft.parameter, weft.buffer or weft.state
/// whose type is `type`.
static LogicalResult verifyVariableUse(Operation *op, FlatSymbolRefAttr symbol,
                                       Type type,
                                       SymbolTableCollection &symbolTable) {
  Operation *decl = symbolTable.lookupNearestSymbolFrom(op, symbol);
  Type declared;
  if (auto param = dyn_cast_or_null<ParameterOp>(decl))
    declared = param.getType();
  else if (auto state = dyn_cast_or_null<StateOp>(decl))
    declared = state.getType();
  else if (auto buffer = dyn_cast_or_null<BufferOp>(decl))
    declared = buffer.getType();
  else
    return op->emitOpError("'")
           << symbol.getValue()
           << "' does not name a weft.parameter, weft.buffer or weft.state";
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
// Convolution and pooling
//===----------------------------------------------------------------------===//

/// Checks the window attributes of a 2-D convolution or pooling op.
static LogicalResult verifyWindow(std::optional<Location> loc, StringRef op,
                                  ArrayRef<int64_t> stride,
                                  ArrayRef<int64_t> padding,
                                  ArrayRef<int64_t> dilation) {
  if (stride.size() != 2 || llvm::any_of(stride, [](int64_t v) { return v < 1; }))
    return emitOptionalError(loc, op, " needs two positive strides");
  if (padding.size() != 4 || llvm::any_of(padding, [](int64_t v) { return v < 0; }))
    return emitOptionalError(loc, op, " needs four non-negative paddings "
                                      "[top, left, bottom, right]");
  if (dilation.size() != 2 ||
      llvm::any_of(dilation, [](int64_t v) { return v < 1; }))
    return emitOptionalError(loc, op, " needs two positive dilations");
  return success();
}

/// The output size of one spatial dimension of a window op (ShapeRules.h),
/// with a message naming the dimension if the window does not fit.
static FailureOr<int64_t> windowOutput(std::optional<Location> loc,
                                       StringRef op, StringRef dim, int64_t in,
                                       int64_t k, int64_t stride, int64_t padLo,
                                       int64_t padHi, int64_t dilation) {
  if (ShapedType::isDynamic(in))
    return ShapedType::kDynamic;
  std::optional<int64_t> out =
      ::weft::shape::windowOutput(in, k, stride, padLo, padHi, dilation);
  if (!out)
    return emitOptionalError(loc, op, " window of ",
                             ::weft::shape::windowSpan(k, dilation),
                             " does not fit the ", dim, " of ", in, " (",
                             in + padLo + padHi, " with padding)");
  return *out;
}

/// The shape rule of weft.conv2d; its gradients verify against it too.
static LogicalResult inferConv2D(MLIRContext *ctx, std::optional<Location> loc,
                                 RankedTensorType input, RankedTensorType weight,
                                 Value bias, ArrayRef<int64_t> stride,
                                 ArrayRef<int64_t> pad, ArrayRef<int64_t> dil,
                                 int64_t groups,
                                 SmallVectorImpl<Type> &inferred) {
  if (input.getRank() != 4 || weight.getRank() != 4)
    return emitOptionalError(loc, "weft.conv2d expects input [N, C, H, W] and "
                                  "weight [O, C/groups, KH, KW], got ",
                             input, " and ", weight);
  if (failed(verifyWindow(loc, "weft.conv2d", stride, pad, dil)))
    return failure();
  int64_t channels = input.getDimSize(1), out = weight.getDimSize(0);
  if (groups < 1 || (!ShapedType::isDynamic(channels) && channels % groups) ||
      out % groups)
    return emitOptionalError(loc, "weft.conv2d: ", groups,
                             " groups must divide the ", channels,
                             " input and ", out, " output channels");
  if (!ShapedType::isDynamic(channels) &&
      weight.getDimSize(1) * groups != channels)
    return emitOptionalError(loc, "weft.conv2d input has ", channels,
                             " channels but the weight ", weight, " expects ",
                             weight.getDimSize(1) * groups);
  if (bias) {
    auto biasType = cast<RankedTensorType>(bias.getType());
    if (biasType.getRank() != 1 || biasType.getDimSize(0) != out)
      return emitOptionalError(loc, "weft.conv2d bias ", biasType,
                               " does not match the weight's ", out, " outputs");
  }
  auto h = windowOutput(loc, "weft.conv2d", "height", input.getDimSize(2),
                        weight.getDimSize(2), stride[0], pad[0], pad[2], dil[0]);
  if (failed(h))
    return failure();
  auto w = windowOutput(loc, "weft.conv2d", "width", input.getDimSize(3),
                        weight.getDimSize(3), stride[1], pad[1], pad[3], dil[1]);
  if (failed(w))
    return failure();
  inferred.push_back(f32Tensor(ctx, {input.getDimSize(0), out, *h, *w}));
  return success();
}

LogicalResult Conv2DOp::inferReturnTypes(MLIRContext *ctx,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  return inferConv2D(ctx, loc,
                     cast<RankedTensorType>(adaptor.getInput().getType()),
                     cast<RankedTensorType>(adaptor.getWeight().getType()),
                     adaptor.getBias(), adaptor.getStride(),
                     adaptor.getPadding(), adaptor.getDilation(),
                     adaptor.getGroups(), inferred);
}

/// Checks that a gradient op's `grad` operand has the type the forward op
/// (whose shape rule `inferred` holds) gives.
static LogicalResult verifyForwardMatches(Operation *op, LogicalResult rule,
                                          ArrayRef<Type> inferred, Value grad) {
  if (failed(rule))
    return failure();
  auto expected = cast<RankedTensorType>(inferred.front());
  auto actual = cast<RankedTensorType>(grad.getType());
  if (expected.getShape().size() != actual.getShape().size() ||
      !llvm::all_of(llvm::seq<size_t>(0, actual.getRank()), [&](size_t i) {
        return dimsAgree(expected.getDimSize(i), actual.getDimSize(i));
      }))
    return op->emitOpError("gradient ")
           << actual << " does not match the forward output " << expected;
  return success();
}

LogicalResult Conv2DGradInputOp::verify() {
  SmallVector<Type> inferred;
  return verifyForwardMatches(
      *this,
      inferConv2D(getContext(), getLoc(), getType(),
                  cast<RankedTensorType>(getWeight().getType()), Value(),
                  getStride(), getPadding(), getDilation(), getGroups(),
                  inferred),
      inferred, getGrad());
}

LogicalResult Conv2DGradWeightOp::verify() {
  SmallVector<Type> inferred;
  return verifyForwardMatches(
      *this,
      inferConv2D(getContext(), getLoc(),
                  cast<RankedTensorType>(getInput().getType()), getType(),
                  Value(), getStride(), getPadding(), getDilation(),
                  getGroups(), inferred),
      inferred, getGrad());
}

/// Shape rule shared by max and average pooling.
static LogicalResult inferPool2D(MLIRContext *ctx, std::optional<Location> loc,
                                 StringRef op, Value inputValue,
                                 ArrayRef<int64_t> kernel,
                                 ArrayRef<int64_t> stride,
                                 ArrayRef<int64_t> pad,
                                 SmallVectorImpl<Type> &inferred) {
  auto input = cast<RankedTensorType>(inputValue.getType());
  if (input.getRank() != 4)
    return emitOptionalError(loc, op, " expects [N, C, H, W], got ", input);
  if (kernel.size() != 2 || llvm::any_of(kernel, [](int64_t v) { return v < 1; }))
    return emitOptionalError(loc, op, " needs two positive kernel sizes");
  int64_t one[] = {1, 1};
  if (failed(verifyWindow(loc, op, stride, pad, one)))
    return failure();
  auto h = windowOutput(loc, op, "height", input.getDimSize(2), kernel[0],
                        stride[0], pad[0], pad[2], 1);
  if (failed(h))
    return failure();
  auto w = windowOutput(loc, op, "width", input.getDimSize(3), kernel[1],
                        stride[1], pad[1], pad[3], 1);
  if (failed(w))
    return failure();
  inferred.push_back(
      f32Tensor(ctx, {input.getDimSize(0), input.getDimSize(1), *h, *w}));
  return success();
}

LogicalResult MaxPool2DGradOp::verify() {
  SmallVector<Type> inferred;
  return verifyForwardMatches(
      *this,
      inferPool2D(getContext(), getLoc(), "weft.max_pool2d", getInput(),
                  getKernel(), getStride(), getPadding(), inferred),
      inferred, getGrad());
}

LogicalResult AvgPool2DGradOp::verify() {
  SmallVector<Type> inferred;
  return verifyForwardMatches(
      *this,
      inferPool2D(getContext(), getLoc(), "weft.avg_pool2d", getOutput(),
                  getKernel(), getStride(), getPadding(), inferred),
      inferred, getGrad());
}

LogicalResult MaxPool2DOp::inferReturnTypes(MLIRContext *ctx,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  return inferPool2D(ctx, loc, "weft.max_pool2d", adaptor.getInput(),
                     adaptor.getKernel(), adaptor.getStride(),
                     adaptor.getPadding(), inferred);
}

LogicalResult AvgPool2DOp::inferReturnTypes(MLIRContext *ctx,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  return inferPool2D(ctx, loc, "weft.avg_pool2d", adaptor.getInput(),
                     adaptor.getKernel(), adaptor.getStride(),
                     adaptor.getPadding(), inferred);
}

LogicalResult GlobalAvgPoolOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  if (input.getRank() != 4)
    return emitOptionalError(loc, "weft.global_avg_pool expects [N, C, H, W], "
                                  "got ",
                             input);
  inferred.push_back(f32Tensor(ctx, {input.getDimSize(0), input.getDimSize(1)}));
  return success();
}

/// Shape rule of batch normalisation, both modes: [N, C, H, W] input, [C]
/// per-channel operands, eps > 0 and momentum in (0, 1].
template <typename Adaptor>
static LogicalResult checkBatchNorm2D(std::optional<Location> loc,
                                      StringRef op, Adaptor adaptor) {
  auto type = cast<RankedTensorType>(adaptor.getInput().getType());
  if (type.getRank() != 4)
    return emitOptionalError(loc, op, " expects [N, C, H, W], got ", type);
  int64_t channels = type.getDimSize(1);
  for (Value v : {adaptor.getWeight(), adaptor.getBias(),
                  adaptor.getRunningMean(), adaptor.getRunningVar()}) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getRank() != 1 || !dimsAgree(t.getDimSize(0), channels))
      return emitOptionalError(loc, op, "'s weight, bias and running "
                                        "statistics are [C] = [",
                               channels, "], got ", t);
  }
  if (!(adaptor.getEps().convertToDouble() > 0))
    return emitOptionalError(loc, op, " needs eps > 0");
  double momentum = adaptor.getMomentum().convertToDouble();
  if (!(momentum > 0 && momentum <= 1))
    return emitOptionalError(loc, op, " needs momentum in (0, 1], got ",
                             momentum);
  return success();
}

LogicalResult BatchNorm2DOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  if (failed(checkBatchNorm2D(loc, "weft.batch_norm2d", adaptor)))
    return failure();
  inferred.push_back(adaptor.getInput().getType());
  return success();
}

LogicalResult BatchNorm2DTrainOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  if (failed(checkBatchNorm2D(loc, "weft.batch_norm2d_train", adaptor)))
    return failure();
  // The output, then mean, invstd and the two moved running statistics.
  inferred.push_back(adaptor.getInput().getType());
  inferred.append(4, adaptor.getRunningMean().getType());
  return success();
}

/// Shape rule of losses comparing an input with a target of the same shape.
static LogicalResult inferPairLoss(MLIRContext *ctx, std::optional<Location> loc,
                                   StringRef op, Value input, Value target,
                                   SmallVectorImpl<Type> &inferred) {
  auto a = cast<RankedTensorType>(input.getType());
  auto b = cast<RankedTensorType>(target.getType());
  bool same = a.getRank() == b.getRank() &&
              llvm::all_of(llvm::seq<int64_t>(0, a.getRank()), [&](int64_t i) {
                return dimsAgree(a.getDimSize(i), b.getDimSize(i));
              });
  if (!same)
    return emitOptionalError(loc, op, " compares tensors of one shape, got ",
                             a, " and ", b);
  inferred.push_back(f32Tensor(ctx, {}));
  return success();
}

LogicalResult CategoricalCrossEntropyOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  if (cast<RankedTensorType>(adaptor.getInput().getType()).getRank() != 2)
    return emitOptionalError(loc, "categorical_cross_entropy expects logits "
                                  "[batch, classes]");
  return inferPairLoss(ctx, loc, "categorical_cross_entropy",
                       adaptor.getInput(), adaptor.getTarget(), inferred);
}

LogicalResult BinaryCrossEntropyOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  return inferPairLoss(ctx, loc, "binary_cross_entropy", adaptor.getInput(),
                       adaptor.getTarget(), inferred);
}

LogicalResult MeanSquaredErrorOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  return inferPairLoss(ctx, loc, "mse", adaptor.getInput(), adaptor.getTarget(),
                       inferred);
}

LogicalResult DropoutOp::verify() {
  double rate = getRate().convertToDouble();
  if (!(rate >= 0.0 && rate < 1.0))
    return emitOpError("rate must be in [0, 1), got ") << rate;
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

LogicalResult CategoricalCrossEntropyGradOp::verify() {
  if (getInput().getType().getRank() != 2)
    return emitOpError("expects logits [batch, classes], got ")
           << getInput().getType();
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

LogicalResult ClipByGlobalNormOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  // Each gradient keeps its type.
  for (Value g : adaptor.getGrads())
    inferred.push_back(g.getType());
  return success();
}

#define GET_OP_CLASSES
#include "dialects/weft/IR/WeftOps.cpp.inc"
