// RUN: weft-opt %s --weft-copies-to-linalg | FileCheck %s

// Tests that a copy into a strided view (what a strided insert_slice
// bufferizes to) becomes linalg.copy, which lowers to loops instead of a
// call to MLIR's runtime memrefCopy.
// CHECK-LABEL: func.func @spread(
// CHECK-SAME:    %[[SRC:.*]]: memref<2x3xf32>, %[[DST:.*]]: memref<5x5xf32>)
// CHECK:       %[[VIEW:.*]] = memref.subview %[[DST]]
// CHECK-NOT:   memref.copy
// CHECK:       linalg.copy ins(%[[SRC]] : memref<2x3xf32>) outs(%[[VIEW]] : memref<2x3xf32, strided<[10, 2]>>)
func.func @spread(%src: memref<2x3xf32>, %dst: memref<5x5xf32>) {
  %view = memref.subview %dst[0, 0] [2, 3] [2, 2] : memref<5x5xf32> to memref<2x3xf32, strided<[10, 2]>>
  memref.copy %src, %view : memref<2x3xf32> to memref<2x3xf32, strided<[10, 2]>>
  return
}

// A copy of a row onto itself, through a collapse and the expand back (what
// a vector write into a reshaped view leaves once bufferized), is erased.
// CHECK-LABEL: func.func @onto_itself(
// CHECK-NOT:   memref.copy
// CHECK-NOT:   linalg.copy
// CHECK:       return
func.func @onto_itself(%row: memref<1x1x1x14xf32, strided<[1176, 196, 14, 1], offset: ?>>, %v: vector<14xf32>) {
  %c0 = arith.constant 0 : index
  %flat = memref.collapse_shape %row [[0, 1, 2, 3]] : memref<1x1x1x14xf32, strided<[1176, 196, 14, 1], offset: ?>> into memref<14xf32, strided<[1], offset: ?>>
  vector.transfer_write %v, %flat[%c0] {in_bounds = [true]} : vector<14xf32>, memref<14xf32, strided<[1], offset: ?>>
  %back = memref.expand_shape %flat [[0, 1, 2, 3]] output_shape [1, 1, 1, 14] : memref<14xf32, strided<[1], offset: ?>> into memref<1x1x1x14xf32, strided<[14, 14, 14, 1], offset: ?>>
  memref.copy %back, %row : memref<1x1x1x14xf32, strided<[14, 14, 14, 1], offset: ?>> to memref<1x1x1x14xf32, strided<[1176, 196, 14, 1], offset: ?>>
  return
}

// Reshaped to another shape, the copy moves elements: it stays.
// CHECK-LABEL: func.func @reshaped_elsewhere(
// CHECK:       linalg.copy
func.func @reshaped_elsewhere(%m: memref<2x6xf32>, %n: memref<3x4xf32>) {
  %flat = memref.collapse_shape %m [[0, 1]] : memref<2x6xf32> into memref<12xf32>
  %back = memref.expand_shape %flat [[0, 1]] output_shape [3, 4] : memref<12xf32> into memref<3x4xf32>
  memref.copy %back, %n : memref<3x4xf32> to memref<3x4xf32>
  return
}
