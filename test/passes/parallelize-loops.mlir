// RUN: weft-opt %s --split-input-file --verify-diagnostics \
// RUN:   --pass-pipeline='builtin.module(func.func(weft-parallelize-loops{remarks=true}))' \
// RUN:   | FileCheck %s
// Tests which ops outside the multiply-accumulate kernels get parallel
// loops: large ones, cut along their leading parallel loops into an
// scf.forall of whole inner rows; the rest stay as they are, with the reason.

// An elementwise op over a batch (ReLU after a convolution): the batch is
// dynamic, taken as 16 by the estimate, and one image per tile is enough.
// CHECK-LABEL: func.func @relu
// CHECK: %[[DIM:.*]] = tensor.dim
// CHECK: scf.forall (%[[N:.*]]) in (%[[DIM]]) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<?x6x28x28xf32>)
// CHECK: %[[IN:.*]] = tensor.extract_slice %{{.*}}[%[[N]], 0, 0, 0] [1, 6, 28, 28] [1, 1, 1, 1]
// CHECK: linalg.generic {{.*}} ins(%[[IN]] : tensor<1x6x28x28xf32>)
// CHECK: scf.forall.in_parallel
// CHECK-NEXT: tensor.parallel_insert_slice {{.*}} into %[[OUT]][%[[N]], 0, 0, 0] [1, 6, 28, 28]
#id4 = affine_map<(n, c, h, w) -> (n, c, h, w)>
func.func @relu(%x: tensor<?x6x28x28xf32>, %init: tensor<?x6x28x28xf32>)
    -> tensor<?x6x28x28xf32> {
  // expected-remark @below {{loops in parallel: 16 tiles (loop(s) 0)}}
  %r = linalg.generic {indexing_maps = [#id4, #id4],
      iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<?x6x28x28xf32>) outs(%init : tensor<?x6x28x28xf32>) {
  ^bb0(%a: f32, %o: f32):
    %zero = arith.constant 0.0 : f32
    %m = arith.maximumf %a, %zero : f32
    linalg.yield %m : f32
  } -> tensor<?x6x28x28xf32>
  return %r : tensor<?x6x28x28xf32>
}

// -----

// Leading loops are cut until there are at least 16 tiles (2 x 4 x 3 = 24);
// the innermost row of 4096 stays whole.
// CHECK-LABEL: func.func @several_loops
// CHECK: scf.forall ({{.*}}) in (2, 4, 3)
// CHECK: linalg.generic {{.*}} outs({{.*}} : tensor<1x1x1x4096xf32>)
#id4 = affine_map<(a, b, c, d) -> (a, b, c, d)>
func.func @several_loops(%x: tensor<2x4x3x4096xf32>, %init: tensor<2x4x3x4096xf32>)
    -> tensor<2x4x3x4096xf32> {
  // expected-remark @below {{loops in parallel: 24 tiles (loop(s) 0, 1, 2)}}
  %r = linalg.generic {indexing_maps = [#id4, #id4],
      iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<2x4x3x4096xf32>) outs(%init : tensor<2x4x3x4096xf32>) {
  ^bb0(%a: f32, %o: f32):
    %e = math.exp %a : f32
    linalg.yield %e : f32
  } -> tensor<2x4x3x4096xf32>
  return %r : tensor<2x4x3x4096xf32>
}

// -----

// One loop over a flat buffer (the optimizer's update of every parameter):
// its only loop is cut into 16 chunks of whole vectors, 6250 elements
// rounded up to 64 (6272), the last one shorter.
// CHECK-LABEL: func.func @flat_loop
// CHECK: scf.forall (%[[I:.*]]) = (0) to (100000) step (6272) shared_outs(%[[OUT:.*]] = %{{.*}})
// CHECK: %[[SIZE:.*]] = affine.min #{{.*}}(%[[I]])
// CHECK: %[[IN:.*]] = tensor.extract_slice %{{.*}}[%[[I]]] [%[[SIZE]]] [1]
// CHECK: linalg.generic {{.*}} ins(%[[IN]] : tensor<?xf32>)
// CHECK: tensor.parallel_insert_slice {{.*}} into %[[OUT]][%[[I]]] [%[[SIZE]]] [1]
func.func @flat_loop(%v: tensor<100000xf32>, %w: tensor<100000xf32>)
    -> tensor<100000xf32> {
  // expected-remark @below {{loops in parallel: 16 tiles (loop(s) 0)}}
  %flat = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
      iterator_types = ["parallel"]}
      ins(%v : tensor<100000xf32>) outs(%w : tensor<100000xf32>) {
  ^bb0(%x: f32, %o: f32):
    %e = math.exp %x : f32
    linalg.yield %e : f32
  } -> tensor<100000xf32>
  return %flat : tensor<100000xf32>
}

// -----

// A bias gradient, sum over (n, h, w) per channel: only the channel loop is
// parallel, and its 6 iterations become 6 tiles; the reductions run whole
// inside each.
// CHECK-LABEL: func.func @bias_gradient
// CHECK: scf.forall ({{.*}}) in (6)
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "reduction", "reduction"]{{.*}} outs({{.*}} : tensor<1xf32>)
func.func @bias_gradient(%dy: tensor<?x6x28x28xf32>, %init: tensor<6xf32>)
    -> tensor<6xf32> {
  // expected-remark @below {{loops in parallel: 6 tiles (loop(s) 0)}}
  %r = linalg.generic {indexing_maps = [affine_map<(c, n, h, w) -> (n, c, h, w)>,
                                        affine_map<(c, n, h, w) -> (c)>],
      iterator_types = ["parallel", "reduction", "reduction", "reduction"]}
      ins(%dy : tensor<?x6x28x28xf32>) outs(%init : tensor<6xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %acc, %a : f32
    linalg.yield %s : f32
  } -> tensor<6xf32>
  return %r : tensor<6xf32>
}

// -----

// A large fill is an op like any other.
// CHECK-LABEL: func.func @fill
// CHECK: scf.forall ({{.*}}) in (64)
// CHECK: linalg.fill {{.*}} -> tensor<1x4096xf32>
func.func @fill(%init: tensor<64x4096xf32>) -> tensor<64x4096xf32> {
  %zero = arith.constant 0.0 : f32
  // expected-remark @below {{loops in parallel: 64 tiles (loop(s) 0)}}
  %r = linalg.fill ins(%zero : f32) outs(%init : tensor<64x4096xf32>) -> tensor<64x4096xf32>
  return %r : tensor<64x4096xf32>
}

// -----

// Left in sequence, with the reason: a small op; a sum of every element,
// with no parallel loop at all; a flipped kernel (read backwards), whose slices upstream's
// tiling would size wrongly. An op already inside a loop (a kernel's block)
// is not considered at all.
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: scf.forall
#id2 = affine_map<(i, j) -> (i, j)>
func.func @left_alone(%a: tensor<?x64xf32>, %b: tensor<?x64xf32>,
                      %v: tensor<100000xf32>, %s0: tensor<f32>,
                      %k: tensor<256x64x3x3xf32>, %kf: tensor<256x64x3x3xf32>,
                      %n: index)
    -> (tensor<?x64xf32>, tensor<f32>, tensor<256x64x3x3xf32>, tensor<?x64xf32>) {
  // expected-remark @below {{loops left in sequence: about 1024 iterations, fewer than 16384}}
  %small = linalg.generic {indexing_maps = [#id2, #id2],
      iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<?x64xf32>) outs(%b : tensor<?x64xf32>) {
  ^bb0(%x: f32, %o: f32):
    %e = math.exp %x : f32
    linalg.yield %e : f32
  } -> tensor<?x64xf32>
  // expected-remark @below {{loops left in sequence: no parallel loop to cut}}
  %sum = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> ()>],
      iterator_types = ["reduction"]}
      ins(%v : tensor<100000xf32>) outs(%s0 : tensor<f32>) {
  ^bb0(%x: f32, %o: f32):
    %e = arith.addf %x, %o : f32
    linalg.yield %e : f32
  } -> tensor<f32>
  // expected-remark @below {{loops left in sequence: an operand is read backwards, which tiling mis-sizes}}
  %flipped = linalg.generic {indexing_maps = [
        affine_map<(f, c, kh, kw) -> (f, c, 2 - kh, 2 - kw)>,
        affine_map<(f, c, kh, kw) -> (f, c, kh, kw)>],
      iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%k : tensor<256x64x3x3xf32>) outs(%kf : tensor<256x64x3x3xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  } -> tensor<256x64x3x3xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %looped = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %b) -> (tensor<?x64xf32>) {
    %big = linalg.generic {indexing_maps = [#id2, #id2],
        iterator_types = ["parallel", "parallel"]}
        ins(%a : tensor<?x64xf32>) outs(%acc : tensor<?x64xf32>) {
    ^bb0(%x: f32, %o: f32):
      %s = arith.addf %x, %o : f32
      linalg.yield %s : f32
    } -> tensor<?x64xf32>
    scf.yield %big : tensor<?x64xf32>
  }
  return %small, %sum, %flipped, %looped
      : tensor<?x64xf32>, tensor<f32>, tensor<256x64x3x3xf32>, tensor<?x64xf32>
}

// -----

// A bias broadcast over a convolution's output that only starts kernels
// (their loop over blocks, the kernel itself, its size and slices): left
// alone, since the kernel's blocks will read the bias instead
// (weft-fold-fill-reads) and the broadcast will go.
#bias = affine_map<(n, f, h, w) -> (f)>
#all = affine_map<(n, f, h, w) -> (n, f, h, w)>
// CHECK-LABEL: func.func @bias_for_blocks
// CHECK-NOT: scf.forall
// CHECK: %[[START:.*]] = linalg.generic
// CHECK: scf.forall ({{.*}}) in ({{.*}}) shared_outs({{.*}} = %[[START]])
// CHECK: return
func.func @bias_for_blocks(%b: tensor<16xf32>, %init: tensor<?x16x10x10xf32>) -> tensor<?x16x10x10xf32> {
  %c0 = arith.constant 0 : index
  // expected-remark @below {{loops left as they are: the kernels it starts read its input instead (a bias)}}
  %start = linalg.generic {indexing_maps = [#bias, #all],
      iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b : tensor<16xf32>) outs(%init : tensor<?x16x10x10xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<?x16x10x10xf32>
  %n = tensor.dim %start, %c0 : tensor<?x16x10x10xf32>
  %r = scf.forall (%i) in (%n) shared_outs(%out = %start) -> (tensor<?x16x10x10xf32>) {
    %tile = tensor.extract_slice %out[%i, 0, 0, 0] [1, 16, 10, 10] [1, 1, 1, 1] : tensor<?x16x10x10xf32> to tensor<1x16x10x10xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %tile into %out[%i, 0, 0, 0] [1, 16, 10, 10] [1, 1, 1, 1] : tensor<1x16x10x10xf32> into tensor<?x16x10x10xf32>
    }
  }
  return %r : tensor<?x16x10x10xf32>
}

// -----

// The same broadcast with another user (returned): its output is needed
// whole, so it runs in parallel as before.
#bias = affine_map<(n, f, h, w) -> (f)>
#all = affine_map<(n, f, h, w) -> (n, f, h, w)>
// CHECK-LABEL: func.func @bias_also_returned
// CHECK: scf.forall
func.func @bias_also_returned(%b: tensor<16xf32>, %init: tensor<?x16x10x10xf32>) -> tensor<?x16x10x10xf32> {
  // expected-remark @below {{loops in parallel: 16 tiles (loop(s) 0)}}
  %start = linalg.generic {indexing_maps = [#bias, #all],
      iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b : tensor<16xf32>) outs(%init : tensor<?x16x10x10xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<?x16x10x10xf32>
  return %start : tensor<?x16x10x10xf32>
}
