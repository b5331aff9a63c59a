// RUN: weft-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(weft-flatten-elementwise))' \
// RUN:   | FileCheck %s
// Tests which elementwise ops have their contiguous loops collapsed into one
// (a long row LLVM vectorises with plain loads, not gathers), and which are
// left as they are.

// A ReLU after a convolution: one row of 6 x 28 x 28 per image, the batch
// loop kept apart for weft-parallelize-loops.
// CHECK-LABEL: func.func @relu
// CHECK-SAME: (%[[X:.*]]: tensor<?x6x28x28xf32>, %[[INIT:.*]]: tensor<?x6x28x28xf32>)
// CHECK-DAG: %[[XF:.*]] = tensor.collapse_shape %[[X]] {{\[\[}}0], [1, 2, 3]] : tensor<?x6x28x28xf32> into tensor<?x4704xf32>
// CHECK-DAG: %[[IF:.*]] = tensor.collapse_shape %[[INIT]] {{\[\[}}0], [1, 2, 3]]
// CHECK: %[[R:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK-SAME: ins(%[[XF]] : tensor<?x4704xf32>) outs(%[[IF]] : tensor<?x4704xf32>)
// CHECK: arith.maximumf
// CHECK: tensor.expand_shape %[[R]] {{\[\[}}0], [1, 2, 3]] {{.*}} : tensor<?x4704xf32> into tensor<?x6x28x28xf32>
#id4 = affine_map<(n, c, h, w) -> (n, c, h, w)>
func.func @relu(%x: tensor<?x6x28x28xf32>, %init: tensor<?x6x28x28xf32>)
    -> tensor<?x6x28x28xf32> {
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

// Left alone: a bias broadcast over the image, whose channel loop would
// stay around the row (the bias moves along it). LLVM unrolls such a static
// loop in full around the unrolled row, which bloats the code.
// CHECK-LABEL: func.func @bias
// CHECK-NOT: tensor.collapse_shape
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<?x6x28x28xf32>)
#bias = affine_map<(n, c, h, w) -> (c)>
#id4 = affine_map<(n, c, h, w) -> (n, c, h, w)>
func.func @bias(%b: tensor<6xf32>, %n: index) -> tensor<?x6x28x28xf32> {
  %init = tensor.empty(%n) : tensor<?x6x28x28xf32>
  %r = linalg.generic {indexing_maps = [#bias, #id4],
      iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b : tensor<6xf32>) outs(%init : tensor<?x6x28x28xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<?x6x28x28xf32>
  return %r : tensor<?x6x28x28xf32>
}

// -----

// A broadcast along the batch (a bias over a dense layer's [batch, 120])
// with a static batch: the leading loop does not fold, nothing is left to.
// CHECK-LABEL: func.func @dense_bias
// CHECK-NOT: tensor.collapse_shape
#row = affine_map<(n, f) -> (f)>
#id2 = affine_map<(n, f) -> (n, f)>
func.func @dense_bias(%b: tensor<120xf32>) -> tensor<32x120xf32> {
  %init = tensor.empty() : tensor<32x120xf32>
  %r = linalg.generic {indexing_maps = [#row, #id2],
      iterator_types = ["parallel", "parallel"]}
      ins(%b : tensor<120xf32>) outs(%init : tensor<32x120xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<32x120xf32>
  return %r : tensor<32x120xf32>
}

// -----

// With a static leading loop every loop folds into one.
// CHECK-LABEL: func.func @static_shape
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel"]
// CHECK-SAME: outs(%{{.*}} : tensor<4704xf32>)
#id3 = affine_map<(c, h, w) -> (c, h, w)>
func.func @static_shape(%x: tensor<6x28x28xf32>) -> tensor<6x28x28xf32> {
  %init = tensor.empty() : tensor<6x28x28xf32>
  %r = linalg.generic {indexing_maps = [#id3, #id3],
      iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : tensor<6x28x28xf32>) outs(%init : tensor<6x28x28xf32>) {
  ^bb0(%a: f32, %o: f32):
    %e = math.exp %a : f32
    linalg.yield %e : f32
  } -> tensor<6x28x28xf32>
  return %r : tensor<6x28x28xf32>
}

// -----

// Left alone: an op that reads its loop indices (a pool's gradient picks
// the window's maximum by position).
// CHECK-LABEL: func.func @reads_indices
// CHECK-NOT: tensor.collapse_shape
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<?x6x28x28xf32>)
#id4 = affine_map<(n, c, h, w) -> (n, c, h, w)>
func.func @reads_indices(%x: tensor<?x6x28x28xf32>, %init: tensor<?x6x28x28xf32>)
    -> tensor<?x6x28x28xf32> {
  %r = linalg.generic {indexing_maps = [#id4, #id4],
      iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<?x6x28x28xf32>) outs(%init : tensor<?x6x28x28xf32>) {
  ^bb0(%a: f32, %o: f32):
    %w = linalg.index 3 : index
    %wi = arith.index_cast %w : index to i32
    %wf = arith.sitofp %wi : i32 to f32
    %m = arith.mulf %a, %wf : f32
    linalg.yield %m : f32
  } -> tensor<?x6x28x28xf32>
  return %r : tensor<?x6x28x28xf32>
}

// -----

// Left alone: an operand that is part of each row (the first 16 columns of
// a 28-wide image), whose buffer bufferization would have to copy to
// collapse.
// CHECK-LABEL: func.func @strided_operand
// CHECK-NOT: tensor.collapse_shape
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<?x6x28x16xf32>)
#id4 = affine_map<(n, c, h, w) -> (n, c, h, w)>
func.func @strided_operand(%x: tensor<?x6x28x28xf32>, %init: tensor<?x6x28x16xf32>)
    -> tensor<?x6x28x16xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x6x28x28xf32>
  %part = tensor.extract_slice %x[0, 0, 0, 0] [%n, 6, 28, 16] [1, 1, 1, 1]
      : tensor<?x6x28x28xf32> to tensor<?x6x28x16xf32>
  %r = linalg.generic {indexing_maps = [#id4, #id4],
      iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%part : tensor<?x6x28x16xf32>) outs(%init : tensor<?x6x28x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.negf %a : f32
    linalg.yield %m : f32
  } -> tensor<?x6x28x16xf32>
  return %r : tensor<?x6x28x16xf32>
}

// -----

// A whole image of the batch is contiguous: the slice's op folds.
// CHECK-LABEL: func.func @one_image
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0, 1, 2, 3]] : tensor<1x6x28x28xf32> into tensor<4704xf32>
#id4 = affine_map<(n, c, h, w) -> (n, c, h, w)>
func.func @one_image(%x: tensor<?x6x28x28xf32>, %i: index) -> tensor<1x6x28x28xf32> {
  %image = tensor.extract_slice %x[%i, 0, 0, 0] [1, 6, 28, 28] [1, 1, 1, 1]
      : tensor<?x6x28x28xf32> to tensor<1x6x28x28xf32>
  %init = tensor.empty() : tensor<1x6x28x28xf32>
  %r = linalg.generic {indexing_maps = [#id4, #id4],
      iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%image : tensor<1x6x28x28xf32>) outs(%init : tensor<1x6x28x28xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.negf %a : f32
    linalg.yield %m : f32
  } -> tensor<1x6x28x28xf32>
  return %r : tensor<1x6x28x28xf32>
}

// -----

// Left alone: a kernel with reductions (a pooling window's maximum).
// CHECK-LABEL: func.func @reduction
// CHECK-NOT: tensor.collapse_shape
#in = affine_map<(n, c, h, w, kh) -> (n, c, h, kh, w)>
#out = affine_map<(n, c, h, w, kh) -> (n, c, h, w)>
func.func @reduction(%x: tensor<?x6x14x2x28xf32>, %init: tensor<?x6x14x28xf32>)
    -> tensor<?x6x14x28xf32> {
  %r = linalg.generic {indexing_maps = [#in, #out],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%x : tensor<?x6x14x2x28xf32>) outs(%init : tensor<?x6x14x28xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.maximumf %a, %o : f32
    linalg.yield %m : f32
  } -> tensor<?x6x14x28xf32>
  return %r : tensor<?x6x14x28xf32>
}
