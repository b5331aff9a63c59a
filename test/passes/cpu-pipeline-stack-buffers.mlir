// RUN: weft-opt %s --weft-linalg-to-llvm-pipeline --mlir-print-ir-after=weft-lower-alloca-scopes -o /dev/null 2>&1 | FileCheck %s
// A buffer each iteration of a parallel loop makes lives on the thread's
// stack (upstream's promote-buffers-to-stack, for buffers made directly in
// an scf.forall), freed at the end of the iteration
// (weft-lower-alloca-scopes), and is not taken from the runtime's cache.
// The reference models no longer make one (the max-pool gradient's scratch
// maximum, the last, lives in registers since weft-vectorize-windows keeps
// it there), so this row of exp(x) read backwards stands in for them.
// CHECK-NOT: memref.alloc() {{.*}}: memref<64xf32>
// CHECK: omp.wsloop {
// CHECK: %[[STACK:.*]] = llvm.intr.stacksave : !llvm.ptr
// CHECK: memref.alloca() {alignment = 64 : i64} : memref<64xf32>
// CHECK: math.exp
// CHECK: llvm.intr.stackrestore %[[STACK]] : !llvm.ptr
// CHECK-NOT: memref.alloc() {{.*}}: memref<64xf32>
// CHECK-NOT: memref.alloca_scope
#id = affine_map<(d0) -> (d0)>
#rev = affine_map<(d0) -> (63 - d0)>
func.func @scratch_per_row(%x: tensor<?x64xf32>, %init: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x64xf32>
  %r = scf.forall (%i) in (%n) shared_outs(%out = %init) -> (tensor<?x64xf32>) {
    %row = tensor.extract_slice %x[%i, 0] [1, 64] [1, 1] : tensor<?x64xf32> to tensor<64xf32>
    %t = tensor.empty() : tensor<64xf32>
    %e = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
        ins(%row : tensor<64xf32>) outs(%t : tensor<64xf32>) {
    ^bb0(%a: f32, %b: f32):
      %y = math.exp %a : f32
      linalg.yield %y : f32
    } -> tensor<64xf32>
    %slice = tensor.extract_slice %out[%i, 0] [1, 64] [1, 1] : tensor<?x64xf32> to tensor<64xf32>
    %s = linalg.generic {indexing_maps = [#id, #rev, #id], iterator_types = ["parallel"]}
        ins(%e, %e : tensor<64xf32>, tensor<64xf32>) outs(%slice : tensor<64xf32>) {
    ^bb0(%a: f32, %b: f32, %c: f32):
      %y = arith.addf %a, %b : f32
      linalg.yield %y : f32
    } -> tensor<64xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %s into %out[%i, 0] [1, 64] [1, 1] : tensor<64xf32> into tensor<?x64xf32>
    }
  }
  return %r : tensor<?x64xf32>
}
