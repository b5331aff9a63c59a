// RUN: weft-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(weft-free-after-last-use))" | FileCheck %s
// RUN: weft-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(weft-free-after-last-use),weft-kernel-stats{batch=4})" 2>&1 | FileCheck %s --check-prefix=ARENA

// Ownership-based deallocation frees at the end of the block. Each free
// moves to just after the last use of its buffer, through views and loops.
// CHECK-LABEL: func.func @sequence
// CHECK:         %[[A:.*]] = memref.alloc
// CHECK-NEXT:    linalg.fill {{.*}} outs(%[[A]]
// CHECK-NEXT:    %[[V:.*]] = memref.subview %[[A]]
// CHECK-NEXT:    memref.copy %[[V]], %[[OUT:.*]] :
// CHECK-NEXT:    memref.dealloc %[[A]]
// CHECK-NEXT:    %[[B:.*]] = memref.alloc
// CHECK-NEXT:    scf.for
// CHECK:           memref.copy %[[B]], %[[OUT]]
// CHECK:         }
// CHECK-NEXT:    memref.dealloc %[[B]]
// CHECK-NEXT:    %[[C:.*]] = memref.alloc
// CHECK-NEXT:    memref.dealloc %[[C]]
// CHECK-NEXT:    return
// Three 64-byte buffers, one live at a time, where all three were.
// ARENA: at batch 4: {{.*}} 192 bytes of temporaries, at most 64 live
func.func @sequence(%out: memref<4x4xf32>, %n: index) {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %a = memref.alloc() : memref<4x4xf32>
  linalg.fill ins(%zero : f32) outs(%a : memref<4x4xf32>)
  %view = memref.subview %a[0, 0] [4, 4] [1, 1] : memref<4x4xf32> to memref<4x4xf32, strided<[4, 1]>>
  memref.copy %view, %out : memref<4x4xf32, strided<[4, 1]>> to memref<4x4xf32>
  %b = memref.alloc() : memref<4x4xf32>
  scf.for %i = %c0 to %n step %c1 {
    memref.copy %b, %out : memref<4x4xf32> to memref<4x4xf32>
  }
  %c = memref.alloc() : memref<4x4xf32>
  memref.dealloc %a : memref<4x4xf32>
  memref.dealloc %b : memref<4x4xf32>
  memref.dealloc %c : memref<4x4xf32>
  return
}

// -----

// A buffer passed to a call may come back through its results: it lives as
// long as they do.
// CHECK-LABEL: func.func @through_call
// CHECK:         %[[A:.*]] = memref.alloc
// CHECK:         %[[R:.*]] = call @identity(%[[A]])
// CHECK-NEXT:    memref.copy %[[R]]
// CHECK-NEXT:    memref.dealloc %[[A]]
// CHECK-NEXT:    return
func.func private @identity(memref<4xf32>) -> memref<4xf32>
func.func @through_call(%out: memref<4xf32>) {
  %a = memref.alloc() : memref<4xf32>
  %r = call @identity(%a) : (memref<4xf32>) -> memref<4xf32>
  memref.copy %r, %out : memref<4xf32> to memref<4xf32>
  memref.dealloc %a : memref<4xf32>
  return
}

// -----

// A free in another block than the allocation (ownership known only at run
// time) stays where deallocation put it.
// CHECK-LABEL: func.func @conditional
// CHECK:         %[[A:.*]] = memref.alloc
// CHECK-NEXT:    memref.copy
// CHECK-NEXT:    scf.if
// CHECK-NEXT:      memref.dealloc %[[A]]
func.func @conditional(%out: memref<4xf32>, %owned: i1) {
  %a = memref.alloc() : memref<4xf32>
  memref.copy %a, %out : memref<4xf32> to memref<4xf32>
  scf.if %owned {
    memref.dealloc %a : memref<4xf32>
  }
  return
}
