// RUN: weft-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(weft-gpu-library-calls))' | FileCheck %s
// RUN: weft-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(weft-gpu-library-calls{tf32=false cublas=false}))' | FileCheck %s --check-prefix=STRICT

// The three convolutions Weft's lowering and autodiff write, over
// [batch, group, channel, row, column] buffers.
#x = affine_map<(n, g, k, p, q, c, r, s) -> (n, g, c, p + r, q + s)>
#w = affine_map<(n, g, k, p, q, c, r, s) -> (g, k, c, r, s)>
#wt = affine_map<(n, g, k, p, q, c, r, s) -> (g, c, k, r, s)>
#y = affine_map<(n, g, k, p, q, c, r, s) -> (n, g, k, p, q)>
// Weight gradient: the output is [g, k, c, r, s], the sums n, p, q.
#wx = affine_map<(g, k, c, r, s, n, p, q) -> (n, g, c, p + r, q + s)>
#wdy = affine_map<(g, k, c, r, s, n, p, q) -> (n, g, k, p, q)>
#wdw = affine_map<(g, k, c, r, s, n, p, q) -> (g, k, c, r, s)>

// CHECK-LABEL: func.func @forward
// CHECK:         weft.gpu_library_call @weft_cudnn_convolution(%arg0, %arg1, %arg2) params [0, 1]
// CHECK-NOT:     linalg.generic
// STRICT-LABEL: func.func @forward
// STRICT:        weft.gpu_library_call @weft_cudnn_convolution(%arg0, %arg1, %arg2) params [0, 0]
func.func @forward(%x: memref<?x1x1x28x28xf32>, %w: memref<1x32x1x3x3xf32>, %y: memref<?x1x32x26x26xf32>) {
  linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %w : memref<?x1x1x28x28xf32>, memref<1x32x1x3x3xf32>) outs(%y : memref<?x1x32x26x26xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  }
  return
}

// The input gradient: the padded output gradient against the flipped
// weights stored [g, c, k, r, s]; the weights may be a slice of a larger
// buffer as long as they are packed.
// CHECK-LABEL: func.func @input_gradient
// CHECK:         weft.gpu_library_call @weft_cudnn_convolution(%arg0, %arg1, %arg2) params [1, 1]
func.func @input_gradient(%dy: memref<?x2x64x15x15xf32>, %w: memref<2x64x32x3x3xf32, strided<[18432, 288, 9, 3, 1], offset: 320>>, %dx: memref<?x2x32x13x13xf32>) {
  linalg.generic {indexing_maps = [#x, #wt, #y], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%dy, %w : memref<?x2x64x15x15xf32>, memref<2x64x32x3x3xf32, strided<[18432, 288, 9, 3, 1], offset: 320>>) outs(%dx : memref<?x2x32x13x13xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %m, %o : f32
    linalg.yield %s : f32
  }
  return
}

// CHECK-LABEL: func.func @weight_gradient
// CHECK:         weft.gpu_library_call @weft_cudnn_convolution(%arg0, %arg1, %arg2) params [2, 1]
func.func @weight_gradient(%x: memref<?x1x32x13x13xf32>, %dy: memref<?x1x64x11x11xf32>, %dw: memref<1x64x32x3x3xf32>) {
  linalg.generic {indexing_maps = [#wx, #wdy, #wdw], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %dy : memref<?x1x32x13x13xf32>, memref<?x1x64x11x11xf32>) outs(%dw : memref<1x64x32x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %b, %a : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Left as generated kernels: a strided convolution (2 * p + r), weights
// that are not packed (cuDNN's filters have no strides), and a body that
// is not a multiply-add.
#x2 = affine_map<(n, g, k, p, q, c, r, s) -> (n, g, c, 2 * p + r, 2 * q + s)>
#x = affine_map<(n, g, k, p, q, c, r, s) -> (n, g, c, p + r, q + s)>
#w = affine_map<(n, g, k, p, q, c, r, s) -> (g, k, c, r, s)>
#y = affine_map<(n, g, k, p, q, c, r, s) -> (n, g, k, p, q)>

// CHECK-LABEL: func.func @left_alone
// CHECK-NOT:     weft.gpu_library_call
// CHECK-COUNT-3: linalg.generic
// CHECK-NOT:     weft.gpu_library_call
func.func @left_alone(%x: memref<?x1x1x28x28xf32>, %w: memref<1x32x1x3x3xf32>, %ws: memref<1x32x1x3x3xf32, strided<[576, 18, 9, 3, 1]>>, %y: memref<?x1x32x13x13xf32>, %y2: memref<?x1x32x26x26xf32>) {
  linalg.generic {indexing_maps = [#x2, #w, #y], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %w : memref<?x1x1x28x28xf32>, memref<1x32x1x3x3xf32>) outs(%y : memref<?x1x32x13x13xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %ws : memref<?x1x1x28x28xf32>, memref<1x32x1x3x3xf32, strided<[576, 18, 9, 3, 1]>>) outs(%y2 : memref<?x1x32x26x26xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %w : memref<?x1x1x28x28xf32>, memref<1x32x1x3x3xf32>) outs(%y2 : memref<?x1x32x26x26xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.maximumf %o, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Matrix products: which input holds m (a) and how each is stored.
#a = affine_map<(m, n, k) -> (m, k)>
#at = affine_map<(m, n, k) -> (k, m)>
#b = affine_map<(m, n, k) -> (k, n)>
#bt = affine_map<(m, n, k) -> (n, k)>
#c = affine_map<(m, n, k) -> (m, n)>

// CHECK-LABEL: func.func @dense
// A dense layer: x[m, k] against weights stored [n, k].
// CHECK:         weft.gpu_library_call @weft_cublas_gemm(%arg0, %arg1, %arg2) params [0, 1, 1]
// Its weight gradient: dy[b, n] and x[b, m] summed over the batch, with
// the operands in the other order.
// CHECK:         weft.gpu_library_call @weft_cublas_gemm(%arg3, %arg4, %arg1) params [1, 0, 1]
// STRICT-LABEL: func.func @dense
// STRICT-COUNT-2: linalg.generic
func.func @dense(%x: memref<?x1600xf32>, %w: memref<64x1600xf32>, %y: memref<?x64xf32>, %dy: memref<?x64xf32>, %xs: memref<?x1600xf32>) {
  linalg.generic {indexing_maps = [#a, #bt, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : memref<?x1600xf32>, memref<64x1600xf32>) outs(%y : memref<?x64xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#b, #at, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%xs, %dy : memref<?x1600xf32>, memref<?x64xf32>) outs(%w : memref<64x1600xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %m = arith.mulf %q, %p : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  }
  return
}

// A column-strided operand is left to a generated kernel: cuBLAS reads
// rows of consecutive elements.
// CHECK-LABEL: func.func @strided_columns
// CHECK-NOT:     weft.gpu_library_call
func.func @strided_columns(%x: memref<8x16xf32, strided<[1, 8]>>, %w: memref<16x4xf32>, %y: memref<8x4xf32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : memref<8x16xf32, strided<[1, 8]>>, memref<16x4xf32>) outs(%y : memref<8x4xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  }
  return
}
