// RUN: weft-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(gpu-async-region, weft-waits-into-branches))' | FileCheck %s

// The clip-norm's shape: the host reads a sum in one branch, the other
// yields 1. The wait for the gradient's kernel moves into the branch that
// reads; the updates after the branch are queued, and the wait before the
// return covers them and the gradient.
// CHECK-LABEL: func.func @clip
// CHECK:         %[[GRAD:.*]] = gpu.launch_func async [%{{.*}}] @kernels::@gradient
// CHECK-NOT:     gpu.wait [
// CHECK:         scf.if
// CHECK-NEXT:      gpu.wait [%[[GRAD]]]
// CHECK-NEXT:      memref.load
// CHECK:         } else {
// CHECK-NEXT:      scf.yield
// CHECK:         gpu.launch_func async [%{{.*}}] @kernels::@update
// CHECK:         gpu.wait [
// CHECK-NEXT:    return
module attributes {gpu.container_module} {
  func.func @clip(%norm: memref<f32>, %on: i1) {
    %c1 = arith.constant 1 : index
    %one = arith.constant 1.0 : f32
    gpu.launch_func @kernels::@gradient blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%norm : memref<f32>)
    %scale = scf.if %on -> (f32) {
      %n = memref.load %norm[] : memref<f32>
      scf.yield %n : f32
    } else {
      scf.yield %one : f32
    }
    gpu.launch_func @kernels::@update blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%scale : f32)
    return
  }
  gpu.module @kernels {
    gpu.func @gradient(%n: memref<f32>) kernel {
      gpu.return
    }
    gpu.func @update(%s: f32) kernel {
      gpu.return
    }
  }
}

// -----

// The host reads after the branch: the wait stays before it.
// CHECK-LABEL: func.func @read_after
// CHECK:         gpu.wait [
// CHECK-NEXT:    scf.if
// CHECK-NOT:       gpu.wait
// CHECK:         }
// CHECK-NEXT:    memref.load
module attributes {gpu.container_module} {
  func.func @read_after(%norm: memref<f32>, %on: i1) -> f32 {
    %c1 = arith.constant 1 : index
    %one = arith.constant 1.0 : f32
    gpu.launch_func @kernels::@gradient blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%norm : memref<f32>)
    scf.if %on {
      memref.store %one, %norm[] : memref<f32>
    }
    %n = memref.load %norm[] : memref<f32>
    return %n : f32
  }
  gpu.module @kernels {
    gpu.func @gradient(%n: memref<f32>) kernel {
      gpu.return
    }
  }
}
