// RUN: weft-opt %s --split-input-file --weft-spread-reductions | FileCheck %s
// RUN: weft-opt %s --split-input-file --weft-spread-reductions --convert-linalg-to-parallel-loops | FileCheck %s --check-prefix=LOOPS

// A bias gradient fused with its activation's gradient, batch first
// (reduction, parallel, reduction): 8 channels give too few threads, so the
// batch is spread over threads and placed first; the positions stay a
// sequential reduction. The bias gradient, which the batch does not index,
// is a sum, so threads may add to it.
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[CHANNEL:.*]] = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-LABEL: func.func @bias_gradient
// CHECK:         linalg.generic {indexing_maps = [#[[ROW]], #[[ROW]], #[[CHANNEL]]], iterator_types = ["parallel", "parallel", "reduction"]}
// LOOPS-LABEL: func.func @bias_gradient
// LOOPS:         scf.parallel (%[[N:.*]], %[[C:.*]]) =
// LOOPS-NEXT:      scf.for
// LOOPS-NOT:         scf.parallel
// LOOPS:         return
#rows = affine_map<(n, c, p) -> (n, c, p)>
#channel = affine_map<(n, c, p) -> (c)>
func.func @bias_gradient(%dy: memref<?x8x16xf32>, %dx: memref<?x8x16xf32>, %db: memref<8xf32>) {
  linalg.generic {indexing_maps = [#rows, #rows, #channel],
                  iterator_types = ["reduction", "parallel", "reduction"]}
      ins(%dy : memref<?x8x16xf32>) outs(%dx, %db : memref<?x8x16xf32>, memref<8xf32>) {
  ^bb0(%g: f32, %x: f32, %b: f32):
    %s = arith.addf %b, %g : f32
    linalg.yield %g, %s : f32, f32
  }
  return
}

// -----

// A weight gradient has threads enough (512 x 256 outputs): its batch
// reduction is only moved inside, not spread.
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @weight_gradient
// CHECK:         linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction"]}
#x = affine_map<(n, i, j) -> (n, i)>
#dy = affine_map<(n, i, j) -> (n, j)>
#dw = affine_map<(n, i, j) -> (i, j)>
func.func @weight_gradient(%x: memref<?x512xf32>, %dy: memref<?x256xf32>, %dw: memref<512x256xf32>) {
  linalg.generic {indexing_maps = [#x, #dy, #dw],
                  iterator_types = ["reduction", "parallel", "parallel"]}
      ins(%x, %dy : memref<?x512xf32>, memref<?x256xf32>) outs(%dw : memref<512x256xf32>) {
  ^bb0(%a: f32, %g: f32, %w: f32):
    %p = arith.mulf %a, %g : f32
    %s = arith.addf %w, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A maximum is not a sum: threads could not combine their parts with an
// atomic addition, so nothing is spread, and the only reduction stays
// sequential after the parallel dimension.
// CHECK-LABEL: func.func @maximum
// CHECK:         iterator_types = ["parallel", "reduction", "reduction"]
#in = affine_map<(n, c, p) -> (n, c, p)>
#out = affine_map<(n, c, p) -> (c)>
func.func @maximum(%x: memref<?x8x16xf32>, %m: memref<8xf32>) {
  linalg.generic {indexing_maps = [#in, #out],
                  iterator_types = ["reduction", "parallel", "reduction"]}
      ins(%x : memref<?x8x16xf32>) outs(%m : memref<8xf32>) {
  ^bb0(%a: f32, %b: f32):
    %s = arith.maximumf %b, %a : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// conv1's bias gradient at fashion_cnn's size: 32 channels and the batch
// (counted as 32) give 1024 threads, and each would sum 676 positions. The
// positions are split as 13 x 52: the 52 run in threads, last, so that
// neighbouring threads read neighbouring elements, and each thread sums 13
// of them, 52 apart. Every operand the positions index is reshaped to
// match; the bias gradient is a sum, added to atomically.
// CHECK-DAG: #[[ALL:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3, d2)>
// CHECK-DAG: #[[BIAS:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-LABEL: func.func @long_bias_gradient
// CHECK-DAG:     %[[DY:.*]] = memref.expand_shape %{{.*}} {{\[}}[0], [1], [2, 3]] output_shape [%{{.*}}, 32, 13, 52] : memref<?x32x676xf32> into memref<?x32x13x52xf32>
// CHECK-DAG:     %[[DX:.*]] = memref.expand_shape %{{.*}} {{\[}}[0], [1], [2, 3]] output_shape [%{{.*}}, 32, 13, 52] : memref<?x32x676xf32> into memref<?x32x13x52xf32>
// CHECK:         linalg.generic {indexing_maps = [#[[ALL]], #[[ALL]], #[[BIAS]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME:      ins(%[[DY]] : memref<?x32x13x52xf32>) outs(%[[DX]], %{{.*}} : memref<?x32x13x52xf32>, memref<32xf32>)
// LOOPS-LABEL: func.func @long_bias_gradient
// LOOPS:         scf.parallel (%{{.*}}, %{{.*}}, %{{.*}}) = (%{{.*}}, %{{.*}}, %{{.*}}) to (%{{.*}}, %c32, %c52)
// LOOPS-NEXT:      scf.for %{{.*}} = %{{.*}} to %c13
#rows = affine_map<(n, c, p) -> (n, c, p)>
#channel = affine_map<(n, c, p) -> (c)>
func.func @long_bias_gradient(%dy: memref<?x32x676xf32>, %dx: memref<?x32x676xf32>, %db: memref<32xf32>) {
  linalg.generic {indexing_maps = [#rows, #rows, #channel],
                  iterator_types = ["reduction", "parallel", "reduction"]}
      ins(%dy : memref<?x32x676xf32>) outs(%dx, %db : memref<?x32x676xf32>, memref<32xf32>) {
  ^bb0(%g: f32, %x: f32, %b: f32):
    %s = arith.addf %b, %g : f32
    linalg.yield %g, %s : f32, f32
  }
  return
}

// -----

// Left whole: a long last reduction inside a window (p + r), which no
// reshape splits, and one whose output is no sum (a maximum).
// CHECK-LABEL: func.func @window_reduction
// CHECK-NOT:     memref.expand_shape
// CHECK:         iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-LABEL: func.func @long_maximum
// CHECK-NOT:     memref.expand_shape
// CHECK:         iterator_types = ["parallel", "reduction"]
#in = affine_map<(c, p, r) -> (c, p + r)>
#window = affine_map<(c, p, r) -> (r)>
#out = affine_map<(c, p, r) -> (c, p)>
func.func @window_reduction(%x: memref<4x163xf32>, %w: memref<64xf32>, %y: memref<4x100xf32>) {
  linalg.generic {indexing_maps = [#in, #window, #out],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<4x163xf32>, memref<64xf32>) outs(%y : memref<4x100xf32>) {
  ^bb0(%a: f32, %b: f32, %s: f32):
    %p = arith.mulf %a, %b : f32
    %t = arith.addf %s, %p : f32
    linalg.yield %t : f32
  }
  return
}
#all = affine_map<(c, p) -> (c, p)>
#one = affine_map<(c, p) -> (c)>
func.func @long_maximum(%x: memref<4x676xf32>, %y: memref<4xf32>) {
  linalg.generic {indexing_maps = [#all, #one],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x676xf32>) outs(%y : memref<4xf32>) {
  ^bb0(%a: f32, %m: f32):
    %t = arith.maximumf %m, %a : f32
    linalg.yield %t : f32
  }
  return
}
