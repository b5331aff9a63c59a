// RUN: weft-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(gpu-async-region), weft-queued-returns)' | FileCheck %s

// An entry point's last launch and its free are queued, and it returns
// without waiting: the runtime waits before it reads the result.
// CHECK-LABEL: func.func @entry
// CHECK:         gpu.launch_func async
// CHECK-NOT:     gpu.wait
// CHECK:         call @weft_cuda_free
// CHECK-NEXT:    return
module attributes {gpu.container_module} {
  func.func private @weft_cuda_free(index)
  func.func @entry(%out: memref<f32>, %scratch: memref<4xf32>) attributes {weft.entry = "train_step_sgd"} {
    %c1 = arith.constant 1 : index
    gpu.launch_func @kernels::@step blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%out : memref<f32>)
    %p = memref.extract_aligned_pointer_as_index %scratch : memref<4xf32> -> index
    call @weft_cuda_free(%p) : (index) -> ()
    return
  }
  gpu.module @kernels {
    gpu.func @step(%out: memref<f32>) kernel {
      gpu.return
    }
  }
}

// -----

// A private function keeps its wait: its caller may read what it wrote.
// So does an entry point whose host reads a result before returning.
// CHECK-LABEL: func.func private @helper
// CHECK:         gpu.launch_func async
// CHECK-NEXT:    gpu.wait [
// CHECK-NEXT:    return
// CHECK-LABEL: func.func @reads_result
// CHECK:         gpu.wait [
// CHECK-NEXT:    memref.load
// CHECK-NEXT:    return
module attributes {gpu.container_module} {
  func.func private @helper(%out: memref<f32>) attributes {weft.entry = "forward"} {
    %c1 = arith.constant 1 : index
    gpu.launch_func @kernels::@step blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%out : memref<f32>)
    return
  }
  func.func @reads_result(%out: memref<f32>) -> f32 attributes {weft.entry = "forward"} {
    %c1 = arith.constant 1 : index
    gpu.launch_func @kernels::@step blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%out : memref<f32>)
    %v = memref.load %out[] : memref<f32>
    return %v : f32
  }
  gpu.module @kernels {
    gpu.func @step(%out: memref<f32>) kernel {
      gpu.return
    }
  }
}

// -----

// A branch that only queues work needs no wait at its end, nor before it:
// what follows the scf.if up to the return is queued work too. Every host
// wait goes (an async `gpu.wait` only joins tokens).
// CHECK-LABEL: func.func @queued_branches
// CHECK-NOT:     {{^ *}}gpu.wait
// CHECK:         return
module attributes {gpu.container_module} {
  func.func @queued_branches(%out: memref<f32>, %on: i1) attributes {weft.entry = "train_step_sgd"} {
    %c1 = arith.constant 1 : index
    gpu.launch_func @kernels::@step blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%out : memref<f32>)
    scf.if %on {
      gpu.launch_func @kernels::@step blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%out : memref<f32>)
    } else {
      gpu.launch_func @kernels::@step blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%out : memref<f32>)
    }
    gpu.launch_func @kernels::@step blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%out : memref<f32>)
    return
  }
  gpu.module @kernels {
    gpu.func @step(%out: memref<f32>) kernel {
      gpu.return
    }
  }
}
