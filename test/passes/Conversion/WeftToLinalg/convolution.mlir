// RUN: weft-opt %s -split-input-file --convert-weft-to-linalg | FileCheck %s

// Tests that a grouped, strided, padded convolution pads the input, splits
// channels into [groups, channels / groups], starts from the bias and
// accumulates over (c, kh, kw) with the window map oh * stride + kh.
// CHECK-DAG: #[[BIAS:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d2)>
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d5, d3 * 2 + d6, d4 * 2 + d7)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d1, d2, d5, d6, d7)>
// CHECK-DAG: #[[Y:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d2, d3, d4)>
// CHECK-LABEL: func.func @conv(
// CHECK:       %[[PADDED:.*]] = tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 1, 1] [%{{.*}}, 4, 9, 9] [1, 1, 1, 1] : tensor<?x4x9x9xf32> into tensor<?x4x11x11xf32>
// CHECK:       %[[XG:.*]] = tensor.expand_shape %[[PADDED]] {{\[}}[0], [1, 2], [3], [4]] {{.*}} into tensor<?x2x2x11x11xf32>
// CHECK:       %[[WG:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2], [3], [4]] {{.*}} into tensor<2x3x2x3x3xf32>
// CHECK:       %[[INIT:.*]] = linalg.generic {indexing_maps = [#[[BIAS]], {{.*}}]
// CHECK:       %[[Y5:.*]] = linalg.generic {indexing_maps = [#[[X]], #[[W]], #[[Y]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
// CHECK-SAME:    ins(%[[XG]], %[[WG]] : {{.*}}) outs(%[[INIT]] : tensor<?x2x3x5x5xf32>)
// CHECK:       tensor.collapse_shape %[[Y5]] {{\[}}[0], [1, 2], [3], [4]] : tensor<?x2x3x5x5xf32> into tensor<?x6x5x5xf32>
func.func @conv(%x: tensor<?x4x9x9xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>) -> tensor<?x6x5x5xf32> {
  %y = weft.conv2d %x, %w, %b {dilation = array<i64: 1, 1>, groups = 2 : i64, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>} : (tensor<?x4x9x9xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<?x6x5x5xf32>
  return %y : tensor<?x6x5x5xf32>
}

// -----

// Tests that the input gradient is a gather: the output gradient is spread
// at stride 2 and padded by the kernel's reach (2), the kernel is flipped
// into a copy (flipped[.., kh, kw] = w[.., 2 - kh, 2 - kw]), then windows are
// summed as in a forward convolution (h + kh), and the padding is cut off
// again.
// CHECK-DAG: #[[FLIP:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, -d3 + 2, -d4 + 2)>
// CHECK-DAG: #[[Z:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d5, d3 + d6, d4 + d7)>
// CHECK-DAG: #[[WF:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d1, d5, d2, d6, d7)>
// CHECK-LABEL: func.func @grad_input(
// CHECK:       tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 2, 2] [%{{.*}}, 6, 5, 5] [1, 1, 2, 2] : tensor<?x6x5x5xf32> into tensor<?x6x13x13xf32>
// CHECK:       %[[FLIPPED:.*]] = linalg.generic {indexing_maps = [#[[FLIP]], {{.*}}]
// CHECK-SAME:    outs(%{{.*}} : tensor<2x3x2x3x3xf32>)
// CHECK:       linalg.generic {indexing_maps = [#[[Z]], #[[WF]], {{.*}}]
// CHECK-SAME:    ins(%{{.*}}, %[[FLIPPED]] :
// CHECK-SAME:    outs(%{{.*}} : tensor<?x2x2x11x11xf32>)
// CHECK:       %[[DX:.*]] = tensor.collapse_shape
// CHECK:       tensor.extract_slice %[[DX]][0, 0, 1, 1] [%{{.*}}, 4, 9, 9] [1, 1, 1, 1] : tensor<?x4x11x11xf32> to tensor<?x4x9x9xf32>
func.func @grad_input(%dy: tensor<?x6x5x5xf32>, %w: tensor<6x2x3x3xf32>) -> tensor<?x4x9x9xf32> {
  %dx = weft.conv2d_grad_input %dy, %w {dilation = array<i64: 1, 1>, groups = 2 : i64, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>} : (tensor<?x6x5x5xf32>, tensor<6x2x3x3xf32>) -> tensor<?x4x9x9xf32>
  return %dx : tensor<?x4x9x9xf32>
}

// -----

// Tests that the weight gradient reduces over (n, oh, ow) of the padded
// input against the output gradient.
// CHECK-DAG: #[[XW:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d5, d0, d2, d3 + d6, d4 + d7)>
// CHECK-DAG: #[[DY:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d5, d0, d1, d6, d7)>
// CHECK-LABEL: func.func @grad_weight(
// CHECK-NOT:   tensor.insert_slice
// CHECK:       linalg.generic {indexing_maps = [#[[XW]], #[[DY]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
// CHECK-SAME:    outs(%{{.*}} : tensor<1x8x1x3x3xf32>)
// CHECK:       tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2], [3], [4]] : tensor<1x8x1x3x3xf32> into tensor<8x1x3x3xf32>
func.func @grad_weight(%x: tensor<?x1x28x28xf32>, %dy: tensor<?x8x26x26xf32>) -> tensor<8x1x3x3xf32> {
  %dw = weft.conv2d_grad_weight %x, %dy {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x1x28x28xf32>, tensor<?x8x26x26xf32>) -> tensor<8x1x3x3xf32>
  return %dw : tensor<8x1x3x3xf32>
}

// -----

// Tests that max pooling reduces with maximumf from -inf over a [3, 3]
// window operand that bounds the kernel loops.
// CHECK-DAG: #[[PX:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 * 2 + d4, d3 * 2 + d5)>
// CHECK-DAG: #[[WIN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5)>
// CHECK-LABEL: func.func @max_pool(
// CHECK:       arith.constant 0xFF800000 : f32
// CHECK:       %[[WINDOW:.*]] = tensor.empty() : tensor<3x3xf32>
// CHECK:       linalg.generic {indexing_maps = [#[[PX]], #[[WIN]], {{.*}}]
// CHECK-SAME:    ins(%{{.*}}, %[[WINDOW]] : tensor<?x2x7x7xf32>, tensor<3x3xf32>)
// CHECK:         arith.maximumf
func.func @max_pool(%x: tensor<?x2x7x7xf32>) -> tensor<?x2x3x3xf32> {
  %y = weft.max_pool2d %x {kernel = array<i64: 3, 3>, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x2x7x7xf32>) -> tensor<?x2x3x3xf32>
  return %y : tensor<?x2x3x3xf32>
}

// -----

// Tests that the max-pool gradient finds each window's first maximum (a
// strict ogt keeps the earlier one), then gathers: loop (kh, kw) takes the
// spread gradient where the spread argmax is the flipped position.
// CHECK-LABEL: func.func @max_pool_grad(
// CHECK:       %[[ARG:.*]]:2 = linalg.generic
// CHECK:         linalg.index 4
// CHECK:         arith.cmpf ogt
// CHECK:       tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 2, 2] [%{{.*}}, 2, 3, 3] [1, 1, 2, 2]
// CHECK:       arith.constant -1.000000e+00 : f32
// CHECK:       tensor.insert_slice %[[ARG]]#1 into %{{.*}}[0, 0, 2, 2] [%{{.*}}, 2, 3, 3] [1, 1, 2, 2]
// CHECK:       linalg.generic
// CHECK:         arith.subi
// CHECK:         arith.cmpf oeq
// CHECK:         arith.select
func.func @max_pool_grad(%x: tensor<?x2x7x7xf32>, %dy: tensor<?x2x3x3xf32>) -> tensor<?x2x7x7xf32> {
  %dx = weft.max_pool2d_grad %x, %dy {kernel = array<i64: 3, 3>, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x2x7x7xf32>, tensor<?x2x3x3xf32>) -> tensor<?x2x7x7xf32>
  return %dx : tensor<?x2x7x7xf32>
}

// -----

// Tests that average pooling scales each element by 1 / (kh * kw), counting
// padding as PyTorch's default does, and that its gradient is cut back to
// the input's size.
// CHECK-LABEL: func.func @avg_pool(
// CHECK:       tensor.insert_slice {{.*}}[0, 0, 1, 1] [%{{.*}}, 2, 6, 6] [1, 1, 1, 1] : tensor<?x2x6x6xf32> into tensor<?x2x8x8xf32>
// CHECK:       arith.constant 2.500000e-01 : f32
// CHECK-LABEL: func.func @avg_pool_grad(
// CHECK:       arith.constant 2.500000e-01 : f32
// CHECK:       tensor.extract_slice %{{.*}}[0, 0, 1, 1] [%{{.*}}, 2, 6, 6] [1, 1, 1, 1] : tensor<?x2x8x8xf32> to tensor<?x2x6x6xf32>
func.func @avg_pool(%x: tensor<?x2x6x6xf32>) -> tensor<?x2x4x4xf32> {
  %y = weft.avg_pool2d %x {kernel = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>} : (tensor<?x2x6x6xf32>) -> tensor<?x2x4x4xf32>
  return %y : tensor<?x2x4x4xf32>
}
func.func @avg_pool_grad(%dy: tensor<?x2x4x4xf32>) -> tensor<?x2x6x6xf32> {
  %dx = weft.avg_pool2d_grad %dy {kernel = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>} : (tensor<?x2x4x4xf32>) -> tensor<?x2x6x6xf32>
  return %dx : tensor<?x2x6x6xf32>
}

// -----

// Tests that windows which tile the input (stride = kernel, no padding) are
// read through a reshape, [N, C, OH, KH, OW, KW], with the output column
// innermost; the row and column past the last whole window (7 = 3 * 2 + 1)
// are cut off first.
// CHECK-DAG: #[[XW:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d5, d4)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d5)>
// CHECK-LABEL: func.func @max_pool_tiling(
// CHECK:       %[[CUT:.*]] = tensor.extract_slice %{{.*}}[0, 0, 0, 0] [%{{.*}}, 2, 6, 6] [1, 1, 1, 1] : tensor<?x2x7x7xf32> to tensor<?x2x6x6xf32>
// CHECK:       %[[WIN:.*]] = tensor.expand_shape %[[CUT]] {{\[\[}}0], [1], [2, 3], [4, 5]] {{.*}} : tensor<?x2x6x6xf32> into tensor<?x2x3x2x3x2xf32>
// CHECK:       linalg.generic {indexing_maps = [#[[XW]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]}
// CHECK-SAME:    ins(%[[WIN]] : tensor<?x2x3x2x3x2xf32>)
// CHECK:         arith.maximumf
func.func @max_pool_tiling(%x: tensor<?x2x7x7xf32>) -> tensor<?x2x3x3xf32> {
  %y = weft.max_pool2d %x {kernel = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x2x7x7xf32>) -> tensor<?x2x3x3xf32>
  return %y : tensor<?x2x3x3xf32>
}

// -----

// Tests the gradient over tiling windows: the first maximum of each window
// (kernel loops 3 and 4), then one elementwise op over [N, C, OH, KH, OW, KW]
// that gives each element its window's gradient where it was the maximum,
// collapsed back and placed into zeros for the cut-off row and column. No
// spreading (strided insert_slice) and no gather over windows.
// CHECK-LABEL: func.func @max_pool_grad_tiling(
// CHECK:       %[[ARG:.*]]:2 = linalg.generic
// CHECK:         linalg.index 3
// CHECK:         linalg.index 4
// CHECK:         arith.cmpf ogt
// CHECK:       %[[DX:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]
// CHECK-SAME:    ins(%{{.*}}, %[[ARG]]#1 : tensor<?x2x3x3xf32>, tensor<?x2x3x3xf32>)
// CHECK:         linalg.index 3
// CHECK:         linalg.index 5
// CHECK:         arith.cmpf oeq
// CHECK:         arith.select
// CHECK:       %[[FLAT:.*]] = tensor.collapse_shape %[[DX]] {{\[\[}}0], [1], [2, 3], [4, 5]] : tensor<?x2x3x2x3x2xf32> into tensor<?x2x6x6xf32>
// CHECK:       tensor.insert_slice %[[FLAT]] into %{{.*}}[0, 0, 0, 0] [%{{.*}}, 2, 6, 6] [1, 1, 1, 1] : tensor<?x2x6x6xf32> into tensor<?x2x7x7xf32>
// CHECK-NOT:   tensor.insert_slice
func.func @max_pool_grad_tiling(%x: tensor<?x2x7x7xf32>, %dy: tensor<?x2x3x3xf32>) -> tensor<?x2x7x7xf32> {
  %dx = weft.max_pool2d_grad %x, %dy {kernel = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x2x7x7xf32>, tensor<?x2x3x3xf32>) -> tensor<?x2x7x7xf32>
  return %dx : tensor<?x2x7x7xf32>
}

// -----

// Tests the average-pool gradient over tiling windows that cover the input
// exactly: one scaled elementwise op, collapsed, nothing else.
// CHECK-LABEL: func.func @avg_pool_grad_tiling(
// CHECK:       %[[DX:.*]] = linalg.generic
// CHECK:         arith.constant 2.500000e-01 : f32
// CHECK:         arith.mulf
// CHECK:       %[[FLAT:.*]] = tensor.collapse_shape %[[DX]] {{.*}} into tensor<?x2x6x6xf32>
// CHECK-NEXT:  return %[[FLAT]]
func.func @avg_pool_grad_tiling(%dy: tensor<?x2x3x3xf32>) -> tensor<?x2x6x6xf32> {
  %dx = weft.avg_pool2d_grad %dy {kernel = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x2x3x3xf32>) -> tensor<?x2x6x6xf32>
  return %dx : tensor<?x2x6x6xf32>
}
