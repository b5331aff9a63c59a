// RUN: weft-opt %s --weft-entry-points --inline --symbol-dce --weft-bind-variables | FileCheck %s
// RUN: weft-opt %s --weft-entry-points --weft-bind-variables | FileCheck %s --check-prefix=OUT-OF-LINE

// Tests that loads become slices of the params/state buffers, that stores
// become writes into them after every read, and that the layout moves to
// module attributes.

weft.parameter @w : tensor<2x2xf32> {fan_in = 2 : i64, init = "uniform_fan_in"}
weft.state @w.momentum_buffer : tensor<2x2xf32> {group = "sgd"}

func.func @train_step_sgd(%x: tensor<?x2xf32>, %lr: f32) -> tensor<f32> {
  %w = weft.load @w : tensor<2x2xf32>
  %m = weft.load @w.momentum_buffer : tensor<2x2xf32>
  weft.store %m, @w : tensor<2x2xf32>
  weft.store %w, @w.momentum_buffer : tensor<2x2xf32>
  %l = arith.constant dense<1.0> : tensor<f32>
  return %l : tensor<f32>
}

// CHECK: module attributes {weft.param_size = 4 : i64, weft.parameters = [{fan_in = 2 : i64, init = "uniform_fan_in", name = "w", offset = 0 : i64, shape = array<i64: 2, 2>, trainable = true}], weft.state_size = 4 : i64}
// CHECK-NOT: weft.parameter
// CHECK-NOT: weft.state
// CHECK-LABEL: func.func @weft_train_step_sgd(
// CHECK-SAME:    %[[PARAMS:[^:]*]]: memref<?xf32>, %[[STATE:[^:]*]]: memref<?xf32>
// The destinations, shaped like the variables, come first: they dominate
// whatever computes the new values (see weft-write-in-place).
// CHECK-DAG:   %[[SV:.*]] = memref.subview %[[STATE]][0] [4] [1]
// CHECK-DAG:   %[[SE:.*]] = memref.expand_shape %[[SV]] {{\[\[}}0, 1]] output_shape [2, 2]
// CHECK-DAG:   %[[PV:.*]] = memref.subview %[[PARAMS]][0] [4] [1]
// CHECK-DAG:   %[[PE:.*]] = memref.expand_shape %[[PV]] {{\[\[}}0, 1]] output_shape [2, 2]
// CHECK-DAG:   %[[PT:.*]] = bufferization.to_tensor %[[PARAMS]] restrict
// CHECK-DAG:   %[[ST:.*]] = bufferization.to_tensor %[[STATE]] restrict
// CHECK-DAG:   %[[WS:.*]] = tensor.extract_slice %[[PT]][0] [4] [1]
// CHECK-DAG:   %[[MS:.*]] = tensor.extract_slice %[[ST]][0] [4] [1]
// CHECK:       materialize_in_destination %{{.*}} in restrict writable %[[PE]] : (tensor<2x2xf32>, memref<2x2xf32>)
// CHECK:       materialize_in_destination %{{.*}} in restrict writable %[[SE]] : (tensor<2x2xf32>, memref<2x2xf32>)
// CHECK-NEXT:  return
// CHECK-NOT: weft.load
// CHECK-NOT: weft.store


// Left out of line, the model function takes the two buffers from its
// entry point and reads and writes through them itself.
// OUT-OF-LINE-LABEL: func.func private @train_step_sgd(
// OUT-OF-LINE-SAME:    %{{.*}}: tensor<?x2xf32>, %{{.*}}: f32, %[[PARAMS:[^:]*]]: memref<?xf32>, %[[STATE:[^:]*]]: memref<?xf32>)
// OUT-OF-LINE-DAG:   bufferization.to_tensor %[[PARAMS]] restrict
// OUT-OF-LINE-DAG:   bufferization.to_tensor %[[STATE]] restrict
// OUT-OF-LINE-DAG:   %[[PV:.*]] = memref.subview %[[PARAMS]][0] [4] [1]
// OUT-OF-LINE-DAG:   %[[PE:.*]] = memref.expand_shape %[[PV]]
// OUT-OF-LINE:       materialize_in_destination %{{.*}} in restrict writable %[[PE]]
// OUT-OF-LINE-NOT:   weft.load
// OUT-OF-LINE-LABEL: func.func @weft_train_step_sgd(
// OUT-OF-LINE-SAME:    %[[EP:[^:]*]]: memref<?xf32>, %[[ES:[^:]*]]: memref<?xf32>
// OUT-OF-LINE:       call @train_step_sgd(%{{.*}}, %{{.*}}, %[[EP]], %[[ES]])
