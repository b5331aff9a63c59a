// RUN: weft-opt %s --weft-fold-fill-reads | FileCheck %s

// An in-bounds read of a filled tensor is the fill value, broadcast.
// CHECK-LABEL: func.func @read_of_fill
// CHECK-SAME:    (%[[V:.*]]: f32)
// CHECK:         %[[B:.*]] = vector.broadcast %[[V]] : f32 to vector<4x8xf32>
// CHECK-NOT:     linalg.fill
// CHECK:         return %[[B]]
func.func @read_of_fill(%v: f32) -> vector<4x8xf32> {
  %c0 = arith.constant 0 : index
  %pad = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %f = linalg.fill ins(%v : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %r = vector.transfer_read %f[%c0, %c0], %pad {in_bounds = [true, true]}
      : tensor<4x8xf32>, vector<4x8xf32>
  return %r : vector<4x8xf32>
}

// A read that may run past the end takes padding there; it stays.
// CHECK-LABEL: func.func @out_of_bounds_read
// CHECK:         linalg.fill
// CHECK:         vector.transfer_read
func.func @out_of_bounds_read(%v: f32, %i: index) -> vector<8xf32> {
  %pad = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8xf32>
  %f = linalg.fill ins(%v : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
  %r = vector.transfer_read %f[%i], %pad : tensor<8xf32>, vector<8xf32>
  return %r : vector<8xf32>
}
