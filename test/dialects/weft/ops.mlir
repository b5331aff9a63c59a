// RUN: weft-opt %s | FileCheck %s
// RUN: weft-opt %s | weft-opt | FileCheck %s

// Tests that every weft op prints and parses back.

// CHECK: weft.parameter @fc.weight : tensor<3x4xf32> {fan_in = 4 : i64, init = "uniform_fan_in"}
weft.parameter @fc.weight : tensor<3x4xf32> {fan_in = 4 : i64, init = "uniform_fan_in"}
weft.parameter @fc.bias : tensor<3xf32> {fan_in = 4 : i64, init = "zeros"}
// CHECK: weft.state @fc.weight.exp_avg : tensor<3x4xf32> {group = "adam"}
weft.state @fc.weight.exp_avg : tensor<3x4xf32> {group = "adam"}
weft.state @fc.weight.exp_avg_sq : tensor<3x4xf32> {group = "adam"}
weft.state @fc.weight.momentum_buffer : tensor<3x4xf32> {group = "sgd"}

// CHECK-LABEL: func.func @layers
func.func @layers(%x: tensor<?x2x2xf32>, %labels: tensor<?xi32>) -> tensor<f32> {
  // CHECK: %[[FLAT:.*]] = weft.reshape %{{.*}} : tensor<?x2x2xf32> -> tensor<?x4xf32>
  %flat = weft.reshape %x : tensor<?x2x2xf32> -> tensor<?x4xf32>
  // CHECK: %[[W:.*]] = weft.load @fc.weight : tensor<3x4xf32>
  %w = weft.load @fc.weight : tensor<3x4xf32>
  %b = weft.load @fc.bias : tensor<3xf32>
  // CHECK: %[[Y:.*]] = weft.dense %[[FLAT]], %[[W]], %{{.*}} : (tensor<?x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %y = weft.dense %flat, %w, %b : (tensor<?x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  // CHECK: weft.dense %{{.*}}, %[[W]] : (tensor<?x4xf32>, tensor<3x4xf32>) -> tensor<?x3xf32>
  %nobias = weft.dense %flat, %w : (tensor<?x4xf32>, tensor<3x4xf32>) -> tensor<?x3xf32>
  // CHECK: weft.relu %[[Y]] : tensor<?x3xf32>
  %r = weft.relu %y : tensor<?x3xf32>
  // CHECK: weft.add
  %s = weft.add %r, %nobias : tensor<?x3xf32>
  // CHECK: weft.softmax_cross_entropy %{{.*}}, %{{.*}} : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<f32>
  %l = weft.softmax_cross_entropy %s, %labels : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @gradients
func.func @gradients(%x: tensor<?x4xf32>, %dy: tensor<?x3xf32>, %labels: tensor<?xi32>, %dl: tensor<f32>) {
  %w = weft.load @fc.weight : tensor<3x4xf32>
  // CHECK: weft.matmul %{{.*}}, %{{.*}} {transpose_lhs} : (tensor<?x3xf32>, tensor<?x4xf32>) -> tensor<3x4xf32>
  %dw = weft.matmul %dy, %x {transpose_lhs} : (tensor<?x3xf32>, tensor<?x4xf32>) -> tensor<3x4xf32>
  // CHECK: weft.reduce_sum %{{.*}} {dims = array<i64: 0>} : (tensor<?x3xf32>) -> tensor<3xf32>
  %db = weft.reduce_sum %dy {dims = array<i64: 0>} : (tensor<?x3xf32>) -> tensor<3xf32>
  // CHECK: weft.relu_grad
  %dr = weft.relu_grad %dy, %dy : tensor<?x3xf32>
  // CHECK: weft.softmax_cross_entropy_grad
  %dlogits = weft.softmax_cross_entropy_grad %dy, %labels, %dl : (tensor<?x3xf32>, tensor<?xi32>, tensor<f32>) -> tensor<?x3xf32>
  return
}

// CHECK-LABEL: func.func @updates
func.func @updates(%g: tensor<3x4xf32>, %lr: f32, %t: f32) {
  %p = weft.load @fc.weight : tensor<3x4xf32>
  %m = weft.load @fc.weight.exp_avg : tensor<3x4xf32>
  %v = weft.load @fc.weight.exp_avg_sq : tensor<3x4xf32>
  %buf = weft.load @fc.weight.momentum_buffer : tensor<3x4xf32>
  // CHECK: weft.sgd_update %{{.*}}, %{{.*}}, %{{.*}} lr(%{{.*}}) momentum(%{{.*}}) weight_decay(%{{.*}}) nesterov(%{{.*}}) : tensor<3x4xf32>
  %p1, %buf1 = weft.sgd_update %p, %g, %buf lr(%lr) momentum(%lr) weight_decay(%lr) nesterov(%lr) : tensor<3x4xf32>
  // CHECK: weft.adam_update {{.*}} betas({{.*}}) eps({{.*}}) weight_decay({{.*}}) step({{.*}}) decoupled({{.*}}) : tensor<3x4xf32>
  %p2, %m2, %v2 = weft.adam_update %p, %g, %m, %v lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t) decoupled(%t) : tensor<3x4xf32>
  // CHECK: weft.clip_by_global_norm %{{.*}}, %{{.*}} max_norm(%{{.*}}) : tensor<3x4xf32>, tensor<3x4xf32>
  %c:2 = weft.clip_by_global_norm %p, %g max_norm(%lr) : tensor<3x4xf32>, tensor<3x4xf32>
  // CHECK: weft.store %{{.*}}, @fc.weight : tensor<3x4xf32>
  weft.store %p2, @fc.weight : tensor<3x4xf32>
  return
}

// CHECK-LABEL: func.func @cnn
func.func @cnn(%x: tensor<?x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<?x4xf32> {
  // CHECK: weft.conv2d %{{.*}}, %{{.*}}, %{{.*}} {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  %c = weft.conv2d %x, %w, %b {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  // CHECK: weft.max_pool2d %{{.*}} {kernel = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x4x8x8xf32>) -> tensor<?x4x4x4xf32>
  %p = weft.max_pool2d %c {kernel = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x4x8x8xf32>) -> tensor<?x4x4x4xf32>
  // CHECK: weft.avg_pool2d
  %a = weft.avg_pool2d %p {kernel = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x4x4x4xf32>) -> tensor<?x4x2x2xf32>
  // CHECK: weft.global_avg_pool %{{.*}} : (tensor<?x4x2x2xf32>) -> tensor<?x4xf32>
  %g = weft.global_avg_pool %a : (tensor<?x4x2x2xf32>) -> tensor<?x4xf32>
  // CHECK: weft.sigmoid
  %s = weft.sigmoid %g : tensor<?x4xf32>
  // CHECK: weft.tanh
  %t = weft.tanh %s : tensor<?x4xf32>
  // CHECK: weft.gelu
  %u = weft.gelu %t : tensor<?x4xf32>
  // CHECK: weft.leaky_relu %{{.*}} {negative_slope = 1.000000e-01 : f64} : tensor<?x4xf32>
  %l = weft.leaky_relu %u {negative_slope = 0.1 : f64} : tensor<?x4xf32>
  // CHECK: weft.softmax
  %m = weft.softmax %l : tensor<?x4xf32>
  // CHECK: weft.dropout %{{.*}} {rate = 5.000000e-01 : f64} : tensor<?x4xf32>
  %d = weft.dropout %m {rate = 0.5 : f64} : tensor<?x4xf32>
  return %d : tensor<?x4xf32>
}
