// RUN: weft-opt %s --weft-optimizers | FileCheck %s
// RUN: weft-opt %s --weft-optimizers=optimizers=adam | FileCheck %s --check-prefix=ADAM-ONLY
// RUN: not weft-opt %s --weft-optimizers=optimizers=rmsprop 2>&1 | FileCheck %s --check-prefix=UNKNOWN

// Tests that a training step is built per optimizer: gradients, clipped by
// their global norm, then an update and a store of every parameter and its
// state; hyperparameters are arguments, and state is declared after the
// parameters.

weft.parameter @fc.weight : tensor<3x4xf32> {fan_in = 4 : i64, init = "uniform_fan_in"}
weft.parameter @fc.bias : tensor<3xf32> {fan_in = 4 : i64, init = "uniform_fan_in"}
func.func @loss_grad(%x: tensor<?x4xf32>, %y: tensor<?xi32>) -> (tensor<f32>, tensor<3x4xf32>, tensor<3xf32>) attributes {weft.gradients = [@fc.weight, @fc.bias]} {
  %l = arith.constant dense<1.0> : tensor<f32>
  %w = arith.constant dense<2.0> : tensor<3x4xf32>
  %b = arith.constant dense<3.0> : tensor<3xf32>
  return %l, %w, %b : tensor<f32>, tensor<3x4xf32>, tensor<3xf32>
}

// One kind of state for every parameter, then the next kind: each kind is
// one run of its group's buffer (the order the groups come in is free).
// CHECK:      weft.parameter @fc.weight
// CHECK-NEXT: weft.parameter @fc.bias
// CHECK-NEXT: weft.state @fc.weight.exp_avg : tensor<3x4xf32> {group = "adam"}
// CHECK-NEXT: weft.state @fc.bias.exp_avg : tensor<3xf32> {group = "adam"}
// CHECK-NEXT: weft.state @fc.weight.exp_avg_sq : tensor<3x4xf32> {group = "adam"}
// CHECK-NEXT: weft.state @fc.bias.exp_avg_sq : tensor<3xf32> {group = "adam"}
// CHECK-NEXT: weft.state @fc.weight.momentum_buffer : tensor<3x4xf32> {group = "sgd"}
// CHECK-NEXT: weft.state @fc.bias.momentum_buffer : tensor<3xf32> {group = "sgd"}

// CHECK-LABEL: func.func @train_step_sgd(
// CHECK-SAME:    %[[X:.*]]: tensor<?x4xf32>, %[[Y:.*]]: tensor<?xi32>, %[[LR:.*]]: f32, %[[MOM:.*]]: f32, %[[WD:.*]]: f32, %[[NEST:.*]]: f32, %[[MAX:.*]]: f32) -> tensor<f32>
// CHECK-SAME:    attributes {weft.hyperparameters = ["lr", "momentum", "weight_decay", "nesterov", "max_grad_norm"]}
// CHECK:       %[[G:.*]]:3 = call @loss_grad(%[[X]], %[[Y]])
// CHECK:       %[[C:.*]]:2 = weft.clip_by_global_norm %[[G]]#1, %[[G]]#2 max_norm(%[[MAX]])
// CHECK:       %[[BUF:.*]] = weft.load @fc.weight.momentum_buffer
// CHECK:       %[[P:.*]] = weft.load @fc.weight
// CHECK:       %[[NP:.*]], %[[NB:.*]] = weft.sgd_update %[[P]], %[[C]]#0, %[[BUF]] lr(%[[LR]]) momentum(%[[MOM]]) weight_decay(%[[WD]]) nesterov(%[[NEST]])
// CHECK:       weft.store %[[NP]], @fc.weight
// CHECK:       weft.store %[[NB]], @fc.weight.momentum_buffer
// CHECK:       weft.sgd_update {{.*}}%[[C]]#1
// CHECK:       return %[[G]]#0 : tensor<f32>

// CHECK-LABEL: func.func @train_step_adam(
// CHECK-SAME:    attributes {weft.hyperparameters = ["lr", "beta1", "beta2", "eps", "weight_decay", "step", "decoupled", "max_grad_norm"]}
// CHECK:       weft.clip_by_global_norm
// CHECK:       weft.adam_update %{{.*}}, %{{.*}}#0, %{{.*}}, %{{.*}} lr(%{{.*}}) betas(%{{.*}}, %{{.*}}) eps(%{{.*}}) weight_decay(%{{.*}}) step(%{{.*}}) decoupled(%{{.*}})
// CHECK:       weft.store %{{.*}}, @fc.weight.exp_avg_sq

// ADAM-ONLY-NOT: momentum_buffer
// ADAM-ONLY-NOT: train_step_sgd
// ADAM-ONLY: func.func @train_step_adam

// UNKNOWN: error: weft-optimizers: unknown optimizer 'rmsprop'; expected sgd or adam
