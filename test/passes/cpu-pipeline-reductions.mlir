// RUN: weft-opt %s --weft-linalg-to-llvm-pipeline | FileCheck %s
// A horizontal sum adds up partial sums kept one per lane, already
// reassociated: the CPU pipeline lets LLVM add them as a tree (reassoc on
// the reduction), not one lane after another.

#x = affine_map<(b, o, i) -> (b, i)>
#w = affine_map<(b, o, i) -> (o, i)>
#y = affine_map<(b, o, i) -> (b, o)>

// A dense layer whose weight is read along the reduction, as x @ W^T: lanes
// along i, one partial sum per lane, then one horizontal sum per output.
// CHECK-LABEL: llvm.func @dense_partial_sums
// CHECK: "llvm.intr.vector.reduce.fadd"({{.*}}) <{fastmathFlags = #llvm.fastmath<reassoc>}> : (f32, vector<{{[0-9]+}}xf32>) -> f32
// CHECK-NOT: "llvm.intr.vector.reduce.fadd"({{.*}}) : (f32, vector
// CHECK: llvm.return
func.func @dense_partial_sums(%x: tensor<2x120xf32>, %w: tensor<84x120xf32>,
                              %init: tensor<2x84xf32>) -> tensor<2x84xf32> {
  %r = linalg.generic {indexing_maps = [#x, #w, #y],
      iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<2x120xf32>, tensor<84x120xf32>)
      outs(%init : tensor<2x84xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q fastmath<reassoc,contract> : f32
    %s = arith.addf %acc, %m fastmath<reassoc,contract> : f32
    linalg.yield %s : f32
  } -> tensor<2x84xf32>
  return %r : tensor<2x84xf32>
}
