// RUN: weft-opt %s --split-input-file --weft-spread-reductions | FileCheck %s
// RUN: weft-opt %s --split-input-file --weft-spread-reductions --convert-linalg-to-parallel-loops | FileCheck %s --check-prefix=LOOPS
// RUN: weft-opt %s --split-input-file --weft-spread-reductions --convert-linalg-to-parallel-loops --canonicalize --weft-loops-to-gpu | FileCheck %s --check-prefix=KERNEL

// A bias gradient fused with its activation's gradient, batch first
// (reduction, parallel, reduction): 8 channels give too few threads, so the
// batch is spread over threads and placed first; the positions stay a
// sequential reduction. The bias gradient, which the batch does not index,
// is a sum, so threads may add to it.
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[CHANNEL:.*]] = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-LABEL: func.func @bias_gradient
// CHECK:         linalg.generic {indexing_maps = [#[[ROW]], #[[ROW]], #[[CHANNEL]]], iterator_types = ["parallel", "parallel", "reduction"]}
// LOOPS-LABEL: func.func @bias_gradient
// LOOPS:         scf.parallel (%[[N:.*]], %[[C:.*]]) =
// LOOPS-NEXT:      scf.for
// LOOPS-NOT:         scf.parallel
// LOOPS:         return
#rows = affine_map<(n, c, p) -> (n, c, p)>
#channel = affine_map<(n, c, p) -> (c)>
func.func @bias_gradient(%dy: memref<?x8x16xf32>, %dx: memref<?x8x16xf32>, %db: memref<8xf32>) {
  linalg.generic {indexing_maps = [#rows, #rows, #channel],
                  iterator_types = ["reduction", "parallel", "reduction"]}
      ins(%dy : memref<?x8x16xf32>) outs(%dx, %db : memref<?x8x16xf32>, memref<8xf32>) {
  ^bb0(%g: f32, %x: f32, %b: f32):
    %s = arith.addf %b, %g : f32
    linalg.yield %g, %s : f32, f32
  }
  return
}

// -----

// A weight gradient has threads enough (512 x 256 outputs): its batch
// reduction is only moved inside, not spread.
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @weight_gradient
// CHECK:         linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction"]}
#x = affine_map<(n, i, j) -> (n, i)>
#dy = affine_map<(n, i, j) -> (n, j)>
#dw = affine_map<(n, i, j) -> (i, j)>
func.func @weight_gradient(%x: memref<?x512xf32>, %dy: memref<?x256xf32>, %dw: memref<512x256xf32>) {
  linalg.generic {indexing_maps = [#x, #dy, #dw],
                  iterator_types = ["reduction", "parallel", "parallel"]}
      ins(%x, %dy : memref<?x512xf32>, memref<?x256xf32>) outs(%dw : memref<512x256xf32>) {
  ^bb0(%a: f32, %g: f32, %w: f32):
    %p = arith.mulf %a, %g : f32
    %s = arith.addf %w, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A maximum is not a sum: threads could not combine their parts with an
// atomic addition, so nothing is spread, and the only reduction stays
// sequential after the parallel dimension.
// CHECK-LABEL: func.func @maximum
// CHECK:         iterator_types = ["parallel", "reduction", "reduction"]
#in = affine_map<(n, c, p) -> (n, c, p)>
#out = affine_map<(n, c, p) -> (c)>
func.func @maximum(%x: memref<?x8x16xf32>, %m: memref<8xf32>) {
  linalg.generic {indexing_maps = [#in, #out],
                  iterator_types = ["reduction", "parallel", "reduction"]}
      ins(%x : memref<?x8x16xf32>) outs(%m : memref<8xf32>) {
  ^bb0(%a: f32, %b: f32):
    %s = arith.maximumf %b, %a : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// conv1's bias gradient at fashion_cnn's size: 32 channels and the batch
// (counted as 32) give 1024 threads, and each would sum 676 positions. The
// positions are split as 13 x 52: the 52 run in threads, last, so that
// neighbouring threads read neighbouring elements, and each thread sums 13
// of them, 52 apart. Every operand the positions index is reshaped to
// match; the bias gradient is a sum, added to atomically.
// CHECK-DAG: #[[ALL:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3, d2)>
// CHECK-DAG: #[[BIAS:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-LABEL: func.func @long_bias_gradient
// CHECK-DAG:     %[[DY:.*]] = memref.expand_shape %{{.*}} {{\[}}[0], [1], [2, 3]] output_shape [%{{.*}}, 32, 13, 52] : memref<?x32x676xf32> into memref<?x32x13x52xf32>
// CHECK-DAG:     %[[DX:.*]] = memref.expand_shape %{{.*}} {{\[}}[0], [1], [2, 3]] output_shape [%{{.*}}, 32, 13, 52] : memref<?x32x676xf32> into memref<?x32x13x52xf32>
// CHECK:         linalg.generic {indexing_maps = [#[[ALL]], #[[ALL]], #[[BIAS]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME:      ins(%[[DY]] : memref<?x32x13x52xf32>) outs(%[[DX]], %{{.*}} : memref<?x32x13x52xf32>, memref<32xf32>)
// LOOPS-LABEL: func.func @long_bias_gradient
// LOOPS:         scf.parallel (%{{.*}}, %{{.*}}, %{{.*}}) = (%{{.*}}, %{{.*}}, %{{.*}}) to (%{{.*}}, %c32, %c52)
// LOOPS-NEXT:      scf.for %{{.*}} = %{{.*}} to %c13
#rows = affine_map<(n, c, p) -> (n, c, p)>
#channel = affine_map<(n, c, p) -> (c)>
func.func @long_bias_gradient(%dy: memref<?x32x676xf32>, %dx: memref<?x32x676xf32>, %db: memref<32xf32>) {
  linalg.generic {indexing_maps = [#rows, #rows, #channel],
                  iterator_types = ["reduction", "parallel", "reduction"]}
      ins(%dy : memref<?x32x676xf32>) outs(%dx, %db : memref<?x32x676xf32>, memref<32xf32>) {
  ^bb0(%g: f32, %x: f32, %b: f32):
    %s = arith.addf %b, %g : f32
    linalg.yield %g, %s : f32, f32
  }
  return
}

// -----

// Left whole: a long last reduction inside a window (p + r), which no
// reshape splits, and one whose output is no sum (a maximum).
// CHECK-LABEL: func.func @window_reduction
// CHECK-NOT:     memref.expand_shape
// CHECK:         iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-LABEL: func.func @long_maximum
// CHECK-NOT:     memref.expand_shape
// CHECK:         iterator_types = ["parallel", "reduction"]
#in = affine_map<(c, p, r) -> (c, p + r)>
#window = affine_map<(c, p, r) -> (r)>
#out = affine_map<(c, p, r) -> (c, p)>
func.func @window_reduction(%x: memref<4x163xf32>, %w: memref<64xf32>, %y: memref<4x100xf32>) {
  linalg.generic {indexing_maps = [#in, #window, #out],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<4x163xf32>, memref<64xf32>) outs(%y : memref<4x100xf32>) {
  ^bb0(%a: f32, %b: f32, %s: f32):
    %p = arith.mulf %a, %b : f32
    %t = arith.addf %s, %p : f32
    linalg.yield %t : f32
  }
  return
}
#all = affine_map<(c, p) -> (c, p)>
#one = affine_map<(c, p) -> (c)>
func.func @long_maximum(%x: memref<4x676xf32>, %y: memref<4xf32>) {
  linalg.generic {indexing_maps = [#all, #one],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x676xf32>) outs(%y : memref<4xf32>) {
  ^bb0(%a: f32, %m: f32):
    %t = arith.maximumf %m, %a : f32
    linalg.yield %t : f32
  }
  return
}

// -----

// The gradient of softmax and cross-entropy with the bias gradient of the
// layer before it: one output per class (10 threads), each summing the
// whole batch, whose extent is known only at run time, so no reshape
// splits it. Its iterations are dealt out to threads instead: a new first
// thread dimension of min(batch, 256) threads, thread t running examples
// t, t + threads, ... The logits' gradient, indexed by the example, is
// written by the one thread that runs it; the bias gradient is a sum, and
// each thread adds its part atomically. The payload reads its class index
// (linalg.index): as loops, that is the thread's class.
// CHECK-LABEL: func.func @batch_bias_gradient
// CHECK-NOT:     linalg.generic
// CHECK:         %[[BATCH:.*]] = memref.dim %{{.*}}, %{{.*}} : memref<?x10xf32>
// CHECK:         %[[THREADS:.*]] = arith.minsi %[[BATCH]], %{{.*}} : index
// CHECK:         scf.parallel (%[[T:.*]], %[[C:.*]]) = (%{{.*}}, %{{.*}}) to (%[[THREADS]], %{{.*}})
// CHECK:           scf.for %[[N:.*]] = %[[T]] to %[[BATCH]] step %[[THREADS]]
// CHECK:             memref.store %{{.*}} : memref<?x10xf32>
// CHECK-NOT:     linalg.generic
// KERNEL-LABEL: func.func @batch_bias_gradient
// KERNEL:         %[[BATCH:.*]] = memref.dim %{{.*}}, %{{.*}} : memref<?x10xf32>
// KERNEL:         %[[THREADS:.*]] = arith.minsi %[[BATCH]], %c256 : index
// KERNEL:         gpu.launch
// KERNEL:           %[[SUM:.*]] = scf.for %[[N:.*]] = %{{.*}} to %[[BATCH]] step %[[THREADS]] iter_args(%{{.*}} = %{{.*}}) -> (f32)
// KERNEL:             memref.store %{{.*}}, %{{.*}}[%[[N]], %{{.*}}] : memref<?x10xf32>
// KERNEL:           memref.atomic_rmw addf %[[SUM]], %{{.*}} : (f32, memref<10xf32>) -> f32
#rows = affine_map<(n, c) -> (n, c)>
#example = affine_map<(n, c) -> (n)>
#class = affine_map<(n, c) -> (c)>
func.func @batch_bias_gradient(%p: memref<?x10xf32>, %labels: memref<?xi32>, %dz: memref<?x10xf32>, %db: memref<10xf32>) {
  linalg.generic {indexing_maps = [#rows, #example, #rows, #class],
                  iterator_types = ["reduction", "parallel"]}
      ins(%p, %labels : memref<?x10xf32>, memref<?xi32>) outs(%dz, %db : memref<?x10xf32>, memref<10xf32>) {
  ^bb0(%q: f32, %label: i32, %g: f32, %b: f32):
    %c = linalg.index 1 : index
    %l = arith.index_cast %label : i32 to index
    %hit = arith.cmpi eq, %c, %l : index
    %one = arith.constant 1.0 : f32
    %zero = arith.constant 0.0 : f32
    %target = arith.select %hit, %one, %zero : f32
    %d = arith.subf %q, %target : f32
    %s = arith.addf %b, %d : f32
    linalg.yield %d, %s : f32, f32
  }
  return
}

// -----

// A loss: the batch summed to one number, a kernel of one thread that ran
// every example. Dealt out to min(batch, 256) threads, each adding its
// part. A dense weight gradient of 640 outputs is dealt out to at most 128
// threads each (65536 threads wanted, 640 x 128 = 81920).
// CHECK-LABEL: func.func @loss_sum
// CHECK:         %[[BATCH:.*]] = memref.dim
// CHECK:         %[[THREADS:.*]] = arith.minsi %[[BATCH]], %c256 : index
// CHECK:         scf.parallel (%[[T:.*]]) = (%{{.*}}) to (%[[THREADS]])
// CHECK:           scf.for %{{.*}} = %{{.*}} to %[[BATCH]] step
// KERNEL-LABEL: func.func @loss_sum
// KERNEL:         gpu.launch
// KERNEL:           memref.atomic_rmw addf %{{.*}}, %{{.*}}[] : (f32, memref<f32>) -> f32
// CHECK-LABEL: func.func @small_weight_gradient
// CHECK:         arith.minsi %{{.*}}, %c128 : index
// CHECK:         scf.parallel (%{{.*}}, %{{.*}}, %{{.*}}) =
#each = affine_map<(n) -> (n)>
#total = affine_map<(n) -> ()>
func.func @loss_sum(%l: memref<?xf32>, %sum: memref<f32>) {
  linalg.generic {indexing_maps = [#each, #total], iterator_types = ["reduction"]}
      ins(%l : memref<?xf32>) outs(%sum : memref<f32>) {
  ^bb0(%v: f32, %s: f32):
    %t = arith.addf %s, %v : f32
    linalg.yield %t : f32
  }
  return
}
#dz = affine_map<(n, o, i) -> (n, o)>
#h = affine_map<(n, o, i) -> (n, i)>
#dw = affine_map<(n, o, i) -> (o, i)>
func.func @small_weight_gradient(%g: memref<?x10xf32>, %h: memref<?x64xf32>, %dw: memref<10x64xf32>) {
  linalg.generic {indexing_maps = [#dz, #h, #dw],
                  iterator_types = ["reduction", "parallel", "parallel"]}
      ins(%g, %h : memref<?x10xf32>, memref<?x64xf32>) outs(%dw : memref<10x64xf32>) {
  ^bb0(%a: f32, %b: f32, %w: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %w, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Left sequential: a maximum over the batch (threads could not combine
// their parts by atomic additions).
// CHECK-LABEL: func.func @batch_maximum
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "reduction"]
#rows2 = affine_map<(n, c) -> (n, c)>
#class2 = affine_map<(n, c) -> (c)>
func.func @batch_maximum(%x: memref<?x10xf32>, %m: memref<10xf32>) {
  linalg.generic {indexing_maps = [#rows2, #class2],
                  iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<?x10xf32>) outs(%m : memref<10xf32>) {
  ^bb0(%a: f32, %b: f32):
    %s = arith.maximumf %b, %a : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// An empty dimension: nothing to spread or deal out (and no thread count
// to divide by).
// CHECK-LABEL: func.func @empty
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "reduction"]
#in3 = affine_map<(c, p) -> (c, p)>
#out3 = affine_map<(c, p) -> (c)>
func.func @empty(%x: memref<0x?xf32>, %y: memref<0xf32>) {
  linalg.generic {indexing_maps = [#in3, #out3], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<0x?xf32>) outs(%y : memref<0xf32>) {
  ^bb0(%a: f32, %b: f32):
    %s = arith.addf %b, %a : f32
    linalg.yield %s : f32
  }
  return
}
