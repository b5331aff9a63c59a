// RUN: weft-opt --split-input-file --convert-weft-to-linalg %s | FileCheck %s

// Tests binary cross-entropy on probabilities: each log clamped at -100 as
// PyTorch does, summed in one reduction over every element, divided by the
// element count; the gradient (p - t) / max(p (1 - p), 1e-12) times
// loss_grad / count, the scale computed once outside the loop.
// CHECK-LABEL: func.func @bce(
// CHECK-SAME:    %{{[^:]*}}: tensor<?x1xf32>, %{{[^:]*}}: tensor<?x1xf32>, %[[DL:[^:]*]]: tensor<f32>)
// CHECK:       %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]
// CHECK:         %[[LOGP:.*]] = math.log
// CHECK:         arith.maximumf %[[LOGP]], %{{.*}}
// CHECK:         arith.negf
// CHECK:       %[[TOTAL:.*]] = tensor.extract %[[SUM]][]
// CHECK:       %[[MEAN:.*]] = arith.divf %[[TOTAL]], %{{.*}} : f32
// CHECK:       %[[LOSS:.*]] = tensor.from_elements %[[MEAN]] : tensor<f32>
// CHECK:       %[[G:.*]] = tensor.extract %[[DL]][]
// CHECK:       %[[SCALE:.*]] = arith.divf %[[G]], %{{.*}} : f32
// CHECK:       %[[GRAD:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK:         %[[VAR:.*]] = arith.mulf
// CHECK:         %[[DENOM:.*]] = arith.maximumf %[[VAR]], %{{.*}}
// CHECK:         %[[DIFF:.*]] = arith.subf
// CHECK:         %[[Q:.*]] = arith.divf %[[DIFF]], %[[DENOM]]
// CHECK:         arith.mulf %[[Q]], %[[SCALE]]
// CHECK:       return %[[LOSS]], %[[GRAD]]
func.func @bce(%p: tensor<?x1xf32>, %t: tensor<?x1xf32>, %d: tensor<f32>) -> (tensor<f32>, tensor<?x1xf32>) {
  %l = weft.binary_cross_entropy %p, %t : (tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<f32>
  %g = weft.binary_cross_entropy_grad %p, %t, %d : tensor<?x1xf32>
  return %l, %g : tensor<f32>, tensor<?x1xf32>
}

// -----

// Tests binary cross-entropy from logits: max(x, 0) - x t + log1p(exp(-|x|)),
// and its gradient sigmoid(x) - t.
// CHECK-LABEL: func.func @bce_logits
// CHECK:       linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]
// CHECK:         arith.maximumf
// CHECK:         math.absf
// CHECK:         math.exp
// CHECK:         math.log1p
// CHECK:       linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK:         arith.negf
// CHECK:         math.exp
// CHECK:         arith.divf
// CHECK:         arith.subf
// CHECK:         arith.mulf
func.func @bce_logits(%x: tensor<?x1xf32>, %t: tensor<?x1xf32>, %d: tensor<f32>) -> (tensor<f32>, tensor<?x1xf32>) {
  %l = weft.binary_cross_entropy %x, %t {from_logits} : (tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<f32>
  %g = weft.binary_cross_entropy_grad %x, %t, %d {from_logits} : tensor<?x1xf32>
  return %l, %g : tensor<f32>, tensor<?x1xf32>
}

// -----

// Tests categorical cross-entropy against target distributions: per element
// t (logsumexp - x), summed and divided by the batch; the gradient scales
// the softmax by each row's target sum.
// CHECK-LABEL: func.func @categorical(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x4xf32>, %[[T:[^:]*]]: tensor<?x4xf32>, %{{[^:]*}}: tensor<f32>)
// CHECK:       %[[MAX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK:       %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK:       %[[TERMS:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %[[MAX]], %[[SUM]]
// CHECK:         math.log
// CHECK:       linalg.generic {{.*}} ins(%[[TERMS]] : tensor<?x4xf32>)
// CHECK:       %[[TSUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[T]] : tensor<?x4xf32>)
// CHECK:       linalg.generic {{.*}} ins(%[[X]], %[[T]], %{{.*}}, %{{.*}}, %[[TSUM]]
// CHECK:         math.exp
func.func @categorical(%x: tensor<?x4xf32>, %t: tensor<?x4xf32>, %d: tensor<f32>) -> (tensor<f32>, tensor<?x4xf32>) {
  %l = weft.categorical_cross_entropy %x, %t : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<f32>
  %g = weft.categorical_cross_entropy_grad %x, %t, %d : tensor<?x4xf32>
  return %l, %g : tensor<f32>, tensor<?x4xf32>
}

// -----

// Tests mse: the mean of (x - t)^2 and the gradient 2 (x - t) loss_grad / n.
// CHECK-LABEL: func.func @mse(
// CHECK-SAME:    %{{[^:]*}}: tensor<?x4xf32>, %{{[^:]*}}: tensor<?x4xf32>, %[[DL:[^:]*]]: tensor<f32>)
// CHECK:       linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]
// CHECK:         %[[D:.*]] = arith.subf
// CHECK:         arith.mulf %[[D]], %[[D]]
// CHECK:       %[[G:.*]] = tensor.extract %[[DL]][]
// CHECK:       %[[SCALE:.*]] = arith.divf %[[G]]
// CHECK:       %[[TWICE:.*]] = arith.mulf %[[SCALE]], %{{.*}} : f32
// CHECK:       linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK:         %[[D2:.*]] = arith.subf
// CHECK:         arith.mulf %[[D2]], %[[TWICE]]
func.func @mse(%x: tensor<?x4xf32>, %t: tensor<?x4xf32>, %d: tensor<f32>) -> (tensor<f32>, tensor<?x4xf32>) {
  %l = weft.mse %x, %t : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<f32>
  %g = weft.mse_grad %x, %t, %d : tensor<?x4xf32>
  return %l, %g : tensor<f32>, tensor<?x4xf32>
}
