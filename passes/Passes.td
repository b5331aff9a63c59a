//===- Passes.td - Weft passes -----------------------------*- tablegen -*-===//

#ifndef WEFT_PASSES
#define WEFT_PASSES

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Training: differentiation and optimizers
//===----------------------------------------------------------------------===//

def WeftAutodiffPass : Pass<"weft-autodiff", "::mlir::ModuleOp"> {
  let summary = "Builds the gradient function by reverse-mode differentiation";
  let description = [{
    Differentiates the loss function (`@loss`, whose first result is the
    rank-0 loss) with respect to every `weft.parameter` and adds
    `@loss_grad`, which returns the loss followed by one gradient per
    parameter in declaration order (listed in its `weft.gradients`
    attribute). The function must be a single block without calls (run
    `inline` first). Each op supplies its own vector-Jacobian product through
    `DifferentiableOpInterface`; the pass walks the ops in reverse, sums the
    gradients of values with several uses with `weft.add`, and gives every
    gradient op the location of the op it differentiates, named `vjp(layer)`.
    A parameter the loss does not depend on gets a zero gradient.

    `@loss_grad` computes the loss in training mode: it takes one more
    argument, `seed : i32` (attribute `weft.name = "seed"`), from which every
    `weft.dropout` draws its mask (each op its own `stream`), and each
    `weft.batch_norm2d` becomes `weft.batch_norm2d_train`, whose moved
    running statistics are stored back into their `weft.buffer`s.
  }];
  let options = [
    Option<"lossFunction", "function", "std::string", "\"loss\"",
           "Name of the function to differentiate">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::weft::WeftDialect"];
}

def WeftOptimizersPass : Pass<"weft-optimizers", "::mlir::ModuleOp"> {
  let summary = "Builds one training step per optimizer";
  let description = [{
    For each optimizer named in `optimizers`, adds
    `@train_step_<name>(inputs..., hyperparameters...) -> loss` that calls
    `@loss_grad`, applies the optimizer's update op to every parameter and
    stores the new parameters and optimizer state. Hyperparameters are
    function arguments, not constants, so a compiled model can be trained
    with another learning rate without recompiling:
      sgd:  lr, momentum, weight_decay
      adam: lr, beta1, beta2, eps, weight_decay, step
    Optimizer state is declared as `weft.state` (momentum_buffer; exp_avg and
    exp_avg_sq), named after PyTorch's optimizer state, after the
    parameters: one kind of state for every parameter, then the next kind,
    so that each kind is one run of the state buffer like the parameters
    and one loop can update them all (`weft-fuse-updates`).
  }];
  let options = [
    ListOption<"optimizers", "optimizers", "std::string",
               "Optimizers to build training steps for (sgd, adam)">,
  ];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::weft::WeftDialect"];
}

//===----------------------------------------------------------------------===//
// The compiled model's C ABI
//===----------------------------------------------------------------------===//

def WeftEntryPointsPass : Pass<"weft-entry-points", "::mlir::ModuleOp"> {
  let summary = "Wraps the model functions in entry points with a flat C ABI";
  let description = [{
    Lays out every `weft.parameter` in one contiguous f32 buffer and every
    `weft.state` in another (each optimizer's state from offset 0), recording
    each offset on its declaration, and adds for each of `@forward`,
    `@loss`, `@loss_grad` and `@train_step_*` a public entry point
    `@weft_<name>` with the uniform signature

      (params, state, hyper, grads, in_0, ..., in_k, out_0, ..., out_m)

    where every argument is a flat `memref<?xT>`. Inputs are the function's
    tensor arguments in order (the batch size is read from the first one's
    length); scalar arguments are read from `hyper` in order; gradient
    results are written into `grads` at their parameter's offset and every
    other result into its own output buffer. The model functions become
    private, to be inlined and removed.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::tensor::TensorDialect"];
}

def WeftBindVariablesPass : Pass<"weft-bind-variables", "::mlir::ModuleOp"> {
  let summary = "Turns parameter and state loads and stores into buffer accesses";
  let description = [{
    Inside each entry point made by `weft-entry-points` (after inlining), and
    each function its entry points call that reads or writes variables (which
    gets the `params` and `state` buffers as two extra arguments),
    replaces `weft.load` by a slice of the `params` or `state` buffer and
    `weft.store` by a write into it, then records the layout as the module
    attributes `weft.parameters` and `weft.state_size` and erases the
    declarations. Stores are moved after every load so that a step reads the
    parameters as they were when it began.
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::tensor::TensorDialect"];
}

//===----------------------------------------------------------------------===//
// Conversion
//===----------------------------------------------------------------------===//

def ConvertWeftToLinalgPass : Pass<"convert-weft-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lowers weft ops to linalg, tensor, arith and math";
  let description = [{
    Every weft layer, loss, gradient and optimizer op becomes linalg
    operations on tensors (mostly `linalg.generic`), ready for upstream
    fusion, tiling, vectorisation and bufferization. Each generated op keeps
    the location of the weft op it came from.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
}

//===----------------------------------------------------------------------===//
// Buffers
//===----------------------------------------------------------------------===//

def CopiesToLinalgPass : Pass<"weft-copies-to-linalg"> {
  let summary = "Rewrites memref.copy as linalg.copy";
  let description = [{
    Bufferization writes a strided `tensor.insert_slice` (the spreading of an
    output gradient in the backward pass of a strided convolution or pool)
    as a `memref.copy` into a non-contiguous view, which the LLVM lowering
    turns into a call to `memrefCopy` from MLIR's C runner library. As a
    `linalg.copy` it becomes a loop nest instead, and compiled models link
    against nothing from MLIR. A copy of a buffer onto itself (its target
    collapsed and expanded back, as a vector write into a reshaped view
    leaves it) is erased.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

//===----------------------------------------------------------------------===//
// Math
//===----------------------------------------------------------------------===//

def ApproximateMathPass : Pass<"weft-approximate-math"> {
  let summary = "Replaces f32 tanh and erf by MLIR's polynomial approximations";
  let description = [{
    LLVM has no intrinsic for tanh or erf, so math-to-libm would turn them
    into calls to libm, and a loop with a call in it is not vectorised. MLIR's
    polynomial approximations (the same rational and polynomial forms Eigen
    and XLA use, accurate to a few float32 ulp) are plain arithmetic, which
    vectorises and fuses with the rest of an elementwise loop. Only f32 ops
    are rewritten; anything else still reaches libm.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

//===----------------------------------------------------------------------===//
// CPU code generation
//===----------------------------------------------------------------------===//

def TileAndVectorizePass : Pass<"weft-tile-and-vectorize", "::mlir::func::FuncOp"> {
  let summary = "Tiles multiply-accumulate kernels to register blocks and vectorises them";
  let description = [{
    Every `linalg.generic` on tensors with reduction loops (the convolutions,
    their two gradients and the dense layers, after lowering from weft) is
    tiled so that its innermost work is one register block: the output's
    contiguous dimension becomes a vector of up to `vector-width` lanes (or
    the whole dimension when it is short), one other output dimension that
    an input is reused across becomes a block of rows, and every reduction
    loop steps by one. The block then has no unit dimensions left, is a pure
    elementwise multiply-add with broadcast operands, and is vectorised.
    When that dimension is shorter than a register (or not contiguous in the
    inputs) and a reduction contiguous in them is longer, the lanes run along
    the reduction instead, with one partial sum per lane, added up by a
    `vector.multi_reduction` after its loop (an odd width counts half when
    the two are compared: LLVM assembles odd-sized vectors from pieces).
    Both inputs are then loaded as vectors at every step, so the rows run
    along two dimensions, one moved along by each input (a weight
    gradient's output channels by its input channels or kernel rows), when
    that loads less per multiply-add; a dimension an input reads together
    with the lanes (`ow + kw`) cannot be one. A
    kernel whose only user is an activation (one input, identity maps, read
    directly or through a reshape, which the activation is moved past) gets
    it as an epilogue: upstream's tile-and-fuse tiles the activation into
    the kernel's blocks with the kernel fused in, so each block applies it
    to its accumulators and stores only the activation's result (not with
    partial sums, whose merge follows the loop). A
    kernel whose lanes would be a multiple of 4 that is neither whole
    registers nor a power of two (28) is first split along them with
    upstream's `linalg::splitOp` (16 + 12, then 8 + 4), and each piece is
    blocked as a kernel of its own. Rows whose input does not move with the
    lanes (broadcast scalars) are preferred to rows that each load a
    vector. A block of fewer than 8 accumulator registers (two FMA pipes
    with four cycles' latency) waits on its own multiply-adds: it takes rows
    along a second dimension too, the fewest that reach 8 (fewer first rows
    if both no longer fit), since each extra row reaches further into any
    zero padding whose steps are skipped (lenet's conv2 input gradient: 6
    channels x 2 image rows). A block with no static dimension for rows (a
    dense layer's input gradient, whose rows would be the batch) takes more
    registers of its lanes instead, up to 8 that divide the dimension, and
    its loops over blocks put the dimensions its largest input does not
    move along innermost, so that consecutive blocks reuse that input's
    tile from cache. The loops over blocks form an `scf.forall` (their blocks write
    disjoint tiles of the output) when the kernel has at least
    `parallel-work` multiply-adds, so that the CPU pipeline can run them on
    several threads; smaller kernels keep `scf.for` loops. Run
    `canonicalize`, `fold-tensor-subset-ops`, upstream's
    `loop-invariant-subset-hoisting` and `weft-fold-fill-reads` after it (the
    CPU pipeline does): the accumulator's read and write then move out of the
    reduction loops, so it lives in registers throughout, and partial sums
    start from a zero vector instead of a buffer.

    A multiply-add whose input is a zero-padded tensor (data inserted into a
    zero `linalg.fill` at a static place, then sliced and reshaped) and read
    at `p + r` along a padded dimension (a block's rows p, a reduction r)
    skips the reduction steps that read only padding: the `scf.for` over r
    runs from `max(0, begin - rows + 1 - offset)` to `min(steps, end -
    offset)`. A convolution's input gradient pads the output gradient by
    kernel - 1 rows on every side; lenet's conv2 then does 336k
    multiply-adds per image instead of 470k (240k are useful; the rest are
    padding columns inside the vector lanes). Not with partial sums.

    An op that does not fit (no contiguous parallel output dimension of at
    least 4, dynamic sizes where a block must be static, a body the
    vectoriser refuses) is left as it is and lowered to plain loops later.
    With `remarks`, each decision is reported as a remark at the op's
    location.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", "16",
           "f32 lanes of the target's vector registers (16: AVX-512, 8: AVX2)">,
    Option<"registers", "registers", "int64_t", "16",
           "vector registers a block's accumulators may take">,
    Option<"parallelWork", "parallel-work", "int64_t", "16384",
           "multiply-adds a kernel needs for its blocks to form an scf.forall">,
    Option<"remarks", "remarks", "bool", "false",
           "emit a remark for every kernel: its tiles, or why it was left">,
  ];
  let dependentDialects = ["::mlir::affine::AffineDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::vector::VectorDialect"];
}

def FuseElementwisePass : Pass<"weft-fuse-elementwise"> {
  let summary = "Upstream's elementwise fusion, with a remark for each decision";
  let description = [{
    Runs the patterns of upstream's `linalg-fuse-elementwise-ops` with its
    rule (an elementwise producer fuses into a consumer that is its only
    user). With `remarks`, every decision is a remark in the model's terms,
    naming layers by their locations: what was fused into what, why a
    producer with several users was not, and which elementwise ops stay
    apart from a kernel with reductions (a convolution's bias and
    activation), which this fusion cannot merge. `weftc --remarks=fusion`
    turns the remarks on.
  }];
  let options = [
    Option<"remarks", "remarks", "bool", "false",
           "explain each fusion decision as a remark">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::affine::AffineDialect"];
}

def FlatGradientsPass : Pass<"weft-flat-gradients", "::mlir::ModuleOp"> {
  let summary = "Returns every gradient of @loss_grad in one flat tensor";
  let description = [{
    `@loss_grad` (the function with `weft.gradients`, whatever its name:
    the CUDA path's copy is `@cuda_loss_grad`) returns the loss and then
    one gradient per parameter. This
    pass makes it return the loss and one rank-1 tensor holding every
    gradient, flattened, in the order of `weft.gradients` (the parameters'
    own order in the parameter buffer), and its callers read each gradient
    as a slice of it. The op that computes a gradient gets a view of its
    slice as its output instead of a `tensor.empty` (following the chain of
    outputs a reduction accumulates into), so bufferization computes it in
    place and concatenating copies nothing. The optimizer's update can then
    read every gradient as one tensor (`weft-fuse-updates`). With
    `remarks`, says how many gradients are computed in place.
  }];
  let options = [
    Option<"remarks", "remarks", "bool", "false",
           "explain the result as a remark">,
  ];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def FuseUpdatesPass : Pass<"weft-fuse-updates", "::mlir::func::FuncOp"> {
  let summary = "Updates all parameters in one loop";
  let description = [{
    A training step updates each parameter with an elementwise
    `linalg.generic` that reads slices of flat tensors (the parameters, the
    gradients after `weft-flat-gradients`, the optimizer state) and whose
    results are each stored into a slice of a flat buffer
    (`bufferization.materialize_in_destination`). Updates that compute the
    same thing and whose slices follow one another in every flat tensor and
    buffer become one rank-1 `linalg.generic` over the concatenated slices,
    stored once per result: one loop for all parameters instead of one per
    parameter. Updates whose slices do not follow one another are left
    alone. With `remarks`, each fusion is a remark naming the updates.
  }];
  let options = [
    Option<"remarks", "remarks", "bool", "false",
           "explain each fusion as a remark">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::bufferization::BufferizationDialect"];
}

def FuseSliceSumsPass : Pass<"weft-fuse-slice-sums", "::mlir::func::FuncOp"> {
  let summary = "Adds up sums over following slices in one loop";
  let description = [{
    A chain of scalar `arith.addf`s whose terms are all zeros or the one
    element of a full reduction (a `linalg.generic` reducing every element
    of a static slice of a rank-1 tensor into a rank-0 one), where the
    reductions compute the same thing from the same initial value and their
    slices, in some order, follow one another, becomes one reduction over
    the concatenated slice. Gradient clipping's global norm, one sum of
    squares per gradient, is then one loop over every gradient after
    `weft-flat-gradients`. The sum is reassociated, as every vectorised
    reduction is. With `remarks`, each fusion is a remark naming the sums.
  }];
  let options = [
    Option<"remarks", "remarks", "bool", "false",
           "explain each fusion as a remark">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def FuseSumsPass : Pass<"weft-fuse-sums", "::mlir::func::FuncOp"> {
  let summary = "Computes a sum of an elementwise op's result in its loop nest";
  let description = [{
    A `linalg.generic` that adds up its one input, read element by element,
    over some of its loops (a bias gradient: the gradient before the
    activation, summed over the batch and the image) becomes a second output
    of the elementwise op that produces that input, even when the input has
    other users (the weight and input gradients), which upstream's
    elementwise fusion patterns do not fuse (their rule is one user); the
    fusion is upstream's `fuseElementwiseOps`. One loop nest then writes the
    elementwise result and adds it up; the sum no longer reads it back.
    The fused op's loops are those of the sum (parallel where the sum keeps
    a dimension, reduction where it adds one up), its addition is marked
    reassociable so that LLVM vectorises it, and neighbouring loops of one
    kind along which every operand is contiguous are merged into one, so
    that the innermost loop is long. With `remarks`, each fusion is a remark
    naming both layers (`weftc --remarks=fusion`).
  }];
  let options = [
    Option<"remarks", "remarks", "bool", "false",
           "explain each fusion as a remark">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

def FlattenElementwisePass : Pass<"weft-flatten-elementwise", "::mlir::func::FuncOp"> {
  let summary = "Collapses an elementwise op's loops into one row";
  let description = [{
    Every `linalg.generic` on tensors at the top level of a function whose
    loops are all parallel (an activation, an activation's gradient) and
    whose loops are contiguous in every operand is collapsed into one loop,
    or two when the leading loop has a dynamic extent (the batch, kept apart
    for `weft-parallelize-loops` to cut into tiles), with upstream's
    `collapseOpIterationDims`. A ReLU on `[batch, 6, 28, 28]` becomes one on
    `[batch, 4704]`.

    Why: LLVM fully unrolls a short innermost loop (an image row of 28) and
    then vectorises the loop around it with gathers and scatters; a long
    contiguous loop it vectorises with plain loads and stores.

    Left alone: ops that read `linalg.index`; ops that would keep a static
    loop around the row (a bias broadcast over channels), which LLVM unrolls
    in full around the unrolled row; and ops with an operand whose buffer
    may not be contiguous (a strided or partial slice), which bufferization
    would copy to collapse.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def VectorizeWindowsPass : Pass<"weft-vectorize-windows", "::mlir::func::FuncOp"> {
  let summary = "Runs ops over a pool's tiling windows as vector rows";
  let description = [{
    A pool whose windows tile its input (stride equal to the kernel, no
    padding: the usual 2x2 pool) is lowered to `linalg.generic` ops on a
    view of the input as `[N, C, OH, KH, OW, KW]`: the pool itself, the
    first-max positions its gradient routes through, and that gradient, an
    op writing every window element. Each such op is tiled (upstream's
    tiling) to one output row per step, and the step is written as vector
    code: an input row of `OW * KW` elements is loaded once and split by
    shuffles into `KW` vectors of `OW` lanes, one per element of the
    windows; the body runs on those vectors, window element after window
    element in the op's loop order (so a reduction combines them as the
    scalar loops did, first maximum included); a row of windows written is
    the `KW` result vectors interleaved again.

    Why: the loops are short and strided (14 outputs from every other
    element of a row of 28), and LLVM unrolls them in full and leaves them
    scalar. Upstream's vectoriser would read `vector<KH x OW x KW>`, which
    LLVM lowers element by element.

    Matched: six loops; every operand either the window view read in its
    own dimension order or one value per window `[N, C, OH, OW]`; both
    window loops reductions writing only per-window values, or both
    parallel writing only windows; static window and row sizes, a row of at
    most `max-lanes` elements; a body of arith and math ops and
    `linalg.index` of the window loops. Anything else is left alone. With
    `remarks` (`weftc --remarks=kernels`), each op vectorised is a remark.

    A per-window output that nothing reads after the op (the running
    maximum of the first-max positions op) and that starts from a constant
    (a fill, or an `scf.forall` of fills, seen through slices and reshapes)
    starts from that constant in registers and is not stored: its init
    becomes an empty tensor of its own, so the op no longer reads a buffer
    it shared with the pool, which bufferization copied whole.
  }];
  let options = [
    Option<"maxLanes", "max-lanes", "int64_t", /*default=*/"128",
           "The longest input row (OW * KW elements) vectorised">,
    Option<"remarks", "remarks", "bool", "false",
           "Report each op vectorised as a remark at its location">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::vector::VectorDialect"];
}

def ParallelizeLoopsPass : Pass<"weft-parallelize-loops", "::mlir::func::FuncOp"> {
  let summary = "Runs the outer loops of large linalg ops as an scf.forall";
  let description = [{
    Every `linalg` op on tensors at the top level of a function (not already
    inside a loop, as the blocks of `weft-tile-and-vectorize`'s kernels are)
    with at least `parallel-work` iterations is tiled with upstream's tiling
    into an `scf.forall`: its leading parallel loops are cut into single
    iterations until there are `min-tiles` tiles or more, so each tile keeps
    whole rows for LLVM to vectorise. An op whose only parallel loop is its
    innermost (a flat loop, like the update of every parameter after
    `weft-fuse-updates`) has that loop cut into `min-tiles` chunks of a
    multiple of 64 elements instead. The
    CPU pipeline turns the `scf.forall` into an OpenMP loop after
    bufferization. A broadcast that only starts kernels (a bias whose users
    are kernels' loops over blocks, the kernels themselves, sizes and
    slices) is left alone: `weft-fold-fill-reads` makes the blocks read the
    bias, and the broadcast goes. With `remarks`, each tiled op reports its
    tile count and loops.
  }];
  let options = [
    Option<"parallelWork", "parallel-work", "int64_t", "16384",
           "iterations an op needs for its loops to run in parallel">,
    Option<"minTiles", "min-tiles", "int64_t", "16",
           "cut leading loops until there are at least this many tiles">,
    Option<"remarks", "remarks", "bool", "false",
           "emit a remark for every op made parallel">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
}

def KernelStatsPass : Pass<"weft-kernel-stats", "::mlir::ModuleOp"> {
  let summary = "Reports each function's kernels, flops and temporaries";
  let description = [{
    An analysis: the IR is left as it is. For every function with a body it
    reports, as a remark on the function (`weftc --stats` prints a table
    instead):

    - kernels: the loop nests at the function's top level (linalg ops,
      copies, `scf.for`, and `scf.forall`/`scf.parallel`, which also count
      as parallel);
    - flops: every arith or math float op (a vector op once per lane, a
      `vector.fma` twice) times the trip counts of the loops and linalg ops
      around it;
    - allocations and bytes of temporaries: every `memref.alloc` times the
      trip counts around it, with its size.

    Dynamic extents (the batch) are taken as `batch`, by default the batch
    of the model's `train` block. It works at any point from linalg on
    tensors to linalg on buffers; weftc runs it after bufferization.
  }];
  let options = [
    Option<"batch", "batch", "int64_t", "0",
           "batch size to count at (0: the train block's)">,
  ];
}

def WriteInPlacePass : Pass<"weft-write-in-place", "::mlir::func::FuncOp"> {
  let summary = "Lets the op computing a variable's new value write it into the variable's buffer";
  let description = [{
    A training step stores each updated parameter, optimizer state and
    running statistic into the flat buffer it read it from
    (`bufferization.materialize_in_destination` into a view of the buffer).
    The read goes through a `restrict` tensor of the whole buffer, so one-shot
    bufferization sees no aliasing with the destination and writes the new
    value to a temporary, then copies it over.

    For a store whose value is a result of an all-parallel `linalg.generic`
    with a `tensor.empty` output, this pass checks every reader of the
    buffer: a slice disjoint from the destination is harmless; any other
    reader must run before the generic, or be the generic itself reading the
    destination's own range element by element, with the same indexing map
    as the result (each element is then read before it is overwritten).
    When all of them pass, the generic's output becomes a writable view of
    the destination and bufferization writes in place: no temporary, no
    copy.
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect"];
}

def FreeAfterLastUsePass : Pass<"weft-free-after-last-use", "::mlir::func::FuncOp"> {
  let summary = "Moves each memref.dealloc to just after the buffer's last use";
  let description = [{
    Upstream's ownership-based deallocation frees a buffer at the end of the
    block that allocated it, so all of a step's temporaries are live at once.
    This pass moves each unconditional `memref.dealloc` in the allocating
    block to just after the last op that uses the buffer or any value that
    may alias it (upstream's `BufferViewFlowAnalysis`, plus the results of
    any call it is passed to). A buffer that leaves through the block's
    terminator, or whose free is conditional, is left alone.
    `weft-kernel-stats` reports the resulting peak as the arena size.
  }];
}

def ResultsToOutParamsPass : Pass<"weft-results-to-out-params", "::mlir::ModuleOp"> {
  let summary = "Buffers a private function returns become buffers its callers pass";
  let description = [{
    Upstream's `buffer-results-to-out-params` with `hoist-static-allocs`,
    for the functions Weft calls inside a compiled entry point
    (`@loss_grad`): each buffer result becomes an argument the caller
    allocates, and the callee computes into it instead of into its own
    allocation. The caller then knows it owns the buffers (deallocation
    needs no run-time ownership check) and can lay out the fixed-size ones
    with its other buffers (`weft-pack-buffers`). Before that, a
    private function that returns one value in two places (two biases
    whose gradients are one sum) returns it once and its calls read that
    result twice: upstream would otherwise replace the allocation at the
    first place and use the erased op at the second. Caller-side buffers
    are 64-byte aligned, as bufferization aligns its own.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def PackBuffersPass : Pass<"weft-pack-buffers", "::mlir::func::FuncOp"> {
  let summary = "Lays out a function's temporaries in two arenas";
  let description = [{
    Every `memref.alloc` that is made once per call (in the function's body
    or a branch of an `scf.if` there, not in a loop), does not leave the
    function, and is freed unconditionally in the block that made it
    becomes a `memref.view` at an offset in an arena: one allocation, made
    before the first of its buffers is used and freed after the last.
    Buffers of a static shape go in the fixed arena (`weft.static_arena`),
    at offsets in bytes. Buffers whose one dynamic size is a value known at
    the top of the body (the batch) go in that value's batch arena
    (`weft.batch_arena`, `batch x bytes at batch 1`), laid out at batch 1,
    with every offset the batch times the one found. Offsets are chosen from
    the buffers' live ranges in the function's body (from the first op that
    uses a buffer or a view of it to the last, its free included): buffers
    never live at the same time share bytes. Run it after
    `weft-free-after-last-use`, so that the live ranges are tight.
    `weftc --stats` reports the arenas' size.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def LowerAllocaScopesPass : Pass<"weft-lower-alloca-scopes"> {
  let summary = "Lowers memref.alloca_scope to a saved and restored stack pointer";
  let description = [{
    Each `memref.alloca_scope` becomes its body, between
    `llvm.intr.stacksave` and `llvm.intr.stackrestore`, as upstream's
    memref-to-LLVM lowering does, but early: `scf-to-openmp` wraps a
    parallel loop's body in a scope, and the scope's region must stay one
    block, which the `scf` loops inside it are not once `scf` is lowered to
    control flow. With the scope lowered first, an iteration's stack
    buffers are freed at the end of each iteration.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def TransposeForLanesPass : Pass<"weft-transpose-for-lanes"> {
  let summary = "Short-rowed kernels transposed so that a register-wide "
                "dimension is contiguous";
  let description = [{
    A multiply-add `linalg.generic` (two inputs, one output, at least one
    reduction) whose output's contiguous dimension is static and shorter
    than a vector register, and which has a parallel output dimension of
    whole registers (a multiple of `vector-width`) read by one input as a
    plain index and not by the other, is rewritten so that this dimension
    is the last of its output and of that input, and the last of its
    parallel loops: the input is copied transposed; the output's start is
    refilled (a `linalg.fill`), broadcast again (a bias broadcast, which
    blocks then still read directly) or copied transposed; and the result
    is copied back into the original output. An activation that is the
    result's only user (directly or through one reshape) is applied by that
    copy. The copies are `linalg.generic`s.

    Only where it pays: the kernel does at least 32 multiply-adds per
    element copied (a batch dimension counted once on both sides), and the
    transposed kernel has a static parallel loop read by one input alone
    that splits into blocks of at least two rows within 16 accumulator
    registers.

    Why: `weft-tile-and-vectorize` takes its lanes along the output's
    contiguous dimension, or along a reduction contiguous in the inputs
    with one partial sum per lane. A convolution's weight gradient
    `dW[o, c, kh, kw]` has rows of a kernel's width (5) and reductions of
    an image's (lenet's conv2: 10 of 16 lanes, both inputs loaded at every
    step); its forward pass has rows of the image's width (10 of 16 lanes).
    Transposed, the output channels are the lanes and no lane is idle.
    On lenet, one thread: the weight gradient twice as fast, the step 18%
    faster; the forward pass, 2 to 4% more. Run before
    `weft-tile-and-vectorize`. With `remarks`, each kernel transposed is
    reported at its location.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", "16",
           "f32 lanes of the target's vector registers (16: AVX-512, 8: AVX2)">,
    Option<"registers", "registers", "int64_t", "16",
           "vector registers a block's accumulators may take (weft-tile-and-vectorize's registers)">,
    Option<"remarks", "remarks", "bool", "false",
           "emit a remark for every kernel transposed">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def FoldBroadcastTransposesPass : Pass<"weft-fold-broadcast-transposes"> {
  let summary = "Broadcasts along the lanes as splats, not transposes";
  let description = [{
    `vector.transpose` of a `vector.broadcast` that only adds leading
    dimensions, where the transpose keeps the source's dimensions in order,
    becomes a `vector.broadcast` of the source shape-cast with unit
    dimensions: `transpose(broadcast(vector<2> to vector<112x2>), [1, 0])`
    is `broadcast(vector<2x1> to vector<2x112>)`.

    Why: a kernel block reads the values it broadcasts along its lanes (one
    per row) with a `vector.transfer_read` whose map ends in a broadcast,
    which upstream's transfer lowering turns into a broadcast and a
    transpose; LLVM builds such a transpose element by element (224
    inserts a step for fc2's weight gradient). A broadcast of one value per
    row is one splat per row. Runs after `convert-vector-to-scf`.
  }];
  let dependentDialects = ["::mlir::vector::VectorDialect"];
}

def CarryVectorsInRegistersPass : Pass<"weft-carry-vectors-in-registers"> {
  let summary = "Loop-carried vectors as rows of whole registers";
  let description = [{
    An `scf.for` argument of type `vector<...xN>`, with N longer than a
    register (`vector-width` lanes) and not a power of two, becomes
    `vector<...xRxW>` (R rows of W lanes, the last padded when W does not
    divide N), reshaped back where the loop body and the loop's users read
    it. `vector<112xf32>` is carried as `vector<7x16xf32>`.

    Why: LLVM selects instructions one block at a time, and a value live
    across blocks is split into the registers its type breaks down into;
    x86 breaks such a vector into single elements, so each step of a
    112-lane accumulator's loop inserted and extracted 112 floats (fc2's
    input gradient in lenet, at 8 GFLOP/s). An array of whole registers
    breaks down into those registers. Runs after `convert-vector-to-scf`,
    before `convert-scf-to-cf`.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", "16",
           "f32 lanes of the target's vector registers (16: AVX-512, 8: AVX2)">,
  ];
  let dependentDialects = ["::mlir::vector::VectorDialect",
                           "::mlir::ub::UBDialect"];
}

def MaskPartialRegistersPass : Pass<"weft-mask-partial-registers"> {
  let summary = "Vector reads of part of a register as masked loads";
  let description = [{
    A plain, in-bounds 1-D `vector.transfer_read` of N lanes along a
    memref's contiguous last dimension, N not a power of two, becomes a
    `vector.maskedload` of the next power of two (below one register of
    `vector-width` lanes) or of whole registers (above), with the first N
    lanes on, and its first N lanes. `vector<14xf32>` is read as a masked
    `vector<16xf32>`.

    Why: LLVM may not touch memory past the N lanes, so a plain load of
    `<14 x float>` is three loads (8 + 4 + 2) and two inserts, in every step
    of a kernel over 14-wide rows (conv2's input gradient in lenet). A
    masked load of the register is one instruction on AVX-512 (and SVE).
    Runs after `convert-vector-to-scf`, whose unrolled transfers are 1-D.
    Stores are left alone: a load of what a masked store wrote is not
    forwarded from the store buffer (lenet ran 7% slower on Zen 5). The CPU
    pipeline runs it on x86 only; NEON has no masked loads.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", "16",
           "f32 lanes of the target's vector registers">,
  ];
  let dependentDialects = ["::mlir::vector::VectorDialect",
                           "::mlir::ub::UBDialect"];
}

def FoldFillReadsPass : Pass<"weft-fold-fill-reads"> {
  let summary = "Replaces vector reads of a filled tensor with a broadcast";
  let description = [{
    `vector.transfer_read` (in bounds, unmasked) of a `linalg.fill` result
    becomes a `vector.broadcast` of the fill value. Per-lane partial sums
    start from a filled buffer; after `loop-invariant-subset-hoisting` their
    first read reads the fill, and with this fold the buffer (an allocation
    per block once bufferized) is gone. A read of an `scf.forall`'s shared
    output inside the loop reads the loop's initial tensor, so a kernel whose
    blocks run in parallel starts its accumulators from the broadcast too.

    Likewise a read of a broadcast `linalg.generic` (a bias over a
    convolution's output: one input indexed by some of the output's
    dimensions, yielded as it is) becomes a read of its input, broadcast
    along the dimensions the input lacks: each block starts from the bias,
    and the broadcast output, a pass over memory, is left unused (lenet's
    two convolution biases were 3.5% of a step).
  }];
  let dependentDialects = ["::mlir::vector::VectorDialect"];
}

//===----------------------------------------------------------------------===//
// CUDA: kernels and the buffers they read
//===----------------------------------------------------------------------===//

def SpreadReductionsPass : Pass<"weft-spread-reductions", "::mlir::func::FuncOp"> {
  let summary = "Orders a GPU kernel's dimensions: reductions spread over threads, then parallel, then sequential reductions";
  let description = [{
    For the CUDA path, before `convert-linalg-to-parallel-loops`: every
    bufferized `linalg.generic` with reduction dimensions is interchanged so
    that its parallel dimensions come before its reductions, which become
    sequential loops inside each GPU thread. Autodiff's weight and bias
    gradients list the batch, a reduction, first; as loops they ran the
    whole gradient in one thread.

    When the parallel dimensions give fewer than `min-threads` threads (a
    dynamic extent counts as 32), the outer reduction dimensions are marked
    parallel too, outermost first, until there are enough, and placed first
    so that neighbouring threads still differ in the innermost parallel
    dimension. The last reduction stays sequential. A dimension is
    spread only if every output it does not index is a sum (the payload
    yields `addf(out, x)` and reads `out` nowhere else): threads then add
    their partial sums to the same element, and `weft-loops-to-gpu` makes
    those additions atomic.

    When threads are still too few and the last reduction is long (at
    least 64 iterations, a static extent), it is split in two, outer x
    inner, the inner part the largest divisor of the extent that brings
    the threads up to `min-threads`; every operand it indexes is reshaped
    (`memref.expand_shape`) to match. The inner part runs in threads, the
    last of them, so that neighbouring threads read neighbouring elements,
    and the outer part stays sequential in each thread. conv1's bias
    gradient in fashion_cnn (676 positions in each of 8192 threads at
    batch 256) becomes 13 x 52, and so does a dense layer whose 1600 inputs
    a few outputs share (50 x 32). Not where the dimension is part of a
    larger index (a window's `p + r`), the payload reads its indices, or
    an output it does not index is no sum.

    When threads are still too few and the one sequential reduction left
    has a dynamic extent (the batch, summed by a dense layer's weight and
    bias gradients, the softmax's gradient and a loss), no reshape splits
    it exactly. The generic becomes loops here instead, with a new first
    thread dimension of min(iterations, n) threads that the reduction's
    iterations are dealt out to in turn (thread t runs t, t + threads,
    ...), n the power of two that brings the threads up to `min-threads`,
    at most 256. Outputs the reduction indexes are written by the one
    thread that runs that iteration; the others are sums, which
    `weft-loops-to-gpu` adds to atomically. In fashion_cnn these were 10
    to 640 threads that each ran the whole batch in turn: at batch 256, a
    chain of 256 dependent steps per thread.
  }];
  let options = [
    Option<"minThreads", "min-threads", "int64_t", "65536",
           "Reduction dimensions are spread over threads while the kernel has fewer threads than this">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect"];
}

def RegisterTilesPass : Pass<"weft-register-tiles", "::mlir::func::FuncOp"> {
  let summary = "Gives a GPU thread several outputs of a product, so that it loads what they share once";
  let description = [{
    For the CUDA path, after `weft-spread-reductions`: in a bufferized
    `linalg.generic` with reductions, one parallel dimension is split in
    two, outer x `outputs-per-thread`, and the inner part moves after the
    reductions. `convert-linalg-to-parallel-loops` makes it a small
    `scf.parallel` innermost in each thread, which `weft-loops-to-gpu`
    unrolls: the thread then keeps that many sums in registers and loads
    each input element that none of them indexes once for all of them.

    The dimension chosen is the one that shares the most loads: inputs it
    does not index that neighbouring threads read at different places (the
    last thread dimension indexes them). An input the last thread dimension
    does not index is already one broadcast read a warp. For a convolution
    that is the output channels (the input's elements are shared), for a
    weight gradient the output channels too, for a dense layer's weight
    gradient its outputs. The last thread dimension itself is never split,
    so neighbouring threads still read neighbouring elements.

    Only a dimension with a static extent that `outputs-per-thread`
    divides, that every output has as an index of its own and no operand
    has inside a larger index (a window's `p + r`), and only while the
    kernel keeps at least `min-threads` threads (a dynamic extent counts
    as 32). Each output element's sum runs in the same order as before.
  }];
  let options = [
    Option<"factor", "outputs-per-thread", "int64_t", "4",
           "Output elements a thread computes (1: one, no split)">,
    Option<"minThreads", "min-threads", "int64_t", "16384",
           "A kernel is split only if it keeps at least this many threads">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::memref::MemRefDialect"];
}

def FoldFillsIntoSumsPass : Pass<"weft-fold-fills-into-sums", "::mlir::func::FuncOp"> {
  let summary = "Starts a GPU thread's sum from what a fill or a broadcast would have written";
  let description = [{
    For the CUDA path, before `convert-linalg-to-parallel-loops`. A
    reduction's start is written by an operation of its own: a bufferized
    `linalg.fill` of a constant, or an elementwise `linalg.generic` over
    the whole buffer that does not read it (the broadcast of a bias that a
    convolution or a dense layer sums onto). Where the reduction comes next
    (only operations without memory effects between them, such as a
    reshape), its one output is the buffer or a reshape of it, and it
    writes every element of that once, this pass makes the reduction's
    loops itself: the nested loop of a thread's outputs unrolled, each sum
    carried in a register (the rewrites `weft-loops-to-gpu` applies), so
    that each thread reads each of its starts once, before its sum. That
    read becomes the fill's constant, or the broadcast's body applied to
    its inputs at the element's indices (through the reshape), and the
    start's operation goes: a kernel less, and a write and a read of the
    buffer less.

    The buffer may be a reshape itself (a gradient's fill writes its
    parameter's shape, and the sum a further reshape). A `linalg.copy` of
    a buffer a constant fill wrote just before is first made a fill of its
    output: bufferization starts two sums from one zeroed buffer so.

    "Every element once": the reduction's output map lists each parallel
    dimension once and nothing else, but for dimensions of one iteration.
    A reduction spread over threads (`weft-spread-reductions`) fails this:
    its threads add to the start. A broadcast must not read the buffer or
    any memory that shares its root (an arena), since the sum's threads
    read its inputs later. Where a sum's start stays in memory (not
    carried in a register), the start's operation stays and the loops read
    it, as they would have.

    fashion_cnn: the max pools, the softmax's maximum, conv2's and fc2's
    input gradients, fc1's weight gradient, and both convolutions' bias
    broadcasts.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::affine::AffineDialect"];
}

def GpuLibraryCallsPass : Pass<"weft-gpu-library-calls", "::mlir::func::FuncOp"> {
  let summary = "Convolutions to cuDNN and matrix products to cuBLAS";
  let description = [{
    For the CUDA path, after bufferization and before any generic becomes a
    kernel: each bufferized `linalg.generic` that is a 2-D convolution or a
    matrix product (a multiply-add body, `out += a * b`) becomes a
    `weft.gpu_library_call` of the runtime, which queues the vendor
    library's kernel on the GPU's stream. Generated kernels read every
    operand from global memory; the libraries' kernels tile through shared
    memory and use tensor cores.

    Convolutions are the three forms Weft's lowering and autodiff give, all
    with unit strides, no dilation and explicit padding (the padded input
    is a buffer of its own), and groups in a dimension of their own:
    - forward, `y[n,g,k,p,q] += x[n,g,c,p+r,q+s] * w[g,k,c,r,s]`:
      `cudnnConvolutionForward`;
    - input gradient, `dx[n,g,k,p,q] += dy[n,g,c,p+r,q+s] * w[g,c,k,r,s]`
      (the padded output gradient against the flipped weights):
      `cudnnConvolutionBackwardData` in convolution mode with padding
      `r-1, s-1`, which is the same sum;
    - weight gradient, `dw[g,k,c,r,s] += x[n,g,c,p+r,q+s] * dy[n,g,k,p,q]`:
      `cudnnConvolutionBackwardFilter`.
    Matrix products `c[m,n] += a[m,k] * b[k,n]` with either operand
    transposed (any operand whose last stride is 1) become `cublasSgemm`.
    The output already holds what the sum starts from (zeros or a bias),
    so the libraries add to it (beta 1).

    `tf32` lets the libraries round f32 operands to TF32 on tensor cores
    (Ampere and newer); without it they compute in f32 (cuDNN's FMA math,
    cuBLAS's pedantic math).
  }];
  let options = [
    Option<"cudnn", "cudnn", "bool", "true",
           "Convolutions become cuDNN calls">,
    Option<"cublas", "cublas", "bool", "true",
           "Matrix products become cuBLAS calls">,
    Option<"tf32", "tf32", "bool", "true",
           "The libraries may use TF32 tensor cores for f32">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::weft::WeftDialect"];
}

def LowerGpuLibraryCallsPass : Pass<"weft-lower-gpu-library-calls", "::mlir::ModuleOp"> {
  let summary = "weft.gpu_library_call ops become calls of the runtime";
  let description = [{
    After `gpu-async-region`: each `weft.gpu_library_call` becomes a
    `func.call` of its callee with its buffers cast to fully dynamic
    memrefs (the runtime reads their shapes and strides through MLIR's C
    interface) and its params as i64 constants. The runtime queues the
    library's work on the one stream every launch uses, so the call's
    token is its dependencies' token: the launches after it are ordered
    behind it by the stream.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def LoopsToGpuPass : Pass<"weft-loops-to-gpu", "::mlir::func::FuncOp"> {
  let summary = "Runs a function's loop nests as GPU kernels";
  let description = [{
    Every outermost `scf.parallel` of the function (not inside another loop
    or a `gpu.launch`) becomes a `gpu.launch` of one thread per iteration:
    the iterations are numbered in row-major order (the innermost loop
    varies fastest, so neighbouring threads touch neighbouring elements),
    run in blocks of `block-size` threads, and each thread finds its
    indices from its number; threads past the last iteration do nothing.
    Sequential loops it nests (a reduction's) stay sequential inside each
    thread, and an element such a loop loads and stores at fixed indices
    is kept in a register: loaded before the loop, stored after it. A
    store that several threads make to one element (a sum whose outer
    dimensions `weft-spread-reductions` made parallel) becomes an atomic
    addition of the thread's part, summed from zero; any other such store
    is an error, since the threads would overwrite each other. An
    outermost `scf.for` that touches memory (a full reduction, a copy of a
    rank-0 buffer) becomes a launch of one thread, so that every loop runs
    where the buffers are. What is left on the host is scalar code: a
    hyperparameter read, a branch, a call.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", "256",
           "Threads per block">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect"];
}

def CarryScalarsPass : Pass<"weft-carry-scalars", "::mlir::func::FuncOp"> {
  let summary = "Scalars computed from kernels' results reach later kernels through buffers";
  let description = [{
    Host code that combines what kernels wrote (the clip-norm adds the
    gradients' squared sums, one after each sum's kernel, and passes the
    factor to the update kernels) made the host wait for each kernel. A
    value computed from a load of an allocation (a kernel's result), by
    element code, that is used by a kernel or by element code past a
    launch or a loop, is stored into a rank-0 buffer of its own where it
    is computed and loaded where it is used (once at the start of each
    kernel that uses it). An `scf.if` result yielded from such values is
    stored into a rank-0 buffer in each branch the same way. Values that
    host code needs itself (a loop bound, a branch condition) are left
    alone, as are loads of an entry point's arguments (the
    hyperparameters, which kernels should get as arguments rather than
    read from host memory in every thread). `weft-scalars-to-gpu`, which
    runs next, then moves the loads, the arithmetic and the stores into
    kernels of one thread.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def ScalarsToGpuPass : Pass<"weft-scalars-to-gpu", "::mlir::func::FuncOp"> {
  let summary = "Runs the host's element reads and writes in kernels of one thread";
  let description = [{
    After `weft-loops-to-gpu`, the loads and stores left in host code are
    single elements: a rank-0 fill (a sum's start), the loss's mean, a copy
    of a result. Each one made the host wait for the GPU before it, and on
    managed memory moved the element's page to the host and back. This
    pass finds each stretch of such code in a block (loads, stores, and
    arithmetic without effects or regions) and moves what depends on a
    loaded value, with the loads and stores, into a `gpu.launch` of one
    thread, queued where the stretch's last moved op was; arithmetic that
    reads no buffer stays on the host and reaches the kernel as an
    argument. What the host itself needs stays: a loaded value used past
    the stretch or by host code (a hyperparameter, a clip-norm factor), and
    what it is computed from. A load or store that stays cuts the stretch,
    so that every access keeps its order; a buffer the GPU cannot reach
    (the host's stack, a global) is left on the host. A free does not cut
    it: it moves after the last kernel that uses its buffer (the loss's
    sum, freed once read). A block's terminator stays where it is.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::arith::ArithDialect"];
}

def InlineHostCallsPass : Pass<"weft-inline-host-calls", "::mlir::ModuleOp"> {
  let summary = "Inlines private host functions that launch kernels into their callers";
  let description = [{
    `@loss_grad` stays one function on the CPU, for compile time; on the
    GPU path, once its kernels are outlined, its host code is only
    launches. A call is a host op to `gpu-async-region`: the callee waits
    for its kernels before returning and the caller starts a new chain
    after the call. Inlined, a training step's launches form one chain
    that waits only where the host reads a result. Each call of a private
    function in the module with one block and no results is replaced by
    the function's body (the kernels are shared, only host code is
    copied); the function is erased once no call is left.
  }];
}

def WaitsIntoBranchesPass : Pass<"weft-waits-into-branches", "::mlir::func::FuncOp"> {
  let summary = "Moves a host wait before an scf.if into the branches that need it";
  let description = [{
    After `gpu-async-region`, which waits for the GPU before any op with
    side effects, an `scf.if` included, even when only one branch touches
    memory (the clip-norm reads squared sums on the host; with clipping off
    its other branch yields 1). A host wait (`gpu.wait` without a token)
    that stands before an `scf.if`, past code without effects, moves into
    each branch that has effects, as its first op, and is dropped from the
    branches without. Only where what follows the `scf.if` up to the next
    host wait is queued GPU work or code without effects, so that nothing
    after the branch relied on the wait: every queue is the runtime's one
    stream, so the next wait covers the same work.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def QueuedReturnsPass : Pass<"weft-queued-returns", "::mlir::ModuleOp"> {
  let summary = "Entry points return without waiting for the GPU";
  let description = [{
    `gpu-async-region` makes the host wait for the GPU before a function
    returns, and at the end of an `scf.if` branch that queued work. In each
    public entry point (`weft.entry`), a host wait (`gpu.wait` without a
    token) goes when the host code after it, up to the next host wait or
    the return, needs no wait: code without effects, queued GPU work,
    allocations and frees (`weft_cuda_free` hands a block back to the
    runtime's cache; only later work on the one stream reuses it), and
    `scf.if`s made of such code. The search steps out of a branch to the
    code after its `scf.if`; a loop's body ends it. The caller, Weft's
    runtime, waits before it reads a result (`Model` in
    runtime/ModelCalls.cpp), so the host can queue the next training step while
    the GPU runs this one. Runs after `weft-host-shared-allocations`.
    Private functions keep their waits: their caller may read what they
    wrote.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def ManagedBuffersPass : Pass<"weft-managed-buffers", "::mlir::ModuleOp"> {
  let summary = "Host functions allocate their buffers where the GPU can read them";
  let description = [{
    In the functions outside `gpu.module`s, each `memref.alloc` becomes a
    `gpu.alloc host_shared` (the runtime's `mgpuMemAlloc`, which gives
    CUDA managed memory from a cache) and each `memref.dealloc` a
    `gpu.dealloc`. Kernels and the host's scalar code then read the same
    buffers, and a training step asks the driver for no memory once the
    cache is warm. Runs before `gpu-async-region`, which queues the
    allocations and frees in the chains of launches (both are GPU async
    ops) instead of waiting for the GPU before each;
    `weft-host-shared-allocations` then makes them what is lowered.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::memref::MemRefDialect"];
}

def HostSharedAllocationsPass : Pass<"weft-host-shared-allocations", "::mlir::ModuleOp"> {
  let summary = "Queued allocations and frees become the runtime's host calls";
  let description = [{
    After `gpu-async-region`: each `gpu.alloc async host_shared` becomes a
    synchronous one (upstream lowers only that: `mgpuMemAlloc`) and each
    `gpu.dealloc` a call of the runtime's `weft_cuda_free` with the
    buffer's address; the token of either becomes its dependencies' token.
    No wait is needed: every kernel runs on one stream in the order it was
    queued, so a block the cache hands out again is used by later kernels
    only after the earlier ones, and the host reads or writes a buffer only
    after a wait (`gpu-async-region` puts one before every host access).
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect"];
}

def MergeGpuModulesPass : Pass<"weft-merge-gpu-modules", "::mlir::ModuleOp"> {
  let summary = "Puts every outlined kernel in one gpu.module";
  let description = [{
    `gpu-kernel-outlining` makes one `gpu.module` per kernel. This pass
    moves every kernel into the first of them, renamed `kernels`, and points
    each `gpu.launch_func` there: the model's kernels are then compiled by
    one ptxas run into one fatbin, loaded once, and `--emit=ptx` writes one
    PTX file that ptxas assembles as it is.
  }];
}

def EmulateGpuLaunchesPass : Pass<"weft-emulate-gpu-launches", "::mlir::func::FuncOp"> {
  let summary = "Runs each gpu.launch as CPU loops over its blocks and threads";
  let description = [{
    Each `gpu.launch` (without clusters, shared memory or barriers) becomes
    six nested `scf.for` loops over its grid and block sizes, z outermost,
    whose body is the launch's body with the block and thread indices and
    sizes bound to the loops'. The program then computes on the CPU exactly
    what its kernels compute on a GPU, in one legal order of their threads:
    `weftc --emulate-gpu-kernels` builds the CPU entry points this way, so
    that tests check the kernels Weft forms (indices, bounds, sequential
    reductions) against the CPU build where no GPU is present.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect"];
}

def CudaFatbinPass : Pass<"weft-cuda-fatbin", "::mlir::ModuleOp"> {
  let summary = "Assembles each gpu.binary's PTX for several architectures into one fatbin";
  let description = [{
    Each `gpu.binary` holding PTX (`gpu-module-to-binary` with
    `format=isa`) gets instead one fatbin: the PTX assembled by the CUDA
    toolkit's `ptxas` for every architecture in `archs`, and the PTX
    itself, which the driver compiles on a GPU newer than all of them.
    Upstream's `format=fatbin` holds one architecture; a Weft executable
    carries Ampere and Hopper machine code (`sm_80,sm_90` by default).
  }];
  let options = [
    ListOption<"archs", "archs", "std::string",
               "Architectures to assemble the PTX for (sm_NN)">,
    Option<"toolkit", "toolkit", "std::string", "\"/usr/local/cuda\"",
           "The CUDA toolkit whose bin/ holds ptxas and fatbinary">,
  ];
}

#endif // WEFT_PASSES
