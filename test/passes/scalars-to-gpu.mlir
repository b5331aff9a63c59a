// RUN: weft-opt %s -allow-unregistered-dialect --split-input-file --weft-scalars-to-gpu | FileCheck %s

// The loss's mean as bufferization leaves it on the host: the sum's start
// (a rank-0 fill), then the sum read back, divided by the batch and stored.
// The start and the division run in kernels of one thread, each queued
// where it was, so the loop nest between them still sees the start; the
// batch's size, which reads no buffer, stays on the host and reaches the
// kernel as a value, as does the gradient's seed that the host goes on to
// use.
// CHECK-LABEL: func.func @loss_mean
// CHECK-SAME:    (%[[LOSS:.*]]: memref<f32>, %[[LOSSES:.*]]: memref<?xf32>, %[[MEAN:.*]]: memref<f32>)
// CHECK:         %[[ZERO:.*]] = arith.constant 0.0
// CHECK:         %[[SUM:.*]] = memref.alloc() : memref<f32>
// CHECK:         gpu.launch blocks({{.*}}) in ({{.*}} = %[[ONE:[^,]*]], {{.*}} = %[[ONE]], {{.*}} = %[[ONE]]) threads({{.*}}) in ({{.*}} = %[[ONE]], {{.*}} = %[[ONE]], {{.*}} = %[[ONE]])
// CHECK-NEXT:      memref.store %[[ZERO]], %[[SUM]][] : memref<f32>
// CHECK-NEXT:      gpu.terminator
// CHECK:         gpu.launch blocks
// CHECK:           scf.for
// CHECK:         %[[BATCH:.*]] = arith.sitofp
// CHECK:         gpu.launch blocks
// CHECK-NEXT:      %[[TOTAL:.*]] = memref.load %[[SUM]][] : memref<f32>
// CHECK-NEXT:      %[[Q:.*]] = arith.divf %[[TOTAL]], %[[BATCH]] : f32
// CHECK-NEXT:      memref.store %[[Q]], %[[MEAN]][] : memref<f32>
// CHECK-NEXT:      gpu.terminator
// CHECK:         %[[SEED:.*]] = arith.divf %{{.*}}, %[[BATCH]] : f32
// CHECK-NEXT:    "test.use"(%[[SEED]])
// CHECK-NOT:     memref.load
// CHECK-NOT:     memref.store
// CHECK:         return
func.func @loss_mean(%loss: memref<f32>, %losses: memref<?xf32>, %mean: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %sum = memref.alloc() : memref<f32>
  memref.store %zero, %sum[] : memref<f32>
  %n = memref.dim %losses, %c0 : memref<?xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    scf.for %i = %c0 to %n step %c1 {
      %x = memref.load %losses[%i] : memref<?xf32>
      %s = memref.load %sum[] : memref<f32>
      %t = arith.addf %s, %x : f32
      memref.store %t, %sum[] : memref<f32>
    }
    gpu.terminator
  }
  %total = memref.load %sum[] : memref<f32>
  %ni = arith.index_cast %n : index to i64
  %batch = arith.sitofp %ni : i64 to f32
  %q = arith.divf %total, %batch : f32
  memref.store %q, %mean[] : memref<f32>
  %seed = arith.divf %one, %batch : f32
  "test.use"(%seed) : (f32) -> ()
  return
}

// -----

// A copy of a result between buffers, through a view, is a kernel.
// CHECK-LABEL: func.func @copy_result
// CHECK:         %[[VIEW:.*]] = memref.expand_shape
// CHECK:         gpu.launch
// CHECK-NEXT:      %[[X:.*]] = memref.load %[[VIEW]][%{{.*}}] : memref<1xf32>
// CHECK-NEXT:      memref.store %[[X]], %{{.*}}[%{{.*}}] : memref<?xf32>
// CHECK-NEXT:      gpu.terminator
func.func @copy_result(%loss: memref<f32>, %out: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %view = memref.expand_shape %loss [] output_shape [1] : memref<f32> into memref<1xf32>
  %x = memref.load %view[%c0] : memref<1xf32>
  memref.store %x, %out[%c0] : memref<?xf32>
  return
}

// -----

// What the host itself uses stays: hyperparameters read for the kernels'
// arguments (no store needs them), and a value a host branch decides on,
// with the load it comes from. Its store, queued, is a kernel.
// CHECK-LABEL: func.func @host_needs
// CHECK-NOT:     gpu.launch
// CHECK:         memref.load %{{.*}}[%{{.*}}] : memref<?xf32>
// CHECK:         %[[N:.*]] = memref.load %{{.*}}[] : memref<f32>
// CHECK-NEXT:    %[[ROOT:.*]] = math.sqrt %[[N]]
// CHECK:         gpu.launch
// CHECK-NEXT:      memref.store %[[ROOT]], %{{.*}}[] : memref<f32>
// CHECK-NEXT:      gpu.terminator
// CHECK:         scf.if
// CHECK-NOT:     gpu.launch
func.func @host_needs(%hyper: memref<?xf32>, %norm: memref<f32>, %out: memref<f32>) -> f32 {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %lr = memref.load %hyper[%c0] : memref<?xf32>
  %n = memref.load %norm[] : memref<f32>
  %root = math.sqrt %n : f32
  memref.store %root, %out[] : memref<f32>
  %big = arith.cmpf ogt, %root, %zero : f32
  %r = scf.if %big -> (f32) {
    scf.yield %root : f32
  } else {
    scf.yield %lr : f32
  }
  return %r : f32
}

// -----

// An access that stays on the host cuts the stretch: the store before it
// and the copy after it are two kernels, queued on either side of it, so
// that the host reads the buffer after the first and before the second.
// The host's stack is no buffer a kernel can reach.
// CHECK-LABEL: func.func @order_kept
// CHECK:         %[[STACK:.*]] = memref.alloca() : memref<f32>
// CHECK:         gpu.launch
// CHECK-NEXT:      memref.store %{{.*}}, %[[A:.*]][] : memref<f32>
// CHECK-NEXT:      gpu.terminator
// CHECK:         %[[SEEN:.*]] = memref.load %[[A]][] : memref<f32>
// CHECK-NEXT:    memref.store %[[SEEN]], %[[STACK]][] : memref<f32>
// CHECK:         gpu.launch
// CHECK-NEXT:      %[[X:.*]] = memref.load %[[A]][] : memref<f32>
// CHECK-NEXT:      memref.store %[[X]], %{{.*}}[] : memref<f32>
// CHECK-NEXT:      gpu.terminator
// CHECK:         "test.use"(%[[SEEN]])
func.func @order_kept(%a: memref<f32>, %b: memref<f32>) {
  %one = arith.constant 1.0 : f32
  %stack = memref.alloca() : memref<f32>
  memref.store %one, %a[] : memref<f32>
  %seen = memref.load %a[] : memref<f32>
  memref.store %seen, %stack[] : memref<f32>
  %x = memref.load %a[] : memref<f32>
  memref.store %x, %b[] : memref<f32>
  "test.use"(%seen) : (f32) -> ()
  return
}

// -----

// Kernels are left as they are.
// CHECK-LABEL: func.func @inside_kernel
// CHECK:         gpu.launch
// CHECK-NEXT:      memref.load
// CHECK-NEXT:      memref.store
// CHECK-NEXT:      gpu.terminator
// CHECK-NOT:     gpu.launch
func.func @inside_kernel(%a: memref<f32>, %b: memref<f32>) {
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %x = memref.load %a[] : memref<f32>
    memref.store %x, %b[] : memref<f32>
    gpu.terminator
  }
  return
}

// -----

// The clip-norm's branch yields a value computed from loaded sums. Its
// scf.yield stays the branch's terminator (moving it into a kernel left the
// branch without one), so what it yields stays on the host with the loads
// it comes from.
// CHECK-LABEL: func.func @yield_loaded
// CHECK:         %[[FACTOR:.*]] = scf.if
// CHECK-NEXT:      %[[SUM:.*]] = memref.load
// CHECK-NEXT:      %[[ROOT:.*]] = math.sqrt %[[SUM]]
// CHECK-NEXT:      scf.yield %[[ROOT]] : f32
// CHECK-NEXT:    } else {
// CHECK-NOT:     gpu.launch
// CHECK:         return %[[FACTOR]]
func.func @yield_loaded(%clip: i1, %sum: memref<f32>) -> f32 {
  %one = arith.constant 1.0 : f32
  %factor = scf.if %clip -> f32 {
    %s = memref.load %sum[] : memref<f32>
    %r = math.sqrt %s : f32
    scf.yield %r : f32
  } else {
    scf.yield %one : f32
  }
  return %factor : f32
}

// -----

// The loss's sum is freed as soon as the host has read it, before the
// mean is stored. The free no longer ends the stretch: the read joins the
// kernel that stores the mean, and the free moves after that kernel, so
// the host neither waits nor frees a buffer a queued kernel still reads.
// CHECK-LABEL: func.func @freed_sum
// CHECK-SAME:    (%[[LOSSES:.*]]: memref<?xf32>, %[[MEAN:.*]]: memref<f32>)
// CHECK:         %[[SUM:.*]] = memref.alloc() : memref<f32>
// CHECK:         %[[BATCH:.*]] = arith.sitofp
// CHECK:         gpu.launch blocks
// CHECK-NEXT:      %[[TOTAL:.*]] = memref.load %[[SUM]][] : memref<f32>
// CHECK-NEXT:      %[[Q:.*]] = arith.divf %[[TOTAL]], %[[BATCH]] : f32
// CHECK-NEXT:      memref.store %[[Q]], %[[MEAN]][] : memref<f32>
// CHECK-NEXT:      gpu.terminator
// CHECK-NEXT:    }
// CHECK-NEXT:    memref.dealloc %[[SUM]] : memref<f32>
// CHECK-NEXT:    return
func.func @freed_sum(%losses: memref<?xf32>, %mean: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %sum = memref.alloc() : memref<f32>
  %n = memref.dim %losses, %c0 : memref<?xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    "test.sum"(%losses, %sum) : (memref<?xf32>, memref<f32>) -> ()
    gpu.terminator
  }
  %total = memref.load %sum[] : memref<f32>
  memref.dealloc %sum : memref<f32>
  %ni = arith.index_cast %n : index to i64
  %batch = arith.sitofp %ni : i64 to f32
  %q = arith.divf %total, %batch : f32
  memref.store %q, %mean[] : memref<f32>
  return
}
