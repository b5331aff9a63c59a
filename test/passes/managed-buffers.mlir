// RUN: weft-opt %s -allow-unregistered-dialect --weft-managed-buffers | FileCheck %s
// RUN: weft-opt %s -allow-unregistered-dialect --pass-pipeline='builtin.module(weft-managed-buffers, func.func(gpu-async-region), weft-host-shared-allocations)' | FileCheck %s --check-prefix=QUEUED

// Host buffers become managed memory the kernels can read, and frees GPU
// deallocations. Kernels are left alone.
// CHECK-LABEL: func.func @step
// CHECK:         %[[STATIC:.*]] = gpu.alloc  host_shared () : memref<64xf32>
// CHECK:         %[[BATCH:.*]] = gpu.alloc  host_shared (%{{.*}}) : memref<?x10xf32>
// CHECK-NOT:     memref.alloc
// CHECK:         gpu.dealloc  %[[BATCH]] : memref<?x10xf32>
// CHECK:         gpu.dealloc  %[[STATIC]] : memref<64xf32>
// CHECK-NOT:     memref.dealloc

// Queued by gpu-async-region, the allocations and frees wait for no
// kernel: one stream orders the kernels, and the runtime's cache hands out
// memory on the host at once. The host waits only before it touches a
// buffer (test.use) and before returning; a free is the runtime's
// weft_cuda_free of the buffer's address.
// QUEUED-LABEL: func.func @step
// QUEUED:         %[[T0:.*]] = gpu.wait async
// QUEUED:         %[[STATIC:.*]] = gpu.alloc  host_shared () : memref<64xf32>
// QUEUED:         %[[T1:.*]] = gpu.launch_func async [%[[T0]]] @kernels::@fill
// QUEUED-NOT:     gpu.wait [
// QUEUED:         %[[BATCH:.*]] = gpu.alloc  host_shared (%{{.*}}) : memref<?x10xf32>
// QUEUED-NOT:     gpu.wait [
// QUEUED:         %[[T2:.*]] = gpu.launch_func async [%[[T1]]] @kernels::@fill
// QUEUED:         gpu.wait [%[[T2]]]
// QUEUED:         "test.use"
// QUEUED:         %[[T3:.*]] = gpu.wait async
// QUEUED:         %[[T4:.*]] = gpu.launch_func async [%[[T3]]] @kernels::@fill
// QUEUED-NOT:     gpu.wait [
// QUEUED:         %[[ADDRESS:.*]] = memref.extract_aligned_pointer_as_index %[[BATCH]]
// QUEUED:         call @weft_cuda_free(%[[ADDRESS]]) : (index) -> ()
// QUEUED-NOT:     gpu.wait [
// QUEUED:         %[[ADDRESS2:.*]] = memref.extract_aligned_pointer_as_index %[[STATIC]]
// QUEUED:         call @weft_cuda_free(%[[ADDRESS2]]) : (index) -> ()
// QUEUED:         gpu.wait [%[[T4]]]
// QUEUED-NEXT:    return

// A chain that queued only an allocation waits for nothing: its wait
// before the host's store goes, with the chain's start.
// QUEUED-LABEL: func.func @scalar
// QUEUED-NOT:     gpu.wait
// QUEUED:         %[[S:.*]] = gpu.alloc  host_shared () : memref<f32>
// QUEUED-NOT:     gpu.wait
// QUEUED:         memref.store %{{.*}}, %[[S]][]
// QUEUED:         %[[T:.*]] = gpu.wait async
// QUEUED:         %[[K:.*]] = gpu.launch_func async [%[[T]]] @kernels::@fill
// QUEUED:         gpu.wait [%[[K]]]
// QUEUED:         memref.load %[[S]][]
// QUEUED:       func.func private @weft_cuda_free(index)
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @fill(%x: memref<64xf32>) kernel { gpu.return }
  }
  func.func @step(%n: index) {
    %c1 = arith.constant 1 : index
    %a = memref.alloc() {alignment = 64 : i64} : memref<64xf32>
    gpu.launch_func @kernels::@fill blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<64xf32>)
    %b = memref.alloc(%n) : memref<?x10xf32>
    gpu.launch_func @kernels::@fill blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<64xf32>)
    "test.use"(%a, %b) : (memref<64xf32>, memref<?x10xf32>) -> ()
    gpu.launch_func @kernels::@fill blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<64xf32>)
    memref.dealloc %b : memref<?x10xf32>
    memref.dealloc %a : memref<64xf32>
    return
  }
  func.func @scalar(%x: memref<64xf32>) -> f32 {
    %c1 = arith.constant 1 : index
    %zero = arith.constant 0.0 : f32
    %s = memref.alloc() : memref<f32>
    memref.store %zero, %s[] : memref<f32>
    gpu.launch_func @kernels::@fill blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<64xf32>)
    %v = memref.load %s[] : memref<f32>
    memref.dealloc %s : memref<f32>
    return %v : f32
  }
}
