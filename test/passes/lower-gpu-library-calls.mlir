// RUN: weft-opt %s --pass-pipeline='builtin.module(func.func(gpu-async-region), weft-lower-gpu-library-calls)' | FileCheck %s

// A library call is queued like a launch: upstream's gpu-async-region
// chains it by tokens and puts no host wait before it; lowered, it is a
// call of the runtime (through MLIR's C interface, fully dynamic memrefs,
// params as i64), and the launch after it depends on the launch before it
// (one stream orders all three).

// CHECK-LABEL: func.func @step
// CHECK:         %[[T0:.*]] = gpu.wait async
// CHECK:         %[[T1:.*]] = gpu.launch_func async [%[[T0]]] @kernels::@fill
// CHECK-NOT:     gpu.wait
// CHECK:         %[[X:.*]] = memref.cast %arg0 : memref<?x1600xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK:         %[[W:.*]] = memref.cast %arg1 : memref<64x1600xf32, strided<[1600, 1], offset: 64>> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK:         %[[Y:.*]] = memref.cast %arg2 : memref<?x64xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK:         %[[A:.*]] = arith.constant 0 : i64
// CHECK:         %[[B:.*]] = arith.constant 1 : i64
// CHECK:         %[[TF32:.*]] = arith.constant 1 : i64
// CHECK:         call @weft_cublas_gemm(%[[X]], %[[W]], %[[Y]], %[[A]], %[[B]], %[[TF32]])
// CHECK-NOT:     gpu.wait
// CHECK:         %[[T2:.*]] = gpu.launch_func async [%[[T1]]] @kernels::@relu
// CHECK:         gpu.wait [%[[T2]]]
// CHECK:         return
// CHECK:       func.func private @weft_cublas_gemm(memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64, i64, i64) attributes {llvm.emit_c_interface}
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @fill(%y: memref<?x64xf32>) kernel { gpu.return }
    gpu.func @relu(%y: memref<?x64xf32>) kernel { gpu.return }
  }
  func.func @step(%x: memref<?x1600xf32>, %w: memref<64x1600xf32, strided<[1600, 1], offset: 64>>, %y: memref<?x64xf32>, %blocks: index) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @kernels::@fill blocks in (%blocks, %c1, %c1) threads in (%c1, %c1, %c1) args(%y : memref<?x64xf32>)
    weft.gpu_library_call @weft_cublas_gemm(%x, %w, %y) params [0, 1, 1] : memref<?x1600xf32>, memref<64x1600xf32, strided<[1600, 1], offset: 64>>, memref<?x64xf32>
    gpu.launch_func @kernels::@relu blocks in (%blocks, %c1, %c1) threads in (%c1, %c1, %c1) args(%y : memref<?x64xf32>)
    return
  }
}
