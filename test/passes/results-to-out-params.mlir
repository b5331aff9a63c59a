// RUN: weft-opt %s --split-input-file --weft-results-to-out-params -allow-unregistered-dialect | FileCheck %s

// The callee's buffers become its callers'. Its own allocation of a result
// is replaced by the argument (upstream's hoisting of static allocations),
// so it computes straight into the caller's buffer; the caller's buffers
// are aligned as bufferization's are. The two biases' gradients are one
// sum, returned twice: the callee returns it once, and the caller reads
// that buffer for both.
// CHECK-LABEL: func.func private @loss_grad(
// CHECK-SAME:      %[[X:.*]]: memref<4xf32>, %[[W:.*]]: memref<4xf32>, %[[B:.*]]: memref<f32>) {
// CHECK-NOT:     memref.alloc
// CHECK:         linalg.fill {{.*}} outs(%[[W]] :
// CHECK:         linalg.fill {{.*}} outs(%[[B]] :
// CHECK-NOT:     memref.copy
// CHECK:         return{{$}}
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[GW:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4xf32>
// CHECK-NEXT:    %[[GB:.*]] = memref.alloc() {alignment = 64 : i64} : memref<f32>
// CHECK-NEXT:    call @loss_grad(%{{.*}}, %[[GW]], %[[GB]]) : (memref<4xf32>, memref<4xf32>, memref<f32>) -> ()
// CHECK-NEXT:    "test.update"(%[[GW]], %[[GB]], %[[GB]])
func.func private @loss_grad(%x: memref<4xf32>) -> (memref<4xf32>, memref<f32>, memref<f32>) {
  %one = arith.constant 1.0 : f32
  %w = memref.alloc() : memref<4xf32>
  linalg.fill ins(%one : f32) outs(%w : memref<4xf32>)
  %b = memref.alloc() : memref<f32>
  linalg.fill ins(%one : f32) outs(%b : memref<f32>)
  return %w, %b, %b : memref<4xf32>, memref<f32>, memref<f32>
}

func.func @train_step(%x: memref<4xf32>) {
  %g:3 = call @loss_grad(%x) : (memref<4xf32>) -> (memref<4xf32>, memref<f32>, memref<f32>)
  "test.update"(%g#0, %g#1, %g#2) : (memref<4xf32>, memref<f32>, memref<f32>) -> ()
  return
}

// -----

// Only a result that every return gives twice is merged. Here one return
// repeats a value and the other does not: the function keeps its results
// (upstream's hoisting cannot take a repeated value), and so do its calls.
// A public function's signature is the C ABI's and stays as it is.
// CHECK-LABEL: func.func private @two_returns(%{{.*}}: i1) -> (memref<f32>, memref<f32>)
// CHECK:         return %[[A:.*]], %[[A]] :
// CHECK-LABEL: func.func @public_entry() -> memref<f32>
// CHECK:         call @two_returns(%{{.*}}) : (i1) -> (memref<f32>, memref<f32>)
func.func private @two_returns(%flag: i1) -> (memref<f32>, memref<f32>) {
  %a = memref.alloc() : memref<f32>
  %b = memref.alloc() : memref<f32>
  cf.cond_br %flag, ^same, ^different
^same:
  return %a, %a : memref<f32>, memref<f32>
^different:
  return %a, %b : memref<f32>, memref<f32>
}

func.func @public_entry() -> memref<f32> {
  %true = arith.constant true
  %r:2 = call @two_returns(%true) : (i1) -> (memref<f32>, memref<f32>)
  return %r#1 : memref<f32>
}
