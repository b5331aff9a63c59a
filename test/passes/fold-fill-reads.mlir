// RUN: weft-opt %s --weft-fold-fill-reads | FileCheck %s

// An in-bounds read of a filled tensor is the fill value, broadcast.
// CHECK-LABEL: func.func @read_of_fill
// CHECK-SAME:    (%[[V:.*]]: f32)
// CHECK:         %[[B:.*]] = vector.broadcast %[[V]] : f32 to vector<4x8xf32>
// CHECK-NOT:     linalg.fill
// CHECK:         return %[[B]]
func.func @read_of_fill(%v: f32) -> vector<4x8xf32> {
  %c0 = arith.constant 0 : index
  %pad = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %f = linalg.fill ins(%v : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %r = vector.transfer_read %f[%c0, %c0], %pad {in_bounds = [true, true]}
      : tensor<4x8xf32>, vector<4x8xf32>
  return %r : vector<4x8xf32>
}

// A read that may run past the end takes padding there; it stays.
// CHECK-LABEL: func.func @out_of_bounds_read
// CHECK:         linalg.fill
// CHECK:         vector.transfer_read
func.func @out_of_bounds_read(%v: f32, %i: index) -> vector<8xf32> {
  %pad = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8xf32>
  %f = linalg.fill ins(%v : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
  %r = vector.transfer_read %f[%i], %pad : tensor<8xf32>, vector<8xf32>
  return %r : vector<8xf32>
}

// Inside an scf.forall, a shared output's block argument is the loop's
// initial tensor: a block of a parallel kernel whose output was filled
// starts its accumulator from the broadcast.
// CHECK-LABEL: func.func @read_of_filled_shared_output
// CHECK-SAME:    (%[[V:.*]]: f32
// CHECK:         scf.forall
// CHECK:         vector.broadcast %[[V]] : f32 to vector<8xf32>
// CHECK-NOT:     vector.transfer_read
// CHECK:         scf.forall.in_parallel
func.func @read_of_filled_shared_output(%v: f32, %x: vector<8xf32>) -> tensor<4x8xf32> {
  %c0 = arith.constant 0 : index
  %pad = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %f = linalg.fill ins(%v : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %r = scf.forall (%i) in (4) shared_outs(%out = %f) -> (tensor<4x8xf32>) {
    %acc = vector.transfer_read %out[%i, %c0], %pad {in_bounds = [true]}
        : tensor<4x8xf32>, vector<8xf32>
    %sum = arith.addf %acc, %x : vector<8xf32>
    %tile = tensor.extract_slice %out[%i, 0] [1, 8] [1, 1] : tensor<4x8xf32> to tensor<1x8xf32>
    %w = vector.transfer_write %sum, %tile[%c0, %c0] {in_bounds = [true]}
        : vector<8xf32>, tensor<1x8xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %w into %out[%i, 0] [1, 8] [1, 1]
          : tensor<1x8xf32> into tensor<4x8xf32>
    }
  }
  return %r : tensor<4x8xf32>
}

// A shared output whose initial tensor is not a fill is read as it is.
// CHECK-LABEL: func.func @shared_output_not_filled
// CHECK:         vector.transfer_read
func.func @shared_output_not_filled(%t: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %c0 = arith.constant 0 : index
  %pad = arith.constant 0.0 : f32
  %r = scf.forall (%i) in (4) shared_outs(%out = %t) -> (tensor<4x8xf32>) {
    %acc = vector.transfer_read %out[%i, %c0], %pad {in_bounds = [true]}
        : tensor<4x8xf32>, vector<8xf32>
    %tile = tensor.extract_slice %out[%i, 0] [1, 8] [1, 1] : tensor<4x8xf32> to tensor<1x8xf32>
    %w = vector.transfer_write %acc, %tile[%c0, %c0] {in_bounds = [true]}
        : vector<8xf32>, tensor<1x8xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %w into %out[%i, 0] [1, 8] [1, 1]
          : tensor<1x8xf32> into tensor<4x8xf32>
    }
  }
  return %r : tensor<4x8xf32>
}

// A block of a kernel whose output starts from a bias broadcast over it
// reads the bias itself, broadcast along the lanes; the broadcast op is
// left unused (and removed by canonicalisation).
#bias = affine_map<(n, f, h, w) -> (f)>
#all = affine_map<(n, f, h, w) -> (n, f, h, w)>
// CHECK-LABEL: func.func @read_of_bias_broadcast
// CHECK-SAME:    (%[[B:.*]]: tensor<16xf32>
// CHECK:         scf.forall (%[[I:.*]], %[[H:.*]]) in
// CHECK:         vector.transfer_read %[[B]][%c0], %{{.*}} {in_bounds = [true, true], permutation_map = #{{.*}}} : tensor<16xf32>, vector<16x10xf32>
// CHECK:         scf.forall.in_parallel
func.func @read_of_bias_broadcast(%b: tensor<16xf32>, %init: tensor<?x16x10x10xf32>, %x: vector<16x10xf32>) -> tensor<?x16x10x10xf32> {
  %c0 = arith.constant 0 : index
  %pad = arith.constant 0.0 : f32
  %start = linalg.generic {indexing_maps = [#bias, #all],
      iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b : tensor<16xf32>) outs(%init : tensor<?x16x10x10xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<?x16x10x10xf32>
  %n = tensor.dim %init, %c0 : tensor<?x16x10x10xf32>
  %r = scf.forall (%i, %h) in (%n, 10) shared_outs(%out = %start) -> (tensor<?x16x10x10xf32>) {
    %acc = vector.transfer_read %out[%i, %c0, %h, %c0], %pad
        {in_bounds = [true, true], permutation_map = affine_map<(d0, d1, d2, d3) -> (d1, d3)>}
        : tensor<?x16x10x10xf32>, vector<16x10xf32>
    %sum = arith.addf %acc, %x : vector<16x10xf32>
    %tile = tensor.extract_slice %out[%i, 0, %h, 0] [1, 16, 1, 10] [1, 1, 1, 1] : tensor<?x16x10x10xf32> to tensor<1x16x1x10xf32>
    %w = vector.transfer_write %sum, %tile[%c0, %c0, %c0, %c0]
        {in_bounds = [true, true], permutation_map = affine_map<(d0, d1, d2, d3) -> (d1, d3)>}
        : vector<16x10xf32>, tensor<1x16x1x10xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %w into %out[%i, 0, %h, 0] [1, 16, 1, 10] [1, 1, 1, 1] : tensor<1x16x1x10xf32> into tensor<?x16x10x10xf32>
    }
  }
  return %r : tensor<?x16x10x10xf32>
}

// A transposed copy is no broadcast: weft-transpose-for-lanes makes it so
// that a kernel reads it contiguously, and reading its source instead
// would read at a stride again. The read stays.
#swapped = affine_map<(i, j) -> (j, i)>
#same = affine_map<(i, j) -> (i, j)>
// CHECK-LABEL: func.func @read_of_transpose_stays
// CHECK:         %[[T:.*]] = linalg.generic
// CHECK:         vector.transfer_read %[[T]]
func.func @read_of_transpose_stays(%a: tensor<4x16xf32>) -> vector<4x16xf32> {
  %c0 = arith.constant 0 : index
  %pad = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<16x4xf32>
  %t = linalg.generic {indexing_maps = [#swapped, #same],
      iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<4x16xf32>) outs(%empty : tensor<16x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<16x4xf32>
  %v = vector.transfer_read %t[%c0, %c0], %pad
      {in_bounds = [true, true], permutation_map = affine_map<(d0, d1) -> (d1, d0)>}
      : tensor<16x4xf32>, vector<4x16xf32>
  return %v : vector<4x16xf32>
}
