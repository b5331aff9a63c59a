// RUN: weft-opt %s --split-input-file --weft-fold-fills-into-sums | FileCheck %s
// RUN: weft-opt %s --split-input-file --weft-fold-fills-into-sums --convert-linalg-to-parallel-loops --canonicalize --weft-loops-to-gpu | FileCheck %s --check-prefix=KERNEL

// A fill of zeros, then the product that sums onto it: both become loops
// here, the product's read of its output marked with the fill's constant,
// the fill's store marked as a sum's start.
// CHECK-LABEL: func.func @product
// CHECK-NOT:     linalg.
// CHECK:         scf.parallel
// CHECK:           memref.store %{{.*}} {weft.start_of_sum} : memref<?x16xf32>
// CHECK:         scf.parallel
// CHECK:           memref.load %{{.*}} {weft.starts_from = 0.000000e+00 : f32} : memref<?x16xf32>
// CHECK-NOT:     linalg.
//
// In the kernel each thread starts its sum from 0 in a register, the
// product's output is never read, and the fill's launch is gone: one launch.
// KERNEL-LABEL: func.func @product
// KERNEL-COUNT-1: gpu.launch
// KERNEL-NOT:     gpu.launch
// KERNEL:           %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// KERNEL:           scf.for {{.*}} iter_args(%{{.*}} = %[[ZERO]]) -> (f32)
// KERNEL-NOT:       memref.load %{{.*}} : memref<?x16xf32>
// KERNEL:           memref.store %{{.*}} : memref<?x16xf32>
// KERNEL-NOT:     weft.starts_from
// KERNEL-NOT:     weft.start_of_sum
#a = affine_map<(n, o, k) -> (n, k)>
#b = affine_map<(n, o, k) -> (o, k)>
#c = affine_map<(n, o, k) -> (n, o)>
func.func @product(%x: memref<?x8xf32>, %w: memref<16x8xf32>, %y: memref<?x16xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<?x16xf32>)
  linalg.generic {indexing_maps = [#a, #b, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x8xf32>, memref<16x8xf32>) outs(%y : memref<?x16xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// The sum writes a reshape of the filled buffer (weft-register-tiles split
// its channels): every element is still written once. A maximum starts from
// the fill's -inf the same way.
// CHECK-LABEL: func.func @reshaped_maximum
// CHECK:         memref.load %{{.*}} {weft.starts_from = 0xFF800000 : f32} : memref<?x4x4xf32>
// KERNEL-LABEL: func.func @reshaped_maximum
// KERNEL-COUNT-1: gpu.launch
// KERNEL-NOT:     gpu.launch
#in = affine_map<(n, co, ci, k) -> (n, co, ci, k)>
#out = affine_map<(n, co, ci, k) -> (n, co, ci)>
func.func @reshaped_maximum(%x: memref<?x4x4x9xf32>, %y: memref<?x16xf32>) {
  %c0 = arith.constant 0 : index
  %lowest = arith.constant 0xFF800000 : f32
  linalg.fill ins(%lowest : f32) outs(%y : memref<?x16xf32>)
  %n = memref.dim %y, %c0 : memref<?x16xf32>
  %tiles = memref.expand_shape %y [[0], [1, 2]] output_shape [%n, 4, 4] : memref<?x16xf32> into memref<?x4x4xf32>
  linalg.generic {indexing_maps = [#in, #out],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x : memref<?x4x4x9xf32>) outs(%tiles : memref<?x4x4xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %m = arith.maximumf %acc, %v : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// Left as they are: a sum whose threads share outputs (a bias gradient
// spread over the batch: its output map lacks a parallel dimension, and the
// threads add to the filled zeros); a sum that reads the filled buffer as
// an input too; a fill followed by another write before the sum.
// CHECK-LABEL: func.func @spread_sum
// CHECK:         linalg.fill
// CHECK:         linalg.generic
// KERNEL-LABEL: func.func @spread_sum
// KERNEL-COUNT-2: gpu.launch
// CHECK-LABEL: func.func @reads_its_output
// CHECK:         linalg.fill
// CHECK:         linalg.generic
// CHECK-LABEL: func.func @written_between
// CHECK:         linalg.fill
// CHECK:         memref.store
// CHECK:         linalg.generic
#rows = affine_map<(n, c, p) -> (n, c, p)>
#channel = affine_map<(n, c, p) -> (c)>
func.func @spread_sum(%dy: memref<?x8x16xf32>, %db: memref<8xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%db : memref<8xf32>)
  linalg.generic {indexing_maps = [#rows, #channel],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%dy : memref<?x8x16xf32>) outs(%db : memref<8xf32>) {
  ^bb0(%g: f32, %b: f32):
    %s = arith.addf %b, %g : f32
    linalg.yield %s : f32
  }
  return
}
#sq = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>
func.func @reads_its_output(%x: memref<16x16xf32>, %y: memref<16xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<16xf32>)
  linalg.generic {indexing_maps = [#sq, #row, #row],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x, %y : memref<16x16xf32>, memref<16xf32>) outs(%y : memref<16xf32>) {
  ^bb0(%v: f32, %r: f32, %acc: f32):
    %m = arith.mulf %v, %r : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}
func.func @written_between(%x: memref<16x16xf32>, %y: memref<16xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<16xf32>)
  memref.store %one, %y[%c0] : memref<16xf32>
  linalg.generic {indexing_maps = [#sq, #row],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<16x16xf32>) outs(%y : memref<16xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  }
  return
}
