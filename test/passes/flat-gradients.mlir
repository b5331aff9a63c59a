// RUN: weft-opt %s --split-input-file --verify-diagnostics \
// RUN:   --pass-pipeline='builtin.module(weft-flat-gradients{remarks=true})' \
// RUN:   | FileCheck %s
// RUN: weft-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(weft-flat-gradients,one-shot-bufferize{bufferize-function-boundaries},cse,canonicalize)' \
// RUN:   | FileCheck %s --check-prefix=BUF
// Tests that @loss_grad returns every gradient in one flat tensor, each
// computed in its own slice of it where it can be, so that bufferization
// copies nothing but what is not computed there; and that callers read each
// gradient as a slice.

// Three gradients: the bias's, a sum into a zero fill that the weight's
// matmul starts from too; the weight's; and an argument returned as it is.
// Each goes into the flat result as soon as it is made, in the order they
// are made (the bias first), and the next one is computed in a slice of
// that result; the fill shared by both gets a copy for each.
// CHECK-LABEL: func.func private @loss_grad
// CHECK-SAME:    -> (tensor<f32>, tensor<14xf32>)
// CHECK:       %[[FLAT:.*]] = tensor.empty() : tensor<14xf32>
// CHECK:       %[[BS:.*]] = tensor.extract_slice %[[FLAT]][6] [3] [1]
// CHECK:       %[[BF:.*]] = linalg.fill {{.*}} outs(%[[BS]] : tensor<3xf32>)
// CHECK:       %[[B:.*]] = linalg.generic {{.*}} outs(%[[BF]] : tensor<3xf32>)
// CHECK:       %[[FLAT1:.*]] = tensor.insert_slice %[[B]] into %[[FLAT]][6] [3] [1]
// CHECK:       %[[WS:.*]] = tensor.extract_slice %[[FLAT1]][0] [6] [1]
// CHECK:       %[[WE:.*]] = tensor.expand_shape %[[WS]] {{\[\[}}0, 1]] output_shape [2, 3]
// CHECK:       %[[WF:.*]] = linalg.fill {{.*}} outs(%[[WE]] : tensor<2x3xf32>)
// CHECK:       %[[W:.*]] = linalg.matmul {{.*}} outs(%[[WF]] : tensor<2x3xf32>)
// CHECK:       %[[WC:.*]] = tensor.collapse_shape %[[W]]
// CHECK:       %[[FLAT2:.*]] = tensor.insert_slice %[[WC]] into %[[FLAT1]][0] [6] [1]
// CHECK:       %[[FLAT3:.*]] = tensor.insert_slice %arg2 into %[[FLAT2]][9] [5] [1]
// CHECK:       return %{{.*}}, %[[FLAT3]] : tensor<f32>, tensor<14xf32>
// CHECK-LABEL: func.func @step
// CHECK:       %[[R:.*]]:2 = call @loss_grad
// CHECK:       %[[GW:.*]] = tensor.extract_slice %[[R]]#1[0] [6] [1]
// CHECK:       %[[GWE:.*]] = tensor.expand_shape %[[GW]]
// CHECK:       %[[GB:.*]] = tensor.extract_slice %[[R]]#1[6] [3] [1]
// CHECK:       %[[GC:.*]] = tensor.extract_slice %[[R]]#1[9] [5] [1]
// CHECK:       return %[[R]]#0, %[[GWE]], %[[GB]], %[[GC]]
// Bufferized: one buffer of 14 floats, written in place but for the
// argument, the only copy.
// BUF-LABEL: func.func private @loss_grad
// BUF:         %[[ALLOC:.*]] = memref.alloc() {{.*}} : memref<14xf32>
// BUF-NOT:     memref.copy
// BUF:         memref.copy %arg2, %{{.*}} : memref<5xf32, {{.*}}> to memref<5xf32, strided<[1], offset: 9>>
// BUF-NOT:     memref.copy
// BUF:         return %{{.*}}, %[[ALLOC]]
#id = affine_map<(i, j) -> (i, j)>
#col = affine_map<(i, j) -> (j)>
// expected-remark @below {{the gradients of 3 parameters are one buffer; 2 of them are computed in place there}}
func.func private @loss_grad(%x: tensor<4x2xf32>, %dy: tensor<4x3xf32>, %c: tensor<5xf32>)
    -> (tensor<f32>, tensor<2x3xf32>, tensor<3xf32>, tensor<5xf32>)
    attributes {weft.gradients = [@w, @b, @c]} {
  %zero = arith.constant 0.0 : f32
  %loss = arith.constant dense<1.0> : tensor<f32>
  %e = tensor.empty() : tensor<3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<3xf32>) -> tensor<3xf32>
  %gb = linalg.generic {indexing_maps = [#id, #col], iterator_types = ["reduction", "parallel"]}
      ins(%dy : tensor<4x3xf32>) outs(%f : tensor<3xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %v, %acc : f32
    linalg.yield %s : f32
  } -> tensor<3xf32>
  %ew = tensor.empty() : tensor<2x3xf32>
  %fw = linalg.fill ins(%zero : f32) outs(%ew : tensor<2x3xf32>) -> tensor<2x3xf32>
  %xt = tensor.empty() : tensor<2x4xf32>
  %t = linalg.transpose ins(%x : tensor<4x2xf32>) outs(%xt : tensor<2x4xf32>) permutation = [1, 0]
  %gw = linalg.matmul ins(%t, %dy : tensor<2x4xf32>, tensor<4x3xf32>) outs(%fw : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %loss, %gw, %gb, %c : tensor<f32>, tensor<2x3xf32>, tensor<3xf32>, tensor<5xf32>
}
func.func @step(%x: tensor<4x2xf32>, %dy: tensor<4x3xf32>, %c: tensor<5xf32>)
    -> (tensor<f32>, tensor<2x3xf32>, tensor<3xf32>, tensor<5xf32>) {
  %r:4 = call @loss_grad(%x, %dy, %c) : (tensor<4x2xf32>, tensor<4x3xf32>, tensor<5xf32>) -> (tensor<f32>, tensor<2x3xf32>, tensor<3xf32>, tensor<5xf32>)
  return %r#0, %r#1, %r#2, %r#3 : tensor<f32>, tensor<2x3xf32>, tensor<3xf32>, tensor<5xf32>
}

// -----

// Interleaved: the first gradient's sum starts (%part) before the second
// gradient is made and ends after it. The second goes in first, and the
// first, whose chain started before that, is computed on its own and
// copied into its slice.
// CHECK-LABEL: func.func private @loss_grad
// CHECK:       %[[FLAT:.*]] = tensor.empty() : tensor<6xf32>
// CHECK:       %[[E:.*]] = tensor.empty() : tensor<3xf32>
// CHECK:       %[[PART:.*]] = linalg.generic {{.*}} outs(%[[E]] : tensor<3xf32>)
// CHECK:       %[[SECOND:.*]] = linalg.generic
// CHECK:       %[[FLAT1:.*]] = tensor.insert_slice %[[SECOND]] into %[[FLAT]][3] [3] [1]
// CHECK:       %[[FIRST:.*]] = linalg.generic {{.*}} outs(%[[PART]] : tensor<3xf32>)
// CHECK:       tensor.insert_slice %[[FIRST]] into %[[FLAT1]][0] [3] [1]
// BUF-LABEL: func.func private @loss_grad
// BUF-COUNT-1: memref.copy
// BUF-NOT:     memref.copy
// BUF:         return
#id1 = affine_map<(i) -> (i)>
// expected-remark @below {{the gradients of 2 parameters are one buffer; 1 of them are computed in place there}}
func.func private @loss_grad(%a: tensor<3xf32>, %b: tensor<3xf32>)
    -> (tensor<f32>, tensor<3xf32>, tensor<3xf32>)
    attributes {weft.gradients = [@p, @q]} {
  %loss = arith.constant dense<1.0> : tensor<f32>
  %e = tensor.empty() : tensor<3xf32>
  %part = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%a : tensor<3xf32>) outs(%e : tensor<3xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  } -> tensor<3xf32>
  %e2 = tensor.empty() : tensor<3xf32>
  %second = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%b : tensor<3xf32>) outs(%e2 : tensor<3xf32>) {
  ^bb0(%v: f32, %o: f32):
    %n = arith.negf %v : f32
    linalg.yield %n : f32
  } -> tensor<3xf32>
  %first = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%b : tensor<3xf32>) outs(%part : tensor<3xf32>) {
  ^bb0(%v: f32, %o: f32):
    %s = arith.addf %v, %o : f32
    linalg.yield %s : f32
  } -> tensor<3xf32>
  return %loss, %first, %second : tensor<f32>, tensor<3xf32>, tensor<3xf32>
}

// -----

// Nothing to do without weft.gradients, or with a dynamic gradient.
// CHECK-LABEL: func.func private @loss_grad
// CHECK-SAME:    -> (tensor<f32>, tensor<?xf32>)
// BUF-LABEL: func.func private @loss_grad
func.func private @loss_grad(%a: tensor<?xf32>) -> (tensor<f32>, tensor<?xf32>)
    attributes {weft.gradients = [@p]} {
  %loss = arith.constant dense<1.0> : tensor<f32>
  return %loss, %a : tensor<f32>, tensor<?xf32>
}
