// RUN: weft-opt %s -split-input-file -verify-diagnostics --weft-autodiff | FileCheck %s
// RUN: weft-opt %s -split-input-file -verify-diagnostics --weft-autodiff --mlir-print-debuginfo | FileCheck %s --check-prefix=LOC

// Tests reverse-mode differentiation of a two-layer network whose input
// feeds two layers (its gradient is the sum of both) and whose parameter
// @unused does not reach the loss (its gradient is zero).

weft.parameter @a.weight : tensor<3x4xf32> {fan_in = 4 : i64, init = "uniform_fan_in"}
weft.parameter @a.bias : tensor<3xf32> {fan_in = 4 : i64, init = "uniform_fan_in"}
weft.parameter @b.weight : tensor<3x4xf32> {fan_in = 4 : i64, init = "uniform_fan_in"}
weft.parameter @unused : tensor<2xf32> {fan_in = 1 : i64, init = "zeros"}

func.func @loss(%x: tensor<?x4xf32>, %y: tensor<?xi32>) -> (tensor<f32>, tensor<?x3xf32>) {
  %aw = weft.load @a.weight : tensor<3x4xf32> loc(#a)
  %ab = weft.load @a.bias : tensor<3xf32> loc(#a)
  %h = weft.dense %x, %aw, %ab : (tensor<?x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<?x3xf32> loc(#a)
  %r = weft.relu %h : tensor<?x3xf32> loc(#a)
  %bw = weft.load @b.weight : tensor<3x4xf32>
  %g = weft.dense %x, %bw : (tensor<?x4xf32>, tensor<3x4xf32>) -> tensor<?x3xf32>
  %s = weft.add %r, %g : tensor<?x3xf32>
  %l = weft.softmax_cross_entropy %s, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<f32>
  return %l, %s : tensor<f32>, tensor<?x3xf32>
}
#a = loc("a"("model.weft":7:3))

// The loss function is kept; the gradient function follows it.
// CHECK-LABEL: func.func @loss(
// CHECK-LABEL: func.func @loss_grad(
// CHECK-SAME:    %[[X:.*]]: tensor<?x4xf32>, %[[Y:.*]]: tensor<?xi32>, %{{.*}}: i32 {weft.name = "seed"})
// CHECK-SAME:    -> (tensor<f32>, tensor<3x4xf32>, tensor<3xf32>, tensor<3x4xf32>, tensor<2xf32>)
// CHECK-SAME:    attributes {weft.gradients = [@a.weight, @a.bias, @b.weight, @unused]}
// CHECK:       %[[AW:.*]] = weft.load @a.weight
// CHECK:       %[[H:.*]] = weft.dense %[[X]], %[[AW]]
// CHECK:       %[[R:.*]] = weft.relu %[[H]]
// CHECK:       %[[BW:.*]] = weft.load @b.weight
// CHECK:       %[[S:.*]] = weft.add
// CHECK:       %[[L:.*]] = weft.softmax_cross_entropy %[[S]], %[[Y]]
// The backward pass starts from d loss / d loss = 1.
// CHECK:       %[[ONE:.*]] = arith.constant dense<1.000000e+00> : tensor<f32>
// d loss / d logits, then through the add to both branches.
// CHECK:       %[[DS:.*]] = weft.softmax_cross_entropy_grad %[[S]], %[[Y]], %[[ONE]]
// The second branch: dx and dW of the bias-free layer.
// CHECK:       %[[DX2:.*]] = weft.matmul %[[DS]], %[[BW]] :
// CHECK:       %[[DBW:.*]] = weft.matmul %[[DS]], %[[X]] {transpose_lhs}
// The first branch: relu (its mask read from relu's output, so that the
// dense layer's result has relu as its only user), then the dense layer's
// three gradients.
// CHECK:       %[[DH:.*]] = weft.relu_grad %[[R]], %[[DS]]
// CHECK:       %[[DX1:.*]] = weft.matmul %[[DH]], %[[AW]] :
// CHECK:       %[[DAW:.*]] = weft.matmul %[[DH]], %[[X]] {transpose_lhs}
// CHECK:       %[[DAB:.*]] = weft.reduce_sum %[[DH]] {dims = array<i64: 0>}
// x has two uses: its gradient is accumulated.
// CHECK:       weft.add %[[DX2]], %[[DX1]]
// CHECK:       %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : tensor<2xf32>
// CHECK:       return %[[L]], %[[DAW]], %[[DAB]], %[[DBW]], %[[ZERO]]

// Gradient ops point at the forward op they differentiate, named after its layer.
// LOC: weft.relu_grad {{.*}} loc(#[[RELU:.*]])
// LOC-DAG: #[[FILE:.*]] = loc("model.weft":7:3)
// LOC-DAG: #[[RELU]] = loc("vjp(a)"(#[[FILE]]))

// -----

// Tests that a call must be inlined before differentiation.
func.func private @f(%x: tensor<?x3xf32>) -> tensor<?x3xf32>
func.func @loss(%x: tensor<?x3xf32>, %y: tensor<?xi32>) -> tensor<f32> {
  // expected-error@+1 {{cannot differentiate through a call; run the 'inline' pass before 'weft-autodiff'}}
  %z = call @f(%x) : (tensor<?x3xf32>) -> tensor<?x3xf32>
  %l = weft.softmax_cross_entropy %z, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Tests that an op without a vector-Jacobian product is reported.
func.func @loss(%x: tensor<?x3xf32>, %y: tensor<?xi32>) -> tensor<f32> {
  // expected-error@+1 {{training through 'weft.relu_grad' is not supported yet: it has no gradient (no DifferentiableOpInterface)}}
  %z = weft.relu_grad %x, %x : tensor<?x3xf32>
  %l = weft.softmax_cross_entropy %z, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Tests that the first result must be the scalar loss.
// expected-error@+1 {{weft-autodiff: the first result of @loss must be the loss, a tensor<f32>}}
func.func @loss(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  return %x : tensor<?x3xf32>
}

// -----

// Tests that there must be a loss function.
// expected-error@+1 {{weft-autodiff: no function @loss to differentiate}}
module {
  func.func @forward() {
    return
  }
}

// -----

// Tests the VJPs of convolution and pooling: the pool's gradient needs its
// input (to find each window's maximum); the convolution gives its input,
// weight and bias gradients (the bias sums over batch and space).
weft.parameter @c.weight : tensor<4x1x3x3xf32> {fan_in = 9 : i64, init = "uniform_fan_in"}
weft.parameter @c.bias : tensor<4xf32> {fan_in = 9 : i64, init = "uniform_fan_in"}

func.func @loss(%x: tensor<?x1x8x8xf32>, %y: tensor<?xi32>) -> (tensor<f32>, tensor<?x36xf32>) {
  %w = weft.load @c.weight : tensor<4x1x3x3xf32>
  %b = weft.load @c.bias : tensor<4xf32>
  %c = weft.conv2d %x, %w, %b {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x1x8x8xf32>, tensor<4x1x3x3xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  %p = weft.max_pool2d %c {kernel = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x4x8x8xf32>) -> tensor<?x4x4x4xf32>
  %a = weft.avg_pool2d %p {kernel = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>} : (tensor<?x4x4x4xf32>) -> tensor<?x4x3x3xf32>
  %f = weft.reshape %a : tensor<?x4x3x3xf32> -> tensor<?x36xf32>
  %l = weft.softmax_cross_entropy %f, %y : (tensor<?x36xf32>, tensor<?xi32>) -> tensor<f32>
  return %l, %f : tensor<f32>, tensor<?x36xf32>
}

// CHECK-LABEL: func.func @loss_grad(
// CHECK:       %[[C:.*]] = weft.conv2d
// CHECK:       %[[P:.*]] = weft.max_pool2d %[[C]]
// CHECK:       %[[DA:.*]] = weft.avg_pool2d_grad %{{.*}} {kernel = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>} : (tensor<?x4x3x3xf32>) -> tensor<?x4x4x4xf32>
// CHECK:       %[[DP:.*]] = weft.max_pool2d_grad %[[C]], %[[DA]] {{.*}} -> tensor<?x4x8x8xf32>
// CHECK-DAG:   weft.conv2d_grad_input %[[DP]], %{{.*}} {{.*}} -> tensor<?x1x8x8xf32>
// CHECK-DAG:   %[[DW:.*]] = weft.conv2d_grad_weight %{{.*}}, %[[DP]] {{.*}} -> tensor<4x1x3x3xf32>
// CHECK-DAG:   %[[DB:.*]] = weft.reduce_sum %[[DP]] {dims = array<i64: 0, 2, 3>} : (tensor<?x4x8x8xf32>) -> tensor<4xf32>
// CHECK:       return %{{.*}}, %[[DW]], %[[DB]]

// -----

// Tests training mode: @loss_grad takes a seed, each dropout draws from it
// on its own stream and its gradient reuses the same mask; batch
// normalisation uses batch statistics and stores the moved running
// statistics into their buffers; @loss keeps the evaluation forms. Also the
// VJPs of global average pooling (an average-pool gradient over one H x W
// window), sigmoid (from its output) and binary cross-entropy.
weft.parameter @bn.weight : tensor<2xf32> {fan_in = 0 : i64, init = "ones"}
weft.parameter @bn.bias : tensor<2xf32> {fan_in = 0 : i64, init = "zeros"}
weft.buffer @bn.running_mean : tensor<2xf32> {init = "zeros"}
weft.buffer @bn.running_var : tensor<2xf32> {init = "ones"}

func.func @loss(%x: tensor<?x2x3x3xf32>, %t: tensor<?x2xf32>) -> (tensor<f32>, tensor<?x2xf32>) {
  %w = weft.load @bn.weight : tensor<2xf32>
  %b = weft.load @bn.bias : tensor<2xf32>
  %m = weft.load @bn.running_mean : tensor<2xf32>
  %v = weft.load @bn.running_var : tensor<2xf32>
  %n = weft.batch_norm2d %x, %w, %b, %m, %v {eps = 1.0e-05 : f64, momentum = 1.0e-01 : f64} : (tensor<?x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2x3x3xf32>
  %d = weft.dropout %n {rate = 5.0e-01 : f64} : tensor<?x2x3x3xf32>
  %g = weft.global_avg_pool %d : (tensor<?x2x3x3xf32>) -> tensor<?x2xf32>
  %e = weft.dropout %g {rate = 2.5e-01 : f64} : tensor<?x2xf32>
  %s = weft.sigmoid %e : tensor<?x2xf32>
  %l = weft.binary_cross_entropy %s, %t : (tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<f32>
  return %l, %s : tensor<f32>, tensor<?x2xf32>
}

// CHECK-LABEL: func.func @loss(
// CHECK:       weft.batch_norm2d %
// CHECK:       weft.dropout %{{[^ ]*}} {rate
// CHECK-LABEL: func.func @loss_grad(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x2x3x3xf32>, %[[T:[^:]*]]: tensor<?x2xf32>, %[[SEED:[^:]*]]: i32 {weft.name = "seed"})
// CHECK:       %[[N:.*]], %[[MEAN:.*]], %[[INVSTD:.*]], %[[NEWM:.*]], %[[NEWV:.*]] = weft.batch_norm2d_train %[[X]]
// CHECK:       weft.store %[[NEWM]], @bn.running_mean
// CHECK:       weft.store %[[NEWV]], @bn.running_var
// CHECK:       %[[D:.*]] = weft.dropout %[[N]] seed(%[[SEED]]) {rate = 5.000000e-01 : f64, stream = 1 : i64}
// CHECK:       %[[G:.*]] = weft.global_avg_pool %[[D]]
// CHECK:       %[[E:.*]] = weft.dropout %[[G]] seed(%[[SEED]]) {rate = 2.500000e-01 : f64, stream = 2 : i64}
// CHECK:       %[[S:.*]] = weft.sigmoid %[[E]]
// CHECK:       %[[DS:.*]] = weft.binary_cross_entropy_grad %[[S]], %[[T]], %{{.*}} : tensor<?x2xf32>
// CHECK:       %[[DE:.*]] = weft.sigmoid_grad %[[S]], %[[DS]]
// CHECK:       %[[DG:.*]] = weft.dropout %[[DE]] seed(%[[SEED]]) {rate = 2.500000e-01 : f64, stream = 2 : i64}
// CHECK:       %[[DG4:.*]] = weft.reshape %[[DG]] : tensor<?x2xf32> -> tensor<?x2x1x1xf32>
// CHECK:       %[[DD:.*]] = weft.avg_pool2d_grad %[[DG4]] {kernel = array<i64: 3, 3>, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 3, 3>}
// CHECK:       %[[DN:.*]] = weft.dropout %[[DD]] seed(%[[SEED]]) {rate = 5.000000e-01 : f64, stream = 1 : i64}
// CHECK:       %{{.*}}, %[[DW:.*]], %[[DB:.*]] = weft.batch_norm2d_grad %[[X]], %{{.*}}, %[[MEAN]], %[[INVSTD]], %[[DN]]
// CHECK:       return %{{.*}}, %[[DW]], %[[DB]] : tensor<f32>, tensor<2xf32>, tensor<2xf32>
