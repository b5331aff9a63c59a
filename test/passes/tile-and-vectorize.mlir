// RUN: weft-opt %s --split-input-file --verify-diagnostics \
// RUN:   --pass-pipeline='builtin.module(func.func(weft-tile-and-vectorize{remarks=true}),canonicalize,fold-tensor-subset-ops,canonicalize,loop-invariant-subset-hoisting,fold-tensor-subset-ops,weft-fold-fill-reads,canonicalize,cse)' \
// RUN:   | FileCheck %s
// Tests the register blocks of the multiply-accumulate kernels Weft's
// lowering produces: the loops over blocks, the vector block with its
// accumulator read before and written after the reduction loops (once the
// CPU pipeline's canonicalisation, slice folding and subset hoisting have
// run, as in this RUN line), and the
// kernels left as loops, with the reason.

// A forward convolution (fashion_cnn's conv2): lanes along the output
// column (11), rows along output channels (16 of them fill the registers),
// and the three reduction loops (c, kh, kw) step by one inside the block.
#x = affine_map<(n, g, f, oh, ow, c, kh, kw) -> (n, g, c, oh + kh, ow + kw)>
#w = affine_map<(n, g, f, oh, ow, c, kh, kw) -> (g, f, c, kh, kw)>
#o = affine_map<(n, g, f, oh, ow, c, kh, kw) -> (n, g, f, oh, ow)>
// The blocks write disjoint tiles of the output: one scf.forall steps over
// them (batch, 16 channels, output row), for the pipeline to run in parallel.
// CHECK-LABEL: func.func @conv
// CHECK: scf.forall ({{.*}}) = (0, 0, 0) to (%{{.*}}, 64, 11) step (1, 16, 1) shared_outs
// CHECK: %[[ACC:.*]] = vector.transfer_read {{.*}} : tensor<?x1x64x11x11xf32>, vector<16x11xf32>
// CHECK: scf.for {{.*}} to %c32 step %c1 iter_args({{.*}} = %[[ACC]]) -> (vector<16x11xf32>)
// CHECK: scf.for {{.*}} to %c3 step %c1
// CHECK: scf.for {{.*}} to %c3 step %c1
// CHECK-NOT: tensor.extract_slice
// CHECK: arith.mulf {{.*}} : vector<16x11xf32>
// CHECK: arith.addf {{.*}} : vector<16x11xf32>
// CHECK: vector.transfer_write {{.*}} : vector<16x11xf32>, tensor<1x1x16x1x11xf32>
// CHECK: scf.forall.in_parallel
// CHECK-NEXT: tensor.parallel_insert_slice {{.*}} [1, 1, 16, 1, 11] [1, 1, 1, 1, 1]
// CHECK-NOT: linalg.generic
func.func @conv(%x: tensor<?x1x32x13x13xf32>, %w: tensor<1x64x32x3x3xf32>,
                %init: tensor<?x1x64x11x11xf32>) -> tensor<?x1x64x11x11xf32> {
  // expected-remark @below {{kernel vectorised: blocks of 16 row(s) x 11 lanes (lanes: loop 4, rows: loop 2), blocks in parallel}}
  %r = linalg.generic {indexing_maps = [#x, #w, #o],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel",
                        "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<?x1x32x13x13xf32>, tensor<1x64x32x3x3xf32>)
      outs(%init : tensor<?x1x64x11x11xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b fastmath<reassoc,contract> : f32
    %s = arith.addf %acc, %m fastmath<reassoc,contract> : f32
    linalg.yield %s : f32
  } -> tensor<?x1x64x11x11xf32>
  return %r : tensor<?x1x64x11x11xf32>
}

// -----

// A weight gradient: the output's contiguous dimension is the kernel width
// (3), so the lanes run along the output column, a reduction loop contiguous
// in both inputs, with one partial sum per lane, added up after the loop.
// Both inputs are then loaded as vectors at every step, so the rows run
// along two dimensions, one per input: 4 output channels (dy moves with
// them) by 4 input channels (x does): 8 loads for 16 multiply-adds, where
// 16 rows of one dimension took 17.
#x = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (n, g, c, oh + kh, ow + kw)>
#dy = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (n, g, f, oh, ow)>
#dw = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (g, f, c, kh, kw)>
// The partial sums start from zero in registers (weft-fold-fill-reads) and
// are added up as vectors: no buffer holds them.
// CHECK-LABEL: func.func @weight_gradient
// CHECK: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<4x4x11xf32>
// CHECK: scf.forall ({{.*}}) = (0, 0, 0, 0) to (64, 32, 3, 3) step (4, 4, 1, 1)
// CHECK: scf.for {{.*}} iter_args({{.*}} = %[[ZERO]]) -> (vector<4x4x11xf32>)
// CHECK: arith.mulf {{.*}} : vector<4x4x11xf32>
// CHECK: arith.addf {{.*}} : vector<4x4x11xf32>
// CHECK: vector.multi_reduction <add>, {{.*}} [5] : vector<1x4x4x1x1x11xf32> to vector<1x4x4x1x1xf32>
// CHECK: vector.transfer_write
// CHECK-NOT: linalg.fill
// CHECK-NOT: linalg.reduce
func.func @weight_gradient(%x: tensor<?x1x32x13x13xf32>, %dy: tensor<?x1x64x11x11xf32>,
                           %init: tensor<1x64x32x3x3xf32>) -> tensor<1x64x32x3x3xf32> {
  // expected-remark @below {{kernel vectorised: blocks of 4 row(s) x 11 lanes (lanes: loop 7, rows: loop 1 x 4 (loop 2)), one partial sum per lane, blocks in parallel}}
  %r = linalg.generic {indexing_maps = [#x, #dy, #dw],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel",
                        "reduction", "reduction", "reduction"]}
      ins(%x, %dy : tensor<?x1x32x13x13xf32>, tensor<?x1x64x11x11xf32>)
      outs(%init : tensor<1x64x32x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b fastmath<reassoc,contract> : f32
    %s = arith.addf %acc, %m fastmath<reassoc,contract> : f32
    linalg.yield %s : f32
  } -> tensor<1x64x32x3x3xf32>
  return %r : tensor<1x64x32x3x3xf32>
}

// -----

// lenet's first convolution: rows could run along output rows (28 of them,
// 7 per block) or output channels (6). Channels win: each row then takes one
// broadcast weight, where image rows would each load a vector. Its 28
// output columns would be an odd-sized vector, which LLVM assembles from
// pieces through the stack; the kernel is split along them into kernels of
// 16, 8 and 4 columns (upstream's linalg::splitOp), one whole register each,
// the later ones accumulating into the earlier ones' result. Six rows of
// one register each would wait on each other's multiply-adds: the blocks
// take two output rows as well, 12 independent accumulators.
#x = affine_map<(n, g, f, oh, ow, c, kh, kw) -> (n, g, c, oh + kh, ow + kw)>
#w = affine_map<(n, g, f, oh, ow, c, kh, kw) -> (g, f, c, kh, kw)>
#o = affine_map<(n, g, f, oh, ow, c, kh, kw) -> (n, g, f, oh, ow)>
// CHECK-LABEL: func.func @conv_broadcast_rows
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<6x2x16xf32>)
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<6x2x8xf32>)
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<6x2x4xf32>)
// CHECK-NOT: vector<6x28xf32>
func.func @conv_broadcast_rows(%x: tensor<?x1x1x32x32xf32>, %w: tensor<1x6x1x5x5xf32>,
                               %init: tensor<?x1x6x28x28xf32>) -> tensor<?x1x6x28x28xf32> {
  // expected-remark @below {{kernel split: 28 lanes (loop 4) as 16 + 12}}
  // expected-remark @below {{kernel vectorised: blocks of 6 row(s) x 16 lanes (lanes: loop 4, rows: loop 2 x 2 (loop 3)), blocks in parallel}}
  // expected-remark @below {{kernel split: 12 lanes (loop 4) as 8 + 4}}
  // expected-remark @below {{kernel vectorised: blocks of 6 row(s) x 8 lanes (lanes: loop 4, rows: loop 2 x 2 (loop 3)), blocks in parallel}}
  // expected-remark @below {{kernel vectorised: blocks of 6 row(s) x 4 lanes (lanes: loop 4, rows: loop 2 x 2 (loop 3)), blocks in parallel}}
  %r = linalg.generic {indexing_maps = [#x, #w, #o],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel",
                        "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<?x1x1x32x32xf32>, tensor<1x6x1x5x5xf32>)
      outs(%init : tensor<?x1x6x28x28xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b fastmath<reassoc,contract> : f32
    %s = arith.addf %acc, %m fastmath<reassoc,contract> : f32
    linalg.yield %s : f32
  } -> tensor<?x1x6x28x28xf32>
  return %r : tensor<?x1x6x28x28xf32>
}

// -----

// Its weight gradient: the output row is the kernel width, 5, which would
// fill a third of a register; the output column (28, a reduction contiguous
// in both inputs) fills almost two, with one partial sum per lane. Split
// along that reduction (16 + 8 + 4 columns), each piece adds its partial
// sums to what the one before it left. Rows: 3 output channels by the 5
// kernel rows (x reads row oh + kh, and oh steps by one in the block). The
// kernel width cannot be rows: x reads ow + kw, and ow is the lanes.
#x = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (n, g, c, oh + kh, ow + kw)>
#dy = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (n, g, f, oh, ow)>
#dw = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (g, f, c, kh, kw)>
// CHECK-LABEL: func.func @weight_gradient_short_rows
// CHECK: %[[FIRST:.*]] = scf.forall
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<3x5x16xf32>)
// CHECK: vector.multi_reduction <add>
// CHECK: %[[SECOND:.*]] = scf.forall {{.*}} shared_outs({{.*}} = %[[FIRST]])
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<3x5x8xf32>)
// CHECK: vector.multi_reduction <add>
// CHECK: scf.forall {{.*}} shared_outs({{.*}} = %[[SECOND]])
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<3x5x4xf32>)
// CHECK: vector.multi_reduction <add>
func.func @weight_gradient_short_rows(%x: tensor<?x1x1x32x32xf32>, %dy: tensor<?x1x6x28x28xf32>,
                                      %init: tensor<1x6x1x5x5xf32>) -> tensor<1x6x1x5x5xf32> {
  // expected-remark @below {{kernel split: 28 lanes (loop 7) as 16 + 12}}
  // expected-remark @below {{kernel vectorised: blocks of 3 row(s) x 16 lanes (lanes: loop 7, rows: loop 1 x 5 (loop 3)), one partial sum per lane, blocks in parallel}}
  // expected-remark @below {{kernel split: 12 lanes (loop 7) as 8 + 4}}
  // expected-remark @below {{kernel vectorised: blocks of 3 row(s) x 8 lanes (lanes: loop 7, rows: loop 1 x 5 (loop 3)), one partial sum per lane, blocks in parallel}}
  // expected-remark @below {{kernel vectorised: blocks of 3 row(s) x 4 lanes (lanes: loop 7, rows: loop 1 x 5 (loop 3)), one partial sum per lane, blocks in parallel}}
  %r = linalg.generic {indexing_maps = [#x, #dy, #dw],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel",
                        "reduction", "reduction", "reduction"]}
      ins(%x, %dy : tensor<?x1x1x32x32xf32>, tensor<?x1x6x28x28xf32>)
      outs(%init : tensor<1x6x1x5x5xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b fastmath<reassoc,contract> : f32
    %s = arith.addf %acc, %m fastmath<reassoc,contract> : f32
    linalg.yield %s : f32
  } -> tensor<1x6x1x5x5xf32>
  return %r : tensor<1x6x1x5x5xf32>
}

// -----

// A dense layer, y[m, n] += x[m, k] * w[n, k]: the weight moves with the
// output column at a stride, so the lanes run along k (contiguous in both),
// 64 at a time, with four weight rows per block.
#x = affine_map<(m, n, k) -> (m, k)>
#w = affine_map<(m, n, k) -> (n, k)>
#y = affine_map<(m, n, k) -> (m, n)>
// CHECK-LABEL: func.func @dense
// CHECK: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<4x64xf32>
// CHECK: scf.forall ({{.*}}) = (0, 0) to (%{{.*}}, 64) step (1, 4)
// CHECK: scf.for {{.*}} to %c1600 step %c64 iter_args({{.*}} = %[[ZERO]]) -> (vector<4x64xf32>)
// CHECK: arith.mulf {{.*}} : vector<4x64xf32>
// CHECK: vector.multi_reduction <add>, {{.*}} [2] : vector<1x4x64xf32> to vector<1x4xf32>
// CHECK-NOT: linalg.reduce
func.func @dense(%x: tensor<?x1600xf32>, %w: tensor<64x1600xf32>,
                 %init: tensor<?x64xf32>) -> tensor<?x64xf32> {
  // expected-remark @below {{kernel vectorised: blocks of 4 row(s) x 64 lanes (lanes: loop 2, rows: loop 1), one partial sum per lane, blocks in parallel}}
  %r = linalg.generic {indexing_maps = [#x, #w, #y],
      iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<?x1600xf32>, tensor<64x1600xf32>)
      outs(%init : tensor<?x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b fastmath<reassoc,contract> : f32
    %s = arith.addf %acc, %m fastmath<reassoc,contract> : f32
    linalg.yield %s : f32
  } -> tensor<?x64xf32>
  return %r : tensor<?x64xf32>
}

// -----

// The same dense layer with relu after it: each block adds up its partial
// sums and applies relu to them before storing, so relu has no loop nest of
// its own and the layer's sums are never stored.
// CHECK-LABEL: func.func @dense_relu
// CHECK: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<1x4xf32>
// CHECK: scf.forall ({{.*}}) = (0, 0) to (%{{.*}}, 64) step (1, 4)
// CHECK: scf.for {{.*}} -> (vector<4x64xf32>)
// CHECK: %[[SUM:.*]] = vector.multi_reduction <add>, {{.*}} [2] : vector<1x4x64xf32> to vector<1x4xf32>
// CHECK: %[[RELU:.*]] = arith.maximumf %[[SUM]], %[[ZERO]] : vector<1x4xf32>
// CHECK: vector.transfer_write %[[RELU]]
// CHECK: scf.forall.in_parallel
// CHECK-NOT: linalg.generic
// CHECK-NOT: arith.maximumf
#x = affine_map<(m, n, k) -> (m, k)>
#w = affine_map<(m, n, k) -> (n, k)>
#y = affine_map<(m, n, k) -> (m, n)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @dense_relu(%x: tensor<?x1600xf32>, %w: tensor<64x1600xf32>,
                      %init: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %zero = arith.constant 0.0 : f32
  // expected-remark @below {{kernel vectorised: blocks of 4 row(s) x 64 lanes (lanes: loop 2, rows: loop 1), one partial sum per lane, blocks in parallel, with the elementwise op after it applied to each block}}
  %r = linalg.generic {indexing_maps = [#x, #w, #y],
      iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<?x1600xf32>, tensor<64x1600xf32>)
      outs(%init : tensor<?x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b fastmath<reassoc,contract> : f32
    %s = arith.addf %acc, %m fastmath<reassoc,contract> : f32
    linalg.yield %s : f32
  } -> tensor<?x64xf32>
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x1600xf32>
  %e = tensor.empty(%n) : tensor<?x64xf32>
  %y = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%r : tensor<?x64xf32>) outs(%e : tensor<?x64xf32>) {
  ^bb0(%v: f32, %o: f32):
    %t = arith.maximumf %v, %zero : f32
    linalg.yield %t : f32
  } -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// A kernel with fewer multiply-adds than parallel-work (16 batch rows, as
// the estimate takes a dynamic batch, x 8 x 64 = 8192) keeps its blocks in
// sequence: starting threads would cost more than the work.
// CHECK-LABEL: func.func @small_dense
// CHECK-NOT: scf.forall
// CHECK: scf.for {{.*}} to %dim step %c1 iter_args({{.*}}) -> (tensor<?x8xf32>)
// CHECK: arith.mulf {{.*}} : vector<8xf32>
// CHECK: tensor.insert_slice
// CHECK-NOT: scf.forall
func.func @small_dense(%x: tensor<?x64xf32>, %w: tensor<64x8xf32>,
                       %init: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // expected-remark @below {{kernel vectorised: blocks of 1 row(s) x 8 lanes (lanes: loop 1), blocks in sequence}}
  %r = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                        affine_map<(m, n, k) -> (k, n)>,
                                        affine_map<(m, n, k) -> (m, n)>],
      iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<?x64xf32>, tensor<64x8xf32>)
      outs(%init : tensor<?x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b fastmath<reassoc,contract> : f32
    %s = arith.addf %acc, %m fastmath<reassoc,contract> : f32
    linalg.yield %s : f32
  } -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}

// -----

// lenet's fc1 input gradient, dx[n, 400] = dy[n, 120] . w[120, 400]: its
// only dimension for rows is the batch, dynamic, so a block is one row.
// One register of lanes would be one chain of dependent multiply-adds; the
// block takes 5 (80 lanes, the most up to 8 registers that divide 400).
// The loops over blocks put the batch innermost, so that consecutive
// blocks read the same 120 x 80 tile of the weight (from L1, not L2).
// CHECK-LABEL: func.func @dense_input_gradient
// CHECK: scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (400, %{{.*}}) step (80, 1)
// CHECK: arith.mulf {{.*}} : vector<80xf32>
func.func @dense_input_gradient(%dy: tensor<?x120xf32>, %w: tensor<120x400xf32>,
                                %init: tensor<?x400xf32>) -> tensor<?x400xf32> {
  // expected-remark @below {{kernel vectorised: blocks of 1 row(s) x 80 lanes (lanes: loop 1), blocks in parallel}}
  %r = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                        affine_map<(m, n, k) -> (k, n)>,
                                        affine_map<(m, n, k) -> (m, n)>],
      iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%dy, %w : tensor<?x120xf32>, tensor<120x400xf32>)
      outs(%init : tensor<?x400xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b fastmath<reassoc,contract> : f32
    %s = arith.addf %acc, %m fastmath<reassoc,contract> : f32
    linalg.yield %s : f32
  } -> tensor<?x400xf32>
  return %r : tensor<?x400xf32>
}

// -----

// Left as they are, with the reason: a long row that no vector width
// divides, and a single-input reduction (a bias gradient).
// CHECK-LABEL: func.func @left_alone
// CHECK-COUNT-2: linalg.generic
// CHECK-NOT: vector.
func.func @left_alone(%a: tensor<?x257xf32>, %b: tensor<?x257xf32>,
                      %init: tensor<257xf32>, %bias: tensor<257xf32>)
    -> (tensor<257xf32>, tensor<257xf32>) {
  // expected-remark @below {{kernel left as loops: neither the output's contiguous dimension nor a reduction contiguous in an input is static and at least 4 long}}
  %r = linalg.generic {indexing_maps = [affine_map<(j, i) -> (i, j)>,
                                        affine_map<(j, i) -> (i, j)>,
                                        affine_map<(j, i) -> (j)>],
      iterator_types = ["parallel", "reduction"]}
      ins(%a, %b : tensor<?x257xf32>, tensor<?x257xf32>)
      outs(%init : tensor<257xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<257xf32>
  // expected-remark @below {{kernel left as loops: not a two-input, one-output kernel on tensors}}
  %g = linalg.generic {indexing_maps = [affine_map<(j, i) -> (i, j)>,
                                        affine_map<(j, i) -> (j)>],
      iterator_types = ["parallel", "reduction"]}
      ins(%a : tensor<?x257xf32>) outs(%bias : tensor<257xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  } -> tensor<257xf32>
  return %r, %g : tensor<257xf32>, tensor<257xf32>
}

// -----

// A weight gradient of a 1 x 5 kernel: the only dimension x moves along
// besides the lanes is the kernel width, and x reads ow + kw with ow the
// lanes, so the kernel width cannot be a second dimension of rows (the
// vectoriser takes no sum of dimensions): one dimension of rows, as before.
#x = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (n, g, c, oh + kh, ow + kw)>
#dy = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (n, g, f, oh, ow)>
#dw = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (g, f, c, kh, kw)>
// CHECK-LABEL: func.func @weight_gradient_no_second_rows
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<16x16xf32>)
func.func @weight_gradient_no_second_rows(%x: tensor<?x1x1x8x20xf32>, %dy: tensor<?x1x16x8x16xf32>,
                                          %init: tensor<1x16x1x1x5xf32>) -> tensor<1x16x1x1x5xf32> {
  // expected-remark @below {{kernel vectorised: blocks of 16 row(s) x 16 lanes (lanes: loop 7, rows: loop 1), one partial sum per lane, blocks in parallel}}
  %r = linalg.generic {indexing_maps = [#x, #dy, #dw],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel",
                        "reduction", "reduction", "reduction"]}
      ins(%x, %dy : tensor<?x1x1x8x20xf32>, tensor<?x1x16x8x16xf32>)
      outs(%init : tensor<1x16x1x1x5xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b fastmath<reassoc,contract> : f32
    %s = arith.addf %acc, %m fastmath<reassoc,contract> : f32
    linalg.yield %s : f32
  } -> tensor<1x16x1x1x5xf32>
  return %r : tensor<1x16x1x1x5xf32>
}

// -----

// A convolution followed by its relu, which reads the result through a
// reshape (the group dimension dropped): relu moves before the reshape, and
// each block applies it to its accumulators and stores only relu's result.
// No loop nest of its own is left for relu, and the convolution's result is
// never stored.
#x = affine_map<(n, g, f, oh, ow, c, kh, kw) -> (n, g, c, oh + kh, ow + kw)>
#w = affine_map<(n, g, f, oh, ow, c, kh, kw) -> (g, f, c, kh, kw)>
#o = affine_map<(n, g, f, oh, ow, c, kh, kw) -> (n, g, f, oh, ow)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @conv_relu
// CHECK: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<1x1x16x1x11xf32>
// CHECK: scf.forall ({{.*}}) = (0, 0, 0) to (%{{.*}}, 64, 11) step (1, 16, 1) shared_outs
// CHECK: scf.for {{.*}} -> (vector<16x11xf32>)
// CHECK: arith.mulf {{.*}} : vector<16x11xf32>
// CHECK: %[[ACC:.*]] = vector.transpose
// CHECK: %[[RELU:.*]] = arith.maximumf %[[ACC]], %[[ZERO]] : vector<1x1x16x1x11xf32>
// CHECK: vector.transfer_write %[[RELU]]
// CHECK: scf.forall.in_parallel
// CHECK: tensor.collapse_shape
// CHECK-NOT: linalg.generic
// CHECK-NOT: arith.maximumf
func.func @conv_relu(%x: tensor<?x1x32x13x13xf32>, %w: tensor<1x64x32x3x3xf32>,
                     %init: tensor<?x1x64x11x11xf32>) -> tensor<?x64x11x11xf32> {
  %zero = arith.constant 0.0 : f32
  // expected-remark @below {{kernel vectorised: blocks of 16 row(s) x 11 lanes (lanes: loop 4, rows: loop 2), blocks in parallel, with the elementwise op after it applied to each block}}
  %r = linalg.generic {indexing_maps = [#x, #w, #o],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel",
                        "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<?x1x32x13x13xf32>, tensor<1x64x32x3x3xf32>)
      outs(%init : tensor<?x1x64x11x11xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b fastmath<reassoc,contract> : f32
    %s = arith.addf %acc, %m fastmath<reassoc,contract> : f32
    linalg.yield %s : f32
  } -> tensor<?x1x64x11x11xf32>
  %c = tensor.collapse_shape %r [[0], [1, 2], [3], [4]] : tensor<?x1x64x11x11xf32> into tensor<?x64x11x11xf32>
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x1x32x13x13xf32>
  %e = tensor.empty(%n) : tensor<?x64x11x11xf32>
  %y = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c : tensor<?x64x11x11xf32>) outs(%e : tensor<?x64x11x11xf32>) {
  ^bb0(%v: f32, %o: f32):
    %t = arith.maximumf %v, %zero : f32
    linalg.yield %t : f32
  } -> tensor<?x64x11x11xf32>
  return %y : tensor<?x64x11x11xf32>
}

// -----

// The same, but something else reads the convolution's result too: it must
// be stored whole, and relu stays a loop nest of its own.
#x = affine_map<(n, g, f, oh, ow, c, kh, kw) -> (n, g, c, oh + kh, ow + kw)>
#w = affine_map<(n, g, f, oh, ow, c, kh, kw) -> (g, f, c, kh, kw)>
#o = affine_map<(n, g, f, oh, ow, c, kh, kw) -> (n, g, f, oh, ow)>
#id5 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
// CHECK-LABEL: func.func @conv_relu_shared
// CHECK: scf.forall
// CHECK-NOT: arith.maximumf
// CHECK: scf.forall.in_parallel
// CHECK: linalg.generic
// CHECK: arith.maximumf
func.func @conv_relu_shared(%x: tensor<?x1x32x13x13xf32>, %w: tensor<1x64x32x3x3xf32>,
                            %init: tensor<?x1x64x11x11xf32>)
    -> (tensor<?x1x64x11x11xf32>, tensor<?x1x64x11x11xf32>) {
  %zero = arith.constant 0.0 : f32
  // expected-remark @below {{kernel vectorised: blocks of 16 row(s) x 11 lanes (lanes: loop 4, rows: loop 2), blocks in parallel}}
  %r = linalg.generic {indexing_maps = [#x, #w, #o],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel",
                        "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<?x1x32x13x13xf32>, tensor<1x64x32x3x3xf32>)
      outs(%init : tensor<?x1x64x11x11xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b fastmath<reassoc,contract> : f32
    %s = arith.addf %acc, %m fastmath<reassoc,contract> : f32
    linalg.yield %s : f32
  } -> tensor<?x1x64x11x11xf32>
  %y = linalg.generic {indexing_maps = [#id5, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%r : tensor<?x1x64x11x11xf32>) outs(%init : tensor<?x1x64x11x11xf32>) {
  ^bb0(%v: f32, %o: f32):
    %t = arith.maximumf %v, %zero : f32
    linalg.yield %t : f32
  } -> tensor<?x1x64x11x11xf32>
  return %r, %y : tensor<?x1x64x11x11xf32>, tensor<?x1x64x11x11xf32>
}

// -----

// lenet's first convolution with its relu: the kernel is split into 16, 8
// and 4 columns, and the relu with it, each piece of relu reading its piece
// of the convolution, so that every piece applies relu to its accumulators.
// No loop nest is left for relu.
#x = affine_map<(n, g, f, oh, ow, c, kh, kw) -> (n, g, c, oh + kh, ow + kw)>
#w = affine_map<(n, g, f, oh, ow, c, kh, kw) -> (g, f, c, kh, kw)>
#o = affine_map<(n, g, f, oh, ow, c, kh, kw) -> (n, g, f, oh, ow)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @split_conv_relu
// CHECK: scf.for {{.*}} -> (vector<6x2x16xf32>)
// CHECK: arith.maximumf {{.*}} : vector<1x1x6x2x16xf32>
// CHECK: scf.for {{.*}} -> (vector<6x2x8xf32>)
// CHECK: arith.maximumf {{.*}} : vector<1x1x6x2x8xf32>
// CHECK: scf.for {{.*}} -> (vector<6x2x4xf32>)
// CHECK: arith.maximumf {{.*}} : vector<1x1x6x2x4xf32>
// CHECK-NOT: linalg.generic
// CHECK-NOT: arith.maximumf
func.func @split_conv_relu(%x: tensor<?x1x1x32x32xf32>, %w: tensor<1x6x1x5x5xf32>,
                           %init: tensor<?x1x6x28x28xf32>) -> tensor<?x6x28x28xf32> {
  %zero = arith.constant 0.0 : f32
  // expected-remark @below {{kernel split: 28 lanes (loop 4) as 16 + 12}}
  // expected-remark @below {{kernel vectorised: blocks of 6 row(s) x 16 lanes (lanes: loop 4, rows: loop 2 x 2 (loop 3)), blocks in parallel, with the elementwise op after it applied to each block}}
  // expected-remark @below {{kernel split: 12 lanes (loop 4) as 8 + 4}}
  // expected-remark @below {{kernel vectorised: blocks of 6 row(s) x 8 lanes (lanes: loop 4, rows: loop 2 x 2 (loop 3)), blocks in parallel, with the elementwise op after it applied to each block}}
  // expected-remark @below {{kernel vectorised: blocks of 6 row(s) x 4 lanes (lanes: loop 4, rows: loop 2 x 2 (loop 3)), blocks in parallel, with the elementwise op after it applied to each block}}
  %r = linalg.generic {indexing_maps = [#x, #w, #o],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel",
                        "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<?x1x1x32x32xf32>, tensor<1x6x1x5x5xf32>)
      outs(%init : tensor<?x1x6x28x28xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b fastmath<reassoc,contract> : f32
    %s = arith.addf %acc, %m fastmath<reassoc,contract> : f32
    linalg.yield %s : f32
  } -> tensor<?x1x6x28x28xf32>
  %c = tensor.collapse_shape %r [[0], [1, 2], [3], [4]] : tensor<?x1x6x28x28xf32> into tensor<?x6x28x28xf32>
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x1x1x32x32xf32>
  %e = tensor.empty(%n) : tensor<?x6x28x28xf32>
  %y = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c : tensor<?x6x28x28xf32>) outs(%e : tensor<?x6x28x28xf32>) {
  ^bb0(%v: f32, %o: f32):
    %t = arith.maximumf %v, %zero : f32
    linalg.yield %t : f32
  } -> tensor<?x6x28x28xf32>
  return %y : tensor<?x6x28x28xf32>
}

// -----

// A convolution's input gradient (lenet's conv2): the output gradient
// (10x10) padded by kernel - 1 = 4 zeros on every side. The block is two
// output rows (6 x 2 accumulators, enough to hide the multiply-adds'
// latency, and the fewest rows that do: each reaches further into the
// padding); the kernel-row loop runs only over the rows that reach the
// gradient from either, [max(0, 3 - oh), min(5, 14 - oh)), since a padding
// row adds zero. The columns are the lanes: every kernel column reaches
// some of the 10 nonzero columns, so that loop keeps its bounds.
#dyp = affine_map<(n, g, c, oh, ow, f, kh, kw) -> (n, g, f, oh + kh, ow + kw)>
#wf = affine_map<(n, g, c, oh, ow, f, kh, kw) -> (g, f, c, kh, kw)>
#dx = affine_map<(n, g, c, oh, ow, f, kh, kw) -> (n, g, c, oh, ow)>
// CHECK-DAG: #[[FIRST:.*]] = affine_map<()[s0] -> (-s0 + 3, 0)>
// CHECK-DAG: #[[LAST:.*]] = affine_map<()[s0] -> (-s0 + 14, 5)>
// CHECK-LABEL: func.func @input_gradient_skips_padding
// CHECK: scf.forall (%{{.*}}, %[[OH:.*]]) = (0, 0) to (%{{.*}}, 14) step (1, 2)
// CHECK: scf.for {{.*}} to %c16 step %c1
// CHECK: %[[LO:.*]] = affine.max #[[FIRST]]()[%[[OH]]]
// CHECK: %[[HI:.*]] = affine.min #[[LAST]]()[%[[OH]]]
// CHECK: scf.for %{{.*}} = %[[LO]] to %[[HI]] step %c1
// CHECK: scf.for %{{.*}} = %c0 to %c5 step %c1
// CHECK: arith.mulf {{.*}} : vector<6x2x14xf32>
func.func @input_gradient_skips_padding(%dy: tensor<?x16x10x10xf32>, %w: tensor<1x16x6x5x5xf32>,
                                        %init: tensor<?x1x6x14x14xf32>) -> tensor<?x1x6x14x14xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %dy, %c0 : tensor<?x16x10x10xf32>
  %empty = tensor.empty(%n) : tensor<?x16x18x18xf32>
  %zeros = linalg.fill ins(%zero : f32) outs(%empty : tensor<?x16x18x18xf32>) -> tensor<?x16x18x18xf32>
  %padded = tensor.insert_slice %dy into %zeros[0, 0, 4, 4] [%n, 16, 10, 10] [1, 1, 1, 1]
      : tensor<?x16x10x10xf32> into tensor<?x16x18x18xf32>
  %grouped = tensor.expand_shape %padded [[0], [1, 2], [3], [4]] output_shape [%n, 1, 16, 18, 18]
      : tensor<?x16x18x18xf32> into tensor<?x1x16x18x18xf32>
  // expected-remark @below {{kernel vectorised: blocks of 6 row(s) x 14 lanes (lanes: loop 4, rows: loop 2 x 2 (loop 3)), blocks in parallel}}
  %r = linalg.generic {indexing_maps = [#dyp, #wf, #dx],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel",
                        "reduction", "reduction", "reduction"]}
      ins(%grouped, %w : tensor<?x1x16x18x18xf32>, tensor<1x16x6x5x5xf32>)
      outs(%init : tensor<?x1x6x14x14xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b fastmath<reassoc,contract> : f32
    %s = arith.addf %acc, %m fastmath<reassoc,contract> : f32
    linalg.yield %s : f32
  } -> tensor<?x1x6x14x14xf32>
  return %r : tensor<?x1x6x14x14xf32>
}

// -----

// Padded with ones, not zeros: a padding row adds its product, and every
// kernel row is kept.
#dyp = affine_map<(n, g, c, oh, ow, f, kh, kw) -> (n, g, f, oh + kh, ow + kw)>
#wf = affine_map<(n, g, c, oh, ow, f, kh, kw) -> (g, f, c, kh, kw)>
#dx = affine_map<(n, g, c, oh, ow, f, kh, kw) -> (n, g, c, oh, ow)>
// CHECK-LABEL: func.func @padded_with_ones
// CHECK-NOT: affine.max
// CHECK-NOT: affine.min
// CHECK: scf.for {{.*}} to %c16 step %c1
// CHECK-NEXT: scf.for {{.*}} = %c0 to %c5 step %c1
// CHECK-NEXT: scf.for {{.*}} = %c0 to %c5 step %c1
func.func @padded_with_ones(%dy: tensor<?x16x10x10xf32>, %w: tensor<1x16x6x5x5xf32>,
                            %init: tensor<?x1x6x14x14xf32>) -> tensor<?x1x6x14x14xf32> {
  %c0 = arith.constant 0 : index
  %one = arith.constant 1.0 : f32
  %n = tensor.dim %dy, %c0 : tensor<?x16x10x10xf32>
  %empty = tensor.empty(%n) : tensor<?x16x18x18xf32>
  %ones = linalg.fill ins(%one : f32) outs(%empty : tensor<?x16x18x18xf32>) -> tensor<?x16x18x18xf32>
  %padded = tensor.insert_slice %dy into %ones[0, 0, 4, 4] [%n, 16, 10, 10] [1, 1, 1, 1]
      : tensor<?x16x10x10xf32> into tensor<?x16x18x18xf32>
  %grouped = tensor.expand_shape %padded [[0], [1, 2], [3], [4]] output_shape [%n, 1, 16, 18, 18]
      : tensor<?x16x18x18xf32> into tensor<?x1x16x18x18xf32>
  // expected-remark @below {{kernel vectorised}}
  %r = linalg.generic {indexing_maps = [#dyp, #wf, #dx],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel",
                        "reduction", "reduction", "reduction"]}
      ins(%grouped, %w : tensor<?x1x16x18x18xf32>, tensor<1x16x6x5x5xf32>)
      outs(%init : tensor<?x1x6x14x14xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b fastmath<reassoc,contract> : f32
    %s = arith.addf %acc, %m fastmath<reassoc,contract> : f32
    linalg.yield %s : f32
  } -> tensor<?x1x6x14x14xf32>
  return %r : tensor<?x1x6x14x14xf32>
}

// -----

// The padded input is read but is not a factor of the product (the body
// adds w * w): a padding row still adds to the sum, and every kernel row
// is kept.
#dyp = affine_map<(n, g, c, oh, ow, f, kh, kw) -> (n, g, f, oh + kh, ow + kw)>
#wf = affine_map<(n, g, c, oh, ow, f, kh, kw) -> (g, f, c, kh, kw)>
#dx = affine_map<(n, g, c, oh, ow, f, kh, kw) -> (n, g, c, oh, ow)>
// CHECK-LABEL: func.func @padded_input_not_a_factor
// CHECK-NOT: affine.max
// CHECK-NOT: affine.min
// CHECK: return
func.func @padded_input_not_a_factor(%dy: tensor<?x16x10x10xf32>, %w: tensor<1x16x6x5x5xf32>,
                                     %init: tensor<?x1x6x14x14xf32>) -> tensor<?x1x6x14x14xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %dy, %c0 : tensor<?x16x10x10xf32>
  %empty = tensor.empty(%n) : tensor<?x16x18x18xf32>
  %zeros = linalg.fill ins(%zero : f32) outs(%empty : tensor<?x16x18x18xf32>) -> tensor<?x16x18x18xf32>
  %padded = tensor.insert_slice %dy into %zeros[0, 0, 4, 4] [%n, 16, 10, 10] [1, 1, 1, 1]
      : tensor<?x16x10x10xf32> into tensor<?x16x18x18xf32>
  %grouped = tensor.expand_shape %padded [[0], [1, 2], [3], [4]] output_shape [%n, 1, 16, 18, 18]
      : tensor<?x16x18x18xf32> into tensor<?x1x16x18x18xf32>
  // expected-remark @below {{kernel}}
  %r = linalg.generic {indexing_maps = [#dyp, #wf, #dx],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel",
                        "reduction", "reduction", "reduction"]}
      ins(%grouped, %w : tensor<?x1x16x18x18xf32>, tensor<1x16x6x5x5xf32>)
      outs(%init : tensor<?x1x6x14x14xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %b, %b fastmath<reassoc,contract> : f32
    %s = arith.addf %acc, %m fastmath<reassoc,contract> : f32
    linalg.yield %s : f32
  } -> tensor<?x1x6x14x14xf32>
  return %r : tensor<?x1x6x14x14xf32>
}
