// RUN: weft-opt %s --weft-approximate-math | FileCheck %s
// Tests that f32 tanh and erf become arithmetic (no call left for libm),
// inside a linalg body as the lowering leaves them, and that f64 is left.

// CHECK-LABEL: func.func @gelu_tanh
// CHECK: linalg.generic
// CHECK-NOT: math.tanh
// CHECK-NOT: math.erf
// CHECK: arith.mulf
// CHECK: linalg.yield
func.func @gelu_tanh(%x: tensor<8xf32>) -> tensor<8xf32> {
  %e = tensor.empty() : tensor<8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                       iterator_types = ["parallel"]}
      ins(%x : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %t = math.tanh %a : f32
    %f = math.erf %t : f32
    linalg.yield %f : f32
  } -> tensor<8xf32>
  return %r : tensor<8xf32>
}

// CHECK-LABEL: func.func @double
// CHECK: math.tanh %{{.*}} : f64
func.func @double(%x: f64) -> f64 {
  %t = math.tanh %x : f64
  return %t : f64
}
