// RUN: weft-opt %s --split-input-file --verify-diagnostics \
// RUN:   --pass-pipeline='builtin.module(func.func(weft-fuse-updates{remarks=true}))' \
// RUN:   | FileCheck %s
// Tests that the updates of parameters that follow one another in the
// parameter buffer, the gradients and the optimizer state become one loop:
// one linalg.generic over the concatenated slices, stored once per result.

// Three SGD updates, p - lr * g: w (2 x 3, elements 0-5) and b (3, 6-8)
// follow one another everywhere and become one loop over 9 elements; c's
// parameter comes after a gap (a running statistic at 9-11), so its update
// stays as it is. Three loops before, two after.
// CHECK-LABEL: func.func @sgd
// CHECK-SAME:    (%[[PARAMS:[^:]*]]: memref<?xf32>, %[[GRADS:[^:]*]]: tensor<20xf32>
// CHECK:       %[[PT:.*]] = bufferization.to_tensor %[[PARAMS]]
// CHECK:       %[[PC:.*]] = tensor.extract_slice %[[PT]][12] [5] [1]
// CHECK:       %[[GC:.*]] = tensor.extract_slice %[[GRADS]][9] [5] [1]
// CHECK-NOT:   linalg.generic
// CHECK:       %[[P:.*]] = tensor.extract_slice %[[PT]][0] [9] [1]
// CHECK:       %[[G:.*]] = tensor.extract_slice %[[GRADS]][0] [9] [1]
// CHECK:       %[[E:.*]] = tensor.empty() : tensor<9xf32>
// CHECK:       %[[DEST:.*]] = memref.subview %[[PARAMS]][0] [9] [1]
// CHECK:       %[[FUSED:.*]] = linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%[[P]], %[[G]] : tensor<9xf32>, tensor<9xf32>) outs(%[[E]] : tensor<9xf32>)
// CHECK:         arith.mulf
// CHECK:         arith.subf
// CHECK:       bufferization.materialize_in_destination %[[FUSED]] in restrict writable %[[DEST]]
// CHECK:       %[[C:.*]] = linalg.generic {{.*}} ins(%[[PC]], %[[GC]] : tensor<5xf32>, tensor<5xf32>)
// CHECK:       bufferization.materialize_in_destination %[[C]]
// CHECK-NOT:   linalg.generic
// CHECK:       return
#id1 = affine_map<(i) -> (i)>
#id2 = affine_map<(i, j) -> (i, j)>
func.func @sgd(%params: memref<?xf32>, %grads: tensor<20xf32>, %lr: f32) {
  %pt = bufferization.to_tensor %params restrict : memref<?xf32> to tensor<?xf32>
  %dw = memref.subview %params[0] [6] [1] : memref<?xf32> to memref<6xf32, strided<[1]>>
  %dwe = memref.expand_shape %dw [[0, 1]] output_shape [2, 3] : memref<6xf32, strided<[1]>> into memref<2x3xf32>
  %db = memref.subview %params[6] [3] [1] : memref<?xf32> to memref<3xf32, strided<[1], offset: 6>>
  %dc = memref.subview %params[12] [5] [1] : memref<?xf32> to memref<5xf32, strided<[1], offset: 12>>
  %pw = tensor.extract_slice %pt[0] [6] [1] : tensor<?xf32> to tensor<6xf32>
  %pwe = tensor.expand_shape %pw [[0, 1]] output_shape [2, 3] : tensor<6xf32> into tensor<2x3xf32>
  %gw = tensor.extract_slice %grads[0] [6] [1] : tensor<20xf32> to tensor<6xf32>
  %gwe = tensor.expand_shape %gw [[0, 1]] output_shape [2, 3] : tensor<6xf32> into tensor<2x3xf32>
  %pb = tensor.extract_slice %pt[6] [3] [1] : tensor<?xf32> to tensor<3xf32>
  %gb = tensor.extract_slice %grads[6] [3] [1] : tensor<20xf32> to tensor<3xf32>
  %pc = tensor.extract_slice %pt[12] [5] [1] : tensor<?xf32> to tensor<5xf32>
  %gc = tensor.extract_slice %grads[9] [5] [1] : tensor<20xf32> to tensor<5xf32>
  %ew = tensor.empty() : tensor<2x3xf32>
  // expected-remark @below {{fused the updates of 2 parameters into one loop over 9 elements}}
  %w = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%pwe, %gwe : tensor<2x3xf32>, tensor<2x3xf32>) outs(%ew : tensor<2x3xf32>) {
  ^bb0(%p: f32, %g: f32, %o: f32):
    %s = arith.mulf %g, %lr : f32
    %n = arith.subf %p, %s : f32
    linalg.yield %n : f32
  } -> tensor<2x3xf32>
  bufferization.materialize_in_destination %w in restrict writable %dwe : (tensor<2x3xf32>, memref<2x3xf32>) -> ()
  %eb = tensor.empty() : tensor<3xf32>
  %b = linalg.generic {indexing_maps = [#id1, #id1, #id1], iterator_types = ["parallel"]}
      ins(%pb, %gb : tensor<3xf32>, tensor<3xf32>) outs(%eb : tensor<3xf32>) {
  ^bb0(%p: f32, %g: f32, %o: f32):
    %s = arith.mulf %g, %lr : f32
    %n = arith.subf %p, %s : f32
    linalg.yield %n : f32
  } -> tensor<3xf32>
  bufferization.materialize_in_destination %b in restrict writable %db : (tensor<3xf32>, memref<3xf32, strided<[1], offset: 6>>) -> ()
  %ec = tensor.empty() : tensor<5xf32>
  %c = linalg.generic {indexing_maps = [#id1, #id1, #id1], iterator_types = ["parallel"]}
      ins(%pc, %gc : tensor<5xf32>, tensor<5xf32>) outs(%ec : tensor<5xf32>) {
  ^bb0(%p: f32, %g: f32, %o: f32):
    %s = arith.mulf %g, %lr : f32
    %n = arith.subf %p, %s : f32
    linalg.yield %n : f32
  } -> tensor<5xf32>
  bufferization.materialize_in_destination %c in restrict writable %dc : (tensor<5xf32>, memref<5xf32, strided<[1], offset: 12>>) -> ()
  return
}

// -----

// Updates that compute different things (a's doubles, b's negates) are not
// one loop, however their slices lie.
// CHECK-LABEL: func.func @different
// CHECK-COUNT-2: linalg.generic
#id1 = affine_map<(i) -> (i)>
func.func @different(%params: memref<?xf32>, %grads: tensor<6xf32>) {
  %pt = bufferization.to_tensor %params restrict : memref<?xf32> to tensor<?xf32>
  %da = memref.subview %params[0] [3] [1] : memref<?xf32> to memref<3xf32, strided<[1]>>
  %db = memref.subview %params[3] [3] [1] : memref<?xf32> to memref<3xf32, strided<[1], offset: 3>>
  %ga = tensor.extract_slice %grads[0] [3] [1] : tensor<6xf32> to tensor<3xf32>
  %gb = tensor.extract_slice %grads[3] [3] [1] : tensor<6xf32> to tensor<3xf32>
  %e = tensor.empty() : tensor<3xf32>
  %a = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%ga : tensor<3xf32>) outs(%e : tensor<3xf32>) {
  ^bb0(%g: f32, %o: f32):
    %d = arith.addf %g, %g : f32
    linalg.yield %d : f32
  } -> tensor<3xf32>
  bufferization.materialize_in_destination %a in restrict writable %da : (tensor<3xf32>, memref<3xf32, strided<[1]>>) -> ()
  %b = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%gb : tensor<3xf32>) outs(%e : tensor<3xf32>) {
  ^bb0(%g: f32, %o: f32):
    %n = arith.negf %g : f32
    linalg.yield %n : f32
  } -> tensor<3xf32>
  bufferization.materialize_in_destination %b in restrict writable %db : (tensor<3xf32>, memref<3xf32, strided<[1], offset: 3>>) -> ()
  return
}

// -----

// Something reads the parameters between the two stores: the first store
// cannot wait for the second, so nothing is fused.
// CHECK-LABEL: func.func @read_between
// CHECK-COUNT-2: linalg.generic
#id1 = affine_map<(i) -> (i)>
func.func @read_between(%params: memref<?xf32>, %grads: tensor<6xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %da = memref.subview %params[0] [3] [1] : memref<?xf32> to memref<3xf32, strided<[1]>>
  %db = memref.subview %params[3] [3] [1] : memref<?xf32> to memref<3xf32, strided<[1], offset: 3>>
  %ga = tensor.extract_slice %grads[0] [3] [1] : tensor<6xf32> to tensor<3xf32>
  %gb = tensor.extract_slice %grads[3] [3] [1] : tensor<6xf32> to tensor<3xf32>
  %e = tensor.empty() : tensor<3xf32>
  // expected-remark @below {{the updates of 2 parameters are not fused: something between their stores uses the buffers they write}}
  %a = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%ga : tensor<3xf32>) outs(%e : tensor<3xf32>) {
  ^bb0(%g: f32, %o: f32):
    %n = arith.negf %g : f32
    linalg.yield %n : f32
  } -> tensor<3xf32>
  bufferization.materialize_in_destination %a in restrict writable %da : (tensor<3xf32>, memref<3xf32, strided<[1]>>) -> ()
  %first = memref.load %params[%c0] : memref<?xf32>
  %b = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%gb : tensor<3xf32>) outs(%e : tensor<3xf32>) {
  ^bb0(%g: f32, %o: f32):
    %n = arith.negf %g : f32
    linalg.yield %n : f32
  } -> tensor<3xf32>
  bufferization.materialize_in_destination %b in restrict writable %db : (tensor<3xf32>, memref<3xf32, strided<[1], offset: 3>>) -> ()
  return %first : f32
}
