// RUN: weft-opt %s --split-input-file --weft-fold-fills-into-sums | FileCheck %s
// RUN: weft-opt %s --split-input-file --weft-fold-fills-into-sums --convert-linalg-to-parallel-loops --canonicalize --weft-loops-to-gpu | FileCheck %s --check-prefix=KERNEL

// A fill of zeros, then the product that sums onto it: the product becomes
// loops here, each thread's sum carried in a register from the fill's
// constant; the output is never read, and the fill is gone.
// CHECK-LABEL: func.func @product
// CHECK-SAME:    %[[Y:[^:]*]]: memref<?x16xf32>
// CHECK-NOT:     linalg.
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NOT:     linalg.
// CHECK:         scf.parallel
// CHECK-NEXT:      scf.for {{.*}} iter_args(%{{.*}} = %[[ZERO]]) -> (f32)
// CHECK-NOT:       memref.load %[[Y]]
// CHECK:           memref.store %{{.*}}, %[[Y]]
// CHECK-NOT:     linalg.
//
// One launch: the fill's kernel is gone.
// KERNEL-LABEL: func.func @product
// KERNEL-COUNT-1: gpu.launch
// KERNEL-NOT:     gpu.launch
#a = affine_map<(n, o, k) -> (n, k)>
#b = affine_map<(n, o, k) -> (o, k)>
#c = affine_map<(n, o, k) -> (n, o)>
func.func @product(%x: memref<?x8xf32>, %w: memref<16x8xf32>, %y: memref<?x16xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<?x16xf32>)
  linalg.generic {indexing_maps = [#a, #b, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x8xf32>, memref<16x8xf32>) outs(%y : memref<?x16xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// The sum writes a reshape of the filled buffer (weft-register-tiles split
// its channels): every element is still written once. A maximum starts from
// the fill's -inf the same way.
// CHECK-LABEL: func.func @reshaped_maximum
// CHECK-NOT:     linalg.fill
// CHECK:         %[[LOWEST:.*]] = arith.constant 0xFF800000 : f32
// CHECK-NOT:     linalg.fill
// CHECK:         scf.for {{.*}} iter_args(%{{.*}} = %[[LOWEST]]) -> (f32)
// CHECK-NOT:       memref.load %{{.*}} : memref<?x4x4xf32>
// KERNEL-LABEL: func.func @reshaped_maximum
// KERNEL-COUNT-1: gpu.launch
// KERNEL-NOT:     gpu.launch
#in = affine_map<(n, co, ci, k) -> (n, co, ci, k)>
#out = affine_map<(n, co, ci, k) -> (n, co, ci)>
func.func @reshaped_maximum(%x: memref<?x4x4x9xf32>, %y: memref<?x16xf32>) {
  %c0 = arith.constant 0 : index
  %lowest = arith.constant 0xFF800000 : f32
  linalg.fill ins(%lowest : f32) outs(%y : memref<?x16xf32>)
  %n = memref.dim %y, %c0 : memref<?x16xf32>
  %tiles = memref.expand_shape %y [[0], [1, 2]] output_shape [%n, 4, 4] : memref<?x16xf32> into memref<?x4x4xf32>
  linalg.generic {indexing_maps = [#in, #out],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x : memref<?x4x4x9xf32>) outs(%tiles : memref<?x4x4xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %m = arith.maximumf %acc, %v : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// A bias broadcast starts a product whose thread computes 4 outputs
// (weft-register-tiles: output channel 4 * co + k, the 4 after the
// reduction). Each of the thread's 4 sums starts from the bias of its
// channel, read through the reshape, and the broadcast is gone.
// CHECK-LABEL: func.func @biased_tiles
// CHECK-SAME:    %[[W:[^:]*]]: memref<4x4x8xf32>, %[[B:[^:]*]]: memref<16xf32>
// CHECK-NOT:     linalg.
// CHECK:         scf.parallel (%[[N:.*]], %[[CO:.*]]) =
// CHECK:           %[[AT0:.*]] = affine.linearize_index disjoint [%[[CO]], %[[K0:.*]]] by (4, 4)
// CHECK:           %[[B0:.*]] = memref.load %[[B]][%[[AT0]]]
// CHECK:           %[[AT1:.*]] = affine.linearize_index disjoint [%[[CO]], %[[K1:.*]]] by (4, 4)
// CHECK:           %[[B1:.*]] = memref.load %[[B]][%[[AT1]]]
// CHECK:           %[[AT2:.*]] = affine.linearize_index disjoint [%[[CO]], %[[K2:.*]]] by (4, 4)
// CHECK:           %[[B2:.*]] = memref.load %[[B]][%[[AT2]]]
// CHECK:           %[[AT3:.*]] = affine.linearize_index disjoint [%[[CO]], %[[K3:.*]]] by (4, 4)
// CHECK:           %[[B3:.*]] = memref.load %[[B]][%[[AT3]]]
// CHECK:           %[[SUMS:.*]]:4 = scf.for {{.*}} iter_args(%{{.*}} = %[[B0]], %{{.*}} = %[[B1]], %{{.*}} = %[[B2]], %{{.*}} = %[[B3]]) -> (f32, f32, f32, f32)
// CHECK:             memref.load %[[W]][%[[CO]], %[[K0]], %{{.*}}]
// CHECK:             memref.load %[[W]][%[[CO]], %[[K1]], %{{.*}}]
// CHECK:             memref.load %[[W]][%[[CO]], %[[K2]], %{{.*}}]
// CHECK:             memref.load %[[W]][%[[CO]], %[[K3]], %{{.*}}]
// CHECK:           memref.store %[[SUMS]]#3, %{{.*}}[%[[N]], %[[CO]], %[[K3]]]
// CHECK:           memref.store %[[SUMS]]#2, %{{.*}}[%[[N]], %[[CO]], %[[K2]]]
// CHECK:           memref.store %[[SUMS]]#1, %{{.*}}[%[[N]], %[[CO]], %[[K1]]]
// CHECK:           memref.store %[[SUMS]]#0, %{{.*}}[%[[N]], %[[CO]], %[[K0]]]
// CHECK-NOT:     linalg.
// KERNEL-LABEL: func.func @biased_tiles
// KERNEL-COUNT-1: gpu.launch
// KERNEL-NOT:     gpu.launch
#bias = affine_map<(n, c) -> (c)>
#all = affine_map<(n, c) -> (n, c)>
#x = affine_map<(n, co, ci, k) -> (n, ci)>
#w = affine_map<(n, co, ci, k) -> (co, k, ci)>
#y = affine_map<(n, co, ci, k) -> (n, co, k)>
func.func @biased_tiles(%x: memref<?x8xf32>, %w: memref<4x4x8xf32>, %b: memref<16xf32>, %y: memref<?x16xf32>) {
  %c0 = arith.constant 0 : index
  linalg.generic {indexing_maps = [#bias, #all], iterator_types = ["parallel", "parallel"]}
      ins(%b : memref<16xf32>) outs(%y : memref<?x16xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  }
  %n = memref.dim %y, %c0 : memref<?x16xf32>
  %tiles = memref.expand_shape %y [[0], [1, 2]] output_shape [%n, 4, 4] : memref<?x16xf32> into memref<?x4x4xf32>
  linalg.generic {indexing_maps = [#x, #w, #y],
                  iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
      ins(%x, %w : memref<?x8xf32>, memref<4x4x8xf32>) outs(%tiles : memref<?x4x4xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A parallel dimension of one iteration (a group of one) that the output
// does not index still writes each element once: the bias's sum starts
// from it, computed by the broadcast's body (here bias + 1).
// CHECK-LABEL: func.func @one_group
// CHECK-SAME:    %[[B:[^:]*]]: memref<10xf32>
// CHECK-NOT:     linalg.
// CHECK:         scf.parallel (%{{.*}}, %[[O:[^,]*]], %{{.*}}) =
// CHECK:           %[[BIAS:.*]] = memref.load %[[B]][%[[O]]]
// CHECK:           %[[START:.*]] = arith.addf %[[BIAS]], %{{.*}} : f32
// CHECK:           scf.for {{.*}} iter_args(%{{.*}} = %[[START]]) -> (f32)
// CHECK-NOT:     linalg.
// KERNEL-LABEL: func.func @one_group
// KERNEL-COUNT-1: gpu.launch
// KERNEL-NOT:     gpu.launch
#row = affine_map<(n, o) -> (o)>
#both = affine_map<(n, o) -> (n, o)>
#gx = affine_map<(n, o, g, k) -> (n, g, k)>
#gw = affine_map<(n, o, g, k) -> (o, g, k)>
#gy = affine_map<(n, o, g, k) -> (n, o)>
func.func @one_group(%x: memref<?x1x64xf32>, %w: memref<10x1x64xf32>, %b: memref<10xf32>, %y: memref<?x10xf32>) {
  %one = arith.constant 1.0 : f32
  linalg.generic {indexing_maps = [#row, #both], iterator_types = ["parallel", "parallel"]}
      ins(%b : memref<10xf32>) outs(%y : memref<?x10xf32>) {
  ^bb0(%v: f32, %o: f32):
    %plus = arith.addf %v, %one : f32
    linalg.yield %plus : f32
  }
  linalg.generic {indexing_maps = [#gx, #gw, #gy],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x1x64xf32>, memref<10x1x64xf32>) outs(%y : memref<?x10xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A gradient's fill writes its parameter's shape, a reshape of a part of
// the flat gradient buffer; the sum writes a further reshape of that (its
// thread's 4 outputs). The fill is found through both reshapes.
// CHECK-LABEL: func.func @reshaped_fill
// CHECK-NOT:     linalg.
// CHECK:         scf.for {{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32)
// CHECK-NOT:     linalg.
// KERNEL-LABEL: func.func @reshaped_fill
// KERNEL-COUNT-1: gpu.launch
// KERNEL-NOT:     gpu.launch
#gx = affine_map<(o, i, n, k) -> (n, o, k)>
#gh = affine_map<(o, i, n, k) -> (n, i)>
#gw = affine_map<(o, i, n, k) -> (o, k, i)>
func.func @reshaped_fill(%dy: memref<?x4x4xf32>, %h: memref<?x8xf32>, %grads: memref<200xf32>) {
  %zero = arith.constant 0.0 : f32
  %part = memref.subview %grads[72] [128] [1] : memref<200xf32> to memref<128xf32, strided<[1], offset: 72>>
  %dw = memref.expand_shape %part [[0, 1]] output_shape [16, 8] : memref<128xf32, strided<[1], offset: 72>> into memref<16x8xf32, strided<[8, 1], offset: 72>>
  linalg.fill ins(%zero : f32) outs(%dw : memref<16x8xf32, strided<[8, 1], offset: 72>>)
  %tiles = memref.expand_shape %dw [[0, 1], [2]] output_shape [4, 4, 8] : memref<16x8xf32, strided<[8, 1], offset: 72>> into memref<4x4x8xf32, strided<[32, 8, 1], offset: 72>>
  linalg.generic {indexing_maps = [#gx, #gh, #gw],
                  iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
      ins(%dy, %h : memref<?x4x4xf32>, memref<?x8xf32>) outs(%tiles : memref<4x4x8xf32, strided<[32, 8, 1], offset: 72>>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %t = arith.addf %acc, %m : f32
    linalg.yield %t : f32
  }
  return
}

// -----

// Two sums start from one zeroed buffer: bufferization fills it and copies
// it for the first. The copy is a fill of its output, which folds into the
// first sum; the fill stays for the second, which does not follow it.
// CHECK-LABEL: func.func @copied_fill
// CHECK-SAME:    %[[A:[^:]*]]: memref<?xf32>, %[[B:[^:]*]]: memref<?xf32>
// CHECK:         linalg.fill ins(%{{.*}} : f32) outs(%[[A]] : memref<?xf32>)
// CHECK-NOT:     linalg.copy
// CHECK:         scf.parallel
// CHECK:           scf.for
// CHECK:           memref.store %{{.*}}, %[[B]]
// CHECK:         linalg.generic
// CHECK-SAME:      outs(%[[A]] : memref<?xf32>)
// KERNEL-LABEL: func.func @copied_fill
// KERNEL-COUNT-3: gpu.launch
// KERNEL-NOT:     gpu.launch
#r2 = affine_map<(n, c) -> (n, c)>
#n2 = affine_map<(n, c) -> (n)>
func.func @copied_fill(%x: memref<?x10xf32>, %a: memref<?xf32>, %b: memref<?xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%a : memref<?xf32>)
  linalg.copy ins(%a : memref<?xf32>) outs(%b : memref<?xf32>)
  linalg.generic {indexing_maps = [#r2, #n2], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x10xf32>) outs(%b : memref<?xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %e = math.exp %v : f32
    %t = arith.addf %acc, %e : f32
    linalg.yield %t : f32
  }
  linalg.generic {indexing_maps = [#r2, #n2], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x10xf32>) outs(%a : memref<?xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %t = arith.addf %acc, %v : f32
    linalg.yield %t : f32
  }
  return
}

// -----

// Left as they are: a sum whose threads share outputs (a bias gradient
// spread over the batch: its output map lacks a parallel dimension, and the
// threads add to the filled zeros); a sum that reads the filled buffer as
// an input too; a fill followed by another write before the sum; a
// broadcast that reads memory its output shares (the sum's threads would
// read it after others wrote it); a start computed from its iteration
// (linalg.index has no meaning outside a linalg op).
// CHECK-LABEL: func.func @spread_sum
// CHECK:         linalg.fill
// CHECK:         linalg.generic
// KERNEL-LABEL: func.func @spread_sum
// KERNEL-COUNT-2: gpu.launch
// CHECK-LABEL: func.func @reads_its_output
// CHECK:         linalg.fill
// CHECK:         linalg.generic
// CHECK-LABEL: func.func @written_between
// CHECK:         linalg.fill
// CHECK:         memref.store
// CHECK:         linalg.generic
// CHECK-LABEL: func.func @shares_memory
// CHECK:         linalg.generic
// CHECK:         linalg.generic
// CHECK-LABEL: func.func @start_from_index
// CHECK:         linalg.index
// CHECK:         linalg.generic
#rows = affine_map<(n, c, p) -> (n, c, p)>
#channel = affine_map<(n, c, p) -> (c)>
func.func @spread_sum(%dy: memref<?x8x16xf32>, %db: memref<8xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%db : memref<8xf32>)
  linalg.generic {indexing_maps = [#rows, #channel],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%dy : memref<?x8x16xf32>) outs(%db : memref<8xf32>) {
  ^bb0(%g: f32, %b: f32):
    %s = arith.addf %b, %g : f32
    linalg.yield %s : f32
  }
  return
}
#sq = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>
#row1 = affine_map<(i) -> (i)>
func.func @reads_its_output(%x: memref<16x16xf32>, %y: memref<16xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<16xf32>)
  linalg.generic {indexing_maps = [#sq, #row, #row],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x, %y : memref<16x16xf32>, memref<16xf32>) outs(%y : memref<16xf32>) {
  ^bb0(%v: f32, %r: f32, %acc: f32):
    %m = arith.mulf %v, %r : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}
func.func @written_between(%x: memref<16x16xf32>, %y: memref<16xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<16xf32>)
  memref.store %one, %y[%c0] : memref<16xf32>
  linalg.generic {indexing_maps = [#sq, #row],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<16x16xf32>) outs(%y : memref<16xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  }
  return
}
func.func @shares_memory(%x: memref<16x16xf32>) {
  %arena = memref.alloc() : memref<32xf32>
  %b = memref.subview %arena[0] [16] [1] : memref<32xf32> to memref<16xf32, strided<[1]>>
  %y = memref.subview %arena[16] [16] [1] : memref<32xf32> to memref<16xf32, strided<[1], offset: 16>>
  linalg.generic {indexing_maps = [#row1, #row1], iterator_types = ["parallel"]}
      ins(%b : memref<16xf32, strided<[1]>>) outs(%y : memref<16xf32, strided<[1], offset: 16>>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  }
  linalg.generic {indexing_maps = [#sq, #row],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<16x16xf32>) outs(%y : memref<16xf32, strided<[1], offset: 16>>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  }
  memref.dealloc %arena : memref<32xf32>
  return
}
func.func @start_from_index(%x: memref<16x16xf32>, %y: memref<16xf32>) {
  linalg.generic {indexing_maps = [#row1], iterator_types = ["parallel"]}
      outs(%y : memref<16xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %n = arith.index_cast %i : index to i32
    %v = arith.sitofp %n : i32 to f32
    linalg.yield %v : f32
  }
  linalg.generic {indexing_maps = [#sq, #row],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<16x16xf32>) outs(%y : memref<16xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  }
  return
}
