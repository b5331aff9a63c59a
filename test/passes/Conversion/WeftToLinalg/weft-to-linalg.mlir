// RUN: weft-opt %s -split-input-file --convert-weft-to-linalg | FileCheck %s

// Tests that dense starts from the bias broadcast over the batch and
// contracts the input with the [out, in] weight along `in`.
// CHECK-DAG: #[[BIAS:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[ID2:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[Y:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @dense(
// CHECK-SAME:    %[[IN:[^:]*]]: tensor<?x4xf32>, %[[WT:[^:]*]]: tensor<3x4xf32>, %[[B:[^:]*]]: tensor<3xf32>)
// CHECK:       %[[N:.*]] = tensor.dim %[[IN]], %{{.*}}
// CHECK:       %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x3xf32>
// CHECK:       %[[INIT:.*]] = linalg.generic {indexing_maps = [#[[BIAS]], #[[ID2]]], iterator_types = ["parallel", "parallel"]} ins(%[[B]] : tensor<3xf32>) outs(%[[E]]
// CHECK:       linalg.generic {indexing_maps = [#[[X]], #[[W]], #[[Y]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME:    ins(%[[IN]], %[[WT]] : tensor<?x4xf32>, tensor<3x4xf32>) outs(%[[INIT]] : tensor<?x3xf32>)
// CHECK:         arith.mulf
// CHECK:         arith.addf
func.func @dense(%x: tensor<?x4xf32>, %w: tensor<3x4xf32>, %b: tensor<3xf32>) -> tensor<?x3xf32> {
  %y = weft.dense %x, %w, %b : (tensor<?x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}

// -----

// Tests the transposed operand maps of matmul and its zero-filled init.
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-LABEL: func.func @matmul_transpose_lhs
// CHECK:       linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<3x4xf32>)
// CHECK:       linalg.generic {indexing_maps = [#[[A]], #[[B]], #{{.*}}], iterator_types = ["parallel", "parallel", "reduction"]}
func.func @matmul_transpose_lhs(%dy: tensor<?x3xf32>, %x: tensor<?x4xf32>) -> tensor<3x4xf32> {
  %dw = weft.matmul %dy, %x {transpose_lhs} : (tensor<?x3xf32>, tensor<?x4xf32>) -> tensor<3x4xf32>
  return %dw : tensor<3x4xf32>
}

// -----

// Tests relu and its gradient as elementwise maps.
// CHECK-LABEL: func.func @relu
// CHECK:       linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK:         arith.maximumf %{{.*}}, %{{.*}} : f32
// CHECK:       linalg.generic
// CHECK:         %[[POS:.*]] = arith.cmpf ogt
// CHECK:         arith.select %[[POS]]
func.func @relu(%x: tensor<?x3xf32>, %dy: tensor<?x3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
  %y = weft.relu %x : tensor<?x3xf32>
  %dx = weft.relu_grad %x, %dy : tensor<?x3xf32>
  return %y, %dx : tensor<?x3xf32>, tensor<?x3xf32>
}

// -----

// Tests that reshapes collapse the per-example dimensions and expand them
// again, passing the batch through.
// CHECK-LABEL: func.func @reshape(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x1x2x2xf32>
// CHECK:       %[[FLAT:.*]] = tensor.collapse_shape %[[X]] {{\[\[}}0], [1, 2, 3]] : tensor<?x1x2x2xf32> into tensor<?x4xf32>
// CHECK:       tensor.expand_shape %[[FLAT]] {{\[\[}}0], [1, 2]] output_shape [%{{.*}}, 2, 2] : tensor<?x4xf32> into tensor<?x2x2xf32>
func.func @reshape(%x: tensor<?x1x2x2xf32>) -> tensor<?x2x2xf32> {
  %f = weft.reshape %x : tensor<?x1x2x2xf32> -> tensor<?x4xf32>
  %y = weft.reshape %f : tensor<?x4xf32> -> tensor<?x2x2xf32>
  return %y : tensor<?x2x2xf32>
}

// -----

// Tests the batch sum of a bias gradient.
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @reduce_sum
// CHECK:       linalg.generic {indexing_maps = [#{{.*}}, #[[ROW]]], iterator_types = ["reduction", "parallel"]}
// CHECK:         arith.addf
func.func @reduce_sum(%dy: tensor<?x3xf32>) -> tensor<3xf32> {
  %db = weft.reduce_sum %dy {dims = array<i64: 0>} : (tensor<?x3xf32>) -> tensor<3xf32>
  return %db : tensor<3xf32>
}

// -----

// Tests the numerically stable cross-entropy: row max, sum of exp(x - max),
// the label's logit, then mean(log(sum) + max - picked).
// CHECK-LABEL: func.func @cross_entropy
// CHECK:       linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK:         arith.maximumf
// CHECK:       linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK:         arith.subf
// CHECK:         math.exp
// CHECK:       linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK:         linalg.index 1
// CHECK:         arith.index_cast
// CHECK:         arith.cmpi eq
// CHECK:       linalg.generic {{.*}} iterator_types = ["reduction"]
// CHECK:         math.log
// CHECK:       arith.sitofp
// CHECK:       arith.divf
func.func @cross_entropy(%l: tensor<?x3xf32>, %y: tensor<?xi32>) -> tensor<f32> {
  %loss = weft.softmax_cross_entropy %l, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// Tests the cross-entropy gradient: (softmax - one_hot) * dloss / batch.
// CHECK-LABEL: func.func @cross_entropy_grad
// CHECK:       %[[SCALE:.*]] = arith.divf %{{.*}}, %{{.*}} : f32
// CHECK:       linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK:         %[[TARGET:.*]] = arith.select
// CHECK:         math.exp
// CHECK:         %[[P:.*]] = arith.divf
// CHECK:         %[[DIFF:.*]] = arith.subf %[[P]], %[[TARGET]]
// CHECK:         arith.mulf %[[DIFF]], %[[SCALE]]
func.func @cross_entropy_grad(%l: tensor<?x3xf32>, %y: tensor<?xi32>, %d: tensor<f32>) -> tensor<?x3xf32> {
  %g = weft.softmax_cross_entropy_grad %l, %y, %d : (tensor<?x3xf32>, tensor<?xi32>, tensor<f32>) -> tensor<?x3xf32>
  return %g : tensor<?x3xf32>
}

// -----

// Tests SGD as one elementwise loop with two results; Nesterov momentum is
// a 0/1 factor blending buf' and g' + momentum buf'.
// CHECK-LABEL: func.func @sgd(
// CHECK-SAME:    %{{[^:]*}}: tensor<4xf32>, %{{[^:]*}}: tensor<4xf32>, %{{[^:]*}}: tensor<4xf32>, %[[LR:[^:]*]]: f32, %[[MOM:[^:]*]]: f32, %[[WD:[^:]*]]: f32, %[[NEST:[^:]*]]: f32)
// CHECK:       linalg.generic {{.*}} outs(%{{.*}}, %{{.*}} : tensor<4xf32>, tensor<4xf32>)
// CHECK:       ^bb0(%[[P:.*]]: f32, %[[G:.*]]: f32, %[[BUF:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK:         %[[DECAY:.*]] = arith.mulf %[[WD]], %[[P]]
// CHECK:         %[[G2:.*]] = arith.addf %[[G]], %[[DECAY]]
// CHECK:         %[[MB:.*]] = arith.mulf %[[MOM]], %[[BUF]]
// CHECK:         %[[NB:.*]] = arith.addf %[[MB]], %[[G2]]
// CHECK:         %[[MNB:.*]] = arith.mulf %[[MOM]], %[[NB]]
// CHECK:         %[[AHEAD:.*]] = arith.addf %[[G2]], %[[MNB]]
// CHECK:         %[[DIFF:.*]] = arith.subf %[[AHEAD]], %[[NB]]
// CHECK:         %[[BLEND:.*]] = arith.mulf %[[NEST]], %[[DIFF]]
// CHECK:         %[[D:.*]] = arith.addf %[[NB]], %[[BLEND]]
// CHECK:         %[[STEP:.*]] = arith.mulf %[[LR]], %[[D]]
// CHECK:         %[[NP:.*]] = arith.subf %[[P]], %[[STEP]]
// CHECK:         linalg.yield %[[NP]], %[[NB]]
func.func @sgd(%p: tensor<4xf32>, %g: tensor<4xf32>, %b: tensor<4xf32>, %lr: f32, %m: f32, %wd: f32, %n: f32) -> (tensor<4xf32>, tensor<4xf32>) {
  %np, %nb = weft.sgd_update %p, %g, %b lr(%lr) momentum(%m) weight_decay(%wd) nesterov(%n) : tensor<4xf32>
  return %np, %nb : tensor<4xf32>, tensor<4xf32>
}

// -----

// Tests Adam's bias corrections and AdamW's decoupled decay, computed once
// outside the loop: the L2 term (1 - decoupled) wd and the shrink
// 1 - decoupled lr wd applied to the parameter.
// CHECK-LABEL: func.func @adam(
// CHECK-SAME:    %[[LR:[^:]*]]: f32, %[[B1:[^:]*]]: f32, %[[B2:[^:]*]]: f32, %{{[^:]*}}: f32, %[[WD:[^:]*]]: f32, %[[T:[^:]*]]: f32, %[[DEC:[^:]*]]: f32)
// CHECK:       %[[P1:.*]] = math.powf %[[B1]], %[[T]]
// CHECK:       %[[BC1:.*]] = arith.subf %{{.*}}, %[[P1]]
// CHECK:       math.powf %[[B2]], %[[T]]
// CHECK:       arith.divf %[[LR]], %[[BC1]]
// CHECK:       math.sqrt
// CHECK:       %[[KEEP:.*]] = arith.subf %{{.*}}, %[[DEC]]
// CHECK:       %[[L2:.*]] = arith.mulf %[[KEEP]], %[[WD]]
// CHECK:       %[[LRWD:.*]] = arith.mulf %[[LR]], %[[WD]]
// CHECK:       %[[DLRWD:.*]] = arith.mulf %[[DEC]], %[[LRWD]]
// CHECK:       %[[SHRINK:.*]] = arith.subf %{{.*}}, %[[DLRWD]]
// CHECK:       linalg.generic {{.*}} outs(%{{.*}}, %{{.*}}, %{{.*}} : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK:       ^bb0(%[[P:[^:]*]]: f32,
// CHECK:         arith.mulf %[[L2]], %[[P]]
// CHECK:         math.sqrt
// CHECK:         arith.mulf %[[P]], %[[SHRINK]]
// CHECK:         linalg.yield %{{.*}}, %{{.*}}, %{{.*}} : f32, f32, f32
func.func @adam(%p: tensor<4xf32>, %g: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>, %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: f32, %d: f32) -> tensor<4xf32> {
  %np, %nm, %nv = weft.adam_update %p, %g, %m, %v lr(%lr) betas(%b1, %b2) eps(%eps) weight_decay(%wd) step(%t) decoupled(%d) : tensor<4xf32>
  return %np : tensor<4xf32>
}

// -----

// Tests clipping by the global norm: when max_norm > 0 (known at run time),
// one sum of squares per gradient and the scale min(1, max_norm / (norm +
// 1e-6)); otherwise no pass over the gradients and a scale of 1. Then one
// scaling loop per gradient.
// CHECK-LABEL: func.func @clip(
// CHECK-SAME:    %[[A:[^:]*]]: tensor<4x3xf32>, %[[B:[^:]*]]: tensor<?xf32>, %[[MAX:[^:]*]]: f32)
// CHECK:       %[[ON:.*]] = arith.cmpf ogt, %[[MAX]]
// CHECK:       %[[SCALE:.*]] = scf.if %[[ON]] -> (f32) {
// CHECK:         linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]} ins(%[[A]]
// CHECK:         linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%[[B]]
// CHECK:         %[[NORM:.*]] = math.sqrt
// CHECK:         %[[COEF:.*]] = arith.minimumf
// CHECK:         scf.yield %[[COEF]] : f32
// CHECK:       } else {
// CHECK-NEXT:    scf.yield %{{.*}} : f32
// CHECK-NEXT:  }
// CHECK:       linalg.generic {{.*}} ins(%[[A]]
// CHECK:         arith.mulf %{{.*}}, %[[SCALE]]
// CHECK:       linalg.generic {{.*}} ins(%[[B]]
// CHECK:         arith.mulf %{{.*}}, %[[SCALE]]
func.func @clip(%a: tensor<4x3xf32>, %b: tensor<?xf32>, %max: f32) -> (tensor<4x3xf32>, tensor<?xf32>) {
  %c:2 = weft.clip_by_global_norm %a, %b max_norm(%max) : tensor<4x3xf32>, tensor<?xf32>
  return %c#0, %c#1 : tensor<4x3xf32>, tensor<?xf32>
}

// -----

// Tests the elementwise product.
// CHECK-LABEL: func.func @mul
// CHECK:       linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK:         arith.mulf
func.func @mul(%a: tensor<?x3xf32>, %b: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %c = weft.mul %a, %b : tensor<?x3xf32>
  return %c : tensor<?x3xf32>
}
