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
