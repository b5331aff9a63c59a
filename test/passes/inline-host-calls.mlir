// RUN: weft-opt %s --weft-inline-host-calls | FileCheck %s

// @loss_grad's host code, once its kernels are outlined, is launches: each
// call is replaced by a copy of its body, with the caller's arguments, and
// the function is gone.
// CHECK-NOT:   func.func private @loss_grad

// Left alone: a function that launches nothing, and one that others may
// call from outside the module.
// CHECK:       func.func private @helper
// CHECK:       func.func @public_step
// CHECK:         gpu.launch_func @kernels::@scale

// Both copies launch the same kernel.
// CHECK-LABEL: func.func @train_step
// CHECK-SAME:    (%[[X:.*]]: memref<?xf32>, %[[Y:.*]]: memref<?xf32>)
// CHECK-NOT:     call @loss_grad
// CHECK:         %[[BUF:.*]] = memref.alloc() : memref<4xf32>
// CHECK:         gpu.launch_func @kernels::@scale {{.*}} args(%[[X]] : memref<?xf32>, %[[BUF]] : memref<4xf32>)
// CHECK:         memref.dealloc %[[BUF]]
// CHECK:         gpu.launch_func @kernels::@scale {{.*}} args(%[[Y]] : memref<?xf32>,
// CHECK:         call @helper(%[[X]])
// CHECK:         call @public_step(%[[X]])
// CHECK:         return
// CHECK-NOT:   func.func private @loss_grad
module attributes {gpu.container_module} {
  func.func private @loss_grad(%x: memref<?xf32>) attributes {no_inline} {
    %c1 = arith.constant 1 : index
    %buf = memref.alloc() : memref<4xf32>
    gpu.launch_func @kernels::@scale blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<?xf32>, %buf : memref<4xf32>)
    memref.dealloc %buf : memref<4xf32>
    return
  }
  func.func private @helper(%x: memref<?xf32>) {
    return
  }
  func.func @public_step(%x: memref<?xf32>) {
    %c1 = arith.constant 1 : index
    %buf = memref.alloc() : memref<4xf32>
    gpu.launch_func @kernels::@scale blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<?xf32>, %buf : memref<4xf32>)
    memref.dealloc %buf : memref<4xf32>
    return
  }
  func.func @train_step(%x: memref<?xf32>, %y: memref<?xf32>) {
    call @loss_grad(%x) : (memref<?xf32>) -> ()
    call @loss_grad(%y) : (memref<?xf32>) -> ()
    call @helper(%x) : (memref<?xf32>) -> ()
    call @public_step(%x) : (memref<?xf32>) -> ()
    return
  }
  gpu.module @kernels {
    gpu.func @scale(%x: memref<?xf32>, %b: memref<4xf32>) kernel {
      gpu.return
    }
  }
}
