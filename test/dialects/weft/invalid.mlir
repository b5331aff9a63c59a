// RUN: weft-opt %s -split-input-file -verify-diagnostics

// Tests that a dense layer checks its input features against the weight.
func.func @dense_features(%x: tensor<?x5xf32>, %w: tensor<3x4xf32>) {
  // expected-error@+2 {{weft.dense input has 5 features but the weight 'tensor<3x4xf32>' expects 4}}
  // expected-error@+1 {{'weft.dense' op failed to infer returned types}}
  %y = weft.dense %x, %w : (tensor<?x5xf32>, tensor<3x4xf32>) -> tensor<?x3xf32>
  return
}

// -----

// Tests that a dense layer's bias matches its outputs.
func.func @dense_bias(%x: tensor<?x4xf32>, %w: tensor<3x4xf32>, %b: tensor<2xf32>) {
  // expected-error@+2 {{weft.dense bias 'tensor<2xf32>' does not match the weight's 3 outputs}}
  // expected-error@+1 {{'weft.dense' op failed to infer returned types}}
  %y = weft.dense %x, %w, %b : (tensor<?x4xf32>, tensor<3x4xf32>, tensor<2xf32>) -> tensor<?x3xf32>
  return
}

// -----

// Tests that a declared result type must agree with the inferred one.
func.func @dense_result(%x: tensor<?x4xf32>, %w: tensor<3x4xf32>) {
  // expected-error@+2 {{'weft.dense' op inferred type(s) 'tensor<?x3xf32>' are incompatible with return type(s) of operation 'tensor<?x7xf32>'}}
  // expected-error@+1 {{'weft.dense' op failed to infer returned types}}
  %y = weft.dense %x, %w : (tensor<?x4xf32>, tensor<3x4xf32>) -> tensor<?x7xf32>
  return
}

// -----

// Tests that reshape keeps the number of elements per example.
func.func @reshape_count(%x: tensor<?x2x2xf32>) {
  // expected-error@+1 {{cannot reshape 4 elements per example ('tensor<?x2x2xf32>') into 5 ('tensor<?x5xf32>')}}
  %y = weft.reshape %x : tensor<?x2x2xf32> -> tensor<?x5xf32>
  return
}

// -----

// Tests that cross-entropy wants one label per example.
func.func @labels(%l: tensor<?x3xf32>, %y: tensor<?x2xi32>) {
  // expected-error@+2 {{softmax_cross_entropy expects one label per example}}
  // expected-error@+1 {{'weft.softmax_cross_entropy' op failed to infer returned types}}
  %loss = weft.softmax_cross_entropy %l, %y : (tensor<?x3xf32>, tensor<?x2xi32>) -> tensor<f32>
  return
}

// -----

// Tests that matmul checks the contraction sizes, transposes included.
func.func @matmul(%a: tensor<4x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error@+2 {{weft.matmul contraction sizes differ: 3 vs 4}}
  // expected-error@+1 {{'weft.matmul' op failed to infer returned types}}
  %c = weft.matmul %a, %b : (tensor<4x3xf32>, tensor<4x5xf32>) -> tensor<4x5xf32>
  return
}

// -----

// Tests that a load names a declared variable of the same type.
weft.parameter @w : tensor<3xf32> {fan_in = 1 : i64, init = "zeros"}
func.func @load_type() {
  // expected-error@+1 {{'weft.load' op type 'tensor<4xf32>' does not match @w declared as 'tensor<3xf32>'}}
  %w = weft.load @w : tensor<4xf32>
  return
}

// -----

func.func @load_missing() {
  // expected-error@+1 {{'nope' does not name a weft.parameter, weft.buffer or weft.state}}
  %w = weft.load @nope : tensor<4xf32>
  return
}

// -----

// Tests that parameters have a known initialiser and a static shape.
// expected-error@+1 {{has unknown initialiser 'normal'; expected uniform_fan_in, zeros or ones}}
weft.parameter @p : tensor<3xf32> {fan_in = 1 : i64, init = "normal"}

// -----

// expected-error@+1 {{parameter shapes must be static}}
weft.parameter @q : tensor<?xf32> {fan_in = 1 : i64, init = "zeros"}


// -----

// Tests that a convolution's weight matches the input channels.
func.func @conv_channels(%x: tensor<?x3x8x8xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error@+2 {{weft.conv2d input has 3 channels but the weight 'tensor<4x2x3x3xf32>' expects 2}}
  // expected-error@+1 {{'weft.conv2d' op failed to infer returned types}}
  %y = weft.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x3x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<?x4x6x6xf32>
  return
}

// -----

// Tests that a window larger than the padded input is refused.
func.func @pool_window(%x: tensor<?x3x2x2xf32>) {
  // expected-error@+2 {{weft.max_pool2d window of 3 does not fit the height of 2 (2 with padding)}}
  // expected-error@+1 {{'weft.max_pool2d' op failed to infer returned types}}
  %y = weft.max_pool2d %x {kernel = array<i64: 3, 3>, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x3x2x2xf32>) -> tensor<?x3x1x1xf32>
  return
}

// -----

// Tests that window attributes have the right arity and signs.
func.func @conv_stride(%x: tensor<?x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error@+2 {{weft.conv2d needs two positive strides}}
  // expected-error@+1 {{'weft.conv2d' op failed to infer returned types}}
  %y = weft.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 0, 1>} : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<?x4x6x6xf32>
  return
}

// -----

// Tests that a dropout rate is a probability below 1.
func.func @dropout_rate(%x: tensor<?x4xf32>) {
  // expected-error@+1 {{'weft.dropout' op rate must be in [0, 1), got 1.000000e+00}}
  %y = weft.dropout %x {rate = 1.0 : f64} : tensor<?x4xf32>
  return
}

// -----

// Tests that a convolution's input gradient must fit the forward shape rule.
func.func @conv_grad_input_shape(%dy: tensor<?x4x5x5xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error@+1 {{'weft.conv2d_grad_input' op gradient 'tensor<?x4x5x5xf32>' does not match the forward output 'tensor<?x4x6x6xf32>'}}
  %dx = weft.conv2d_grad_input %dy, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x4x5x5xf32>, tensor<4x3x3x3xf32>) -> tensor<?x3x8x8xf32>
  return
}

// -----

// Tests that a weight gradient's kernel size must fit the forward shapes.
func.func @conv_grad_weight_shape(%x: tensor<?x3x8x8xf32>, %dy: tensor<?x4x6x6xf32>) {
  // expected-error@+1 {{'weft.conv2d_grad_weight' op gradient 'tensor<?x4x6x6xf32>' does not match the forward output 'tensor<?x4x7x7xf32>'}}
  %dw = weft.conv2d_grad_weight %x, %dy {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x3x8x8xf32>, tensor<?x4x6x6xf32>) -> tensor<4x3x2x2xf32>
  return
}

// -----

// Tests that a max-pool gradient has the pooled shape.
func.func @max_pool_grad_shape(%x: tensor<?x2x8x8xf32>, %dy: tensor<?x2x3x3xf32>) {
  // expected-error@+1 {{'weft.max_pool2d_grad' op gradient 'tensor<?x2x3x3xf32>' does not match the forward output 'tensor<?x2x4x4xf32>'}}
  %dx = weft.max_pool2d_grad %x, %dy {kernel = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x2x8x8xf32>, tensor<?x2x3x3xf32>) -> tensor<?x2x8x8xf32>
  return
}

// -----

// Tests that batch norm's per-channel operands have the channel count.
func.func @batch_norm_channels(%x: tensor<?x4x8x8xf32>, %c: tensor<4xf32>, %bad: tensor<3xf32>) {
  // expected-error@+2 {{weft.batch_norm2d's weight, bias and running statistics are [C] = [4], got 'tensor<3xf32>'}}
  // expected-error@+1 {{'weft.batch_norm2d' op failed to infer returned types}}
  %y = weft.batch_norm2d %x, %c, %c, %c, %bad {eps = 1.0e-5 : f64, momentum = 0.1 : f64} : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<3xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

// Tests that a buffer starts as zeros or ones.
// expected-error@+1 {{'weft.buffer' op init must be "zeros" or "ones", got "uniform_fan_in"}}
weft.buffer @bn.running_mean : tensor<4xf32> {init = "uniform_fan_in"}

// -----

// Tests that training-mode batch normalisation checks its momentum.
func.func @batch_norm_train_momentum(%x: tensor<?x4x8x8xf32>, %c: tensor<4xf32>) {
  // expected-error@+2 {{weft.batch_norm2d_train needs momentum in (0, 1], got 1.5}}
  // expected-error@+1 {{'weft.batch_norm2d_train' op failed to infer returned types}}
  %y:5 = weft.batch_norm2d_train %x, %c, %c, %c, %c {eps = 1.0e-5 : f64, momentum = 1.5 : f64} : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

// Tests that the batch-norm gradient's per-channel operands agree.
func.func @batch_norm_grad_types(%x: tensor<?x4x8x8xf32>, %c: tensor<4xf32>, %bad: tensor<3xf32>) {
  // expected-error@+1 {{'weft.batch_norm2d_grad' op failed to verify that all of {weight, mean, invstd, grad_weight, grad_bias} have same type}}
  %dx, %dw, %db = "weft.batch_norm2d_grad"(%x, %c, %bad, %c, %x) : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<3xf32>, tensor<4xf32>, tensor<?x4x8x8xf32>) -> (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

// Tests that a dropout rate of 1 (every element dropped) is refused.
func.func @dropout_rate(%x: tensor<?x4xf32>, %s: i32) {
  // expected-error@+1 {{'weft.dropout' op rate must be in [0, 1), got 1.000000e+00}}
  %y = weft.dropout %x seed(%s) {rate = 1.0 : f64} : tensor<?x4xf32>
  return
}

// -----

// Tests that categorical cross-entropy's gradient needs [batch, classes].
func.func @categorical_grad_rank(%x: tensor<?x4x2xf32>, %d: tensor<f32>) {
  // expected-error@+1 {{'weft.categorical_cross_entropy_grad' op expects logits [batch, classes], got 'tensor<?x4x2xf32>'}}
  %g = weft.categorical_cross_entropy_grad %x, %x, %d : tensor<?x4x2xf32>
  return
}

// -----

// Tests that a loss gradient is a rank-0 tensor.
func.func @mse_grad_scalar(%x: tensor<?x4xf32>, %d: tensor<1xf32>) {
  // expected-error@+1 {{'weft.mse_grad' op operand #2 must be 0D tensor of 32-bit float values, but got 'tensor<1xf32>'}}
  %g = "weft.mse_grad"(%x, %x, %d) : (tensor<?x4xf32>, tensor<?x4xf32>, tensor<1xf32>) -> tensor<?x4xf32>
  return
}
