// RUN: weft-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(weft-fuse-elementwise{remarks=true})' \
// RUN:   2>/dev/null | FileCheck %s
// RUN: weft-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(weft-fuse-elementwise{remarks=true})' \
// RUN:   2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// (Remarks are reported at the ops' locations, in model.weft, so they are
// checked on stderr rather than with --verify-diagnostics.)
// Tests that weft-fuse-elementwise fuses as upstream's elementwise fusion
// does and explains each decision in the model's terms (layer names and
// places come from the ops' locations).

#id = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>

// A bias add and its activation: one loop nest.
// CHECK-LABEL: func.func @chain
// CHECK-COUNT-1: linalg.generic
// CHECK-NOT: linalg.generic
func.func @chain(%x: tensor<?x64xf32>, %e: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %one = arith.constant 1.0 : f32
  %zero = arith.constant 0.0 : f32
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x64xf32>) outs(%e : tensor<?x64xf32>) {
  ^bb0(%v: f32, %o: f32):
    %s = arith.addf %v, %one : f32
    linalg.yield %s : f32
  } -> tensor<?x64xf32> loc(#bias)
  // REMARK-DAG: remark: fused 'fc1' (model.weft:3:7) into 'relu' (model.weft:4:7): one loop nest
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<?x64xf32>) outs(%e : tensor<?x64xf32>) {
  ^bb0(%v: f32, %o: f32):
    %r = arith.maximumf %v, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x64xf32> loc(#relu)
  return %b : tensor<?x64xf32>
}
#bias = loc("fc1"("model.weft":3:7))
#relu = loc("relu"("model.weft":4:7))

// -----

#id = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>

// A value two ops use stays a loop nest of its own, said once per user;
// an elementwise op after a reduction cannot join it.
// CHECK-LABEL: func.func @kept_apart
// CHECK-COUNT-5: linalg.generic
// CHECK-NOT: linalg.generic
func.func @kept_apart(%x: tensor<?x64xf32>, %e: tensor<?x64xf32>, %r: tensor<?xf32>)
    -> (tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>) {
  %two = arith.constant 2.0 : f32
  %shared = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x64xf32>) outs(%e : tensor<?x64xf32>) {
  ^bb0(%v: f32, %o: f32):
    %m = arith.mulf %v, %two : f32
    linalg.yield %m : f32
  } -> tensor<?x64xf32> loc(#conv)
  // REMARK-DAG: remark: not fused: 'conv1' (model.weft:5:9) feeds 2 ops, and fused into 'pool' (model.weft:6:9) it would be computed again for each
  %u = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%shared : tensor<?x64xf32>) outs(%e : tensor<?x64xf32>) {
  ^bb0(%v: f32, %o: f32):
    %s = arith.addf %v, %two : f32
    linalg.yield %s : f32
  } -> tensor<?x64xf32> loc(#pool)
  // REMARK-DAG: remark: not fused: 'conv1' (model.weft:5:9) feeds 2 ops, and fused into 'vjp(pool)' (model.weft:6:9) it would be computed again for each
  %w = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%shared : tensor<?x64xf32>) outs(%e : tensor<?x64xf32>) {
  ^bb0(%v: f32, %o: f32):
    %s = arith.subf %v, %two : f32
    linalg.yield %s : f32
  } -> tensor<?x64xf32> loc(#vjp)
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<?x64xf32>) outs(%r : tensor<?xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  } -> tensor<?xf32> loc(#loss)
  // REMARK-DAG: remark: not fused: 'loss' (model.weft:9:3) has reductions; elementwise fusion does not fuse into them, so 'vjp(loss)' (model.weft:9:3) runs as a loop nest of its own
  %g = linalg.generic {indexing_maps = [#row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%sum : tensor<?xf32>) outs(%e : tensor<?x64xf32>) {
  ^bb0(%v: f32, %o: f32):
    %d = arith.divf %v, %two : f32
    linalg.yield %d : f32
  } -> tensor<?x64xf32> loc(#vjploss)
  return %u, %w, %g : tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>
}
#conv = loc("conv1"("model.weft":5:9))
#pool = loc("pool"("model.weft":6:9))
#vjp = loc("vjp(pool)"("model.weft":6:9))
#loss = loc("loss"("model.weft":9:3))
#vjploss = loc("vjp(loss)"("model.weft":9:3))

// -----

// A dense layer's input gradient read as the [batch, 16, 5, 5] it flows
// back into (a pool's gradient after flatten): the reshape is not folded
// into the kernel, which keeps its contiguous 400 features for
// weft-tile-and-vectorize's lanes; an elementwise op still takes it.
#a = affine_map<(b, i, o) -> (b, o)>
#w = affine_map<(b, i, o) -> (o, i)>
#r = affine_map<(b, i, o) -> (b, i)>
#id4 = affine_map<(n, c, h, w) -> (n, c, h, w)>
// CHECK-LABEL: func.func @dense_gradient_reshaped
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x120xf32>, tensor<120x400xf32>) outs(%{{.*}} : tensor<?x400xf32>)
// CHECK: tensor.expand_shape {{.*}} : tensor<?x400xf32> into tensor<?x16x5x5xf32>
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<?x16x5x5xf32>)
func.func @dense_gradient_reshaped(%dy: tensor<?x120xf32>, %w: tensor<120x400xf32>,
                                   %init: tensor<?x400xf32>, %mask: tensor<?x16x5x5xf32>)
    -> tensor<?x16x5x5xf32> {
  %dx = linalg.generic {indexing_maps = [#a, #w, #r],
      iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%dy, %w : tensor<?x120xf32>, tensor<120x400xf32>)
      outs(%init : tensor<?x400xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x400xf32>
  %c0 = arith.constant 0 : index
  %n = tensor.dim %dy, %c0 : tensor<?x120xf32>
  %e = tensor.expand_shape %dx [[0], [1, 2, 3]] output_shape [%n, 16, 5, 5]
      : tensor<?x400xf32> into tensor<?x16x5x5xf32>
  %empty = tensor.empty(%n) : tensor<?x16x5x5xf32>
  %g = linalg.generic {indexing_maps = [#id4, #id4, #id4],
      iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%e, %mask : tensor<?x16x5x5xf32>, tensor<?x16x5x5xf32>)
      outs(%empty : tensor<?x16x5x5xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %m = arith.mulf %x, %y : f32
    linalg.yield %m : f32
  } -> tensor<?x16x5x5xf32>
  return %g : tensor<?x16x5x5xf32>
}
