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
  // CHECK: weft.sgd_update %{{.*}}, %{{.*}}, %{{.*}} lr(%{{.*}}) momentum(%{{.*}}) weight_decay(%{{.*}}) : tensor<3x4xf32>
  %p1, %buf1 = weft.sgd_update %p, %g, %buf lr(%lr) momentum(%lr) weight_decay(%lr) : tensor<3x4xf32>
  // CHECK: weft.adam_update {{.*}} betas({{.*}}) eps({{.*}}) weight_decay({{.*}}) step({{.*}}) : tensor<3x4xf32>
  %p2, %m2, %v2 = weft.adam_update %p, %g, %m, %v lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t) : tensor<3x4xf32>
  // CHECK: weft.store %{{.*}}, @fc.weight : tensor<3x4xf32>
  weft.store %p2, @fc.weight : tensor<3x4xf32>
  return
}
