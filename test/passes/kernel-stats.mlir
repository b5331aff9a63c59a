// RUN: weft-opt %s --split-input-file --verify-diagnostics \
// RUN:   --pass-pipeline='builtin.module(weft-kernel-stats{batch=8})'
// RUN: weft-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(linalg-fuse-elementwise-ops,weft-kernel-stats{batch=8})' \
// RUN:   2>&1 | FileCheck %s --check-prefix=FUSED
// Tests the counts of weft-kernel-stats, and with it that elementwise fusion
// makes one kernel of a chain: before fusion (the first RUN line, checked
// by the expected remarks) and after (the second, by FileCheck).

// Three elementwise ops over a batch of 8 x 64: 3 kernels, 3 x 512 flops
// (a comparison counts as one), no allocations on tensors.
// FUSED: remark: at batch 8: 1 kernels (0 parallel), 1536 flops
#id = affine_map<(i, j) -> (i, j)>
// expected-remark @below {{at batch 8: 3 kernels (0 parallel), 1536 flops, 0 allocations, 0 bytes of temporaries, at most 0 live}}
func.func @chain(%x: tensor<?x64xf32>, %e: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %zero = arith.constant 0.0 : f32
  %two = arith.constant 2.0 : f32
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x64xf32>) outs(%e : tensor<?x64xf32>) {
  ^bb0(%v: f32, %o: f32):
    %m = arith.mulf %v, %two : f32
    linalg.yield %m : f32
  } -> tensor<?x64xf32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<?x64xf32>) outs(%e : tensor<?x64xf32>) {
  ^bb0(%v: f32, %o: f32):
    %s = arith.addf %v, %two : f32
    linalg.yield %s : f32
  } -> tensor<?x64xf32>
  %c = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%b : tensor<?x64xf32>) outs(%e : tensor<?x64xf32>) {
  ^bb0(%v: f32, %o: f32):
    %r = arith.maximumf %v, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x64xf32>
  return %c : tensor<?x64xf32>
}

// -----

// Loops and vectors after tiling and bufferization: a parallel loop over
// 8 rows (the dynamic bound is the batch) of a sequential loop of 4 steps,
// each a vector<16> multiply-add (2 x 16 flops): 8 x 4 x 32 = 1024 flops;
// a 16-float buffer allocated in every row: 8 allocations, 512 bytes; and a
// copy, a kernel of its own.
// FUSED: remark: at batch 8: 2 kernels (1 parallel), 1024 flops, 8 allocations, 512 bytes of temporaries
// expected-remark @below {{at batch 8: 2 kernels (1 parallel), 1024 flops, 8 allocations, 512 bytes of temporaries}}
func.func @loops(%m: memref<?x16xf32>, %n: index, %out: memref<?x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %pad = arith.constant 0.0 : f32
  scf.forall (%i) in (%n) {
    %buf = memref.alloc() : memref<16xf32>
    %init = vector.transfer_read %m[%i, %c0], %pad {in_bounds = [true]} : memref<?x16xf32>, vector<16xf32>
    %acc = scf.for %k = %c0 to %c4 step %c1 iter_args(%a = %init) -> (vector<16xf32>) {
      %f = vector.fma %a, %a, %a : vector<16xf32>
      scf.yield %f : vector<16xf32>
    }
    vector.transfer_write %acc, %buf[%c0] {in_bounds = [true]} : vector<16xf32>, memref<16xf32>
    memref.dealloc %buf : memref<16xf32>
  }
  memref.copy %m, %out : memref<?x16xf32> to memref<?x16xf32>
  return
}

// -----

// The peak: the most bytes live at once in program order. %a (8 x 4 x 4 =
// 128 bytes at batch 8) is freed before %b (256) is made; %c (64) is
// returned, so it stays live: at most 256 + 64 = 320 of 448 bytes.
// FUSED: remark: at batch 8: 0 kernels (0 parallel), 0 flops, 3 allocations, 448 bytes of temporaries, at most 320 live
// expected-remark @below {{at batch 8: 0 kernels (0 parallel), 0 flops, 3 allocations, 448 bytes of temporaries, at most 320 live}}
func.func @peak(%n: index) -> memref<16xf32> {
  %c = memref.alloc() : memref<16xf32>
  %a = memref.alloc(%n) : memref<?x4xf32>
  memref.dealloc %a : memref<?x4xf32>
  %b = memref.alloc(%n) : memref<?x8xf32>
  %view = memref.subview %b[0, 0] [%n, 4] [1, 1] : memref<?x8xf32> to memref<?x4xf32, strided<[8, 1]>>
  memref.dealloc %b : memref<?x8xf32>
  return %c : memref<16xf32>
}

// -----

// A flat loop cut into chunks (weft-parallelize-loops): each tile's extent
// is dynamic, at most the chunk of 64 (not the batch): 2 tiles x 64 x 1
// flop = 128 flops, an upper bound of the 100 elements' 100.
// FUSED: remark: at batch 8: 1 kernels (1 parallel), 128 flops
// expected-remark @below {{at batch 8: 1 kernels (1 parallel), 128 flops, 0 allocations, 0 bytes of temporaries}}
func.func @chunks(%x: memref<100xf32>) {
  %two = arith.constant 2.0 : f32
  scf.forall (%i) = (0) to (100) step (64) {
    %size = affine.min affine_map<(d0) -> (-d0 + 100, 64)>(%i)
    %tile = memref.subview %x[%i] [%size] [1] : memref<100xf32> to memref<?xf32, strided<[1], offset: ?>>
    linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
        outs(%tile : memref<?xf32, strided<[1], offset: ?>>) {
    ^bb0(%o: f32):
      %m = arith.mulf %o, %two : f32
      linalg.yield %m : f32
    }
  }
  return
}
