// RUN: weft-opt %s --gpu-kernel-outlining --weft-merge-gpu-modules | FileCheck %s

// Outlining makes a module per kernel, two kernels named alike; merged, each
// kernel takes its module's unique name and every launch points into the
// one module `kernels`.
// CHECK:       gpu.launch_func @kernels::@step_kernel
// CHECK:       gpu.launch_func @kernels::@step_kernel_0
// CHECK:       gpu.module @kernels {
// CHECK-DAG:     gpu.func @step_kernel(
// CHECK-DAG:     gpu.func @step_kernel_0(
// CHECK:       }
// CHECK-NOT:   gpu.module
module attributes {gpu.container_module} {
  func.func @step(%x: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    %f = arith.constant 2.0 : f32
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c4, %sy = %c1, %sz = %c1) {
      memref.store %f, %x[%tx] : memref<4xf32>
      gpu.terminator
    }
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c4, %sy = %c1, %sz = %c1) {
      %v = memref.load %x[%tx] : memref<4xf32>
      %w = arith.mulf %v, %v : f32
      memref.store %w, %x[%tx] : memref<4xf32>
      gpu.terminator
    }
    return
  }
}
