// RUN: weft-opt --split-input-file --convert-weft-to-linalg %s | FileCheck %s

// Tests batch normalisation in training: two per-channel reductions over
// (n, h, w) (the sum, then the squared deviations from the mean), rsqrt of
// the variance plus eps, one normalising loop over the input, and the moved
// running statistics, the variance scaled by M / (M - 1).
// CHECK-DAG:   #[[FULL:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG:   #[[CHANNEL:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-LABEL: func.func @bn_train(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x3x4x4xf32>, %[[W:[^:]*]]: tensor<3xf32>, %[[B:[^:]*]]: tensor<3xf32>, %[[RM:[^:]*]]: tensor<3xf32>, %[[RV:[^:]*]]: tensor<3xf32>)
// CHECK:       %[[COUNT:.*]] = arith.divf %{{.*}}, %{{.*}} : f32
// CHECK:       %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[FULL]], #[[CHANNEL]]], iterator_types = ["reduction", "parallel", "reduction", "reduction"]} ins(%[[X]] :
// CHECK:       %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] :
// CHECK:         arith.divf %{{.*}}, %[[COUNT]]
// CHECK:       %[[SQ:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "parallel", "reduction", "reduction"]} ins(%[[X]], %[[MEAN]] :
// CHECK:       %[[VAR:.*]] = linalg.generic {{.*}} ins(%[[SQ]] :
// CHECK:       %[[INVSTD:.*]] = linalg.generic {{.*}} ins(%[[VAR]] :
// CHECK:         math.rsqrt
// CHECK:       %[[Y:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[MEAN]], %[[INVSTD]], %[[W]], %[[B]] :
// CHECK:       %[[BESSEL:.*]] = arith.divf %[[COUNT]], %{{.*}} : f32
// CHECK:       %[[NEWM:.*]] = linalg.generic {{.*}} ins(%[[RM]], %[[MEAN]] :
// CHECK:       %[[NEWV:.*]] = linalg.generic {{.*}} ins(%[[RV]], %[[VAR]] :
// CHECK:         arith.mulf %{{.*}}, %[[BESSEL]]
// CHECK:       return %[[Y]], %[[MEAN]], %[[INVSTD]], %[[NEWM]], %[[NEWV]]
func.func @bn_train(%x: tensor<?x3x4x4xf32>, %w: tensor<3xf32>, %b: tensor<3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) -> (tensor<?x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) {
  %y, %mean, %invstd, %rm, %rv = weft.batch_norm2d_train %x, %w, %b, %m, %v {eps = 1.0e-05 : f64, momentum = 1.0e-01 : f64} : (tensor<?x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<?x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>)
  return %y, %mean, %invstd, %rm, %rv : tensor<?x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>
}

// -----

// Tests batch normalisation in evaluation: the running statistics
// normalise, no reduction.
// CHECK-LABEL: func.func @bn_eval(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x3x4x4xf32>, %[[W:[^:]*]]: tensor<3xf32>, %[[B:[^:]*]]: tensor<3xf32>, %[[RM:[^:]*]]: tensor<3xf32>, %[[RV:[^:]*]]: tensor<3xf32>)
// CHECK-NOT:   "reduction"
// CHECK:       %[[INVSTD:.*]] = linalg.generic {{.*}} ins(%[[RV]] :
// CHECK:         math.rsqrt
// CHECK-NOT:   "reduction"
// CHECK:       linalg.generic {{.*}} ins(%[[X]], %[[RM]], %[[INVSTD]], %[[W]], %[[B]] :
func.func @bn_eval(%x: tensor<?x3x4x4xf32>, %w: tensor<3xf32>, %b: tensor<3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) -> tensor<?x3x4x4xf32> {
  %y = weft.batch_norm2d %x, %w, %b, %m, %v {eps = 1.0e-05 : f64, momentum = 1.0e-01 : f64} : (tensor<?x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<?x3x4x4xf32>
  return %y : tensor<?x3x4x4xf32>
}

// -----

// Tests the batch-norm gradient: per-channel sums of dy and dy * xhat, then
// one loop for the input gradient.
// CHECK-LABEL: func.func @bn_grad(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x3x4x4xf32>, %[[W:[^:]*]]: tensor<3xf32>, %[[M:[^:]*]]: tensor<3xf32>, %[[IS:[^:]*]]: tensor<3xf32>, %[[DY:[^:]*]]: tensor<?x3x4x4xf32>)
// CHECK:       %[[DB:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "parallel", "reduction", "reduction"]} ins(%[[DY]] :
// CHECK:       %[[DW:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "parallel", "reduction", "reduction"]} ins(%[[X]], %[[DY]], %[[M]], %[[IS]] :
// CHECK:       %[[DX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[X]], %[[DY]], %[[M]], %[[IS]], %[[W]], %[[DB]], %[[DW]] :
// CHECK:       return %[[DX]], %[[DW]], %[[DB]]
func.func @bn_grad(%x: tensor<?x3x4x4xf32>, %w: tensor<3xf32>, %m: tensor<3xf32>, %is: tensor<3xf32>, %dy: tensor<?x3x4x4xf32>) -> (tensor<?x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>) {
  %dx, %dw, %db = weft.batch_norm2d_grad %x, %w, %m, %is, %dy : tensor<?x3x4x4xf32>, tensor<3xf32>
  return %dx, %dw, %db : tensor<?x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>
}

// -----

// Tests global average pooling: a sum over (h, w) per (n, c), then a
// division by H * W.
// CHECK-LABEL: func.func @global_avg_pool
// CHECK:       %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction"]
// CHECK:       linalg.generic {{.*}} ins(%[[SUM]] : tensor<?x3xf32>)
// CHECK:         arith.divf
func.func @global_avg_pool(%x: tensor<?x3x5x7xf32>) -> tensor<?x3xf32> {
  %y = weft.global_avg_pool %x : (tensor<?x3x5x7xf32>) -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}
