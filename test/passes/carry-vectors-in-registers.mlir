// RUN: weft-opt %s --weft-carry-vectors-in-registers | FileCheck %s
// RUN: weft-opt %s --weft-carry-vectors-in-registers=vector-width=8 | FileCheck %s --check-prefix=AVX2
// RUN: weft-opt %s --weft-carry-vectors-in-registers --convert-vector-to-scf --convert-scf-to-cf --expand-strided-metadata --lower-affine --convert-vector-to-llvm --finalize-memref-to-llvm --convert-arith-to-llvm --convert-cf-to-llvm --convert-func-to-llvm --convert-ub-to-llvm --reconcile-unrealized-casts | FileCheck %s --check-prefix=LLVM
// A loop's accumulator longer than a register and not a power of two is
// carried as rows of whole registers: LLVM would carry it across blocks as
// single floats.

// 112 lanes are 7 registers of 16.
// CHECK-LABEL: func.func @whole_registers
// CHECK: %[[INIT:.*]] = vector.transfer_read
// CHECK: %[[ROWS:.*]] = vector.shape_cast %[[INIT]] : vector<112xf32> to vector<7x16xf32>
// CHECK: %[[LOOP:.*]] = scf.for {{.*}} iter_args(%[[ACC:.*]] = %[[ROWS]]) -> (vector<7x16xf32>)
// CHECK-NEXT: %[[FLAT:.*]] = vector.shape_cast %[[ACC]] : vector<7x16xf32> to vector<112xf32>
// CHECK: %[[NEXT:.*]] = vector.fma {{.*}}, %[[FLAT]] : vector<112xf32>
// CHECK: %[[BACK:.*]] = vector.shape_cast %[[NEXT]] : vector<112xf32> to vector<7x16xf32>
// CHECK-NEXT: scf.yield %[[BACK]] : vector<7x16xf32>
// CHECK: %[[RESULT:.*]] = vector.shape_cast %[[LOOP]] : vector<7x16xf32> to vector<112xf32>
// CHECK: vector.transfer_write %[[RESULT]]
// AVX2-LABEL: func.func @whole_registers
// AVX2: scf.for {{.*}} -> (vector<14x8xf32>)
// In the LLVM dialect the loop's block argument is an array of registers.
// LLVM-LABEL: llvm.func @whole_registers
// LLVM: ^bb{{[0-9]+}}(%{{.*}}: i64, %{{.*}}: !llvm.array<7 x vector<16xf32>>)
// LLVM-NOT: vector<112xf32>>)
func.func @whole_registers(%acc: memref<112xf32>, %w: memref<84x112xf32>, %x: memref<84xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c84 = arith.constant 84 : index
  %p = ub.poison : f32
  %init = vector.transfer_read %acc[%c0], %p {in_bounds = [true]} : memref<112xf32>, vector<112xf32>
  %sum = scf.for %k = %c0 to %c84 step %c1 iter_args(%a = %init) -> (vector<112xf32>) {
    %s = memref.load %x[%k] : memref<84xf32>
    %b = vector.broadcast %s : f32 to vector<112xf32>
    %r = vector.transfer_read %w[%k, %c0], %p {in_bounds = [true]} : memref<84x112xf32>, vector<112xf32>
    %m = vector.fma %b, %r, %a : vector<112xf32>
    scf.yield %m : vector<112xf32>
  }
  vector.transfer_write %sum, %acc[%c0] {in_bounds = [true]} : vector<112xf32>, memref<112xf32>
  return
}

// 26 lanes are padded to 2 registers; the padding is never read.
// CHECK-LABEL: func.func @padded
// CHECK: %[[PAD:.*]] = ub.poison : vector<32xf32>
// CHECK: %[[WIDE:.*]] = vector.insert_strided_slice %{{.*}}, %[[PAD]] {offsets = [0], strides = [1]} : vector<26xf32> into vector<32xf32>
// CHECK: vector.shape_cast %[[WIDE]] : vector<32xf32> to vector<2x16xf32>
// CHECK: scf.for {{.*}} -> (vector<2x16xf32>)
// CHECK: vector.shape_cast %{{.*}} : vector<2x16xf32> to vector<32xf32>
// CHECK: vector.extract_strided_slice %{{.*}} {offsets = [0], sizes = [26], strides = [1]} : vector<32xf32> to vector<26xf32>
func.func @padded(%v: vector<26xf32>, %n: index) -> vector<26xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %sum = scf.for %k = %c0 to %n step %c1 iter_args(%a = %v) -> (vector<26xf32>) {
    %m = arith.addf %a, %v : vector<26xf32>
    scf.yield %m : vector<26xf32>
  }
  return %sum : vector<26xf32>
}

// Rows of a block keep their dimension; each row's lanes become registers.
// Nested loops pass the carried form straight through (the reshapes between
// them fold).
// CHECK-LABEL: func.func @nested_rows
// CHECK: scf.for {{.*}} iter_args(%[[OUTER:.*]] = %{{.*}}) -> (vector<2x7x16xf32>)
// CHECK-NEXT: scf.for {{.*}} iter_args(%{{.*}} = %[[OUTER]]) -> (vector<2x7x16xf32>)
func.func @nested_rows(%v: vector<2x112xf32>, %n: index) -> vector<2x112xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %outer = scf.for %i = %c0 to %n step %c1 iter_args(%a = %v) -> (vector<2x112xf32>) {
    %inner = scf.for %j = %c0 to %n step %c1 iter_args(%b = %a) -> (vector<2x112xf32>) {
      %m = arith.addf %b, %v : vector<2x112xf32>
      scf.yield %m : vector<2x112xf32>
    }
    scf.yield %inner : vector<2x112xf32>
  }
  return %outer : vector<2x112xf32>
}

// Left alone: one register or less, a power of two, and scalars.
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: vector.shape_cast
// CHECK: scf.for {{.*}} -> (vector<14xf32>, vector<64xf32>, vector<6x10xf32>, f32)
// CHECK-NOT: vector.shape_cast
// AVX2-LABEL: func.func @left_alone
// AVX2: scf.for {{.*}} -> (vector<2x8xf32>, vector<64xf32>, vector<6x2x8xf32>, f32)
func.func @left_alone(%a: vector<14xf32>, %b: vector<64xf32>, %c: vector<6x10xf32>, %d: f32, %n: index) -> (vector<14xf32>, vector<64xf32>, vector<6x10xf32>, f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r:4 = scf.for %k = %c0 to %n step %c1 iter_args(%x = %a, %y = %b, %z = %c, %w = %d) -> (vector<14xf32>, vector<64xf32>, vector<6x10xf32>, f32) {
    scf.yield %x, %y, %z, %w : vector<14xf32>, vector<64xf32>, vector<6x10xf32>, f32
  }
  return %r#0, %r#1, %r#2, %r#3 : vector<14xf32>, vector<64xf32>, vector<6x10xf32>, f32
}
