// RUN: weft-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(weft-pack-buffers))" | FileCheck %s
// RUN: weft-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(weft-pack-buffers),weft-kernel-stats{batch=4})" 2>&1 | FileCheck %s --check-prefix=STATS

// Three fixed-size buffers, one allocation. %a (1024 bytes) and %b (256)
// are live together; %c (512) is made after %a is freed, so it takes %a's
// bytes: the arena is 1024 + 256 bytes, not 1792. The largest is placed
// first, at offset 0; %b goes after it; %c fits at 0 again. The arena is
// made where the first of them was and freed where the last one was.
// CHECK-LABEL: func.func @sequence
// CHECK-NOT:     memref.alloc()
// CHECK:         %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64, weft.static_arena} : memref<1280xi8>
// CHECK-NEXT:    %[[A0:.*]] = arith.constant 0 : index
// CHECK-NEXT:    %[[A:.*]] = memref.view %[[ARENA]][%[[A0]]][] : memref<1280xi8> to memref<16x16xf32>
// CHECK-NEXT:    linalg.fill {{.*}} outs(%[[A]]
// CHECK-NEXT:    %[[B0:.*]] = arith.constant 1024 : index
// CHECK-NEXT:    %[[B:.*]] = memref.view %[[ARENA]][%[[B0]]][] : memref<1280xi8> to memref<64xf32>
// CHECK-NEXT:    memref.copy %[[A]], %[[OUT:.*]] :
// CHECK-NEXT:    %[[C0:.*]] = arith.constant 0 : index
// CHECK-NEXT:    %[[C:.*]] = memref.view %[[ARENA]][%[[C0]]][] : memref<1280xi8> to memref<128xf32>
// CHECK-NEXT:    linalg.fill {{.*}} outs(%[[C]]
// CHECK-NEXT:    linalg.fill {{.*}} outs(%[[B]]
// CHECK-NEXT:    memref.dealloc %[[ARENA]] : memref<1280xi8>
// CHECK-NEXT:    return
// One allocation of 1280 bytes, the arena, where there were three.
// STATS: at batch 4: 4 kernels (0 parallel), 0 flops, 1 allocations, 1280 bytes of temporaries, at most 1280 live, 1280 in arenas
func.func @sequence(%out: memref<16x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %a = memref.alloc() : memref<16x16xf32>
  linalg.fill ins(%zero : f32) outs(%a : memref<16x16xf32>)
  %b = memref.alloc() : memref<64xf32>
  memref.copy %a, %out : memref<16x16xf32> to memref<16x16xf32>
  memref.dealloc %a : memref<16x16xf32>
  %c = memref.alloc() : memref<128xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<128xf32>)
  memref.dealloc %c : memref<128xf32>
  linalg.fill ins(%zero : f32) outs(%b : memref<64xf32>)
  memref.dealloc %b : memref<64xf32>
  return
}

// -----

// A buffer made in a branch is live across the whole branch op; one read
// through a view is live until the view's last use. Sizes round up to 64
// bytes: a scalar takes a cache line.
// CHECK-LABEL: func.func @branch_and_view
// CHECK:         %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64, weft.static_arena} : memref<128xi8>
// CHECK:         memref.view %[[ARENA]]{{.*}} to memref<4x4xf32>
// CHECK:         scf.if
// CHECK:           %[[S:.*]] = memref.view %[[ARENA]]{{.*}} to memref<f32>
// CHECK-NOT:       memref.dealloc
// CHECK:         }
// CHECK:         memref.copy
// CHECK-NEXT:    memref.dealloc %[[ARENA]]
// CHECK-NOT:     memref.dealloc
// STATS: at batch 4: {{.*}} 1 allocations, 128 bytes of temporaries, at most 128 live, 128 in arenas
func.func @branch_and_view(%flag: i1, %out: memref<4xf32>) {
  %zero = arith.constant 0.0 : f32
  %a = memref.alloc() : memref<4x4xf32>
  linalg.fill ins(%zero : f32) outs(%a : memref<4x4xf32>)
  scf.if %flag {
    %s = memref.alloc() : memref<f32>
    linalg.fill ins(%zero : f32) outs(%s : memref<f32>)
    memref.dealloc %s : memref<f32>
  }
  %row = memref.subview %a[0, 0] [1, 4] [1, 1] : memref<4x4xf32> to memref<4xf32, strided<[1]>>
  memref.dealloc %a : memref<4x4xf32>
  memref.copy %row, %out : memref<4xf32, strided<[1]>> to memref<4xf32>
  return
}

// -----

// Buffers the size of the batch: laid out at batch 1 and scaled. %a (16
// floats a row, 64 bytes) and %b (4 floats, 16 bytes, rounded up to 64)
// are live together; %c (32 bytes) comes after %a is freed and takes its
// place. At batch 1 the arena is 128 bytes; each offset is the batch times
// the one found there.
// CHECK-LABEL: func.func @batch(
// CHECK-SAME:      %[[N:[a-z0-9]+]]: index
// CHECK:         %[[ARENA:.*]] = memref.alloc(%[[N]]) {alignment = 64 : i64, weft.batch_arena} : memref<?x128xi8>
// CHECK-NEXT:    %[[BYTES:.*]] = memref.collapse_shape %[[ARENA]] {{\[\[}}0, 1]] : memref<?x128xi8> into memref<?xi8>
// CHECK-NEXT:    %[[A0:.*]] = arith.constant 0 : index
// CHECK-NEXT:    %[[A1:.*]] = arith.muli %[[N]], %[[A0]] : index
// CHECK-NEXT:    %[[A:.*]] = memref.view %[[BYTES]][%[[A1]]][%[[N]]] : memref<?xi8> to memref<?x16xf32>
// CHECK:         %[[B0:.*]] = arith.constant 64 : index
// CHECK-NEXT:    %[[B1:.*]] = arith.muli %[[N]], %[[B0]] : index
// CHECK-NEXT:    memref.view %[[BYTES]][%[[B1]]][%[[N]]] : memref<?xi8> to memref<?x4xf32>
// CHECK:         %[[C0:.*]] = arith.constant 0 : index
// CHECK-NEXT:    %[[C1:.*]] = arith.muli %[[N]], %[[C0]] : index
// CHECK-NEXT:    memref.view %[[BYTES]][%[[C1]]][%[[N]]] : memref<?xi8> to memref<?x8xf32>
// CHECK:         memref.dealloc %[[ARENA]] : memref<?x128xi8>
// CHECK-NEXT:    return
// At batch 4, one allocation of 4 x 128 bytes.
// STATS: at batch 4: {{.*}} 1 allocations, 512 bytes of temporaries, at most 512 live, 512 in arenas
func.func @batch(%n: index, %out: memref<?x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %a = memref.alloc(%n) : memref<?x16xf32>
  linalg.fill ins(%zero : f32) outs(%a : memref<?x16xf32>)
  %b = memref.alloc(%n) : memref<?x4xf32>
  memref.copy %a, %out : memref<?x16xf32> to memref<?x16xf32>
  memref.dealloc %a : memref<?x16xf32>
  %c = memref.alloc(%n) : memref<?x8xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<?x8xf32>)
  memref.dealloc %c : memref<?x8xf32>
  linalg.fill ins(%zero : f32) outs(%b : memref<?x4xf32>)
  memref.dealloc %b : memref<?x4xf32>
  return
}

// -----

// Buffers that keep their own allocation: a size not a constant times one
// value (two dynamic sizes), one sized by a value made inside a branch, a
// buffer made in a loop (each iteration, or each thread, needs its own),
// one the function returns, and one freed only on some paths. With at most
// one buffer left to place, there is no arena. (The loop runs 4 times
// here: its bound is taken as the batch, so 9 allocations in all.)
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT:     _arena
// CHECK-NOT:     memref.view
// CHECK:         return
// STATS: at batch 4: {{.*}} 9 allocations, {{.*}}, 0 in arenas
func.func @left_alone(%n: index, %flag: i1) -> memref<8xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %square = memref.alloc(%n, %n) : memref<?x?xf32>
  linalg.fill ins(%zero : f32) outs(%square : memref<?x?xf32>)
  memref.dealloc %square : memref<?x?xf32>
  scf.if %flag {
    %m = arith.addi %n, %c1 : index
    %sizedInBranch = memref.alloc(%m) : memref<?xf32>
    linalg.fill ins(%zero : f32) outs(%sizedInBranch : memref<?xf32>)
    memref.dealloc %sizedInBranch : memref<?xf32>
  }
  scf.for %i = %c0 to %n step %c1 {
    %inLoop = memref.alloc() : memref<16xf32>
    linalg.fill ins(%zero : f32) outs(%inLoop : memref<16xf32>)
    memref.dealloc %inLoop : memref<16xf32>
  }
  %returned = memref.alloc() : memref<8xf32>
  %conditional = memref.alloc() : memref<8xf32>
  linalg.fill ins(%zero : f32) outs(%conditional : memref<8xf32>)
  scf.if %flag {
    memref.dealloc %conditional : memref<8xf32>
  }
  %placeable = memref.alloc() : memref<8xf32>
  memref.dealloc %placeable : memref<8xf32>
  return %returned : memref<8xf32>
}
