// RUN: weft-opt %s --weft-mask-partial-registers | FileCheck %s
// RUN: weft-opt %s --weft-mask-partial-registers=vector-width=8 | FileCheck %s --check-prefix=AVX2
// RUN: weft-opt %s --weft-mask-partial-registers --convert-vector-to-llvm | FileCheck %s --check-prefix=LLVM
// A read of part of a register (14 lanes of a 14-wide row) is a masked
// load of the whole register: one instruction, where LLVM would load 8 + 4
// + 2 lanes and assemble them.

// CHECK-LABEL: func.func @row_of_14
// CHECK: %[[PAD:.*]] = ub.poison : vector<16xf32>
// CHECK: %[[MASK:.*]] = vector.constant_mask [14] : vector<16xi1>
// CHECK: %[[WIDE:.*]] = vector.maskedload %arg0[%arg1, %arg2], %[[MASK]], %[[PAD]] : memref<6x18xf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>
// CHECK: %[[ROW:.*]] = vector.extract_strided_slice %[[WIDE]] {offsets = [0], sizes = [14], strides = [1]} : vector<16xf32> to vector<14xf32>
// CHECK: return %[[ROW]]
// AVX2-LABEL: func.func @row_of_14
// AVX2: vector.maskedload {{.*}} into vector<16xf32>
// LLVM-LABEL: func.func @row_of_14
// LLVM: llvm.intr.masked.load {{.*}} : (!llvm.ptr, vector<16xi1>, vector<16xf32>) -> vector<16xf32>
// LLVM: llvm.shufflevector {{.*}} [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13] : vector<16xf32>
func.func @row_of_14(%m: memref<6x18xf32>, %i: index, %j: index) -> vector<14xf32> {
  %p = ub.poison : f32
  %v = vector.transfer_read %m[%i, %j], %p {in_bounds = [true]} : memref<6x18xf32>, vector<14xf32>
  return %v : vector<14xf32>
}

// Above one register, whole registers: 26 lanes are a masked 32.
// CHECK-LABEL: func.func @row_of_26
// CHECK: vector.constant_mask [26] : vector<32xi1>
// CHECK: vector.maskedload {{.*}} into vector<32xf32>
// AVX2-LABEL: func.func @row_of_26
// AVX2: vector.constant_mask [26] : vector<32xi1>
func.func @row_of_26(%m: memref<?x28xf32, strided<[28, 1], offset: ?>>, %i: index) -> vector<26xf32> {
  %c0 = arith.constant 0 : index
  %p = ub.poison : f32
  %v = vector.transfer_read %m[%i, %c0], %p {in_bounds = [true]} : memref<?x28xf32, strided<[28, 1], offset: ?>>, vector<26xf32>
  return %v : vector<26xf32>
}

// Below one register, the next power of two: 10 lanes are a masked 16, 6
// lanes a masked 8.
// CHECK-LABEL: func.func @short_rows
// CHECK: vector.constant_mask [10] : vector<16xi1>
// CHECK: vector.constant_mask [6] : vector<8xi1>
// AVX2-LABEL: func.func @short_rows
// AVX2: vector.constant_mask [10] : vector<16xi1>
func.func @short_rows(%m: memref<16x16xf32>, %i: index) -> (vector<10xf32>, vector<6xf32>) {
  %c0 = arith.constant 0 : index
  %p = ub.poison : f32
  %a = vector.transfer_read %m[%i, %c0], %p {in_bounds = [true]} : memref<16x16xf32>, vector<10xf32>
  %b = vector.transfer_read %m[%i, %c0], %p {in_bounds = [true]} : memref<16x16xf32>, vector<6xf32>
  return %a, %b : vector<10xf32>, vector<6xf32>
}

// Left alone: whole registers or powers of two, reads that may run out of
// bounds (the transfer masks them itself), strided rows, broadcasts,
// tensors, and writes (a masked store's data is not forwarded to a load).
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: vector.maskedload
// CHECK-NOT: vector.maskedstore
// CHECK: return
func.func @left_alone(%m: memref<16x112xf32>, %s: memref<16x14xf32, strided<[1, 16]>>, %t: tensor<16x14xf32>, %i: index, %v: vector<14xf32>) -> (vector<112xf32>, vector<8xf32>, vector<14xf32>, vector<14xf32>, vector<14xf32>, vector<14xf32>) {
  %c0 = arith.constant 0 : index
  %p = ub.poison : f32
  %whole = vector.transfer_read %m[%i, %c0], %p {in_bounds = [true]} : memref<16x112xf32>, vector<112xf32>
  %pow2 = vector.transfer_read %m[%i, %c0], %p {in_bounds = [true]} : memref<16x112xf32>, vector<8xf32>
  %maybe_out = vector.transfer_read %m[%i, %i], %p : memref<16x112xf32>, vector<14xf32>
  %strided = vector.transfer_read %s[%i, %c0], %p {in_bounds = [true]} : memref<16x14xf32, strided<[1, 16]>>, vector<14xf32>
  %splat = vector.transfer_read %m[%i, %c0], %p {in_bounds = [true], permutation_map = affine_map<(d0, d1) -> (0)>} : memref<16x112xf32>, vector<14xf32>
  %tensor = vector.transfer_read %t[%i, %c0], %p {in_bounds = [true]} : tensor<16x14xf32>, vector<14xf32>
  vector.transfer_write %v, %m[%i, %c0] {in_bounds = [true]} : vector<14xf32>, memref<16x112xf32>
  return %whole, %pow2, %maybe_out, %strided, %splat, %tensor : vector<112xf32>, vector<8xf32>, vector<14xf32>, vector<14xf32>, vector<14xf32>, vector<14xf32>
}
