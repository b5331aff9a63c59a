// RUN: weft-opt %s --weft-linalg-to-llvm-pipeline | FileCheck %s
// The CPU pipeline runs a large kernel's blocks as one OpenMP loop over all
// its block loops (collapsed, so both threads get work), and keeps a small
// kernel on the calling thread.

#a = affine_map<(m, n, k) -> (m, k)>
#b = affine_map<(m, n, k) -> (k, n)>
#c = affine_map<(m, n, k) -> (m, n)>

// CHECK-LABEL: llvm.func @large
// CHECK: omp.parallel
// CHECK: omp.wsloop
// CHECK: omp.loop_nest ({{.*}}, {{.*}}) : i64 = ({{.*}}) to ({{.*}}) step ({{.*}}) collapse(2)
// CHECK: llvm.fmul {{.*}} : vector<64xf32>
// CHECK: omp.yield
// CHECK: llvm.return
func.func @large(%x: tensor<256x256xf32>, %y: tensor<256x256xf32>,
                 %init: tensor<256x256xf32>) -> tensor<256x256xf32> {
  %r = linalg.generic {indexing_maps = [#a, #b, #c],
      iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %y : tensor<256x256xf32>, tensor<256x256xf32>)
      outs(%init : tensor<256x256xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q fastmath<reassoc,contract> : f32
    %s = arith.addf %acc, %m fastmath<reassoc,contract> : f32
    linalg.yield %s : f32
  } -> tensor<256x256xf32>
  return %r : tensor<256x256xf32>
}

// CHECK-LABEL: llvm.func @small
// CHECK-NOT: omp.
// CHECK: llvm.return
func.func @small(%x: tensor<8x16xf32>, %y: tensor<16x16xf32>,
                 %init: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %r = linalg.generic {indexing_maps = [#a, #b, #c],
      iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %y : tensor<8x16xf32>, tensor<16x16xf32>)
      outs(%init : tensor<8x16xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q fastmath<reassoc,contract> : f32
    %s = arith.addf %acc, %m fastmath<reassoc,contract> : f32
    linalg.yield %s : f32
  } -> tensor<8x16xf32>
  return %r : tensor<8x16xf32>
}
