// RUN: weft-opt %s --weft-lower-alloca-scopes | FileCheck %s

// A parallel loop's body, as scf-to-openmp wraps it: its stack buffer is
// freed at the end of each iteration. The scope becomes its body between a
// saved and a restored stack pointer, so that the loop inside it can later
// become blocks; a nested scope, and a scope's result, are taken too.
// CHECK-LABEL: func.func @iteration
// CHECK:         scf.for
// CHECK-NEXT:      %[[OUTER:.*]] = llvm.intr.stacksave : !llvm.ptr
// CHECK-NEXT:      %[[TILE:.*]] = memref.alloca() {alignment = 64 : i64} : memref<16xf32>
// CHECK-NEXT:      scf.for
// CHECK:           %[[INNER:.*]] = llvm.intr.stacksave : !llvm.ptr
// CHECK-NEXT:      %[[SCALAR:.*]] = memref.alloca() : memref<f32>
// CHECK-NEXT:      memref.store %{{.*}}, %[[SCALAR]][]
// CHECK-NEXT:      %[[VALUE:.*]] = memref.load %[[SCALAR]][]
// CHECK-NEXT:      llvm.intr.stackrestore %[[INNER]] : !llvm.ptr
// CHECK-NEXT:      memref.store %[[VALUE]], %[[TILE]]
// CHECK-NEXT:      llvm.intr.stackrestore %[[OUTER]] : !llvm.ptr
// CHECK-NOT:     memref.alloca_scope
func.func @iteration(%n: index, %x: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  scf.for %i = %c0 to %n step %c1 {
    memref.alloca_scope {
      %tile = memref.alloca() {alignment = 64 : i64} : memref<16xf32>
      scf.for %j = %c0 to %c16 step %c1 {
        memref.store %x, %tile[%j] : memref<16xf32>
      }
      %v = memref.alloca_scope -> (f32) {
        %s = memref.alloca() : memref<f32>
        memref.store %x, %s[] : memref<f32>
        %loaded = memref.load %s[] : memref<f32>
        memref.alloca_scope.return %loaded : f32
      }
      memref.store %v, %tile[%c0] : memref<16xf32>
    }
  }
  return
}
