// RUN: weft-opt %s --split-input-file --weft-loops-to-gpu=block-size=128 | FileCheck %s

// A 2-D parallel loop becomes one launch of one thread per iteration, in
// blocks of 128: the thread number is split into the loop's indices, the
// last dimension fastest, and threads past the last iteration do nothing.
// Trip counts fold where the bounds are constants, so that the thread
// number is divided by a constant (10), not by a computed value. The
// sequential reduction inside stays in each thread, its sum in a register
// (loaded before the loop, stored after it).
// CHECK-LABEL: func.func @matvec
// CHECK:         %[[C10:.*]] = arith.constant 10 : index
// CHECK:         %[[ROWS:.*]] = memref.dim
// CHECK:         %[[TOTAL:.*]] = arith.muli %[[ROWS]], %[[C10]] : index
// CHECK:         %[[C128:.*]] = arith.constant 128 : index
// CHECK:         %[[BLOCKS:.*]] = arith.ceildivsi %[[TOTAL]], %[[C128]] : index
// CHECK:         %[[GRID:.*]] = arith.maxsi %[[BLOCKS]], %{{.*}} : index
// CHECK:         gpu.launch blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[GRID]], %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C128]],
// CHECK:           %[[FIRST:.*]] = arith.muli %[[BX]], %[[C128]] : index
// CHECK:           %[[ID:.*]] = arith.addi %[[FIRST]], %[[TX]] : index
// CHECK:           %[[IN:.*]] = arith.cmpi slt, %[[ID]], %[[TOTAL]] : index
// CHECK:           scf.if %[[IN]] {
// CHECK-NEXT:        %[[J:.*]] = arith.remsi %[[ID]], %[[C10]] : index
// CHECK-NEXT:        %[[I:.*]] = arith.divsi %[[ID]], %[[C10]] : index
// CHECK-NEXT:        %[[ACC0:.*]] = memref.load %{{.*}}[%[[I]], %[[J]]] : memref<?x10xf32>
// CHECK:             %[[SUM:.*]] = scf.for %[[K:[^ ]*]] = {{.*}} iter_args(%{{.*}} = %[[ACC0]]) -> (f32)
// CHECK:               memref.load %{{.*}}[%[[I]], %[[K]]] : memref<?x4xf32>
// CHECK-NOT:           memref.store
// CHECK:             }
// CHECK-NEXT:        memref.store %[[SUM]], %{{.*}}[%[[I]], %[[J]]] : memref<?x10xf32>
// CHECK:           }
// CHECK:           gpu.terminator
// CHECK-NOT:     scf.parallel
func.func @matvec(%a: memref<?x4xf32>, %w: memref<10x4xf32>, %out: memref<?x10xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c10 = arith.constant 10 : index
  %n = memref.dim %a, %c0 : memref<?x4xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c10) step (%c1, %c1) {
    scf.for %k = %c0 to %c4 step %c1 {
      %x = memref.load %a[%i, %k] : memref<?x4xf32>
      %y = memref.load %w[%j, %k] : memref<10x4xf32>
      %acc = memref.load %out[%i, %j] : memref<?x10xf32>
      %p = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %p : f32
      memref.store %s, %out[%i, %j] : memref<?x10xf32>
    }
    scf.reduce
  }
  return
}

// -----

// A full reduction (a sequential loop nest that touches memory) runs in a
// launch of one thread; scalar code and a loop without memory stay on the
// host, and so does a branch around them. The thread keeps the sum in a
// register: one load before the loop and one store after it, both inside
// the launch.
// CHECK-LABEL: func.func @sum
// CHECK:         scf.if
// CHECK:           %[[ONE:.*]] = arith.constant 1 : index
// CHECK:           gpu.launch blocks({{.*}}) in ({{.*}} = %[[ONE]], {{.*}} = %[[ONE]], {{.*}} = %[[ONE]]) threads({{.*}}) in ({{.*}} = %[[ONE]], {{.*}} = %[[ONE]], {{.*}} = %[[ONE]])
// CHECK-NEXT:        %[[A0:.*]] = memref.load %{{.*}}[] : memref<f32>
// CHECK-NEXT:        %[[S:.*]] = scf.for {{.*}} iter_args(%[[A:.*]] = %[[A0]]) -> (f32)
// CHECK-NEXT:          %[[V:.*]] = memref.load %{{.*}}[%{{.*}}] : memref<64xf32>
// CHECK-NEXT:          %[[N:.*]] = arith.addf %[[A]], %[[V]] : f32
// CHECK-NEXT:          scf.yield %[[N]] : f32
// CHECK:             memref.store %[[S]], %{{.*}}[] : memref<f32>
// CHECK-NEXT:        gpu.terminator
// CHECK:         %[[R:.*]] = scf.for {{.*}} iter_args
// CHECK-NOT:     gpu.launch
// CHECK:         return
func.func @sum(%x: memref<64xf32>, %acc: memref<f32>, %go: i1, %n: index) -> index {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.if %go {
    scf.for %i = %c0 to %c64 step %c1 {
      %v = memref.load %x[%i] : memref<64xf32>
      %a = memref.load %acc[] : memref<f32>
      %s = arith.addf %a, %v : f32
      memref.store %s, %acc[] : memref<f32>
    }
  }
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%t = %c0) -> index {
    %u = arith.addi %t, %i : index
    scf.yield %u : index
  }
  return %r : index
}

// -----

// Several threads summing into one element (weft-spread-reductions made a
// bias gradient's batch dimension parallel): each thread sums its row in a
// register from zero and adds it to the element atomically; the
// elementwise output each thread writes alone stays a plain store.
// CHECK-LABEL: func.func @shared_sum
// CHECK:         gpu.launch
// CHECK:           %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:           %[[S:.*]] = scf.for {{.*}} iter_args(%[[A:.*]] = %[[ZERO]]) -> (f32)
// CHECK:             memref.store %{{.*}}, %{{.*}} : memref<?x8x16xf32>
// CHECK:             arith.addf %[[A]]
// CHECK:           memref.atomic_rmw addf %[[S]], %{{.*}}[%{{.*}}] : (f32, memref<8xf32>) -> f32
// CHECK-NOT:       memref.store {{.*}} memref<8xf32>
// CHECK:           gpu.terminator
func.func @shared_sum(%dy: memref<?x8x16xf32>, %dx: memref<?x8x16xf32>, %db: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %dy, %c0 : memref<?x8x16xf32>
  scf.parallel (%b, %c) = (%c0, %c0) to (%n, %c8) step (%c1, %c1) {
    scf.for %i = %c0 to %c16 step %c1 {
      %g = memref.load %dy[%b, %c, %i] : memref<?x8x16xf32>
      %r = arith.maximumf %g, %zero : f32
      memref.store %r, %dx[%b, %c, %i] : memref<?x8x16xf32>
      %acc = memref.load %db[%c] : memref<8xf32>
      %s = arith.addf %acc, %r : f32
      memref.store %s, %db[%c] : memref<8xf32>
    }
    scf.reduce
  }
  return
}

// -----

// Without a loop, the addition itself becomes atomic.
// CHECK-LABEL: func.func @shared_sum_of_one
// CHECK:         gpu.launch
// CHECK:           %[[V:.*]] = memref.load %{{.*}} : memref<?x8xf32>
// CHECK-NEXT:      memref.atomic_rmw addf %[[V]], %{{.*}}[%{{.*}}] : (f32, memref<8xf32>) -> f32
// CHECK-NOT:       memref.store
func.func @shared_sum_of_one(%dy: memref<?x8xf32>, %db: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %n = memref.dim %dy, %c0 : memref<?x8xf32>
  scf.parallel (%b, %c) = (%c0, %c0) to (%n, %c8) step (%c1, %c1) {
    %g = memref.load %dy[%b, %c] : memref<?x8xf32>
    %acc = memref.load %db[%c] : memref<8xf32>
    %s = arith.addf %acc, %g : f32
    memref.store %s, %db[%c] : memref<8xf32>
    scf.reduce
  }
  return
}

// -----

// A thread's outputs (weft-register-tiles: a parallel loop of 2 inside the
// reduction) are unrolled: both sums are carried in registers, loaded
// before the loop and stored after it, and the element of %a both copies
// read is loaded once.
// CHECK-LABEL: func.func @two_outputs
// CHECK:         gpu.launch
// CHECK-COUNT-2:   memref.load %{{.*}} : memref<?x2xf32>
// CHECK:           scf.for {{.*}} -> (f32, f32)
// CHECK-COUNT-1:     memref.load %{{.*}} : memref<?x4xf32>
// CHECK-NOT:         memref.load %{{.*}} : memref<?x4xf32>
// CHECK-COUNT-2:     memref.load %{{.*}} : memref<2x4xf32>
// CHECK-NOT:         memref.store
// CHECK:             scf.yield {{.*}} : f32, f32
// CHECK-COUNT-2:   memref.store %{{.*}} : memref<?x2xf32>
// CHECK-NOT:       scf.parallel
// CHECK:           gpu.terminator
func.func @two_outputs(%a: memref<?x4xf32>, %w: memref<2x4xf32>, %out: memref<?x2xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %n = memref.dim %a, %c0 : memref<?x4xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    scf.for %k = %c0 to %c4 step %c1 {
      scf.parallel (%j) = (%c0) to (%c2) step (%c1) {
        %x = memref.load %a[%i, %k] : memref<?x4xf32>
        %y = memref.load %w[%j, %k] : memref<2x4xf32>
        %acc = memref.load %out[%i, %j] : memref<?x2xf32>
        %p = arith.mulf %x, %y : f32
        %s = arith.addf %acc, %p : f32
        memref.store %s, %out[%i, %j] : memref<?x2xf32>
        scf.reduce
      }
    }
    scf.reduce
  }
  return
}

// -----

// Unrolled copies that add to the same element cannot keep it in a
// register each: it stays in memory, read and written in order.
// CHECK-LABEL: func.func @copies_share_an_element
// CHECK:         gpu.launch
// CHECK:           scf.for
// CHECK-NOT:         iter_args
// CHECK:             memref.load %{{.*}} : memref<?xf32>
// CHECK:             memref.store %{{.*}} : memref<?xf32>
// CHECK:             memref.load %{{.*}} : memref<?xf32>
// CHECK:             memref.store %{{.*}} : memref<?xf32>
func.func @copies_share_an_element(%a: memref<?x2x4xf32>, %out: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %n = memref.dim %a, %c0 : memref<?x2x4xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    scf.for %k = %c0 to %c4 step %c1 {
      scf.parallel (%j) = (%c0) to (%c2) step (%c1) {
        %x = memref.load %a[%i, %j, %k] : memref<?x2x4xf32>
        %acc = memref.load %out[%i] : memref<?xf32>
        %s = arith.addf %acc, %x : f32
        memref.store %s, %out[%i] : memref<?xf32>
        scf.reduce
      }
    }
    scf.reduce
  }
  return
}

// -----

// Nested parallel loops of more than 16 iterations, or of a bound known
// only at run time, are not unrolled: each thread runs them in order.
// CHECK-LABEL: func.func @long_inner_loops
// CHECK:         gpu.launch
// CHECK:           scf.parallel {{.*}} to (%{{.*}}) step
// CHECK:           scf.parallel {{.*}} to (%{{.*}}) step
func.func @long_inner_loops(%a: memref<?x32xf32>, %b: memref<?x?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %a, %c0 : memref<?x32xf32>
  %m = memref.dim %b, %c1 : memref<?x?xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    scf.parallel (%j) = (%c0) to (%c32) step (%c1) {
      memref.store %zero, %a[%i, %j] : memref<?x32xf32>
      scf.reduce
    }
    scf.parallel (%j) = (%c0) to (%m) step (%c1) {
      memref.store %zero, %b[%i, %j] : memref<?x?xf32>
      scf.reduce
    }
    scf.reduce
  }
  return
}
