// RUN: weft-opt %s --split-input-file --verify-diagnostics \
// RUN:   --pass-pipeline='builtin.module(func.func(weft-fuse-slice-sums{remarks=true}))' \
// RUN:   | FileCheck %s
// Tests that a scalar sum of full reductions over slices of one flat tensor
// that follow one another (clipping's sum of squares, one per gradient)
// becomes one reduction over the concatenated slice: three loops before,
// one after.

// 0 + sum(w^2) + sum(b^2) + sum(c^2), the slices 0-5 (as 2 x 3), 6-8, 9-13.
// CHECK-LABEL: func.func @norm
// CHECK-SAME:    (%[[G:.*]]: tensor<14xf32>)
// CHECK:       %[[INIT:.*]] = linalg.fill
// CHECK:       %[[ALL:.*]] = tensor.extract_slice %[[G]][0] [14] [1]
// CHECK:       %[[SUM:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}], iterator_types = ["reduction"]} ins(%[[ALL]] : tensor<14xf32>) outs(%[[INIT]] : tensor<f32>)
// CHECK:         arith.mulf
// CHECK:         arith.addf
// CHECK:       %[[S:.*]] = tensor.extract %[[SUM]][]
// CHECK-NOT:   linalg.generic
// CHECK:       return %[[S]]
#sq2 = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> ()>]
#sq1 = [affine_map<(i) -> (i)>, affine_map<(i) -> ()>]
func.func @norm(%g: tensor<14xf32>) -> f32 {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<f32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<f32>) -> tensor<f32>
  %w = tensor.extract_slice %g[0] [6] [1] : tensor<14xf32> to tensor<6xf32>
  %w2 = tensor.expand_shape %w [[0, 1]] output_shape [2, 3] : tensor<6xf32> into tensor<2x3xf32>
  %b = tensor.extract_slice %g[6] [3] [1] : tensor<14xf32> to tensor<3xf32>
  %c = tensor.extract_slice %g[9] [5] [1] : tensor<14xf32> to tensor<5xf32>
  // expected-remark @below {{fused 3 sums of slices into one loop over 14 elements}}
  %sw = linalg.generic {indexing_maps = #sq2, iterator_types = ["reduction", "reduction"]}
      ins(%w2 : tensor<2x3xf32>) outs(%init : tensor<f32>) {
  ^bb0(%x: f32, %acc: f32):
    %m = arith.mulf %x, %x : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  %xw = tensor.extract %sw[] : tensor<f32>
  %t0 = arith.addf %xw, %zero : f32
  %sb = linalg.generic {indexing_maps = #sq1, iterator_types = ["reduction"]}
      ins(%b : tensor<3xf32>) outs(%init : tensor<f32>) {
  ^bb0(%x: f32, %acc: f32):
    %m = arith.mulf %x, %x : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  %xb = tensor.extract %sb[] : tensor<f32>
  %t1 = arith.addf %t0, %xb : f32
  %sc = linalg.generic {indexing_maps = #sq1, iterator_types = ["reduction"]}
      ins(%c : tensor<5xf32>) outs(%init : tensor<f32>) {
  ^bb0(%x: f32, %acc: f32):
    %m = arith.mulf %x, %x : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  %xc = tensor.extract %sc[] : tensor<f32>
  %t2 = arith.addf %t1, %xc : f32
  return %t2 : f32
}

// -----

// Left alone: slices with a gap between them (0-2 and 4-6); and a chain
// with a term that is not such a sum (%other).
// CHECK-LABEL: func.func @gap
// CHECK-COUNT-2: linalg.generic
// CHECK-LABEL: func.func @other_term
// CHECK-COUNT-2: linalg.generic
#sq1 = [affine_map<(i) -> (i)>, affine_map<(i) -> ()>]
func.func @gap(%g: tensor<8xf32>, %init: tensor<f32>) -> f32 {
  %a = tensor.extract_slice %g[0] [3] [1] : tensor<8xf32> to tensor<3xf32>
  %b = tensor.extract_slice %g[4] [3] [1] : tensor<8xf32> to tensor<3xf32>
  %sa = linalg.generic {indexing_maps = #sq1, iterator_types = ["reduction"]}
      ins(%a : tensor<3xf32>) outs(%init : tensor<f32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  %sb = linalg.generic {indexing_maps = #sq1, iterator_types = ["reduction"]}
      ins(%b : tensor<3xf32>) outs(%init : tensor<f32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  %xa = tensor.extract %sa[] : tensor<f32>
  %xb = tensor.extract %sb[] : tensor<f32>
  %t = arith.addf %xa, %xb : f32
  return %t : f32
}
func.func @other_term(%g: tensor<6xf32>, %init: tensor<f32>, %other: f32) -> f32 {
  %a = tensor.extract_slice %g[0] [3] [1] : tensor<6xf32> to tensor<3xf32>
  %b = tensor.extract_slice %g[3] [3] [1] : tensor<6xf32> to tensor<3xf32>
  %sa = linalg.generic {indexing_maps = #sq1, iterator_types = ["reduction"]}
      ins(%a : tensor<3xf32>) outs(%init : tensor<f32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  %sb = linalg.generic {indexing_maps = #sq1, iterator_types = ["reduction"]}
      ins(%b : tensor<3xf32>) outs(%init : tensor<f32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  %xa = tensor.extract %sa[] : tensor<f32>
  %xb = tensor.extract %sb[] : tensor<f32>
  %t0 = arith.addf %xa, %other : f32
  %t1 = arith.addf %t0, %xb : f32
  return %t1 : f32
}
