//===- FFKernelOps.td - kernel groups formed by ff-fuse ------*- tablegen -*-===//
//
// The ops below the training program: `ff-fuse` groups the elementwise ops of
// a scheduled program into `ff.fused` regions, and each target's codegen turns
// every region into one native kernel.
//
//===----------------------------------------------------------------------===//

def FF_FusedOp : FF_Op<"fused", [IsolatedFromAbove, SingleBlock,
    RecursiveMemoryEffects]> {
  let summary = "a group of elementwise ops and reductions compiled into one kernel";
  let description = [{
    A kernel group formed by `ff-fuse`: the region holds elementwise ff ops
    (activations, their gradients, add/sub/mul/div with broadcasting) over one
    iteration space, the result type of the first op, and may end in
    reductions of values of that space over trailing dimensions
    (`ff.global_avg_pool`, `ff.goodness` with one group per channel or one in
    all, `ff.reduce_sum` keeping the rank and dimension 0). Every result has
    the iteration shape or is such a reduction's; every input has the
    iteration shape or broadcasts to it (NumPy rules). Nothing in the group
    reads a reduction's result. The region is isolated from above: its
    arguments are the inputs, its `ff.yield` operands the results. Values
    computed inside and not yielded never reach memory: that is the point of
    the group.

    `kernel` names the kernel the target generates for the group.

    Example:
    ```mlir
    %r = ff.fused "k0" (%x, %b) : (tensor<8x16xf32>, tensor<16xf32>) -> tensor<8x16xf32> {
    ^bb0(%a: tensor<8x16xf32>, %c: tensor<16xf32>):
      %s = ff.add %a, %c : (tensor<8x16xf32>, tensor<16xf32>) -> tensor<8x16xf32>
      %t = ff.relu %s : tensor<8x16xf32>
      ff.yield %t : tensor<8x16xf32>
    }
    ```
  }];
  let arguments = (ins Variadic<AnyRankedTensor>:$inputs, StrAttr:$kernel);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $kernel `(` $inputs `)` attr-dict `:` functional-type($inputs, $results) $body
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::Block &getBodyBlock() { return getBody().front(); }
    YieldOp getYield();
    /// Whether `op` may sit inside an `ff.fused` region as an elementwise op.
    static bool isFusible(::mlir::Operation *op);
    /// Whether `op` may end a kernel group as a reduction of its input over
    /// trailing dimensions (dimension 0 is kept).
    static bool isFusibleReduction(::mlir::Operation *op);
    /// The iteration type: the result type of the region's first op.
    ::mlir::RankedTensorType getIterationType();
    /// For a fusible reduction: its result shape padded to its input's rank
    /// (1 in every reduced dimension), the factor each term is scaled by
    /// (1 / count for means), and whether terms are squared (goodness).
    static ::llvm::SmallVector<int64_t> reducedShape(::mlir::Operation *op);
    static double reductionScale(::mlir::Operation *op);
    static bool reductionSquares(::mlir::Operation *op);
  }];
}

def FF_BatchNormWithUpdateOp : FF_Op<"batch_norm_with_update", [Pure,
    AllTypesMatch<["scale", "bias", "running_mean", "running_var", "new_mean", "new_var"]>,
    AllTypesMatch<["input", "output"]>]> {
  let summary = "training batch norm that also advances the running statistics";
  let description = [{
    `ff-fuse` forms this op from a training `ff.batch_norm` and the
    `ff.batch_norm_stats_update` of the same input: the batch statistics are
    computed once, for both. `output` is the training batch norm's (with the
    `relu` epilogue when set); `new_mean` and `new_var` are the stats update's
    (`momentum * running + (1 - momentum) * batch statistic`, the unbiased
    batch variance for the running variance).

    Example:
    ```mlir
    %y, %m2, %v2 = ff.batch_norm_with_update %x, %scale, %bias, %m, %v
        {epsilon = 1.0e-05 : f64, momentum = 0.9 : f64}
        : tensor<8x16x4x4xf32>, tensor<16xf32>
    ```
  }];
  let arguments = (ins FF_Tensor:$input, FF_Tensor:$scale, FF_Tensor:$bias,
                       FF_Tensor:$running_mean, FF_Tensor:$running_var,
                       DefaultValuedAttr<F64Attr, "1.0e-5">:$epsilon,
                       DefaultValuedAttr<F64Attr, "0.9">:$momentum,
                       UnitAttr:$relu);
  let results = (outs FF_Tensor:$output, FF_Tensor:$new_mean, FF_Tensor:$new_var);
  let assemblyFormat = [{
    operands attr-dict `:` type($input) `,` type($scale)
  }];
}
