// RUN: weft-opt %s -allow-unregistered-dialect --weft-managed-buffers | FileCheck %s

// Host buffers become managed memory the kernels can read; a free becomes
// the runtime's weft_cuda_free of the buffer's address. Kernels are left
// alone.
// CHECK-LABEL: func.func @step
// CHECK:         %[[STATIC:.*]] = gpu.alloc  host_shared () : memref<64xf32>
// CHECK:         %[[BATCH:.*]] = gpu.alloc  host_shared (%{{.*}}) : memref<?x10xf32>
// CHECK-NOT:     memref.alloc
// CHECK:         %[[ADDRESS:.*]] = memref.extract_aligned_pointer_as_index %[[BATCH]]
// CHECK:         call @weft_cuda_free(%[[ADDRESS]]) : (index) -> ()
// CHECK:         %[[ADDRESS2:.*]] = memref.extract_aligned_pointer_as_index %[[STATIC]]
// CHECK:         call @weft_cuda_free(%[[ADDRESS2]]) : (index) -> ()
// CHECK-NOT:     memref.dealloc
// CHECK:       func.func private @weft_cuda_free(index)
module attributes {gpu.container_module} {
  func.func @step(%n: index) {
    %a = memref.alloc() {alignment = 64 : i64} : memref<64xf32>
    %b = memref.alloc(%n) : memref<?x10xf32>
    "test.use"(%a, %b) : (memref<64xf32>, memref<?x10xf32>) -> ()
    memref.dealloc %b : memref<?x10xf32>
    memref.dealloc %a : memref<64xf32>
    return
  }
}
