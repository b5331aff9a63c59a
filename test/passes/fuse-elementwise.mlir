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
