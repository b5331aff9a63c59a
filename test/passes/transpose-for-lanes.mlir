// RUN: weft-opt %s --split-input-file --verify-diagnostics \
// RUN:   --pass-pipeline='builtin.module(func.func(weft-transpose-for-lanes{remarks=true}))' \
// RUN:   | FileCheck %s
// RUN: weft-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(weft-transpose-for-lanes,weft-tile-and-vectorize{remarks=true}))' \
// RUN:   2>&1 >/dev/null | FileCheck %s --check-prefix=BLOCKS

// lenet's conv2 weight gradient: dW[f, c, kh, kw] sums x[n, c, oh + kh,
// ow + kw] * dy[n, f, oh, ow]. Its rows are 5 wide; its 16 output channels
// are a register. The output gradient is copied with the channels last,
// the kernel starts from a zero fill in the new layout, its loops are
// ordered with the channels last among the parallel ones, and its result
// is copied back into the original output (the gradient's place).
#x = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (n, g, c, oh + kh, ow + kw)>
#dy = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (n, g, f, oh, ow)>
#dw = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (g, f, c, kh, kw)>
// CHECK-DAG: #[[DYREAD:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d2, d3)>
// CHECK-DAG: #[[ID5:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d5, d0, d1, d2 + d6, d3 + d7)>
// CHECK-DAG: #[[DYT:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d5, d0, d6, d7, d4)>
// CHECK-DAG: #[[DWT:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d2, d3, d4)>
// CHECK-DAG: #[[BACK:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d3, d4, d1)>
// CHECK-LABEL: func.func @weight_gradient
// CHECK-SAME:    (%[[XV:.*]]: tensor<?x1x6x14x14xf32>, %[[DY:.*]]: tensor<?x1x16x10x10xf32>, %[[DW:.*]]: tensor<1x16x6x5x5xf32>)
// CHECK:         %[[DYE:.*]] = tensor.empty(%{{.*}}) : tensor<?x1x10x10x16xf32>
// CHECK:         %[[DYC:.*]] = linalg.generic {indexing_maps = [#[[DYREAD]], #[[ID5]]]
// CHECK-SAME:        ins(%[[DY]] : tensor<?x1x16x10x10xf32>) outs(%[[DYE]] : tensor<?x1x10x10x16xf32>)
// CHECK:         %[[ZE:.*]] = tensor.empty() : tensor<1x6x5x5x16xf32>
// CHECK:         %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[ZE]] : tensor<1x6x5x5x16xf32>)
// CHECK:         %[[K:.*]] = linalg.generic {indexing_maps = [#[[X]], #[[DYT]], #[[DWT]]]
// CHECK-SAME:        iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
// CHECK-SAME:        ins(%[[XV]], %[[DYC]] : tensor<?x1x6x14x14xf32>, tensor<?x1x10x10x16xf32>) outs(%[[Z]] : tensor<1x6x5x5x16xf32>)
// CHECK:           arith.mulf
// CHECK:           arith.addf
// CHECK:         %[[R:.*]] = linalg.generic {indexing_maps = [#[[BACK]], #[[ID5]]]
// CHECK-SAME:        ins(%[[K]] : tensor<1x6x5x5x16xf32>) outs(%[[DW]] : tensor<1x16x6x5x5xf32>)
// CHECK:         return %[[R]]

// The blocks: 16 lanes along the channels; 3 input channels x 5 kernel
// rows of broadcast inputs as rows, 15 accumulators.
// BLOCKS: remark: kernel vectorised: blocks of 3 row(s) x 16 lanes (lanes: loop 4, rows: loop 1 x 5 (loop 2)), blocks in parallel
func.func @weight_gradient(%x: tensor<?x1x6x14x14xf32>, %dy: tensor<?x1x16x10x10xf32>,
                           %dw: tensor<1x16x6x5x5xf32>) -> tensor<1x16x6x5x5xf32> {
  %zero = arith.constant 0.0 : f32
  %start = linalg.fill ins(%zero : f32) outs(%dw : tensor<1x16x6x5x5xf32>) -> tensor<1x16x6x5x5xf32>
  // expected-remark @below {{kernel transposed: loop 1 (16 iterations) made contiguous in its output and input, for lanes in whole registers}}
  %r = linalg.generic {indexing_maps = [#x, #dy, #dw],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel",
                        "reduction", "reduction", "reduction"]}
      ins(%x, %dy : tensor<?x1x6x14x14xf32>, tensor<?x1x16x10x10xf32>)
      outs(%start : tensor<1x16x6x5x5xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b fastmath<reassoc,contract> : f32
    %s = arith.addf %acc, %m fastmath<reassoc,contract> : f32
    linalg.yield %s : f32
  } -> tensor<1x16x6x5x5xf32>
  return %r : tensor<1x16x6x5x5xf32>
}

// -----

// An output that does not start from a fill is copied transposed too.
#x = affine_map<(f, c, k, n, m) -> (n, m, c, k)>
#dy = affine_map<(f, c, k, n, m) -> (n, m, f)>
#dw = affine_map<(f, c, k, n, m) -> (f, c, k)>
// CHECK-LABEL: func.func @start_copied
// CHECK-SAME:    (%{{.*}}: tensor<?x1000x8x8xf32>, %{{.*}}: tensor<?x1000x32xf32>, %[[START:.*]]: tensor<32x8x8xf32>)
// CHECK:         linalg.generic {{.*}} outs(%{{.*}} : tensor<?x1000x32xf32>)
// CHECK:         %[[E:.*]] = tensor.empty() : tensor<8x8x32xf32>
// CHECK:         %[[S:.*]] = linalg.generic {{.*}} ins(%[[START]] : tensor<32x8x8xf32>) outs(%[[E]] : tensor<8x8x32xf32>)
// CHECK:         %[[K:.*]] = linalg.generic {{.*}} outs(%[[S]] : tensor<8x8x32xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[K]] : tensor<8x8x32xf32>) outs(%[[START]] : tensor<32x8x8xf32>)
func.func @start_copied(%x: tensor<?x1000x8x8xf32>, %dy: tensor<?x1000x32xf32>,
                        %start: tensor<32x8x8xf32>) -> tensor<32x8x8xf32> {
  // expected-remark @below {{kernel transposed: loop 0 (32 iterations)}}
  %r = linalg.generic {indexing_maps = [#x, #dy, #dw],
      iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %dy : tensor<?x1000x8x8xf32>, tensor<?x1000x32xf32>)
      outs(%start : tensor<32x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<32x8x8xf32>
  return %r : tensor<32x8x8xf32>
}

// -----

// Left alone when the copies would not pay: fashion_cnn's conv1 weight
// gradient has 32 output channels, but 9 multiply-adds for each element of
// its output gradient (26 x 26 per channel and image), which a copy reads
// at a stride of 676.
#x = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (n, g, c, oh + kh, ow + kw)>
#dy = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (n, g, f, oh, ow)>
#dw = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (g, f, c, kh, kw)>
// CHECK-LABEL: func.func @copies_do_not_pay
// CHECK-COUNT-1: linalg.generic
// CHECK-NOT:     linalg.generic
func.func @copies_do_not_pay(%x: tensor<?x1x1x28x28xf32>, %dy: tensor<?x1x32x26x26xf32>,
                             %dw: tensor<1x32x1x3x3xf32>) -> tensor<1x32x1x3x3xf32> {
  %zero = arith.constant 0.0 : f32
  %start = linalg.fill ins(%zero : f32) outs(%dw : tensor<1x32x1x3x3xf32>) -> tensor<1x32x1x3x3xf32>
  %r = linalg.generic {indexing_maps = [#x, #dy, #dw],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel",
                        "reduction", "reduction", "reduction"]}
      ins(%x, %dy : tensor<?x1x1x28x28xf32>, tensor<?x1x32x26x26xf32>)
      outs(%start : tensor<1x32x1x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x32x1x3x3xf32>
  return %r : tensor<1x32x1x3x3xf32>
}

// -----

// Left alone: lenet's conv1 weight gradient has 6 output channels, no
// whole register; a dense layer's weight gradient [84, 120] has rows of
// several registers already; a forward convolution of one input channel
// (rows 10 wide, 16 output channels) does 25 multiply-adds per output
// element, too few to pay for copying its output back.
#x = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (n, g, c, oh + kh, ow + kw)>
#dy = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (n, g, f, oh, ow)>
#dw = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (g, f, c, kh, kw)>
#a = affine_map<(i, j, n) -> (n, i)>
#b = affine_map<(i, j, n) -> (n, j)>
#o = affine_map<(i, j, n) -> (i, j)>
#cx = affine_map<(n, g, f, oh, ow, c, kh, kw) -> (n, g, c, oh + kh, ow + kw)>
#cw = affine_map<(n, g, f, oh, ow, c, kh, kw) -> (g, f, c, kh, kw)>
#co = affine_map<(n, g, f, oh, ow, c, kh, kw) -> (n, g, f, oh, ow)>
// CHECK-LABEL: func.func @left_alone
// CHECK-COUNT-3: linalg.generic
// CHECK-NOT:     linalg.generic
func.func @left_alone(%x: tensor<?x1x1x32x32xf32>, %dy: tensor<?x1x6x28x28xf32>,
                      %dw: tensor<1x6x1x5x5xf32>, %p: tensor<?x84xf32>,
                      %q: tensor<?x120xf32>, %dfc: tensor<84x120xf32>,
                      %w: tensor<1x16x1x5x5xf32>, %y: tensor<?x1x16x10x10xf32>)
    -> (tensor<1x6x1x5x5xf32>, tensor<84x120xf32>, tensor<?x1x16x10x10xf32>) {
  %r = linalg.generic {indexing_maps = [#x, #dy, #dw],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel",
                        "reduction", "reduction", "reduction"]}
      ins(%x, %dy : tensor<?x1x1x32x32xf32>, tensor<?x1x6x28x28xf32>)
      outs(%dw : tensor<1x6x1x5x5xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x6x1x5x5xf32>
  %d = linalg.generic {indexing_maps = [#a, #b, #o],
      iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%p, %q : tensor<?x84xf32>, tensor<?x120xf32>) outs(%dfc : tensor<84x120xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<84x120xf32>
  %c = linalg.generic {indexing_maps = [#cx, #cw, #co],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel",
                        "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<?x1x1x32x32xf32>, tensor<1x16x1x5x5xf32>)
      outs(%y : tensor<?x1x16x10x10xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x1x16x10x10xf32>
  return %r, %d, %c : tensor<1x6x1x5x5xf32>, tensor<84x120xf32>, tensor<?x1x16x10x10xf32>
}

// -----

// lenet's conv2 forward pass: y[n, f, oh, ow] starts from the bias and is
// followed by relu (through the reshape dropping the group dimension). Its
// rows are 10 wide; its 16 output channels are a register. The weight is
// copied with the channels last, the bias broadcast again into the new
// layout (blocks still read the bias itself), and the copy back applies
// relu, so that no pass over memory is added for it.
#x = affine_map<(n, g, f, oh, ow, c, kh, kw) -> (n, g, c, oh + kh, ow + kw)>
#w = affine_map<(n, g, f, oh, ow, c, kh, kw) -> (g, f, c, kh, kw)>
#y = affine_map<(n, g, f, oh, ow, c, kh, kw) -> (n, g, f, oh, ow)>
#bias = affine_map<(n, g, f, oh, ow) -> (g, f)>
#id5 = affine_map<(n, g, f, oh, ow) -> (n, g, f, oh, ow)>
#id4 = affine_map<(n, f, oh, ow) -> (n, f, oh, ow)>
// CHECK-DAG: #[[BIAS:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d4)>
// CHECK-DAG: #[[BACK:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4, d2)>
// CHECK-LABEL: func.func @forward_with_bias_and_relu
// CHECK-SAME:    (%[[X:.*]]: tensor<?x1x6x14x14xf32>, %[[W:.*]]: tensor<1x16x6x5x5xf32>, %[[B:.*]]: tensor<1x16xf32>, %[[Y:.*]]: tensor<?x1x16x10x10xf32>
// CHECK:         %[[WT:.*]] = linalg.generic {{.*}} ins(%[[W]] : tensor<1x16x6x5x5xf32>) outs(%{{.*}} : tensor<1x6x5x5x16xf32>)
// CHECK:         %[[START:.*]] = linalg.generic {indexing_maps = [#[[BIAS]], #{{.*}}]{{.*}} ins(%[[B]] : tensor<1x16xf32>) outs(%{{.*}} : tensor<?x1x10x10x16xf32>)
// CHECK:         %[[K:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[WT]] : {{.*}}) outs(%[[START]] : tensor<?x1x10x10x16xf32>)
// CHECK:         %[[R:.*]] = linalg.generic {indexing_maps = [#[[BACK]], #{{.*}}]{{.*}} ins(%[[K]] : tensor<?x1x10x10x16xf32>) outs(%[[Y]] : tensor<?x1x16x10x10xf32>)
// CHECK:           arith.maximumf
// CHECK:         %[[C:.*]] = tensor.collapse_shape %[[R]]
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[C]]
func.func @forward_with_bias_and_relu(%x: tensor<?x1x6x14x14xf32>, %w: tensor<1x16x6x5x5xf32>,
                                      %b: tensor<1x16xf32>, %y: tensor<?x1x16x10x10xf32>,
                                      %act: tensor<?x16x10x10xf32>) -> tensor<?x16x10x10xf32> {
  %zero = arith.constant 0.0 : f32
  %start = linalg.generic {indexing_maps = [#bias, #id5],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%b : tensor<1x16xf32>) outs(%y : tensor<?x1x16x10x10xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<?x1x16x10x10xf32>
  // expected-remark @below {{kernel transposed: loop 2 (16 iterations) made contiguous in its output and input, for lanes in whole registers}}
  %r = linalg.generic {indexing_maps = [#x, #w, #y],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel",
                        "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<?x1x6x14x14xf32>, tensor<1x16x6x5x5xf32>)
      outs(%start : tensor<?x1x16x10x10xf32>) {
  ^bb0(%a: f32, %c: f32, %acc: f32):
    %m = arith.mulf %a, %c fastmath<reassoc,contract> : f32
    %s = arith.addf %acc, %m fastmath<reassoc,contract> : f32
    linalg.yield %s : f32
  } -> tensor<?x1x16x10x10xf32>
  %flat = tensor.collapse_shape %r [[0], [1, 2], [3], [4]] : tensor<?x1x16x10x10xf32> into tensor<?x16x10x10xf32>
  %relu = linalg.generic {indexing_maps = [#id4, #id4],
      iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%flat : tensor<?x16x10x10xf32>) outs(%act : tensor<?x16x10x10xf32>) {
  ^bb0(%in: f32, %out: f32):
    %v = arith.maximumf %in, %zero : f32
    linalg.yield %v : f32
  } -> tensor<?x16x10x10xf32>
  return %relu : tensor<?x16x10x10xf32>
}

// -----

// Left alone when the transposed blocks would be single rows: fashion_cnn's
// conv2 forward pass (64 output channels, four registers) has 11 x 11
// outputs, and 11 rows do not split into blocks of 2 to 4.
#x = affine_map<(n, g, f, oh, ow, c, kh, kw) -> (n, g, c, oh + kh, ow + kw)>
#w = affine_map<(n, g, f, oh, ow, c, kh, kw) -> (g, f, c, kh, kw)>
#y = affine_map<(n, g, f, oh, ow, c, kh, kw) -> (n, g, f, oh, ow)>
// CHECK-LABEL: func.func @no_rows
// CHECK-COUNT-1: linalg.generic
// CHECK-NOT:     linalg.generic
func.func @no_rows(%x: tensor<?x1x32x13x13xf32>, %w: tensor<1x64x32x3x3xf32>,
                   %y: tensor<?x1x64x11x11xf32>) -> tensor<?x1x64x11x11xf32> {
  %r = linalg.generic {indexing_maps = [#x, #w, #y],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel",
                        "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<?x1x32x13x13xf32>, tensor<1x64x32x3x3xf32>)
      outs(%y : tensor<?x1x64x11x11xf32>) {
  ^bb0(%a: f32, %c: f32, %acc: f32):
    %m = arith.mulf %a, %c : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x1x64x11x11xf32>
  return %r : tensor<?x1x64x11x11xf32>
}
