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
