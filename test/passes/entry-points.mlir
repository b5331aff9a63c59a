// RUN: weft-opt %s --weft-entry-points | FileCheck %s

// Tests the flat C ABI: parameters and state are laid out back to back, and
// each model function gets an entry point taking
// (params, state, hyper, grads, inputs..., outputs...) as flat buffers.

weft.parameter @fc.weight : tensor<3x4xf32> {fan_in = 4 : i64, init = "uniform_fan_in"}
weft.state @fc.weight.momentum_buffer : tensor<3x4xf32> {group = "sgd"}
weft.parameter @fc.bias : tensor<3xf32> {fan_in = 4 : i64, init = "uniform_fan_in"}
weft.state @fc.bias.momentum_buffer : tensor<3xf32> {group = "sgd"}

func.func @forward(%x: tensor<?x2x2xf32>) -> tensor<?x3xf32> {
  %c = arith.constant 1 : index
  %e = tensor.empty(%c) : tensor<?x3xf32>
  return %e : tensor<?x3xf32>
}
func.func @loss_grad(%x: tensor<?x2x2xf32>, %y: tensor<?xi32>) -> (tensor<f32>, tensor<3x4xf32>, tensor<3xf32>) attributes {weft.gradients = [@fc.weight, @fc.bias]} {
  %l = arith.constant dense<1.0> : tensor<f32>
  %w = arith.constant dense<2.0> : tensor<3x4xf32>
  %b = arith.constant dense<3.0> : tensor<3xf32>
  return %l, %w, %b : tensor<f32>, tensor<3x4xf32>, tensor<3xf32>
}
func.func @train_step_sgd(%x: tensor<?x2x2xf32>, %y: tensor<?xi32>, %lr: f32, %m: f32, %wd: f32) -> tensor<f32> {
  %l = arith.constant dense<1.0> : tensor<f32>
  return %l : tensor<f32>
}

// CHECK: weft.parameter @fc.weight {{.*}}offset = 0 : i64
// CHECK: weft.state @fc.weight.momentum_buffer {{.*}}offset = 0 : i64
// CHECK: weft.parameter @fc.bias {{.*}}offset = 12 : i64
// CHECK: weft.state @fc.bias.momentum_buffer {{.*}}offset = 12 : i64
// CHECK: func.func private @forward
// CHECK: func.func private @loss_grad
// CHECK: func.func private @train_step_sgd

// CHECK-LABEL: func.func @weft_forward(
// CHECK-SAME:    %{{[^:]*}}: memref<?xf32>, %{{[^:]*}}: memref<?xf32>, %{{[^:]*}}: memref<?xf32>, %{{[^:]*}}: memref<?xf32>, %[[IN:[^:]*]]: memref<?xf32>, %[[OUT:[^:]*]]: memref<?xf32>)
// CHECK-SAME:    attributes {llvm.emit_c_interface, weft.entry = "forward"}
// The batch is the input's length over the 4 values of an example.
// CHECK:       %[[T:.*]] = bufferization.to_tensor %[[IN]] restrict
// CHECK:       %[[LEN:.*]] = tensor.dim %[[T]], %{{.*}}
// CHECK:       %[[B:.*]] = arith.divui %[[LEN]], %{{.*}} : index
// CHECK:       %[[X:.*]] = tensor.expand_shape %[[T]] {{\[\[}}0, 1, 2]] output_shape [%[[B]], 2, 2]
// CHECK:       %[[R:.*]] = call @forward(%[[X]])
// CHECK:       %[[FLAT:.*]] = tensor.collapse_shape %[[R]]
// CHECK:       bufferization.materialize_in_destination %[[FLAT]] in restrict writable %[[OUT]]

// Gradients go to `grads` (argument 3) at each parameter's offset.
// CHECK-LABEL: func.func @weft_gradients(
// CHECK-SAME:    %{{[^:]*}}: memref<?xf32>, %{{[^:]*}}: memref<?xf32>, %{{[^:]*}}: memref<?xf32>, %[[GRADS:[^:]*]]: memref<?xf32>, %{{[^:]*}}: memref<?xf32>, %{{[^:]*}}: memref<?xi32>, %[[LOSS:[^:]*]]: memref<?xf32>)
// CHECK:       materialize_in_destination %{{.*}} in restrict writable %[[LOSS]]
// CHECK:       %[[GW:.*]] = memref.subview %[[GRADS]][0] [12] [1]
// CHECK:       %[[GWE:.*]] = memref.expand_shape %[[GW]] {{\[\[}}0, 1]] output_shape [3, 4]
// CHECK:       materialize_in_destination %{{.*}} in restrict writable %[[GWE]] : (tensor<3x4xf32>, memref<3x4xf32>)
// CHECK:       %[[GB:.*]] = memref.subview %[[GRADS]][12] [3] [1]
// CHECK:       materialize_in_destination %{{.*}} in restrict writable %[[GB]]

// Scalars come from `hyper` (argument 2), in order.
// CHECK-LABEL: func.func @weft_train_step_sgd(
// CHECK-SAME:    %{{[^:]*}}: memref<?xf32>, %{{[^:]*}}: memref<?xf32>, %[[HYPER:[^:]*]]: memref<?xf32>,
// CHECK:       %[[H:.*]] = bufferization.to_tensor %[[HYPER]] restrict
// CHECK:       %[[LR:.*]] = tensor.extract %[[H]][%{{.*}}]
// CHECK:       %[[MOM:.*]] = tensor.extract %[[H]][%{{.*}}]
// CHECK:       %[[WD:.*]] = tensor.extract %[[H]][%{{.*}}]
// CHECK:       call @train_step_sgd(%{{.*}}, %{{.*}}, %[[LR]], %[[MOM]], %[[WD]])
