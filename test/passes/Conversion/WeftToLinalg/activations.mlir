// RUN: weft-opt --split-input-file --convert-weft-to-linalg %s | FileCheck %s

// Tests that sigmoid and its gradient (from the output y) are one
// elementwise loop each: 1 / (1 + exp(-x)) and dy * y * (1 - y).
// CHECK-LABEL: func.func @sigmoid
// CHECK:       linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK:         arith.negf
// CHECK:         math.exp
// CHECK:         arith.addf
// CHECK:         arith.divf
// CHECK:       linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK:       ^bb0(%[[Y:.*]]: f32, %[[DY:.*]]: f32, %{{.*}}: f32):
// CHECK:         %[[ONE_MINUS:.*]] = arith.subf %{{.*}}, %[[Y]]
// CHECK:         %[[YY:.*]] = arith.mulf %[[Y]], %[[ONE_MINUS]]
// CHECK:         arith.mulf %[[DY]], %[[YY]]
// CHECK-NOT:   linalg.generic
func.func @sigmoid(%x: tensor<?x4xf32>, %dy: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %y = weft.sigmoid %x : tensor<?x4xf32>
  %dx = weft.sigmoid_grad %y, %dy : tensor<?x4xf32>
  return %y, %dx : tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

// Tests tanh (math.tanh, a libm call later) and gelu's exact erf form and
// its gradient Phi(x) + x phi(x).
// CHECK-LABEL: func.func @tanh_gelu
// CHECK:         math.tanh
// CHECK:       linalg.generic
// CHECK:         math.erf
// CHECK:       linalg.generic
// CHECK:         math.exp
// CHECK:         math.erf
func.func @tanh_gelu(%x: tensor<?x4xf32>, %dy: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %t = weft.tanh %x : tensor<?x4xf32>
  %g = weft.gelu %t : tensor<?x4xf32>
  %dg = weft.gelu_grad %t, %dy : tensor<?x4xf32>
  return %g, %dg : tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

// Tests leaky_relu and its gradient: both test x > 0 and scale by the slope.
// CHECK-LABEL: func.func @leaky_relu
// CHECK:       %[[POS:.*]] = arith.cmpf ogt, %[[X:.*]], %{{.*}}
// CHECK:       %[[NEG:.*]] = arith.mulf %[[X]], %{{.*}} : f32
// CHECK:       arith.select %[[POS]], %[[X]], %[[NEG]]
// CHECK:       ^bb0(%[[XV:.*]]: f32, %[[DY:.*]]: f32, %{{.*}}: f32):
// CHECK:       %[[POS2:.*]] = arith.cmpf ogt, %[[XV]], %{{.*}}
// CHECK:       %[[NEG2:.*]] = arith.mulf %[[DY]], %{{.*}} : f32
// CHECK:       arith.select %[[POS2]], %[[DY]], %[[NEG2]]
func.func @leaky_relu(%x: tensor<?x4xf32>, %dy: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %y = weft.leaky_relu %x {negative_slope = 2.0e-01 : f64} : tensor<?x4xf32>
  %dx = weft.leaky_relu_grad %x, %dy {negative_slope = 2.0e-01 : f64} : tensor<?x4xf32>
  return %y, %dx : tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

// Tests softmax on a rank-3 tensor: rows along the last dimension
// (collapsed, then expanded back), stable statistics (row max, then the sum
// of exp(x - max)), then one normalising loop.
// CHECK-LABEL: func.func @softmax
// CHECK:       %[[ROWS:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<?x3x5xf32> into tensor<?x5xf32>
// CHECK:       %[[MAX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[ROWS]]
// CHECK:         arith.maximumf
// CHECK:       %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[ROWS]], %[[MAX]]
// CHECK:         math.exp
// CHECK:       %[[P:.*]] = linalg.generic {{.*}} ins(%[[ROWS]], %[[MAX]], %[[SUM]]
// CHECK:         math.exp
// CHECK:         arith.divf
// CHECK:       tensor.expand_shape %[[P]] {{\[}}[0, 1], [2]]
func.func @softmax(%x: tensor<?x3x5xf32>) -> tensor<?x3x5xf32> {
  %y = weft.softmax %x : tensor<?x3x5xf32>
  return %y : tensor<?x3x5xf32>
}

// -----

// Tests the softmax gradient y (dy - sum(dy y)) and log_softmax's
// dy - exp(y) sum(dy), each a row reduction and one elementwise loop.
// CHECK-LABEL: func.func @softmax_grads
// CHECK:       %[[PROD:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK:         arith.mulf
// CHECK:       %[[DOT:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[PROD]]
// CHECK:       linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %[[DOT]]
// CHECK:         arith.subf
// CHECK:         arith.mulf
// CHECK:       %[[TOTAL:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK:       linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %[[TOTAL]]
// CHECK:         math.exp
// CHECK:         arith.mulf
// CHECK:         arith.subf
func.func @softmax_grads(%y: tensor<?x5xf32>, %dy: tensor<?x5xf32>) -> (tensor<?x5xf32>, tensor<?x5xf32>) {
  %a = weft.softmax_grad %y, %dy : tensor<?x5xf32>
  %b = weft.log_softmax_grad %y, %dy : tensor<?x5xf32>
  return %a, %b : tensor<?x5xf32>, tensor<?x5xf32>
}

// -----

// Tests log_softmax: x - max - log(sum(exp(x - max))).
// CHECK-LABEL: func.func @log_softmax
// CHECK:       linalg.generic
// CHECK:       linalg.generic
// CHECK:       linalg.generic
// CHECK:         %[[SHIFTED:.*]] = arith.subf
// CHECK:         %[[LOG:.*]] = math.log
// CHECK:         arith.subf %[[SHIFTED]], %[[LOG]]
func.func @log_softmax(%x: tensor<?x5xf32>) -> tensor<?x5xf32> {
  %y = weft.log_softmax %x : tensor<?x5xf32>
  return %y : tensor<?x5xf32>
}

// -----

// Tests dropout: with a seed, a hash of (seed, stream, row-major position)
// decides each element (drop when u >= 1 - rate, keep scaled by
// 1 / (1 - rate)); without one, the input itself.
// CHECK-LABEL: func.func @dropout(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x4xf32>, %[[SEED:[^:]*]]: i32)
// CHECK:       %[[COLS:.*]] = arith.index_cast %{{.*}} : index to i32
// CHECK:       linalg.generic
// CHECK:         %[[ROW:.*]] = arith.index_cast
// CHECK:         %[[COL:.*]] = arith.index_cast
// CHECK:         %[[SCALED:.*]] = arith.muli %[[ROW]], %[[COLS]]
// CHECK:         arith.addi %[[SCALED]], %[[COL]]
// CHECK:         arith.xori %{{.*}}, %[[SEED]]
// CHECK:         arith.uitofp
// CHECK:         %[[DROP:.*]] = arith.cmpf oge, %{{.*}}, %{{.*}} : f32
// CHECK:         %[[KEPT:.*]] = arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK:         arith.select %[[DROP]], %{{.*}}, %[[KEPT]]
// CHECK:       return %{{.*}}, %[[X]]
func.func @dropout(%x: tensor<?x4xf32>, %s: i32) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %y = weft.dropout %x seed(%s) {rate = 2.5e-01 : f64, stream = 3 : i64} : tensor<?x4xf32>
  %z = weft.dropout %x {rate = 2.5e-01 : f64} : tensor<?x4xf32>
  return %y, %z : tensor<?x4xf32>, tensor<?x4xf32>
}
