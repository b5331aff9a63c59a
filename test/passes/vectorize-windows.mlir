// RUN: weft-opt %s --weft-vectorize-windows --canonicalize --cse | FileCheck %s
// RUN: weft-opt %s --weft-vectorize-windows=max-lanes=16 | FileCheck %s --check-prefix=SHORT
// Ops over a 2x2 pool's tiling windows ([N, C, OH, KH, OW, KW] views, as
// ConvolutionLowering.cpp makes them) run one output row per step: each
// input row of 28 loaded once and split into its even and odd elements.

#win = affine_map<(n, c, oh, kh, kw, ow) -> (n, c, oh, kh, ow, kw)>
#pooled = affine_map<(n, c, oh, kh, kw, ow) -> (n, c, oh, ow)>

// The pool: four window elements combined in the op's order.
// CHECK-LABEL: func.func @max_pool
// CHECK-NOT: linalg.generic
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for
// CHECK: %[[ROWS:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2, 3], [4, 5]] : tensor<1x1x1x2x14x2xf32> into tensor<2x28xf32>
// CHECK: %[[TOP:.*]] = vector.transfer_read %[[ROWS]][%c0, %c0]{{.*}} : tensor<2x28xf32>, vector<28xf32>
// CHECK: %[[E0:.*]] = vector.shuffle %[[TOP]], %[[TOP]] [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26]
// CHECK: %[[O0:.*]] = vector.shuffle %[[TOP]], %[[TOP]] [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27]
// CHECK: %[[BOTTOM:.*]] = vector.transfer_read %[[ROWS]][%c1, %c0]{{.*}} : tensor<2x28xf32>, vector<28xf32>
// CHECK: %[[E1:.*]] = vector.shuffle %[[BOTTOM]], %[[BOTTOM]] [0, 2,
// CHECK: %[[O1:.*]] = vector.shuffle %[[BOTTOM]], %[[BOTTOM]] [1, 3,
// CHECK: %[[ACC:.*]] = vector.transfer_read {{.*}} : tensor<14xf32>, vector<14xf32>
// CHECK: %[[M0:.*]] = arith.maximumf %[[ACC]], %[[E0]] : vector<14xf32>
// CHECK: %[[M1:.*]] = arith.maximumf %[[M0]], %[[O0]] : vector<14xf32>
// CHECK: %[[M2:.*]] = arith.maximumf %[[M1]], %[[E1]] : vector<14xf32>
// CHECK: %[[M3:.*]] = arith.maximumf %[[M2]], %[[O1]] : vector<14xf32>
// CHECK: vector.transfer_write %[[M3]], {{.*}} : vector<14xf32>, tensor<14xf32>
func.func @max_pool(%x: tensor<?x6x28x28xf32>, %init: tensor<?x6x14x14xf32>)
    -> tensor<?x6x14x14xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x6x28x28xf32>
  %w = tensor.expand_shape %x [[0], [1], [2, 3], [4, 5]]
      output_shape [%n, 6, 14, 2, 14, 2]
      : tensor<?x6x28x28xf32> into tensor<?x6x14x2x14x2xf32>
  %r = linalg.generic {indexing_maps = [#win, #pooled],
      iterator_types = ["parallel", "parallel", "parallel", "reduction",
                        "reduction", "parallel"]}
      ins(%w : tensor<?x6x14x2x14x2xf32>) outs(%init : tensor<?x6x14x14xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %m = arith.maximumf %acc, %in : f32
    linalg.yield %m : f32
  } -> tensor<?x6x14x14xf32>
  return %r : tensor<?x6x14x14xf32>
}

// The first maximum's position (kh * 2 + kw): the window index is a
// constant per window element, and a later element replaces the running
// maximum only when greater, so ties keep the first.
// CHECK-LABEL: func.func @first_max_positions
// CHECK-DAG: %[[P3:.*]] = arith.constant dense<3.000000e+00> : vector<14xf32>
// CHECK-DAG: %[[P0:.*]] = arith.constant dense<0.000000e+00> : vector<14xf32>
// CHECK: %[[G0:.*]] = arith.cmpf ogt, %{{.*}}, %{{.*}} : vector<14xf32>
// CHECK: arith.select %[[G0]], %[[P0]], %{{.*}} : vector<14xi1>, vector<14xf32>
// CHECK-COUNT-2: arith.cmpf ogt
// CHECK: %[[G3:.*]] = arith.cmpf ogt, %{{.*}}, %{{.*}} : vector<14xf32>
// CHECK: %[[POS:.*]] = arith.select %[[G3]], %[[P3]], %{{.*}} : vector<14xi1>, vector<14xf32>
// CHECK: vector.transfer_write %[[POS]]
func.func @first_max_positions(%w: tensor<4x6x14x2x14x2xf32>,
                               %max: tensor<4x6x14x14xf32>,
                               %pos: tensor<4x6x14x14xf32>)
    -> tensor<4x6x14x14xf32> {
  %r:2 = linalg.generic {indexing_maps = [#win, #pooled, #pooled],
      iterator_types = ["parallel", "parallel", "parallel", "reduction",
                        "reduction", "parallel"]}
      ins(%w : tensor<4x6x14x2x14x2xf32>)
      outs(%max, %pos : tensor<4x6x14x14xf32>, tensor<4x6x14x14xf32>) {
  ^bb0(%in: f32, %m: f32, %p: f32):
    %c2 = arith.constant 2 : index
    %kh = linalg.index 3 : index
    %kw = linalg.index 4 : index
    %row = arith.muli %kh, %c2 : index
    %flat = arith.addi %row, %kw : index
    %i = arith.index_cast %flat : index to i64
    %f = arith.sitofp %i : i64 to f32
    %greater = arith.cmpf ogt, %in, %m : f32
    %nm = arith.select %greater, %in, %m : f32
    %np = arith.select %greater, %f, %p : f32
    linalg.yield %nm, %np : f32, f32
  } -> (tensor<4x6x14x14xf32>, tensor<4x6x14x14xf32>)
  return %r#1 : tensor<4x6x14x14xf32>
}

// The running maximum is read by nothing after the op and starts from
// -inf, filled by a loop of its own (weft-parallelize-loops' form of a
// large fill) that the pool shares: it starts from the constant in
// registers and is never stored, so the op no longer reads the shared
// buffer (which bufferization had to copy whole) nor writes a tile of it.
// Here nothing else reads the fill, and it goes.
// CHECK-LABEL: func.func @scratch_maximum
// CHECK-DAG: %[[NEG:.*]] = arith.constant dense<0xFF800000> : vector<14xf32>
// CHECK-NOT: scf.forall
// CHECK-NOT: linalg.fill
// CHECK: scf.for {{.*}} -> (tensor<4x6x14x14xf32>) {
// CHECK-NOT: tensor<4x6x14x14xf32>, tensor<4x6x14x14xf32>
// CHECK: arith.cmpf ogt, %{{.*}}, %[[NEG]] : vector<14xf32>
// CHECK-COUNT-1: vector.transfer_write
// CHECK-NOT: vector.transfer_write
// CHECK: return
func.func @scratch_maximum(%w: tensor<4x6x14x2x14x2xf32>,
                           %pos: tensor<4x6x14x14xf32>)
    -> tensor<4x6x14x14xf32> {
  %neg = arith.constant 0xFF800000 : f32
  %empty = tensor.empty() : tensor<4x6x14x14xf32>
  %max = scf.forall (%n) in (4) shared_outs(%out = %empty) -> (tensor<4x6x14x14xf32>) {
    %tile = tensor.extract_slice %out[%n, 0, 0, 0] [1, 6, 14, 14] [1, 1, 1, 1] : tensor<4x6x14x14xf32> to tensor<1x6x14x14xf32>
    %filled = linalg.fill ins(%neg : f32) outs(%tile : tensor<1x6x14x14xf32>) -> tensor<1x6x14x14xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %filled into %out[%n, 0, 0, 0] [1, 6, 14, 14] [1, 1, 1, 1] : tensor<1x6x14x14xf32> into tensor<4x6x14x14xf32>
    }
  }
  %r:2 = linalg.generic {indexing_maps = [#win, #pooled, #pooled],
      iterator_types = ["parallel", "parallel", "parallel", "reduction",
                        "reduction", "parallel"]}
      ins(%w : tensor<4x6x14x2x14x2xf32>)
      outs(%max, %pos : tensor<4x6x14x14xf32>, tensor<4x6x14x14xf32>) {
  ^bb0(%in: f32, %m: f32, %p: f32):
    %c2 = arith.constant 2 : index
    %kh = linalg.index 3 : index
    %kw = linalg.index 4 : index
    %row = arith.muli %kh, %c2 : index
    %flat = arith.addi %row, %kw : index
    %i = arith.index_cast %flat : index to i64
    %f = arith.sitofp %i : i64 to f32
    %greater = arith.cmpf ogt, %in, %m : f32
    %nm = arith.select %greater, %in, %m : f32
    %np = arith.select %greater, %f, %p : f32
    linalg.yield %nm, %np : f32, f32
  } -> (tensor<4x6x14x14xf32>, tensor<4x6x14x14xf32>)
  return %r#1 : tensor<4x6x14x14xf32>
}

// The same maximum returned: it is stored, from the filled buffer.
// CHECK-LABEL: func.func @maximum_returned
// CHECK: scf.for {{.*}} -> (tensor<4x6x14x14xf32>, tensor<4x6x14x14xf32>)
func.func @maximum_returned(%w: tensor<4x6x14x2x14x2xf32>,
                            %pos: tensor<4x6x14x14xf32>)
    -> (tensor<4x6x14x14xf32>, tensor<4x6x14x14xf32>) {
  %neg = arith.constant 0xFF800000 : f32
  %empty = tensor.empty() : tensor<4x6x14x14xf32>
  %max = linalg.fill ins(%neg : f32) outs(%empty : tensor<4x6x14x14xf32>) -> tensor<4x6x14x14xf32>
  %r:2 = linalg.generic {indexing_maps = [#win, #pooled, #pooled],
      iterator_types = ["parallel", "parallel", "parallel", "reduction",
                        "reduction", "parallel"]}
      ins(%w : tensor<4x6x14x2x14x2xf32>)
      outs(%max, %pos : tensor<4x6x14x14xf32>, tensor<4x6x14x14xf32>) {
  ^bb0(%in: f32, %m: f32, %p: f32):
    %greater = arith.cmpf ogt, %in, %m : f32
    %nm = arith.select %greater, %in, %m : f32
    %np = arith.select %greater, %in, %p : f32
    linalg.yield %nm, %np : f32, f32
  } -> (tensor<4x6x14x14xf32>, tensor<4x6x14x14xf32>)
  return %r#0, %r#1 : tensor<4x6x14x14xf32>, tensor<4x6x14x14xf32>
}

#all = affine_map<(n, c, oh, kh, ow, kw) -> (n, c, oh, kh, ow, kw)>
#one = affine_map<(n, c, oh, kh, ow, kw) -> (n, c, oh, ow)>

// The pool's gradient writes every window element: each window row is its
// two pieces (kw = 0, 1) interleaved again (a shuffle, which
// canonicalisation names vector.interleave).
// CHECK-LABEL: func.func @max_pool_grad
// CHECK: %[[G:.*]] = vector.transfer_read {{.*}} : tensor<14xf32>, vector<14xf32>
// CHECK: %[[P:.*]] = vector.transfer_read {{.*}} : tensor<14xf32>, vector<14xf32>
// CHECK: %[[HIT:.*]] = arith.cmpf oeq, %[[P]], %{{.*}} : vector<14xf32>
// CHECK: arith.select %[[HIT]], %[[G]], %{{.*}} : vector<14xi1>, vector<14xf32>
// CHECK: %[[ROW:.*]] = vector.interleave %{{.*}}, %{{.*}} : vector<14xf32> -> vector<28xf32>
// CHECK: vector.transfer_write %[[ROW]], %{{.*}}[%c0, %c0] {{.*}} : vector<28xf32>, tensor<2x28xf32>
// CHECK: vector.transfer_write %{{.*}}, %{{.*}}[%c1, %c0] {{.*}} : vector<28xf32>, tensor<2x28xf32>
func.func @max_pool_grad(%g: tensor<4x6x14x14xf32>, %pos: tensor<4x6x14x14xf32>,
                         %init: tensor<4x6x14x2x14x2xf32>)
    -> tensor<4x6x14x2x14x2xf32> {
  %r = linalg.generic {indexing_maps = [#one, #one, #all],
      iterator_types = ["parallel", "parallel", "parallel", "parallel",
                        "parallel", "parallel"]}
      ins(%g, %pos : tensor<4x6x14x14xf32>, tensor<4x6x14x14xf32>)
      outs(%init : tensor<4x6x14x2x14x2xf32>) {
  ^bb0(%gi: f32, %pi: f32, %out: f32):
    %c2 = arith.constant 2 : index
    %zero = arith.constant 0.0 : f32
    %kh = linalg.index 3 : index
    %kw = linalg.index 5 : index
    %row = arith.muli %kh, %c2 : index
    %flat = arith.addi %row, %kw : index
    %i = arith.index_cast %flat : index to i64
    %f = arith.sitofp %i : i64 to f32
    %hit = arith.cmpf oeq, %pi, %f : f32
    %v = arith.select %hit, %gi, %zero : f32
    linalg.yield %v : f32
  } -> tensor<4x6x14x2x14x2xf32>
  return %r : tensor<4x6x14x2x14x2xf32>
}

// Left alone: a pool whose windows overlap (3x3, stride 2) reads no
// window view.
// CHECK-LABEL: func.func @overlapping
// CHECK: linalg.generic
// CHECK-NOT: vector.
#strided = affine_map<(n, c, oh, ow, kh, kw) -> (n, c, oh * 2 + kh, ow * 2 + kw)>
#shape = affine_map<(n, c, oh, ow, kh, kw) -> (kh, kw)>
#o = affine_map<(n, c, oh, ow, kh, kw) -> (n, c, oh, ow)>
func.func @overlapping(%x: tensor<4x6x29x29xf32>, %k: tensor<3x3xf32>,
                       %init: tensor<4x6x14x14xf32>) -> tensor<4x6x14x14xf32> {
  %r = linalg.generic {indexing_maps = [#strided, #shape, #o],
      iterator_types = ["parallel", "parallel", "parallel", "parallel",
                        "reduction", "reduction"]}
      ins(%x, %k : tensor<4x6x29x29xf32>, tensor<3x3xf32>)
      outs(%init : tensor<4x6x14x14xf32>) {
  ^bb0(%in: f32, %unused: f32, %acc: f32):
    %m = arith.maximumf %acc, %in : f32
    linalg.yield %m : f32
  } -> tensor<4x6x14x14xf32>
  return %r : tensor<4x6x14x14xf32>
}

// Left alone: a body that reads the output column (its lanes) as an index.
// CHECK-LABEL: func.func @column_index
// CHECK: linalg.generic
// CHECK-NOT: vector.
func.func @column_index(%g: tensor<4x6x14x14xf32>,
                        %init: tensor<4x6x14x2x14x2xf32>)
    -> tensor<4x6x14x2x14x2xf32> {
  %r = linalg.generic {indexing_maps = [#one, #all],
      iterator_types = ["parallel", "parallel", "parallel", "parallel",
                        "parallel", "parallel"]}
      ins(%g : tensor<4x6x14x14xf32>) outs(%init : tensor<4x6x14x2x14x2xf32>) {
  ^bb0(%gi: f32, %out: f32):
    %ow = linalg.index 4 : index
    %i = arith.index_cast %ow : index to i64
    %f = arith.sitofp %i : i64 to f32
    %v = arith.mulf %gi, %f : f32
    linalg.yield %v : f32
  } -> tensor<4x6x14x2x14x2xf32>
  return %r : tensor<4x6x14x2x14x2xf32>
}

// With max-lanes=16, a row of 28 is too long and the pool stays as it is.
// SHORT-LABEL: func.func @max_pool
// SHORT: linalg.generic
// SHORT-NOT: vector.transfer_read
// SHORT-LABEL: func.func @first_max_positions

// Three elements a window row (a 3x3 pool of stride 3, its average's
// gradient): the pieces are joined end to end, then interleaved.
// CHECK-LABEL: func.func @three_wide
// CHECK: %[[G:.*]] = vector.transfer_read {{.*}} : tensor<4xf32>, vector<4xf32>
// CHECK: %[[S:.*]] = arith.mulf %[[G]], %{{.*}} : vector<4xf32>
// CHECK: %[[TWO:.*]] = vector.shuffle %[[S]], %[[S]] [0, 1, 2, 3, 4, 5, 6, 7] : vector<4xf32>, vector<4xf32>
// CHECK: %[[THREE:.*]] = vector.shuffle %[[TWO]], %[[S]] [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] : vector<8xf32>, vector<4xf32>
// CHECK: %[[ROW:.*]] = vector.shuffle %[[THREE]], %[[THREE]] [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11] : vector<12xf32>, vector<12xf32>
// CHECK: vector.transfer_write %[[ROW]], %{{.*}}[%c0, %c0] {{.*}} : vector<12xf32>, tensor<3x12xf32>
// CHECK-COUNT-2: vector.transfer_write {{.*}} : vector<12xf32>, tensor<3x12xf32>
func.func @three_wide(%g: tensor<2x3x4x4xf32>, %init: tensor<2x3x4x3x4x3xf32>)
    -> tensor<2x3x4x3x4x3xf32> {
  %r = linalg.generic {indexing_maps = [#one, #all],
      iterator_types = ["parallel", "parallel", "parallel", "parallel",
                        "parallel", "parallel"]}
      ins(%g : tensor<2x3x4x4xf32>) outs(%init : tensor<2x3x4x3x4x3xf32>) {
  ^bb0(%gi: f32, %out: f32):
    %ninth = arith.constant 0.111111112 : f32
    %v = arith.mulf %gi, %ninth : f32
    linalg.yield %v : f32
  } -> tensor<2x3x4x3x4x3xf32>
  return %r : tensor<2x3x4x3x4x3xf32>
}
