// RUN: weft-opt %s -allow-unregistered-dialect --split-input-file --weft-carry-scalars | FileCheck %s

// The clip-norm's shape: two squared sums from kernels, added on the host
// after each, and the factor passed to the update kernel. Each value that
// crosses a launch goes through a rank-0 buffer of its own, stored where
// it is computed and loaded where it is used; the branch stores its factor
// instead of yielding it, and the update kernel loads it. The maximum
// norm, a hyperparameter from the entry point's argument, stays a value.
// CHECK-LABEL: func.func @clip
// CHECK-SAME:    (%[[HYPER:.*]]: memref<?xf32>, %[[G:.*]]: memref<4xf32>)
// CHECK:         %[[PARTIAL:.*]] = memref.alloc() : memref<f32>
// CHECK-NEXT:    %[[FACTOR:.*]] = memref.alloc() : memref<f32>
// CHECK:         %[[MAX:.*]] = memref.load %[[HYPER]]
// CHECK:         scf.if %{{.*}} {
// CHECK:           gpu.launch
// CHECK:           %[[A:.*]] = memref.load %[[SUM1:.*]][]
// CHECK-NEXT:      %[[A0:.*]] = arith.addf %[[A]]
// CHECK-NEXT:      memref.store %[[A0]], %[[PARTIAL]][]
// CHECK:           gpu.launch
// CHECK:           %[[B:.*]] = memref.load %[[SUM2:.*]][]
// CHECK-NEXT:      %[[A1:.*]] = memref.load %[[PARTIAL]][]
// CHECK-NEXT:      %[[S:.*]] = arith.addf %[[A1]], %[[B]]
// CHECK-NEXT:      %[[R:.*]] = math.sqrt %[[S]]
// CHECK-NEXT:      %[[Q:.*]] = arith.divf %[[MAX]], %[[R]]
// CHECK-NEXT:      memref.store %[[Q]], %[[FACTOR]][]
// CHECK-NEXT:    } else {
// CHECK-NEXT:      memref.store %{{.*}}, %[[FACTOR]][]
// CHECK-NEXT:    }
// CHECK:         gpu.launch
// CHECK-NEXT:      %[[F:.*]] = memref.load %[[FACTOR]][]
// CHECK-NEXT:      "test.update"(%[[G]], %[[F]])
// CHECK:         memref.dealloc %[[FACTOR]]
// CHECK-NEXT:    memref.dealloc %[[PARTIAL]]
// CHECK-NEXT:    return
func.func @clip(%hyper: memref<?xf32>, %g: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %sum1 = memref.alloc() : memref<f32>
  %sum2 = memref.alloc() : memref<f32>
  %max = memref.load %hyper[%c0] : memref<?xf32>
  %on = arith.cmpf ogt, %max, %zero : f32
  %factor = scf.if %on -> f32 {
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
               threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
      "test.sum"(%g, %sum1) : (memref<4xf32>, memref<f32>) -> ()
      gpu.terminator
    }
    %a = memref.load %sum1[] : memref<f32>
    %a0 = arith.addf %a, %zero : f32
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
               threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
      "test.sum"(%g, %sum2) : (memref<4xf32>, memref<f32>) -> ()
      gpu.terminator
    }
    %b = memref.load %sum2[] : memref<f32>
    %s = arith.addf %a0, %b : f32
    %r = math.sqrt %s : f32
    %q = arith.divf %max, %r : f32
    scf.yield %q : f32
  } else {
    scf.yield %one : f32
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    "test.update"(%g, %factor) : (memref<4xf32>, f32) -> ()
    gpu.terminator
  }
  memref.dealloc %sum1 : memref<f32>
  memref.dealloc %sum2 : memref<f32>
  return
}

// -----

// A value the host needs itself (here a loop's bound) stays a value: its
// load and wait stay, so carrying its other uses would gain nothing.
// CHECK-LABEL: func.func @host_needs
// CHECK:         memref.alloc() : memref<index>
// CHECK-NOT:     memref.alloc
// CHECK:         %[[N:.*]] = memref.load
// CHECK:         scf.for %{{.*}} = %{{.*}} to %[[N]]
// CHECK:         gpu.launch
// CHECK-NEXT:      "test.use"(%[[N]])
func.func @host_needs(%g: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %count = memref.alloc() : memref<index>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    "test.count"(%g, %count) : (memref<4xf32>, memref<index>) -> ()
    gpu.terminator
  }
  %n = memref.load %count[] : memref<index>
  scf.for %i = %c0 to %n step %c1 {
    "test.step"(%i) : (index) -> ()
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    "test.use"(%n) : (index) -> ()
    gpu.terminator
  }
  memref.dealloc %count : memref<index>
  return
}
