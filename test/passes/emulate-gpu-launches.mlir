// RUN: weft-opt %s --split-input-file --verify-diagnostics --weft-emulate-gpu-launches | FileCheck %s

// A launch becomes loops over its grid and block sizes, blocks outside
// threads, z outermost; the body's indices and sizes are the loops'.
// CHECK-LABEL: func.func @scale
// CHECK-SAME:    (%[[X:.*]]: memref<?xf32>, %[[BLOCKS:.*]]: index)
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG:     %[[C64:.*]] = arith.constant 64 : index
// CHECK:         scf.for %{{.*}} = %[[C0]] to %[[C1]] step %[[C1]]
// CHECK:           scf.for %{{.*}} = %[[C0]] to %[[C1]] step %[[C1]]
// CHECK:             scf.for %[[BX:.*]] = %[[C0]] to %[[BLOCKS]] step %[[C1]]
// CHECK:               scf.for %{{.*}} = %[[C0]] to %[[C1]] step %[[C1]]
// CHECK:                 scf.for %{{.*}} = %[[C0]] to %[[C1]] step %[[C1]]
// CHECK:                   scf.for %[[TX:.*]] = %[[C0]] to %[[C64]] step %[[C1]]
// CHECK:                     %[[FIRST:.*]] = arith.muli %[[BX]], %[[C64]] : index
// CHECK:                     %[[ID:.*]] = arith.addi %[[FIRST]], %[[TX]] : index
// CHECK:                     memref.store %{{.*}}, %[[X]][%[[ID]]]
// CHECK-NOT:     gpu.launch
func.func @scale(%x: memref<?xf32>, %blocks: index) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %f = arith.constant 2.0 : f32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %blocks, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %first = arith.muli %bx, %sx : index
    %id = arith.addi %first, %tx : index
    memref.store %f, %x[%id] : memref<?xf32>
    gpu.terminator
  }
  return
}

// -----

// Threads that wait for each other cannot run one after another.
func.func @barrier(%x: memref<64xf32>) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  // expected-error @+1 {{with barriers has no CPU emulation}}
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    gpu.barrier
    gpu.terminator
  }
  return
}
