// RUN: weft-opt %s --split-input-file --weft-register-tiles | FileCheck %s
// RUN: weft-opt %s --split-input-file --weft-register-tiles --convert-linalg-to-parallel-loops --weft-loops-to-gpu | FileCheck %s --check-prefix=KERNEL
// RUN: weft-opt %s --split-input-file --weft-register-tiles=outputs-per-thread=1 | FileCheck %s --check-prefix=OFF

// A convolution (batch, output channels, rows, columns; input channels and
// the 3x3 window summed): the input's elements do not depend on the output
// channel, and neighbouring threads (columns) read different ones, so the
// 16 channels split as 4 x 4, the inner 4 after the reductions. The output
// and the weights are reshaped to match; the input is not.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d4, d2 + d5, d3 + d6)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d1, d7, d4, d5, d6)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d7, d2, d3)>
// CHECK-LABEL: func.func @convolution
// CHECK-DAG:     %[[W4:.*]] = memref.expand_shape %{{.*}} {{\[\[}}0, 1], [2], [3], [4]] output_shape [4, 4, 8, 3, 3] : memref<16x8x3x3xf32> into memref<4x4x8x3x3xf32>
// CHECK-DAG:     %[[OUT4:.*]] = memref.expand_shape %{{.*}} {{\[\[}}0], [1, 2], [3], [4]] output_shape [%{{.*}}, 4, 4, 12, 12] : memref<?x16x12x12xf32> into memref<?x4x4x12x12xf32>
// CHECK:         linalg.generic {indexing_maps = [#[[IN]], #[[W]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel"]} ins(%{{.*}}, %[[W4]] : memref<?x8x14x14xf32>, memref<4x4x8x3x3xf32>) outs(%[[OUT4]] : memref<?x4x4x12x12xf32>)
// OFF-LABEL: func.func @convolution
// OFF-NOT:     memref.expand_shape
// OFF:         iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
//
// In the kernel each thread carries its 4 sums through the three loops,
// loads the input element once for all of them and a weight for each, and
// stores the 4 sums after the loops.
// KERNEL-LABEL: func.func @convolution
// KERNEL:         gpu.launch
// KERNEL-COUNT-4:   memref.load %{{.*}} : memref<?x4x4x12x12xf32>
// KERNEL:           scf.for {{.*}} -> (f32, f32, f32, f32)
// KERNEL:             scf.for {{.*}} -> (f32, f32, f32, f32)
// KERNEL:               scf.for {{.*}} -> (f32, f32, f32, f32)
// KERNEL-COUNT-1:         memref.load %{{.*}} : memref<?x8x14x14xf32>
// KERNEL-NOT:             memref.load %{{.*}} : memref<?x8x14x14xf32>
// KERNEL-COUNT-4:         memref.load %{{.*}} : memref<4x4x8x3x3xf32>
// KERNEL-NOT:             memref.store
// KERNEL:                 scf.yield {{.*}} : f32, f32, f32, f32
// KERNEL-COUNT-4:   memref.store %{{.*}} : memref<?x4x4x12x12xf32>
// KERNEL:           gpu.terminator
#in = affine_map<(n, f, y, x, c, ky, kx) -> (n, c, y + ky, x + kx)>
#w = affine_map<(n, f, y, x, c, ky, kx) -> (f, c, ky, kx)>
#out = affine_map<(n, f, y, x, c, ky, kx) -> (n, f, y, x)>
func.func @convolution(%in: memref<?x8x14x14xf32>, %w: memref<16x8x3x3xf32>, %out: memref<?x16x12x12xf32>) {
  linalg.generic {indexing_maps = [#in, #w, #out],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%in, %w : memref<?x8x14x14xf32>, memref<16x8x3x3xf32>) outs(%out : memref<?x16x12x12xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A dense layer's weight gradient (outputs x inputs, summed over the
// batch): the input activations do not depend on the output and vary
// between neighbouring threads, so the outputs split; the inputs, the last
// thread dimension, never do (neighbouring threads read neighbouring
// elements).
// CHECK-DAG: #[[DY:.*]] = affine_map<(d0, d1, d2, d3) -> (d2, d0, d3)>
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2, d3) -> (d2, d1)>
// CHECK-DAG: #[[DW:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d1)>
// CHECK-LABEL: func.func @weight_gradient
// CHECK:         linalg.generic {indexing_maps = [#[[DY]], #[[X]], #[[DW]]], iterator_types = ["parallel", "parallel", "reduction", "parallel"]} ins(%{{.*}}, %{{.*}} : memref<?x16x4xf32>, memref<?x1024xf32>) outs(%{{.*}} : memref<16x4x1024xf32>)
#dy = affine_map<(o, i, n) -> (n, o)>
#x = affine_map<(o, i, n) -> (n, i)>
#dw = affine_map<(o, i, n) -> (o, i)>
func.func @weight_gradient(%dy: memref<?x64xf32>, %x: memref<?x1024xf32>, %dw: memref<64x1024xf32>) {
  linalg.generic {indexing_maps = [#dy, #x, #dw],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%dy, %x : memref<?x64xf32>, memref<?x1024xf32>) outs(%dw : memref<64x1024xf32>) {
  ^bb0(%g: f32, %a: f32, %acc: f32):
    %p = arith.mulf %g, %a : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Nothing to share: the only input of a sum over rows depends on every
// thread dimension; a dense layer's forward product over [batch, 4096] has
// no static dimension but the last, which is never split; a dimension of 6
// is not a multiple of 4. All stay as they are.
// CHECK-LABEL: func.func @row_sums
// CHECK-NOT:     memref.expand_shape
// CHECK:         iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK-LABEL: func.func @dense_forward
// CHECK-NOT:     memref.expand_shape
// CHECK:         iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-LABEL: func.func @six_outputs
// CHECK-NOT:     memref.expand_shape
// CHECK:         iterator_types = ["parallel", "parallel", "parallel", "reduction"]
#rows = affine_map<(n, c, h, w) -> (n, c, h, w)>
#row = affine_map<(n, c, h, w) -> (n, c, h)>
func.func @row_sums(%x: memref<?x64x64x64xf32>, %sums: memref<?x64x64xf32>) {
  linalg.generic {indexing_maps = [#rows, #row],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x : memref<?x64x64x64xf32>) outs(%sums : memref<?x64x64xf32>) {
  ^bb0(%g: f32, %b: f32):
    %s = arith.addf %b, %g : f32
    linalg.yield %s : f32
  }
  return
}
#a = affine_map<(n, o, k) -> (n, k)>
#b = affine_map<(n, o, k) -> (o, k)>
#c = affine_map<(n, o, k) -> (n, o)>
func.func @dense_forward(%x: memref<?x64xf32>, %w: memref<4096x64xf32>, %y: memref<?x4096xf32>) {
  linalg.generic {indexing_maps = [#a, #b, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x64xf32>, memref<4096x64xf32>) outs(%y : memref<?x4096xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}
#in6 = affine_map<(n, f, x, c) -> (n, c, x)>
#w6 = affine_map<(n, f, x, c) -> (f, c)>
#out6 = affine_map<(n, f, x, c) -> (n, f, x)>
func.func @six_outputs(%in: memref<?x8x4096xf32>, %w: memref<6x8xf32>, %out: memref<?x6x4096xf32>) {
  linalg.generic {indexing_maps = [#in6, #w6, #out6],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%in, %w : memref<?x8x4096xf32>, memref<6x8xf32>) outs(%out : memref<?x6x4096xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Too few threads: 32 (the batch, counted as 32) x 16 x 8 x 8 would leave
// 8192 threads of 4 outputs, under the 16384 a kernel keeps.
// CHECK-LABEL: func.func @small_convolution
// CHECK-NOT:     memref.expand_shape
// CHECK:         iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
#sin = affine_map<(n, f, y, x, c, ky, kx) -> (n, c, y + ky, x + kx)>
#sw = affine_map<(n, f, y, x, c, ky, kx) -> (f, c, ky, kx)>
#sout = affine_map<(n, f, y, x, c, ky, kx) -> (n, f, y, x)>
func.func @small_convolution(%in: memref<?x8x10x10xf32>, %w: memref<16x8x3x3xf32>, %out: memref<?x16x8x8xf32>) {
  linalg.generic {indexing_maps = [#sin, #sw, #sout],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%in, %w : memref<?x8x10x10xf32>, memref<16x8x3x3xf32>) outs(%out : memref<?x16x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}
