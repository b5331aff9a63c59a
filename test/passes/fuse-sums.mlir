// RUN: weft-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(weft-fuse-sums{remarks=true}))' \
// RUN:   2>/dev/null | FileCheck %s
// RUN: weft-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(weft-fuse-sums{remarks=true}))' \
// RUN:   2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// Tests that weft-fuse-sums computes a bias gradient (a sum of an
// elementwise op's result) in the loop nest of that op, which keeps its
// other users: two loop nests become one, and the sum no longer reads the
// gradient back.

#id = affine_map<(n, c) -> (n, c)>
#col = affine_map<(n, c) -> (c)>

// A dense layer's backward pass: relu's mask on the incoming gradient, read
// by the weight gradient (here: returned) and summed over the batch.
// CHECK-LABEL: func.func @dense_bias_gradient
// CHECK: %[[ZERO:.*]] = linalg.fill
// CHECK: %[[BOTH:.*]]:2 = linalg.generic
// CHECK-SAME: iterator_types = ["reduction", "parallel"]
// CHECK-SAME: outs(%{{.*}}, %[[ZERO]] : tensor<?x64xf32>, tensor<64xf32>)
// CHECK: %[[MASKED:.*]] = arith.select
// CHECK: %[[TOTAL:.*]] = arith.addf %{{.*}}, %[[MASKED]] fastmath<reassoc,contract> : f32
// CHECK: linalg.yield %[[MASKED]], %[[TOTAL]] : f32, f32
// CHECK-NOT: linalg.generic
// CHECK: return %[[BOTH]]#0, %[[BOTH]]#1
// REMARK: remark: fused a sum, 'vjp(fc1)' (model.weft:5:7), into 'vjp(relu)' (model.weft:4:7): one loop nest writes its values and adds them up
func.func @dense_bias_gradient(%y: tensor<?x64xf32>, %dy: tensor<?x64xf32>,
                               %e: tensor<?x64xf32>)
    -> (tensor<?x64xf32>, tensor<64xf32>) {
  %zero = arith.constant 0.0 : f32
  %dz = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y, %dy : tensor<?x64xf32>, tensor<?x64xf32>) outs(%e : tensor<?x64xf32>) {
  ^bb0(%a: f32, %g: f32, %o: f32):
    %on = arith.cmpf ogt, %a, %zero : f32
    %m = arith.select %on, %g, %zero : f32
    linalg.yield %m : f32
  } -> tensor<?x64xf32> loc(#relu)
  %b0 = tensor.empty() : tensor<64xf32>
  %bz = linalg.fill ins(%zero : f32) outs(%b0 : tensor<64xf32>) -> tensor<64xf32>
  %db = linalg.generic {indexing_maps = [#id, #col], iterator_types = ["reduction", "parallel"]}
      ins(%dz : tensor<?x64xf32>) outs(%bz : tensor<64xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  } -> tensor<64xf32> loc(#fc1)
  return %dz, %db : tensor<?x64xf32>, tensor<64xf32>
}
#relu = loc("vjp(relu)"("model.weft":4:7))
#fc1 = loc("vjp(fc1)"("model.weft":5:7))

// -----

// A convolution's: the gradient [N, C, H, W] summed over N, H and W. The
// image's rows and columns, both summed and contiguous in every operand,
// become one loop of 121, which LLVM vectorises.
#id4 = affine_map<(n, c, h, w) -> (n, c, h, w)>
#chan = affine_map<(n, c, h, w) -> (c)>
// CHECK-LABEL: func.func @conv_bias_gradient
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3]] : tensor<?x16x11x11xf32> into tensor<?x16x121xf32>
// CHECK: %[[BOTH:.*]]:2 = linalg.generic
// CHECK-SAME: iterator_types = ["reduction", "parallel", "reduction"]
// CHECK-SAME: outs({{.*}} : tensor<?x16x121xf32>, tensor<16xf32>)
// CHECK-NOT: linalg.generic
// CHECK: %[[DZ:.*]] = tensor.expand_shape %[[BOTH]]#0 {{\[}}[0], [1], [2, 3]]
// CHECK: return %[[DZ]], %[[BOTH]]#1
// REMARK: remark: fused a sum, the op at fuse-sums.mlir:{{[0-9]+}}:9, into the op at fuse-sums.mlir:{{[0-9]+}}:9
func.func @conv_bias_gradient(%y: tensor<?x16x11x11xf32>, %dy: tensor<?x16x11x11xf32>,
                              %e: tensor<?x16x11x11xf32>)
    -> (tensor<?x16x11x11xf32>, tensor<16xf32>) {
  %zero = arith.constant 0.0 : f32
  %dz = linalg.generic {indexing_maps = [#id4, #id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y, %dy : tensor<?x16x11x11xf32>, tensor<?x16x11x11xf32>) outs(%e : tensor<?x16x11x11xf32>) {
  ^bb0(%a: f32, %g: f32, %o: f32):
    %on = arith.cmpf ogt, %a, %zero : f32
    %m = arith.select %on, %g, %zero : f32
    linalg.yield %m : f32
  } -> tensor<?x16x11x11xf32>
  %b0 = tensor.empty() : tensor<16xf32>
  %bz = linalg.fill ins(%zero : f32) outs(%b0 : tensor<16xf32>) -> tensor<16xf32>
  %db = linalg.generic {indexing_maps = [#id4, #chan], iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%dz : tensor<?x16x11x11xf32>) outs(%bz : tensor<16xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  } -> tensor<16xf32>
  return %dz, %db : tensor<?x16x11x11xf32>, tensor<16xf32>
}

// -----

// A pool's gradient spreads into windows, [N, C, OH, 2, OW, 2]; the sum
// reads it merged back into an image, [N, C, H, W]. The sum is taken over
// the windowed shape instead (the same elements in the same order), fused,
// and the windows and image collapse into one loop of 100.
#id6 = affine_map<(n, c, oh, kh, ow, kw) -> (n, c, oh, kh, ow, kw)>
#id4b = affine_map<(n, c, h, w) -> (n, c, h, w)>
#chan4 = affine_map<(n, c, h, w) -> (c)>
// CHECK-LABEL: func.func @pooled_bias_gradient
// CHECK: %[[BOTH:.*]]:2 = linalg.generic
// CHECK-SAME: iterator_types = ["reduction", "parallel", "reduction"]
// CHECK-SAME: outs({{.*}} : tensor<?x16x100xf32>, tensor<16xf32>)
// CHECK-NOT: linalg.generic
// REMARK: remark: fused a sum, the op at fuse-sums.mlir:{{[0-9]+}}:9, into the op at fuse-sums.mlir:{{[0-9]+}}:9
func.func @pooled_bias_gradient(%y: tensor<?x16x5x2x5x2xf32>, %dy: tensor<?x16x5x2x5x2xf32>,
                                %e: tensor<?x16x5x2x5x2xf32>)
    -> (tensor<?x16x10x10xf32>, tensor<16xf32>) {
  %zero = arith.constant 0.0 : f32
  %dz = linalg.generic {indexing_maps = [#id6, #id6, #id6], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%y, %dy : tensor<?x16x5x2x5x2xf32>, tensor<?x16x5x2x5x2xf32>) outs(%e : tensor<?x16x5x2x5x2xf32>) {
  ^bb0(%a: f32, %g: f32, %o: f32):
    %on = arith.cmpf ogt, %a, %zero : f32
    %m = arith.select %on, %g, %zero : f32
    linalg.yield %m : f32
  } -> tensor<?x16x5x2x5x2xf32>
  %image = tensor.collapse_shape %dz [[0], [1], [2, 3], [4, 5]] : tensor<?x16x5x2x5x2xf32> into tensor<?x16x10x10xf32>
  %b0 = tensor.empty() : tensor<16xf32>
  %bz = linalg.fill ins(%zero : f32) outs(%b0 : tensor<16xf32>) -> tensor<16xf32>
  %db = linalg.generic {indexing_maps = [#id4b, #chan4], iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%image : tensor<?x16x10x10xf32>) outs(%bz : tensor<16xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  } -> tensor<16xf32>
  return %image, %db : tensor<?x16x10x10xf32>, tensor<16xf32>
}

// -----

// Left alone: a sum of something that is not elementwise (a matmul's
// result), and a reduction that is not a plain sum (a maximum).
#x = affine_map<(m, n, k) -> (m, k)>
#w = affine_map<(m, n, k) -> (k, n)>
#y = affine_map<(m, n, k) -> (m, n)>
#id2 = affine_map<(n, c) -> (n, c)>
#col2 = affine_map<(n, c) -> (c)>
// CHECK-LABEL: func.func @left_alone
// CHECK-COUNT-4: linalg.generic
// CHECK-NOT: fastmath<reassoc
// REMARK-NOT: remark
func.func @left_alone(%a: tensor<?x8xf32>, %b: tensor<8x64xf32>, %e: tensor<?x64xf32>,
                      %z: tensor<64xf32>)
    -> (tensor<64xf32>, tensor<64xf32>) {
  %mm = linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<?x8xf32>, tensor<8x64xf32>) outs(%e : tensor<?x64xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x64xf32>
  %sum = linalg.generic {indexing_maps = [#id2, #col2], iterator_types = ["reduction", "parallel"]}
      ins(%mm : tensor<?x64xf32>) outs(%z : tensor<64xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  } -> tensor<64xf32>
  %neg = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%mm : tensor<?x64xf32>) outs(%e : tensor<?x64xf32>) {
  ^bb0(%v: f32, %o: f32):
    %n = arith.negf %v : f32
    linalg.yield %n : f32
  } -> tensor<?x64xf32>
  %max = linalg.generic {indexing_maps = [#id2, #col2], iterator_types = ["reduction", "parallel"]}
      ins(%neg : tensor<?x64xf32>) outs(%z : tensor<64xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.maximumf %acc, %v : f32
    linalg.yield %s : f32
  } -> tensor<64xf32>
  return %sum, %max : tensor<64xf32>, tensor<64xf32>
}
