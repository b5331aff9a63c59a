// RUN: weft-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(weft-write-in-place))" | FileCheck %s
// RUN: weft-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(weft-write-in-place),one-shot-bufferize{bufferize-function-boundaries},cse,canonicalize)" | FileCheck %s --check-prefix=BUF

// An SGD step: the update reads the parameter's own range element by
// element and nothing reads it afterwards, so it writes into the buffer.
// CHECK-LABEL: func.func @update
// CHECK-SAME:    (%[[PARAMS:[^:]*]]: memref<?xf32>
// CHECK:         %[[VIEW:.*]] = memref.expand_shape
// CHECK:         %[[DEST:.*]] = bufferization.to_tensor %[[VIEW]] restrict writable
// CHECK:         %[[NEW:.*]] = linalg.generic {{.*}} outs(%[[DEST]] : tensor<2x4xf32>)
// CHECK:         bufferization.materialize_in_destination %[[NEW]] in writable %[[VIEW]]
// After bufferization the update writes into the parameters: no
// temporary, no copy.
// BUF-LABEL:   func.func @update
// BUF-NOT:       memref.alloc
// BUF:           linalg.generic {{.*}} outs(%{{.*}} : memref<2x4xf32, strided<[4, 1], offset: 8>>)
// BUF-NOT:       memref.copy
// BUF:           return
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @update(%params: memref<?xf32>, %grad: tensor<2x4xf32>) {
  %sub = memref.subview %params[8] [8] [1] : memref<?xf32> to memref<8xf32, strided<[1], offset: 8>>
  %view = memref.expand_shape %sub [[0, 1]] output_shape [2, 4] : memref<8xf32, strided<[1], offset: 8>> into memref<2x4xf32, strided<[4, 1], offset: 8>>
  %all = bufferization.to_tensor %params restrict : memref<?xf32> to tensor<?xf32>
  %flat = tensor.extract_slice %all[8] [8] [1] : tensor<?xf32> to tensor<8xf32>
  %p = tensor.expand_shape %flat [[0, 1]] output_shape [2, 4] : tensor<8xf32> into tensor<2x4xf32>
  // A reader of another parameter, after the update, is harmless.
  %other = tensor.extract_slice %all[0] [8] [1] : tensor<?xf32> to tensor<8xf32>
  %e = tensor.empty() : tensor<2x4xf32>
  %new = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%p, %grad : tensor<2x4xf32>, tensor<2x4xf32>) outs(%e : tensor<2x4xf32>) {
  ^bb0(%a: f32, %g: f32, %o: f32):
    %d = arith.subf %a, %g : f32
    linalg.yield %d : f32
  } -> tensor<2x4xf32>
  %c0 = arith.constant 0 : index
  %x = tensor.extract %other[%c0] : tensor<8xf32>
  bufferization.materialize_in_destination %new in restrict writable %view : (tensor<2x4xf32>, memref<2x4xf32, strided<[4, 1], offset: 8>>) -> ()
  return
}

// -----

// Something reads the old value after the update: the update keeps its
// own output.
// CHECK-LABEL: func.func @read_after
// CHECK:         %[[E:.*]] = tensor.empty
// CHECK:         linalg.generic {{.*}} outs(%[[E]] :
// CHECK:         bufferization.materialize_in_destination %{{.*}} in restrict writable
// CHECK-NOT:     bufferization.to_tensor {{.*}} writable
#id1 = affine_map<(d0) -> (d0)>
func.func @read_after(%params: memref<?xf32>, %grad: tensor<8xf32>) -> f32 {
  %view = memref.subview %params[0] [8] [1] : memref<?xf32> to memref<8xf32, strided<[1]>>
  %all = bufferization.to_tensor %params restrict : memref<?xf32> to tensor<?xf32>
  %p = tensor.extract_slice %all[0] [8] [1] : tensor<?xf32> to tensor<8xf32>
  %e = tensor.empty() : tensor<8xf32>
  %new = linalg.generic {indexing_maps = [#id1, #id1, #id1], iterator_types = ["parallel"]}
      ins(%p, %grad : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %g: f32, %o: f32):
    %d = arith.subf %a, %g : f32
    linalg.yield %d : f32
  } -> tensor<8xf32>
  %c3 = arith.constant 3 : index
  %old = tensor.extract %p[%c3] : tensor<8xf32>
  bufferization.materialize_in_destination %new in restrict writable %view : (tensor<8xf32>, memref<8xf32, strided<[1]>>) -> ()
  return %old : f32
}

// -----

// The update reads a neighbouring, overlapping range (shifted by one): an
// element it reads may already have been overwritten, so it stays apart.
// CHECK-LABEL: func.func @shifted_read
// CHECK:         %[[E:.*]] = tensor.empty
// CHECK:         linalg.generic {{.*}} outs(%[[E]] :
// CHECK-NOT:     bufferization.to_tensor {{.*}} writable
#id2 = affine_map<(d0) -> (d0)>
func.func @shifted_read(%params: memref<?xf32>, %grad: tensor<8xf32>) {
  %view = memref.subview %params[0] [8] [1] : memref<?xf32> to memref<8xf32, strided<[1]>>
  %all = bufferization.to_tensor %params restrict : memref<?xf32> to tensor<?xf32>
  %p = tensor.extract_slice %all[1] [8] [1] : tensor<?xf32> to tensor<8xf32>
  %e = tensor.empty() : tensor<8xf32>
  %new = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel"]}
      ins(%p, %grad : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %g: f32, %o: f32):
    %d = arith.subf %a, %g : f32
    linalg.yield %d : f32
  } -> tensor<8xf32>
  bufferization.materialize_in_destination %new in restrict writable %view : (tensor<8xf32>, memref<8xf32, strided<[1]>>) -> ()
  return
}

// -----

// The update reads its range transposed: element (i, j) is read where
// (j, i) is written, so it stays apart.
// CHECK-LABEL: func.func @transposed_read
// CHECK:         %[[E:.*]] = tensor.empty
// CHECK:         linalg.generic {{.*}} outs(%[[E]] :
// CHECK-NOT:     bufferization.to_tensor {{.*}} writable
#id3 = affine_map<(d0, d1) -> (d0, d1)>
#tr3 = affine_map<(d0, d1) -> (d1, d0)>
func.func @transposed_read(%params: memref<?xf32>) {
  %sub = memref.subview %params[0] [4] [1] : memref<?xf32> to memref<4xf32, strided<[1]>>
  %view = memref.expand_shape %sub [[0, 1]] output_shape [2, 2] : memref<4xf32, strided<[1]>> into memref<2x2xf32>
  %all = bufferization.to_tensor %params restrict : memref<?xf32> to tensor<?xf32>
  %flat = tensor.extract_slice %all[0] [4] [1] : tensor<?xf32> to tensor<4xf32>
  %p = tensor.expand_shape %flat [[0, 1]] output_shape [2, 2] : tensor<4xf32> into tensor<2x2xf32>
  %e = tensor.empty() : tensor<2x2xf32>
  %new = linalg.generic {indexing_maps = [#tr3, #id3], iterator_types = ["parallel", "parallel"]}
      ins(%p : tensor<2x2xf32>) outs(%e : tensor<2x2xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<2x2xf32>
  bufferization.materialize_in_destination %new in restrict writable %view : (tensor<2x2xf32>, memref<2x2xf32>) -> ()
  return
}

// -----

// A call reads the whole buffer after the update: it stays apart.
// CHECK-LABEL: func.func @call_after
// CHECK:         %[[E:.*]] = tensor.empty
// CHECK:         linalg.generic {{.*}} outs(%[[E]] :
// CHECK-NOT:     bufferization.to_tensor {{.*}} writable
#id4 = affine_map<(d0) -> (d0)>
func.func private @reads(memref<?xf32>)
func.func @call_after(%params: memref<?xf32>, %grad: tensor<8xf32>) {
  %view = memref.subview %params[0] [8] [1] : memref<?xf32> to memref<8xf32, strided<[1]>>
  %e = tensor.empty() : tensor<8xf32>
  %new = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel"]}
      ins(%grad : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%g: f32, %o: f32):
    linalg.yield %g : f32
  } -> tensor<8xf32>
  call @reads(%params) : (memref<?xf32>) -> ()
  bufferization.materialize_in_destination %new in restrict writable %view : (tensor<8xf32>, memref<8xf32, strided<[1]>>) -> ()
  return
}

// -----

// Slices taken before the update (a wide one, and a slice of it), read
// after it: the old value is still needed, so the update stays apart.
// CHECK-LABEL: func.func @slice_of_slice_after
// CHECK:         %[[E:.*]] = tensor.empty
// CHECK:         linalg.generic {{.*}} outs(%[[E]] :
// CHECK-NOT:     bufferization.to_tensor {{.*}} writable
#id5 = affine_map<(d0) -> (d0)>
func.func @slice_of_slice_after(%params: memref<?xf32>, %grad: tensor<8xf32>) -> f32 {
  %view = memref.subview %params[0] [8] [1] : memref<?xf32> to memref<8xf32, strided<[1]>>
  %all = bufferization.to_tensor %params restrict : memref<?xf32> to tensor<?xf32>
  %wide = tensor.extract_slice %all[0] [16] [1] : tensor<?xf32> to tensor<16xf32>
  %part = tensor.extract_slice %wide[2] [4] [1] : tensor<16xf32> to tensor<4xf32>
  %p = tensor.extract_slice %all[0] [8] [1] : tensor<?xf32> to tensor<8xf32>
  %e = tensor.empty() : tensor<8xf32>
  %new = linalg.generic {indexing_maps = [#id5, #id5, #id5], iterator_types = ["parallel"]}
      ins(%p, %grad : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %g: f32, %o: f32):
    %d = arith.subf %a, %g : f32
    linalg.yield %d : f32
  } -> tensor<8xf32>
  %c0 = arith.constant 0 : index
  %old = tensor.extract %part[%c0] : tensor<4xf32>
  bufferization.materialize_in_destination %new in restrict writable %view : (tensor<8xf32>, memref<8xf32, strided<[1]>>) -> ()
  return %old : f32
}
