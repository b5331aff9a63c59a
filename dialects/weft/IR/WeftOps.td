//===- WeftOps.td - Operations of the weft dialect ---------*- tablegen -*-===//
//
// Conventions: tensors are ranked f32 tensors whose leading dimension is the
// (dynamic) batch where an op says so; class labels are i32 tensors; scalar
// hyperparameters are plain f32 values so that they can change at run time.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_OPS
#define WEFT_OPS

include "dialects/weft/IR/WeftDialect.td"
include "dialects/weft/IR/WeftInterfaces.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Dialect/GPU/IR/GPUBase.td"

class Weft_Op<string mnemonic, list<Trait> traits = []>
    : Op<Weft_Dialect, mnemonic, traits>;

def Weft_F32Tensor : RankedTensorOf<[F32]>;
def Weft_LabelTensor : RankedTensorOf<[I32]>;
// A loss, or the gradient of one: a rank-0 f32 tensor.
def Weft_ScalarTensor : 0DTensorOf<[F32]> {
  let builderCall = "::mlir::RankedTensorType::get({}, $_builder.getF32Type())";
}

//===----------------------------------------------------------------------===//
// Model state: parameters and optimizer state
//===----------------------------------------------------------------------===//

def Weft_ParameterOp : Weft_Op<"parameter",
    [Symbol, HasParent<"::mlir::ModuleOp">]> {
  let summary = "A trainable parameter of the model";
  let description = [{
    Declares a trainable tensor. The symbol is the parameter's checkpoint
    name (`fc1.weight`), its type the PyTorch layout (`nn.Linear.weight` is
    `[out, in]`). `init` names the initialiser the runtime applies:
    `uniform_fan_in` draws from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), which is
    PyTorch's default for `nn.Linear` weight and bias; `zeros` and `ones`
    are constants.

    ```mlir
    weft.parameter @"fc1.weight" : tensor<256x784xf32> {fan_in = 784 : i64, init = "uniform_fan_in"}
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       TypeAttrOf<Weft_F32Tensor>:$type,
                       StrAttr:$init,
                       I64Attr:$fan_in);
  let assemblyFormat = "$sym_name `:` $type attr-dict";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::RankedTensorType getTensorType() {
      return ::llvm::cast<::mlir::RankedTensorType>(getType());
    }
  }];
}

def Weft_StateOp : Weft_Op<"state",
    [Symbol, HasParent<"::mlir::ModuleOp">]> {
  let summary = "Optimizer state kept between training steps";
  let description = [{
    Declares a zero-initialised tensor that an optimizer carries from step to
    step (SGD's momentum buffer, Adam's first and second moments). `group`
    names the optimizer that owns it: states of different groups are never
    live in the same run, so they may share storage.

    ```mlir
    weft.state @"fc1.weight.exp_avg" : tensor<256x784xf32> {group = "adam"}
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       TypeAttrOf<Weft_F32Tensor>:$type,
                       StrAttr:$group);
  let assemblyFormat = "$sym_name `:` $type attr-dict";
  let extraClassDeclaration = [{
    ::mlir::RankedTensorType getTensorType() {
      return ::llvm::cast<::mlir::RankedTensorType>(getType());
    }
  }];
}

def Weft_BufferOp : Weft_Op<"buffer",
    [Symbol, HasParent<"::mlir::ModuleOp">]> {
  let summary = "Non-trainable model state saved in checkpoints";
  let description = [{
    Declares a tensor that belongs to the model but is not trained by the
    optimizer: BatchNorm's running mean and variance, which the training
    step updates and evaluation reads. The symbol is PyTorch's state_dict
    name (`bn1.running_mean`); `init` is `zeros` or `ones`.

    ```mlir
    weft.buffer @"bn1.running_var" : tensor<32xf32> {init = "ones"}
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       TypeAttrOf<Weft_F32Tensor>:$type,
                       StrAttr:$init);
  let assemblyFormat = "$sym_name `:` $type attr-dict";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::RankedTensorType getTensorType() {
      return ::llvm::cast<::mlir::RankedTensorType>(getType());
    }
  }];
}

def Weft_LoadOp : Weft_Op<"load",
    [DeclareOpInterfaceMethods<SymbolUserOpInterface>,
     MemoryEffects<[MemRead]>]> {
  let summary = "Reads the current value of a parameter or state";
  let description = [{
    ```mlir
    %w = weft.load @"fc1.weight" : tensor<256x784xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$variable);
  let results = (outs Weft_F32Tensor:$result);
  let assemblyFormat = "$variable attr-dict `:` type($result)";
}

def Weft_StoreOp : Weft_Op<"store",
    [DeclareOpInterfaceMethods<SymbolUserOpInterface>,
     MemoryEffects<[MemWrite]>]> {
  let summary = "Replaces the value of a parameter or state";
  let description = [{
    Only the training step writes; a store takes effect for the next step.

    ```mlir
    weft.store %new, @"fc1.weight" : tensor<256x784xf32>
    ```
  }];
  let arguments = (ins Weft_F32Tensor:$value, FlatSymbolRefAttr:$variable);
  let assemblyFormat = "$value `,` $variable attr-dict `:` type($value)";
}

//===----------------------------------------------------------------------===//
// Layers
//===----------------------------------------------------------------------===//

def Weft_DenseOp : Weft_Op<"dense",
    [Pure, InferTypeOpAdaptor,
     DeclareOpInterfaceMethods<Weft_DifferentiableOpInterface>]> {
  let summary = "Fully connected layer: input * weight^T + bias";
  let description = [{
    `y[b, o] = sum_i x[b, i] * weight[o, i] + bias[o]`, PyTorch's
    `nn.Linear`. Input `[B, in]`, weight `[out, in]`, optional bias `[out]`,
    result `[B, out]`.

    ```mlir
    %y = weft.dense %x, %w, %b : (tensor<?x784xf32>, tensor<256x784xf32>, tensor<256xf32>) -> tensor<?x256xf32>
    ```
  }];
  let arguments = (ins Weft_F32Tensor:$input, Weft_F32Tensor:$weight,
                       Optional<Weft_F32Tensor>:$bias);
  let results = (outs Weft_F32Tensor:$output);
  let assemblyFormat =
      "$input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)";
}

def Weft_ReluOp : Weft_Op<"relu",
    [Pure, SameOperandsAndResultType,
     DeclareOpInterfaceMethods<Weft_DifferentiableOpInterface>]> {
  let summary = "Rectified linear unit, max(x, 0)";
  let description = [{
    Elementwise `max(x, 0)`, PyTorch's `torch.relu`.

    ```mlir
    %y = weft.relu %x : tensor<?x256xf32>
    ```
  }];
  let arguments = (ins Weft_F32Tensor:$input);
  let results = (outs Weft_F32Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Weft_ReshapeOp : Weft_Op<"reshape",
    [Pure, DeclareOpInterfaceMethods<Weft_DifferentiableOpInterface>]> {
  let summary = "Reshapes the per-example dimensions, keeping the batch";
  let description = [{
    Keeps the leading (batch) dimension and gives the remaining dimensions,
    which must hold the same number of elements, a new static shape in
    row-major order. `flatten` is a reshape to `[B, N]`.

    ```mlir
    %y = weft.reshape %x : tensor<?x1x28x28xf32> -> tensor<?x784xf32>
    ```
  }];
  let arguments = (ins Weft_F32Tensor:$input);
  let results = (outs Weft_F32Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def Weft_AddOp : Weft_Op<"add",
    [Pure, SameOperandsAndResultType, Commutative,
     DeclareOpInterfaceMethods<Weft_DifferentiableOpInterface>]> {
  let summary = "Elementwise sum of two tensors of the same shape";
  let description = [{
    ```mlir
    %c = weft.add %a, %b : tensor<?x256xf32>
    ```
  }];
  let arguments = (ins Weft_F32Tensor:$lhs, Weft_F32Tensor:$rhs);
  let results = (outs Weft_F32Tensor:$output);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($output)";
}

def Weft_MulOp : Weft_Op<"mul",
    [Pure, SameOperandsAndResultType, Commutative,
     DeclareOpInterfaceMethods<Weft_DifferentiableOpInterface>]> {
  let summary = "Elementwise product of two tensors of the same shape";
  let description = [{
    ```mlir
    %c = weft.mul %a, %b : tensor<?x256xf32>
    ```
  }];
  let arguments = (ins Weft_F32Tensor:$lhs, Weft_F32Tensor:$rhs);
  let results = (outs Weft_F32Tensor:$output);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($output)";
}

//===----------------------------------------------------------------------===//
// Convolution and pooling (NCHW, PyTorch's layout)
//===----------------------------------------------------------------------===//

def Weft_Conv2DOp : Weft_Op<"conv2d", [Pure, InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<Weft_DifferentiableOpInterface>]> {
  let summary = "2-D convolution over [N, C, H, W] inputs";
  let description = [{
    PyTorch's `nn.functional.conv2d(x, weight, bias, stride, padding,
    dilation, groups)` with explicit, possibly asymmetric padding
    `[top, left, bottom, right]` (Keras' `same` pads the extra row and column
    at the bottom and right). Input `[N, C, H, W]`, weight
    `[O, C / groups, KH, KW]`, optional bias `[O]`; result `[N, O, OH, OW]`
    with `OH = (H + top + bottom - dilation_h * (KH - 1) - 1) / stride_h + 1`.

    ```mlir
    %y = weft.conv2d %x, %w, %b {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x1x28x28xf32>, tensor<32x1x3x3xf32>, tensor<32xf32>) -> tensor<?x32x26x26xf32>
    ```
  }];
  let arguments = (ins Weft_F32Tensor:$input, Weft_F32Tensor:$weight,
                       Optional<Weft_F32Tensor>:$bias,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups);
  let results = (outs Weft_F32Tensor:$output);
  let assemblyFormat =
      "$input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)";
}

class Weft_Pool2DOp<string mnemonic, string torchName>
    : Weft_Op<mnemonic, [Pure, InferTypeOpAdaptor,
        DeclareOpInterfaceMethods<Weft_DifferentiableOpInterface>]> {
  let summary = "2-D " # mnemonic # " over [N, C, H, W] inputs";
  let description = [{
    PyTorch's `nn.functional.}] # torchName # [{(x, kernel, stride, padding)`
    with padding `[top, left, bottom, right]`; the output size follows the
    convolution rule with dilation 1 (floor mode).
  }];
  let arguments = (ins Weft_F32Tensor:$input, DenseI64ArrayAttr:$kernel,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding);
  let results = (outs Weft_F32Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Weft_MaxPool2DOp : Weft_Pool2DOp<"max_pool2d", "max_pool2d">;
def Weft_AvgPool2DOp : Weft_Pool2DOp<"avg_pool2d", "avg_pool2d">;

def Weft_GlobalAvgPoolOp : Weft_Op<"global_avg_pool", [Pure, InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<Weft_DifferentiableOpInterface>]> {
  let summary = "Mean over the spatial dimensions: [N, C, H, W] -> [N, C]";
  let description = [{
    `x.mean(dim=(2, 3))`, Keras' `GlobalAveragePooling2D`.
  }];
  let arguments = (ins Weft_F32Tensor:$input);
  let results = (outs Weft_F32Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Weft_BatchNorm2DOp : Weft_Op<"batch_norm2d", [Pure, InferTypeOpAdaptor]> {
  let summary = "Batch normalisation over [N, C, H, W] with running statistics";
  let description = [{
    PyTorch's `nn.BatchNorm2d(C, eps, momentum)` in evaluation mode:
    `y = (x - running_mean) / sqrt(running_var + eps) * weight + bias` per
    channel. `weight`, `bias`, `running_mean` and `running_var` are [C]; the
    running statistics are read from weft.buffer declarations. @loss_grad
    (training) replaces it with weft.batch_norm2d_train.

    ```mlir
    %y = weft.batch_norm2d %x, %w, %b, %mean, %var {eps = 1.0e-05 : f64, momentum = 1.0e-01 : f64}
        : (tensor<?x32x26x26xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<?x32x26x26xf32>
    ```
  }];
  let arguments = (ins Weft_F32Tensor:$input, Weft_F32Tensor:$weight,
                       Weft_F32Tensor:$bias, Weft_F32Tensor:$running_mean,
                       Weft_F32Tensor:$running_var, F64Attr:$eps,
                       F64Attr:$momentum);
  let results = (outs Weft_F32Tensor:$output);
  let assemblyFormat = [{
    $input `,` $weight `,` $bias `,` $running_mean `,` $running_var attr-dict
    `:` functional-type(operands, results)
  }];
}

def Weft_BatchNorm2DTrainOp : Weft_Op<"batch_norm2d_train",
    [Pure, InferTypeOpAdaptor,
     DeclareOpInterfaceMethods<Weft_DifferentiableOpInterface>]> {
  let summary = "Batch normalisation over [N, C, H, W] with batch statistics";
  let description = [{
    `nn.BatchNorm2d` in training mode: the batch's per-channel mean and
    biased variance normalise the input,
    `y = (x - mean) * invstd * weight + bias`, `invstd = 1 / sqrt(var + eps)`.
    It also returns `mean` and `invstd` (what the gradient needs) and the
    moved running statistics, as PyTorch updates them:
    `new_running_mean = (1 - momentum) * running_mean + momentum * mean` and
    the same for the variance with the unbiased batch variance.

    ```mlir
    %y, %mean, %invstd, %rm, %rv = weft.batch_norm2d_train %x, %w, %b, %m, %v {eps = 1.0e-05 : f64, momentum = 1.0e-01 : f64}
        : (tensor<?x8x6x6xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>)
        -> (tensor<?x8x6x6xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>)
    ```
  }];
  let arguments = (ins Weft_F32Tensor:$input, Weft_F32Tensor:$weight,
                       Weft_F32Tensor:$bias, Weft_F32Tensor:$running_mean,
                       Weft_F32Tensor:$running_var, F64Attr:$eps,
                       F64Attr:$momentum);
  let results = (outs Weft_F32Tensor:$output, Weft_F32Tensor:$mean,
                      Weft_F32Tensor:$invstd, Weft_F32Tensor:$new_running_mean,
                      Weft_F32Tensor:$new_running_var);
  let assemblyFormat = [{
    $input `,` $weight `,` $bias `,` $running_mean `,` $running_var attr-dict
    `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

class Weft_ActivationOp<string mnemonic, string formula, list<Trait> traits = []>
    : Weft_Op<mnemonic, !listconcat([Pure, SameOperandsAndResultType,
        DeclareOpInterfaceMethods<Weft_DifferentiableOpInterface>], traits)> {
  let summary = "Elementwise " # mnemonic # ": " # formula;
  let arguments = (ins Weft_F32Tensor:$input);
  let results = (outs Weft_F32Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Weft_SigmoidOp : Weft_ActivationOp<"sigmoid", "1 / (1 + exp(-x))">;
def Weft_TanhOp : Weft_ActivationOp<"tanh", "tanh(x)">;
def Weft_GeluOp : Weft_ActivationOp<"gelu",
    "x * Phi(x), PyTorch's exact (erf) form">;

def Weft_LeakyReluOp : Weft_Op<"leaky_relu", [Pure, SameOperandsAndResultType,
    DeclareOpInterfaceMethods<Weft_DifferentiableOpInterface>]> {
  let summary = "Elementwise max(x, 0) + negative_slope * min(x, 0)";
  let arguments = (ins Weft_F32Tensor:$input, F64Attr:$negative_slope);
  let results = (outs Weft_F32Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Weft_DropoutOp : Weft_Op<"dropout", [Pure, AllTypesMatch<["input", "output"]>,
    DeclareOpInterfaceMethods<Weft_DifferentiableOpInterface>]> {
  let summary = "Zeroes elements with probability rate while training";
  let description = [{
    PyTorch's `nn.Dropout(rate)`. Without `seed` (evaluation) it is the
    identity. With `seed` (training), each element is zeroed with
    probability `rate` and the others are scaled by `1 / (1 - rate)`.
    Which elements are zeroed is a hash of the seed, the op's `stream` and
    the element's position, so the op is a pure function of its operands:
    the gradient recomputes the same mask instead of storing it, and two
    dropout ops with different streams draw independent masks.

    ```mlir
    %y = weft.dropout %x seed(%s) {rate = 5.0e-01 : f64, stream = 1 : i64} : tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Weft_F32Tensor:$input, Optional<I32>:$seed,
                       F64Attr:$rate, DefaultValuedAttr<I64Attr, "0">:$stream);
  let results = (outs Weft_F32Tensor:$output);
  let assemblyFormat = "$input (`seed` `(` $seed^ `)`)? attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Weft_SoftmaxOp : Weft_ActivationOp<"softmax", "exp(x) / sum(exp(x)) along the last dimension"> {
  let description = [{ `torch.softmax(x, dim=-1)`. }];
}

def Weft_LogSoftmaxOp : Weft_ActivationOp<"log_softmax",
    "x - log(sum(exp(x))) along the last dimension"> {
  let description = [{ `torch.log_softmax(x, dim=-1)`, computed stably. }];
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

def Weft_SoftmaxCrossEntropyOp : Weft_Op<"softmax_cross_entropy",
    [Pure, InferTypeOpAdaptor,
     DeclareOpInterfaceMethods<Weft_DifferentiableOpInterface>]> {
  let summary = "Mean softmax cross-entropy of logits against class indices";
  let description = [{
    `mean_b (logsumexp(logits[b, :]) - logits[b, labels[b]])`, PyTorch's
    `nn.functional.cross_entropy(logits, labels)` with the default mean
    reduction. Logits `[B, C]`, labels `[B]` of i32 in `[0, C)`, result a
    rank-0 tensor. The labels are not differentiable.

    ```mlir
    %l = weft.softmax_cross_entropy %logits, %labels : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Weft_F32Tensor:$logits, Weft_LabelTensor:$labels);
  let results = (outs Weft_F32Tensor:$loss);
  let assemblyFormat = "$logits `,` $labels attr-dict `:` functional-type(operands, results)";
}

class Weft_PairLossOp<string mnemonic, list<Trait> traits = []>
    : Weft_Op<mnemonic, !listconcat([Pure, InferTypeOpAdaptor,
        DeclareOpInterfaceMethods<Weft_DifferentiableOpInterface>], traits)> {
  let results = (outs Weft_F32Tensor:$loss);
  let assemblyFormat = "$input `,` $target attr-dict `:` functional-type(operands, results)";
}

def Weft_CategoricalCrossEntropyOp : Weft_PairLossOp<"categorical_cross_entropy"> {
  let summary = "Mean softmax cross-entropy of logits against target distributions";
  let description = [{
    `mean_b sum_c -target[b, c] * log_softmax(input[b, :])[c]`: Keras'
    categorical cross-entropy on one-hot (or soft) labels, PyTorch's
    `cross_entropy(input, target)` with class probabilities. Both `[B, C]`.
  }];
  let arguments = (ins Weft_F32Tensor:$input, Weft_F32Tensor:$target);
}

def Weft_BinaryCrossEntropyOp : Weft_PairLossOp<"binary_cross_entropy"> {
  let summary = "Mean binary cross-entropy of probabilities (or logits)";
  let description = [{
    `mean(-(t log p + (1 - t) log(1 - p)))`, PyTorch's
    `binary_cross_entropy(p, t)`; with `from_logits`, `p = sigmoid(input)`
    computed stably, as `binary_cross_entropy_with_logits`. Input and target
    have one shape.
  }];
  let arguments = (ins Weft_F32Tensor:$input, Weft_F32Tensor:$target,
                       UnitAttr:$from_logits);
}

def Weft_MeanSquaredErrorOp : Weft_PairLossOp<"mse"> {
  let summary = "Mean squared error";
  let description = [{ `mean((input - target)^2)`, PyTorch's `mse_loss`. }];
  let arguments = (ins Weft_F32Tensor:$input, Weft_F32Tensor:$target);
}

//===----------------------------------------------------------------------===//
// Gradient building blocks (what vector-Jacobian products are made of)
//===----------------------------------------------------------------------===//

def Weft_MatmulOp : Weft_Op<"matmul",
    [Pure, InferTypeOpAdaptor,
     DeclareOpInterfaceMethods<Weft_DifferentiableOpInterface>]> {
  let summary = "Matrix product of two 2-D tensors, optionally transposed";
  let description = [{
    `op(lhs) * op(rhs)` where `op` transposes when `transpose_lhs` /
    `transpose_rhs` is set: `torch.matmul(a.T if ta else a, b.T if tb else b)`.

    ```mlir
    %dw = weft.matmul %dy, %x {transpose_lhs} : (tensor<?x256xf32>, tensor<?x784xf32>) -> tensor<256x784xf32>
    ```
  }];
  let arguments = (ins Weft_F32Tensor:$lhs, Weft_F32Tensor:$rhs,
                       UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs);
  let results = (outs Weft_F32Tensor:$output);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
}

def Weft_ReduceSumOp : Weft_Op<"reduce_sum",
    [Pure, InferTypeOpAdaptor]> {
  let summary = "Sums a tensor over the given dimensions, dropping them";
  let description = [{
    `torch.sum(x, dim=dims)`. The gradient of a bias is the batch sum of the
    output gradient.

    ```mlir
    %db = weft.reduce_sum %dy {dims = array<i64: 0>} : (tensor<?x256xf32>) -> tensor<256xf32>
    ```
  }];
  let arguments = (ins Weft_F32Tensor:$input, DenseI64ArrayAttr:$dims);
  let results = (outs Weft_F32Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Weft_Conv2DGradInputOp : Weft_Op<"conv2d_grad_input", [Pure]> {
  let summary = "Gradient of weft.conv2d with respect to its input";
  let description = [{
    Given the gradient `dy` of a convolution's output and its weight, the
    gradient of its input (a transposed convolution). The result type is the
    forward input's: the floor in the output-size rule loses its size.

    ```mlir
    %dx = weft.conv2d_grad_input %dy, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x32x26x26xf32>, tensor<32x1x3x3xf32>) -> tensor<?x1x28x28xf32>
    ```
  }];
  let arguments = (ins Weft_F32Tensor:$grad, Weft_F32Tensor:$weight,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups);
  let results = (outs Weft_F32Tensor:$output);
  let assemblyFormat =
      "$grad `,` $weight attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Weft_Conv2DGradWeightOp : Weft_Op<"conv2d_grad_weight", [Pure]> {
  let summary = "Gradient of weft.conv2d with respect to its weight";
  let description = [{
    Given the forward input `x` and the output gradient `dy`, the gradient of
    the weight, `[O, C / groups, KH, KW]` (the result type says KH and KW).
  }];
  let arguments = (ins Weft_F32Tensor:$input, Weft_F32Tensor:$grad,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups);
  let results = (outs Weft_F32Tensor:$output);
  let assemblyFormat =
      "$input `,` $grad attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Weft_MaxPool2DGradOp : Weft_Op<"max_pool2d_grad",
    [Pure, AllTypesMatch<["input", "output"]>]> {
  let summary = "Gradient of weft.max_pool2d";
  let description = [{
    Routes each output gradient to the first maximum of its window in the
    forward input, as PyTorch does (ties go to the first element in
    row-major order).
  }];
  let arguments = (ins Weft_F32Tensor:$input, Weft_F32Tensor:$grad,
                       DenseI64ArrayAttr:$kernel, DenseI64ArrayAttr:$stride,
                       DenseI64ArrayAttr:$padding);
  let results = (outs Weft_F32Tensor:$output);
  let assemblyFormat =
      "$input `,` $grad attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Weft_AvgPool2DGradOp : Weft_Op<"avg_pool2d_grad", [Pure]> {
  let summary = "Gradient of weft.avg_pool2d";
  let description = [{
    Spreads each output gradient evenly over its window (padding counts, as
    in PyTorch's default `count_include_pad=True`). The result type is the
    forward input's.
  }];
  let arguments = (ins Weft_F32Tensor:$grad, DenseI64ArrayAttr:$kernel,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding);
  let results = (outs Weft_F32Tensor:$output);
  let assemblyFormat = "$grad attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Weft_ReluGradOp : Weft_Op<"relu_grad",
    [Pure, AllTypesMatch<["input", "grad", "output"]>]> {
  let summary = "Gradient of relu: grad where input > 0, else 0 (input may be relu's input or output)";
  let arguments = (ins Weft_F32Tensor:$input, Weft_F32Tensor:$grad);
  let results = (outs Weft_F32Tensor:$output);
  let assemblyFormat = "$input `,` $grad attr-dict `:` type($output)";
}

class Weft_ActivationGradOp<string mnemonic, string of, string formula>
    : Weft_Op<mnemonic, [Pure, AllTypesMatch<["value", "grad", "output"]>]> {
  let summary = "Gradient of " # of # ": " # formula;
  let arguments = (ins Weft_F32Tensor:$value, Weft_F32Tensor:$grad);
  let results = (outs Weft_F32Tensor:$output);
  let assemblyFormat = "$value `,` $grad attr-dict `:` type($output)";
}

// PyTorch's *_backward functions; `value` is the forward op's result where
// the formula needs only that, so the input need not stay alive.
def Weft_SigmoidGradOp : Weft_ActivationGradOp<"sigmoid_grad", "sigmoid",
    "grad * y * (1 - y), value y = sigmoid(x)">;
def Weft_TanhGradOp : Weft_ActivationGradOp<"tanh_grad", "tanh",
    "grad * (1 - y^2), value y = tanh(x)">;
def Weft_GeluGradOp : Weft_ActivationGradOp<"gelu_grad", "gelu",
    "grad * (Phi(x) + x * phi(x)), value x">;
def Weft_SoftmaxGradOp : Weft_ActivationGradOp<"softmax_grad", "softmax",
    "y * (grad - sum(grad * y)) along the last dimension, value y = softmax(x)">;
def Weft_LogSoftmaxGradOp : Weft_ActivationGradOp<"log_softmax_grad",
    "log_softmax",
    "grad - exp(y) * sum(grad) along the last dimension, value y = log_softmax(x)">;

def Weft_LeakyReluGradOp : Weft_Op<"leaky_relu_grad",
    [Pure, AllTypesMatch<["value", "grad", "output"]>]> {
  let summary = "Gradient of leaky_relu: grad where x > 0, else negative_slope * grad";
  let arguments = (ins Weft_F32Tensor:$value, Weft_F32Tensor:$grad,
                       F64Attr:$negative_slope);
  let results = (outs Weft_F32Tensor:$output);
  let assemblyFormat = "$value `,` $grad attr-dict `:` type($output)";
}

def Weft_BatchNorm2DGradOp : Weft_Op<"batch_norm2d_grad",
    [Pure, AllTypesMatch<["input", "grad", "grad_input"]>,
     AllTypesMatch<["weight", "mean", "invstd", "grad_weight", "grad_bias"]>]> {
  let summary = "Gradient of weft.batch_norm2d_train";
  let description = [{
    With `xhat = (x - mean) * invstd` and `M = N * H * W` per channel:
    `grad_bias = sum(grad)`, `grad_weight = sum(grad * xhat)`,
    `grad_input = weight * invstd / M * (M * grad - grad_bias - xhat * grad_weight)`.
  }];
  let arguments = (ins Weft_F32Tensor:$input, Weft_F32Tensor:$weight,
                       Weft_F32Tensor:$mean, Weft_F32Tensor:$invstd,
                       Weft_F32Tensor:$grad);
  let results = (outs Weft_F32Tensor:$grad_input, Weft_F32Tensor:$grad_weight,
                      Weft_F32Tensor:$grad_bias);
  let assemblyFormat = [{
    $input `,` $weight `,` $mean `,` $invstd `,` $grad attr-dict `:`
    type($input) `,` type($weight)
  }];
}

class Weft_PairLossGradOp<string mnemonic, string formula>
    : Weft_Op<mnemonic, [Pure, AllTypesMatch<["input", "target", "output"]>]> {
  let summary = "Gradient of weft." # !subst("_grad", "", mnemonic) #
                " w.r.t. its input: " # formula;
  let results = (outs Weft_F32Tensor:$output);
  let assemblyFormat = "$input `,` $target `,` $loss_grad attr-dict `:` type($input)";
}

def Weft_CategoricalCrossEntropyGradOp : Weft_PairLossGradOp<
    "categorical_cross_entropy_grad",
    "(softmax(input) * sum(target) - target) * loss_grad / B"> {
  let arguments = (ins Weft_F32Tensor:$input, Weft_F32Tensor:$target,
                       Weft_ScalarTensor:$loss_grad);
  let hasVerifier = 1;
}

def Weft_BinaryCrossEntropyGradOp : Weft_PairLossGradOp<
    "binary_cross_entropy_grad",
    "(p - t) / max(p (1 - p), 1e-12) * loss_grad / numel; with from_logits, "
    "(sigmoid(input) - t) * loss_grad / numel"> {
  let arguments = (ins Weft_F32Tensor:$input, Weft_F32Tensor:$target,
                       Weft_ScalarTensor:$loss_grad, UnitAttr:$from_logits);
}

def Weft_MeanSquaredErrorGradOp : Weft_PairLossGradOp<"mse_grad",
    "2 (input - target) * loss_grad / numel"> {
  let arguments = (ins Weft_F32Tensor:$input, Weft_F32Tensor:$target,
                       Weft_ScalarTensor:$loss_grad);
}

def Weft_SoftmaxCrossEntropyGradOp : Weft_Op<"softmax_cross_entropy_grad",
    [Pure, InferTypeOpAdaptor]> {
  let summary = "Gradient of the mean softmax cross-entropy w.r.t. the logits";
  let description = [{
    `(softmax(logits) - one_hot(labels)) * loss_grad / B`.
  }];
  let arguments = (ins Weft_F32Tensor:$logits, Weft_LabelTensor:$labels,
                       Weft_F32Tensor:$loss_grad);
  let results = (outs Weft_F32Tensor:$output);
  let assemblyFormat = "$logits `,` $labels `,` $loss_grad attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Optimizer updates
//===----------------------------------------------------------------------===//

def Weft_SgdUpdateOp : Weft_Op<"sgd_update",
    [Pure, AllTypesMatch<["param", "grad", "momentum_buffer", "new_param",
                          "new_momentum_buffer"]>]> {
  let summary = "One step of SGD with momentum, Nesterov and weight decay";
  let description = [{
    PyTorch's `torch.optim.SGD` (dampening 0):
    `g' = grad + weight_decay * param`, `buf' = momentum * buf + g'`,
    `param' = param - lr * d` where `d = g' + momentum * buf'` with
    Nesterov momentum (`nesterov` = 1) and `d = buf'` without (0). With
    momentum 0 this is plain SGD. Every hyperparameter is a run-time value.
  }];
  let arguments = (ins Weft_F32Tensor:$param, Weft_F32Tensor:$grad,
                       Weft_F32Tensor:$momentum_buffer,
                       F32:$lr, F32:$momentum, F32:$weight_decay, F32:$nesterov);
  let results = (outs Weft_F32Tensor:$new_param,
                      Weft_F32Tensor:$new_momentum_buffer);
  let assemblyFormat = [{
    $param `,` $grad `,` $momentum_buffer `lr` `(` $lr `)` `momentum` `(`
    $momentum `)` `weight_decay` `(` $weight_decay `)` `nesterov` `(`
    $nesterov `)` attr-dict `:` type($param)
  }];
}

def Weft_AdamUpdateOp : Weft_Op<"adam_update",
    [Pure, AllTypesMatch<["param", "grad", "exp_avg", "exp_avg_sq",
                          "new_param", "new_exp_avg", "new_exp_avg_sq"]>]> {
  let summary = "One step of Adam or AdamW with bias correction";
  let description = [{
    PyTorch's `torch.optim.Adam` (`decoupled` = 0: L2 weight decay added to
    the gradient) or `torch.optim.AdamW` (`decoupled` = 1: the parameter
    shrinks by `lr * weight_decay` first), with `step` the 1-based step:
    `g' = grad + (1 - decoupled) weight_decay * param`,
    `m' = beta1 m + (1 - beta1) g'`, `v' = beta2 v + (1 - beta2) g'^2`,
    `param' = param (1 - decoupled lr weight_decay)
              - lr / (1 - beta1^step) * m' / (sqrt(v') / sqrt(1 - beta2^step) + eps)`.
  }];
  let arguments = (ins Weft_F32Tensor:$param, Weft_F32Tensor:$grad,
                       Weft_F32Tensor:$exp_avg, Weft_F32Tensor:$exp_avg_sq,
                       F32:$lr, F32:$beta1, F32:$beta2, F32:$eps,
                       F32:$weight_decay, F32:$step, F32:$decoupled);
  let results = (outs Weft_F32Tensor:$new_param, Weft_F32Tensor:$new_exp_avg,
                      Weft_F32Tensor:$new_exp_avg_sq);
  let assemblyFormat = [{
    $param `,` $grad `,` $exp_avg `,` $exp_avg_sq `lr` `(` $lr `)` `betas` `(`
    $beta1 `,` $beta2 `)` `eps` `(` $eps `)` `weight_decay` `(` $weight_decay
    `)` `step` `(` $step `)` `decoupled` `(` $decoupled `)` attr-dict `:`
    type($param)
  }];
}

def Weft_ClipByGlobalNormOp : Weft_Op<"clip_by_global_norm",
    [Pure, InferTypeOpAdaptor]> {
  let summary = "Scales gradients so that their joint L2 norm is at most max_norm";
  let description = [{
    `torch.nn.utils.clip_grad_norm_(params, max_norm)`: with `norm` the L2
    norm of all the gradients together, every gradient is multiplied by
    `min(1, max_norm / (norm + 1e-6))`. A `max_norm` of 0 or less turns
    clipping off (the gradients pass unchanged), so one compiled step
    serves runs with and without clipping.

    ```mlir
    %a2, %b2 = weft.clip_by_global_norm %a, %b max_norm(%m) : tensor<4x3xf32>, tensor<4xf32>
    ```
  }];
  let arguments = (ins Variadic<Weft_F32Tensor>:$grads, F32:$max_norm);
  let results = (outs Variadic<Weft_F32Tensor>:$clipped);
  let assemblyFormat = "$grads `max_norm` `(` $max_norm `)` attr-dict `:` type($grads)";
}

//===----------------------------------------------------------------------===//
// The CUDA path: library calls on the GPU's stream
//===----------------------------------------------------------------------===//

def Weft_GpuLibraryCallOp : Weft_Op<"gpu_library_call",
    [GPU_AsyncOpInterface, AttrSizedOperandSegments]> {
  let summary = "A cuDNN or cuBLAS call that the runtime queues on the GPU";
  let description = [{
    One kernel of the CUDA path that a vendor library computes instead of a
    generated kernel (`weft-gpu-library-calls`): `callee` names the runtime
    function (runtime/CudaLibraries.cpp), `buffers` are the memrefs it reads
    and writes, the last one its output, and `params` what the library
    needs beyond their shapes (the convolution's kind, TF32 or strict f32).

    Like `gpu.launch_func`, it only queues work on the runtime's stream, so
    it implements the GPU async interface: upstream's `gpu-async-region`
    chains it by tokens with the launches around it instead of waiting
    for the GPU before it. `weft-lower-gpu-library-calls` then makes it a
    call of the runtime.

    ```mlir
    %t1 = weft.gpu_library_call [%t0] @weft_cudnn_convolution(%x, %w, %y)
        params [0, 1] : memref<?x1x1x28x28xf32>, memref<1x32x1x3x3xf32>,
                        memref<?x1x32x26x26xf32> -> !gpu.async.token
    ```
  }];
  let arguments = (ins Variadic<GPU_AsyncToken>:$asyncDependencies,
                       FlatSymbolRefAttr:$callee,
                       Variadic<AnyMemRef>:$buffers,
                       DenseI64ArrayAttr:$params);
  let results = (outs Optional<GPU_AsyncToken>:$asyncToken);
  let assemblyFormat = [{
    (`[` $asyncDependencies^ `]`)? $callee `(` $buffers `)` `params` $params
    attr-dict `:` type($buffers) (`->` type($asyncToken)^)?
  }];
}

#endif // WEFT_OPS
