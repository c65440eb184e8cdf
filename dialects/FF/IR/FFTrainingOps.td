//===- FFTrainingOps.td - training structure of the ff dialect -*- tablegen -*-===//
//
// The ops ffc's training passes add: gradient-isolated blocks, stop-gradient,
// the local losses and votes, the gradient ops that autodiff produces where no
// graph op computes the same thing, and the optimizer updates.
//
//===----------------------------------------------------------------------===//

#ifndef FF_TRAINING_OPS_TD
#define FF_TRAINING_OPS_TD


def FF_Labels : 1DTensorOf<[I32]>;
def FF_Scalar : 0DTensorOf<[F32]>;
def FF_Count : 0DTensorOf<[I32]>;

//===----------------------------------------------------------------------===//
// Blocks
//===----------------------------------------------------------------------===//

def FF_BlockOp : FF_Op<"block", [IsolatedFromAbove, SingleBlock]> {
  let summary = "a gradient-isolated block of the model";
  let description = [{
    A region of the graph that no gradient crosses: its operands are its only
    inputs (the region is isolated from above; parameters are read inside with
    `ff.param_ref`), its `ff.yield` operands its only outputs. Training passes
    give every block its own local loss, backward pass and optimizer update;
    the schedule runs blocks one after the other, so everything a block
    computes is dead once it has yielded.

    `name` identifies the block in reports; `first_node` and `last_node` are the
    model-file locations (ONNX node names) of its first and last graph ops.

    Example:
    ```mlir
    %h = ff.block "block0" (%x) : (tensor<8x1x28x28xf32>) -> tensor<8x32x28x28xf32> {
    ^bb0(%in: tensor<8x1x28x28xf32>):
      %w = ff.param_ref @conv.weight : tensor<32x1x3x3xf32>
      %c = ff.conv2d %in, %w {padding = array<i64: 1, 1, 1, 1>}
          : (tensor<8x1x28x28xf32>, tensor<32x1x3x3xf32>) -> tensor<8x32x28x28xf32>
      %r = ff.relu %c : tensor<8x32x28x28xf32>
      ff.yield %r : tensor<8x32x28x28xf32>
    }
    ```
  }];
  let arguments = (ins Variadic<AnyRankedTensor>:$inputs, StrAttr:$name);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $name `(` $inputs `)` attr-dict `:` functional-type($inputs, $results) $body
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::Block &getBodyBlock() { return getBody().front(); }
    YieldOp getYield();
  }];
}

def FF_YieldOp : FF_Op<"yield", [Pure, Terminator, ParentOneOf<["BlockOp", "FusedOp"]>]> {
  let summary = "the outputs of an `ff.block` or `ff.fused` region";
  let description = [{
    Ends an `ff.block` or `ff.fused` region; its operands become the op's results.

    Example:
    ```mlir
    ff.yield %h, %loss : tensor<8x32x28x28xf32>, tensor<f32>
    ```
  }];
  let arguments = (ins Variadic<AnyRankedTensor>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
}

def FF_StopGradientOp : FF_Op<"stop_gradient", [Pure, SameOperandsAndResultType]> {
  let summary = "identity in the forward pass; no gradient flows through it";
  let description = [{
    Separates blocks: the next block reads `stop_gradient(LN(h))`, so its loss
    never reaches the parameters of the block that produced `h`.

    Example:
    ```mlir
    %d = ff.stop_gradient %n : tensor<8x32x28x28xf32>
    ```
  }];
  let arguments = (ins FF_Tensor:$input);
  let results = (outs FF_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

//===----------------------------------------------------------------------===//
// Local losses, votes, metrics
//===----------------------------------------------------------------------===//

def FF_GoodnessOp : FF_Op<"goodness", [Pure, InferTypeOpAdaptor]> {
  let summary = "per-sample goodness of K channel groups: mean of squares";
  let description = [{
    For `input` of shape `N x C x ...` and `groups` = K dividing C:
    `output[n, k] = mean_{c in group k, spatial} input[n, c, ...]^2`, group k
    being channels `[k*C/K, (k+1)*C/K)`. With K = C (SFF's auxiliary head has
    one output channel per class) this is the mean of squares over space per
    channel; with K < C it is CwComp's goodness of channel groups.

    Example:
    ```mlir
    %g = ff.goodness %z {groups = 10 : i64} : (tensor<8x10x28x28xf32>) -> tensor<8x10xf32>
    ```
  }];
  let arguments = (ins FF_Tensor:$input, I64Attr:$groups);
  let results = (outs FF_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def FF_MarginCrossEntropyOp : FF_Op<"margin_cross_entropy",
    [Pure, InferTypeOpAdaptor]> {
  let summary = "mean cross-entropy of scores with a margin on wrong classes";
  let description = [{
    `loss = mean_n CE(logits = scores[n, :] + margin * (1 - onehot(labels[n])),
    target = labels[n])`, a log-sum-exp margin loss; with `margin = 0` it is the
    plain cross-entropy (SFF's loss on the goodness vector, and the BP loss on
    logits). Labels must lie in `[0, K)`.

    Example:
    ```mlir
    %l = ff.margin_cross_entropy %g, %y {margin = 1.0 : f64}
        : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins FF_Tensor:$scores, FF_Labels:$labels,
                       DefaultValuedAttr<F64Attr, "0.0">:$margin);
  let results = (outs FF_Scalar:$loss);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

def FF_ThresholdLossOp : FF_Op<"threshold_loss", [Pure, InferTypeOpAdaptor]> {
  let summary = "Hinton's Forward-Forward loss on positive and negative goodness";
  let description = [{
    `loss = mean_n softplus(theta - positive[n]) + softplus(negative[n] - theta)`
    for goodness vectors of shape `N x 1` (or `N`).

    Example:
    ```mlir
    %l = ff.threshold_loss %gp, %gn {theta = 2.0 : f64}
        : (tensor<8x1xf32>, tensor<8x1xf32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins FF_Tensor:$positive, FF_Tensor:$negative,
                       DefaultValuedAttr<F64Attr, "2.0">:$theta);
  let results = (outs FF_Scalar:$loss);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

def FF_VoteOp : FF_Op<"vote", [Pure, InferTypeOpAdaptor]> {
  let summary = "SFF's inference vote: the mean of the blocks' goodness vectors";
  let description = [{
    Every operand is an `N x K` score matrix (one per block). The result is
    their mean, or only the last one with `last`; with `softmax`, each vote is
    normalised with a softmax over K first. The predicted class is the argmax.

    Example:
    ```mlir
    %v = ff.vote %g0, %g1 {softmax} : (tensor<8x10xf32>, tensor<8x10xf32>) -> tensor<8x10xf32>
    ```
  }];
  let arguments = (ins Variadic<FF_Tensor>:$scores, UnitAttr:$last,
                       UnitAttr:$softmax);
  let results = (outs FF_Tensor:$output);
  let assemblyFormat = "$scores attr-dict `:` functional-type(operands, results)";
}

def FF_CountCorrectOp : FF_Op<"count_correct", [Pure, InferTypeOpAdaptor]> {
  let summary = "number of samples whose argmax score is the label";
  let description = [{
    Example:
    ```mlir
    %c = ff.count_correct %v, %y : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<i32>
    ```
  }];
  let arguments = (ins FF_Tensor:$scores, FF_Labels:$labels);
  let results = (outs FF_Count:$count);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

def FF_EmbedLabelOp : FF_Op<"embed_label", [Pure, AllTypesMatch<["input", "output"]>]> {
  let summary = "writes a one-hot label into the first K inputs of each sample";
  let description = [{
    Hinton's Forward-Forward labels the input: the first `classes` elements of
    each (flattened) sample are replaced by `onehot(labels[n]) * scale`. With
    `shift`, the label used is `(labels[n] + shift[n]) mod classes` (a wrong
    label when `shift` is in `[1, classes)`: the negative data).

    Example:
    ```mlir
    %p = ff.embed_label %x, %y {classes = 10 : i64} : tensor<8x784xf32>, tensor<8xi32>
    %n = ff.embed_label %x, %y shift %s : tensor<8xi32> {classes = 10 : i64}
        : tensor<8x784xf32>, tensor<8xi32>
    ```
  }];
  let arguments = (ins FF_Tensor:$input, FF_Labels:$labels,
                       Optional<FF_Labels>:$shift, I64Attr:$classes,
                       DefaultValuedAttr<F64Attr, "1.0">:$scale);
  let results = (outs FF_Tensor:$output);
  let assemblyFormat = [{
    $input `,` $labels (`shift` $shift^ `:` type($shift))? attr-dict `:` type($input) `,`
    type($labels)
  }];
  let hasVerifier = 1;
}

def FF_EmbedAllLabelsOp : FF_Op<"embed_all_labels", [Pure, InferTypeOpAdaptor]> {
  let summary = "every label hypothesis of every sample: K copies of the batch";
  let description = [{
    Forward-Forward inference tries every label: for `input` of shape
    `N x ...`, the result has `classes * N` samples, sample `k * N + n` being
    `input[n]` with the first `classes` elements of its flattened form replaced
    by `onehot(k) * scale` (`ff.embed_label` with label k, for all k at once,
    hypothesis-major so that a per-sample result `(K*N) x 1` reshapes to
    `K x N`).

    Example:
    ```mlir
    %h = ff.embed_all_labels %x {classes = 10 : i64} : (tensor<8x784xf32>) -> tensor<80x784xf32>
    ```
  }];
  let arguments = (ins FF_Tensor:$input, I64Attr:$classes,
                       DefaultValuedAttr<F64Attr, "1.0">:$scale);
  let results = (outs FF_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

// Random ops read and advance the runtime's generator state.
def FF_RandomLabelShiftOp : FF_Op<"random_label_shift",
    [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "per-sample random offsets in [1, classes) for negative labels";
  let description = [{
    Draws, for every sample, a uniformly random integer in `[1, classes)` from
    the runtime's generator; added to the label modulo `classes` it gives a
    uniformly random wrong label.

    Example:
    ```mlir
    %s = ff.random_label_shift {classes = 10 : i64} : tensor<8xi32>
    ```
  }];
  let arguments = (ins I64Attr:$classes);
  let results = (outs FF_Labels:$shift);
  let assemblyFormat = "attr-dict `:` type($shift)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Parameters in training
//===----------------------------------------------------------------------===//

def FF_ParamGradOp : FF_Op<"param_grad",
    [DeclareOpInterfaceMethods<SymbolUserOpInterface>,
     MemoryEffects<[MemWrite]>]> {
  let summary = "the gradient of the enclosing block's loss for a parameter";
  let description = [{
    Emitted by autodiff for every trainable parameter its block reads; the
    optimizer pass replaces it with the update of that parameter.

    Example:
    ```mlir
    ff.param_grad @conv.weight, %dw : tensor<32x1x3x3xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$name, FF_Tensor:$gradient);
  let assemblyFormat = "$name `,` $gradient attr-dict `:` type($gradient)";
}

def FF_ParamStoreOp : FF_Op<"param_store",
    [DeclareOpInterfaceMethods<SymbolUserOpInterface>,
     MemoryEffects<[MemWrite]>]> {
  let summary = "writes a new value into an `ff.param`";
  let description = [{
    Later `ff.param_ref`s of the same step read the old value: stores take
    effect at the end of the block (the optimizer step of a block comes last).

    Example:
    ```mlir
    ff.param_store @conv.weight, %w2 : tensor<32x1x3x3xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$name, FF_Tensor:$value);
  let assemblyFormat = "$name `,` $value attr-dict `:` type($value)";
}

def FF_SGDStepOp : FF_Op<"sgd_step", [Pure]> {
  let summary = "one SGD update (momentum, Nesterov, weight decay)";
  let description = [{
    `g = gradient + weight_decay * param`; with a momentum buffer
    `buf' = momentum * buf + g` and the step direction `g + momentum * buf'`
    (Nesterov) or `buf'`; `param' = param - lr * direction`. Without momentum
    there is no buffer operand or result. This is PyTorch's `torch.optim.SGD`
    with dampening 0.

    Example:
    ```mlir
    %w2, %b2 = ff.sgd_step %w, %g, %lr, %b {momentum = 0.9 : f64}
        : (tensor<16xf32>, tensor<16xf32>, tensor<f32>, tensor<16xf32>)
        -> (tensor<16xf32>, tensor<16xf32>)
    ```
  }];
  let arguments = (ins FF_Tensor:$param, FF_Tensor:$gradient, FF_Scalar:$lr,
                       Optional<FF_Tensor>:$buffer,
                       DefaultValuedAttr<F64Attr, "0.0">:$momentum,
                       UnitAttr:$nesterov,
                       DefaultValuedAttr<F64Attr, "0.0">:$weight_decay);
  let results = (outs FF_Tensor:$new_param, Optional<FF_Tensor>:$new_buffer);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def FF_AdamStepOp : FF_Op<"adam_step", [Pure,
    AllTypesMatch<["param", "gradient", "moment1", "moment2", "new_param",
                   "new_moment1", "new_moment2"]>, AllTypesMatch<["lr", "step"]>]> {
  let summary = "one Adam or AdamW update with bias correction";
  let description = [{
    With `t = step` (already counting this update, from 1):
    `g = gradient + weight_decay * param` (Adam; AdamW with `decoupled` instead
    multiplies `param` by `1 - lr * weight_decay`),
    `m' = beta1 m + (1 - beta1) g`, `v' = beta2 v + (1 - beta2) g^2`,
    `param' = param - lr * (m' / (1 - beta1^t)) / (sqrt(v' / (1 - beta2^t)) + eps)`:
    PyTorch's `torch.optim.Adam` / `AdamW`.

    Example:
    ```mlir
    %w2, %m2, %v2 = ff.adam_step %w, %g, %m, %v, %lr, %t {weight_decay = 0.01 : f64, decoupled}
        : tensor<16xf32>, tensor<f32>
    ```
  }];
  let arguments = (ins FF_Tensor:$param, FF_Tensor:$gradient, FF_Tensor:$moment1,
                       FF_Tensor:$moment2, FF_Scalar:$lr, FF_Scalar:$step,
                       DefaultValuedAttr<F64Attr, "0.9">:$beta1,
                       DefaultValuedAttr<F64Attr, "0.999">:$beta2,
                       DefaultValuedAttr<F64Attr, "1.0e-8">:$epsilon,
                       DefaultValuedAttr<F64Attr, "0.0">:$weight_decay,
                       UnitAttr:$decoupled);
  let results = (outs FF_Tensor:$new_param, FF_Tensor:$new_moment1,
                      FF_Tensor:$new_moment2);
  let assemblyFormat = [{
    operands attr-dict `:` type($param) `,` type($lr)
  }];
  let hasVerifier = 1;
}

def FF_BatchNormStatsUpdateOp : FF_Op<"batch_norm_stats_update",
    [Pure, AllTypesMatch<["running_mean", "running_var", "new_mean", "new_var"]>]> {
  let summary = "advances batch-norm running statistics with a batch";
  let description = [{
    `new_mean = momentum * running_mean + (1 - momentum) * mean(input)`,
    `new_var = momentum * running_var + (1 - momentum) * unbiased_var(input)`,
    statistics per channel (dimension 1) over all other dimensions; ONNX's
    momentum convention, as `ff.batch_norm`.

    Example:
    ```mlir
    %m2, %v2 = ff.batch_norm_stats_update %x, %m, %v {momentum = 0.9 : f64}
        : tensor<8x16x4x4xf32>, tensor<16xf32>
    ```
  }];
  let arguments = (ins FF_Tensor:$input, FF_Tensor:$running_mean,
                       FF_Tensor:$running_var,
                       DefaultValuedAttr<F64Attr, "0.9">:$momentum);
  let results = (outs FF_Tensor:$new_mean, FF_Tensor:$new_var);
  let assemblyFormat = [{
    operands attr-dict `:` type($input) `,` type($running_mean)
  }];
  let hasVerifier = 1;
}

def FF_DropoutMaskOp : FF_Op<"dropout_mask",
    [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "a fresh random dropout mask, already scaled";
  let description = [{
    Each element is 0 with probability `ratio` and `1 / (1 - ratio)` otherwise,
    drawn from the runtime's generator. Autodiff rewrites a training
    `ff.dropout` into `input * mask` so that the backward pass reuses the mask.

    Example:
    ```mlir
    %m = ff.dropout_mask {ratio = 2.0e-01 : f64} : tensor<8x1024xf32>
    ```
  }];
  let arguments = (ins F64Attr:$ratio);
  let results = (outs FF_Tensor:$mask);
  let assemblyFormat = "attr-dict `:` type($mask)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Gradient ops (produced by ff-differentiate-blocks)
//===----------------------------------------------------------------------===//

def FF_Conv2DGradInputOp : FF_Op<"conv2d_grad_input", [Pure]> {
  let summary = "gradient of conv2d with respect to its input";
  let description = [{
    The transposed convolution of `output_grad` with `weight`, producing a
    tensor of the convolution input's shape (the result type). Attributes are
    the forward convolution's.

    Example:
    ```mlir
    %dx = ff.conv2d_grad_input %dy, %w {padding = array<i64: 1, 1, 1, 1>}
        : (tensor<8x16x8x8xf32>, tensor<16x3x3x3xf32>) -> tensor<8x3x8x8xf32>
    ```
  }];
  let arguments = (ins FF_Tensor:$output_grad, FF_Tensor:$weight,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$padding,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
                       DefaultValuedAttr<I64Attr, "1">:$groups);
  let results = (outs FF_Tensor:$input_grad);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def FF_Conv2DGradWeightOp : FF_Op<"conv2d_grad_weight", [Pure]> {
  let summary = "gradient of conv2d with respect to its weight";
  let description = [{
    `weight_grad[o, c, i, j] = sum_{n, y, x} output_grad[n, o, y, x] *
    input[n, g*C/G + c, y*sy - pt + i*dy, x*sx - pl + j*dx]`; the result type
    is the weight's. Attributes are the forward convolution's.

    Example:
    ```mlir
    %dw = ff.conv2d_grad_weight %x, %dy {padding = array<i64: 1, 1, 1, 1>}
        : (tensor<8x3x8x8xf32>, tensor<8x16x8x8xf32>) -> tensor<16x3x3x3xf32>
    ```
  }];
  let arguments = (ins FF_Tensor:$input, FF_Tensor:$output_grad,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$padding,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
                       DefaultValuedAttr<I64Attr, "1">:$groups);
  let results = (outs FF_Tensor:$weight_grad);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def FF_ReduceSumOp : FF_Op<"reduce_sum", [Pure]> {
  let summary = "sum over dimensions, or down to a broadcast-compatible shape";
  let description = [{
    Sums `input` into the result shape: the result has the input's rank with
    summed dimensions of size 1, or fewer dimensions when it is the
    right-aligned broadcast source of the input (the gradient of a
    broadcasting op), or the listed `axes` are dropped entirely (a bias
    gradient: `N x C x H x W -> C` with `axes = [0, 2, 3]`).

    Example:
    ```mlir
    %db = ff.reduce_sum %dy {axes = array<i64: 0, 2, 3>} : (tensor<8x16x4x4xf32>) -> tensor<16xf32>
    %ds = ff.reduce_sum %dy : (tensor<8x16x4x4xf32>) -> tensor<8x16x1x1xf32>
    ```
  }];
  let arguments = (ins FF_Tensor:$input, OptionalAttr<DenseI64ArrayAttr>:$axes);
  let results = (outs FF_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def FF_BroadcastOp : FF_Op<"broadcast", [Pure]> {
  let summary = "broadcasts a tensor to a larger shape, NumPy style";
  let description = [{
    The input's shape must broadcast to the result's (right-aligned, each
    dimension equal or 1).

    Example:
    ```mlir
    %b = ff.broadcast %g : (tensor<8x16x1x1xf32>) -> tensor<8x16x4x4xf32>
    ```
  }];
  let arguments = (ins FF_Tensor:$input);
  let results = (outs FF_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def FF_TransposeOp : FF_Op<"transpose", [Pure, InferTypeOpAdaptor]> {
  let summary = "permutes dimensions";
  let description = [{
    `output.shape[i] = input.shape[permutation[i]]`.

    Example:
    ```mlir
    %t = ff.transpose %x {permutation = array<i64: 1, 0>} : (tensor<8x16xf32>) -> tensor<16x8xf32>
    ```
  }];
  let arguments = (ins FF_Tensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs FF_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def FF_SliceOp : FF_Op<"slice", [Pure]> {
  let summary = "a static box of a tensor (unit strides)";
  let description = [{
    `output = input[offsets[0] : offsets[0] + sizes[0], ...]` with the sizes of
    the result type (the gradient of `ff.concat`).

    Example:
    ```mlir
    %s = ff.slice %x {offsets = array<i64: 0, 8, 0, 0>}
        : (tensor<1x12x4x4xf32>) -> tensor<1x4x4x4xf32>
    ```
  }];
  let arguments = (ins FF_Tensor:$input, DenseI64ArrayAttr:$offsets);
  let results = (outs FF_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

class FF_ActivationGradOp<string mnemonic, string forward>
    : FF_Op<mnemonic, [Pure, AllTypesMatch<["input", "output_grad", "input_grad"]>]> {
  let summary = "gradient of `ff." # forward # "` with respect to its input";
  let description = "`input_grad = output_grad * " # forward # "'(input)`, from the "
    # "forward input.\n\nExample:\n```mlir\n%dx = ff." # mnemonic
    # " %x, %dy : tensor<8x16xf32>\n```";
  let arguments = (ins FF_Tensor:$input, FF_Tensor:$output_grad);
  let results = (outs FF_Tensor:$input_grad);
  let assemblyFormat = "operands attr-dict `:` type($input)";
}

def FF_ReluGradOp : FF_ActivationGradOp<"relu_grad", "relu">;
def FF_SigmoidGradOp : FF_ActivationGradOp<"sigmoid_grad", "sigmoid">;
def FF_HardSwishGradOp : FF_ActivationGradOp<"hardswish_grad", "hardswish">;

def FF_HardSigmoidGradOp : FF_Op<"hardsigmoid_grad",
    [Pure, AllTypesMatch<["input", "output_grad", "input_grad"]>]> {
  let summary = "gradient of `ff.hardsigmoid`";
  let description = [{
    `input_grad = output_grad * alpha` where `0 < alpha * x + beta < 1`, else 0.

    Example:
    ```mlir
    %dx = ff.hardsigmoid_grad %x, %dy {alpha = 0.16666666666666666 : f64} : tensor<8x16xf32>
    ```
  }];
  let arguments = (ins FF_Tensor:$input, FF_Tensor:$output_grad,
                       DefaultValuedAttr<F64Attr, "0.2">:$alpha,
                       DefaultValuedAttr<F64Attr, "0.5">:$beta);
  let results = (outs FF_Tensor:$input_grad);
  let assemblyFormat = "operands attr-dict `:` type($input)";
}

def FF_ClipGradOp : FF_Op<"clip_grad",
    [Pure, AllTypesMatch<["input", "output_grad", "input_grad"]>]> {
  let summary = "gradient of `ff.clip`";
  let description = [{
    `input_grad = output_grad` where `min < x < max`, else 0.

    Example:
    ```mlir
    %dx = ff.clip_grad %x, %dy {min = 0.0 : f64, max = 6.0 : f64} : tensor<8x16xf32>
    ```
  }];
  let arguments = (ins FF_Tensor:$input, FF_Tensor:$output_grad, F64Attr:$min,
                       F64Attr:$max);
  let results = (outs FF_Tensor:$input_grad);
  let assemblyFormat = "operands attr-dict `:` type($input)";
}

def FF_SoftmaxGradOp : FF_Op<"softmax_grad",
    [Pure, AllTypesMatch<["output", "output_grad", "input_grad"]>]> {
  let summary = "gradient of `ff.softmax`, from its output";
  let description = [{
    `input_grad = y * (dy - sum_axis(dy * y))` with `y` the softmax output.

    Example:
    ```mlir
    %dx = ff.softmax_grad %y, %dy {axis = 1 : i64} : tensor<8x10xf32>
    ```
  }];
  let arguments = (ins FF_Tensor:$output, FF_Tensor:$output_grad,
                       DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs FF_Tensor:$input_grad);
  let assemblyFormat = "operands attr-dict `:` type($output)";
  let hasVerifier = 1;
}

def FF_MaxPool2DGradOp : FF_Op<"max_pool2d_grad",
    [Pure, AllTypesMatch<["input", "input_grad"]>]> {
  let summary = "gradient of `ff.max_pool2d`";
  let description = [{
    Routes each window's output gradient to the window's maximum in `input`
    (the first one on ties). Attributes are the forward pool's.

    Example:
    ```mlir
    %dx = ff.max_pool2d_grad %x, %dy {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>}
        : (tensor<1x8x8x8xf32>, tensor<1x8x4x4xf32>) -> tensor<1x8x8x8xf32>
    ```
  }];
  let arguments = (ins FF_Tensor:$input, FF_Tensor:$output_grad,
                       DenseI64ArrayAttr:$kernel,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$padding,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
                       UnitAttr:$ceil_mode);
  let results = (outs FF_Tensor:$input_grad);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def FF_AvgPool2DGradOp : FF_Op<"avg_pool2d_grad", [Pure]> {
  let summary = "gradient of `ff.avg_pool2d`";
  let description = [{
    Spreads each window's output gradient evenly over the window (divided as the
    forward pool divides); the result type is the forward input's.

    Example:
    ```mlir
    %dx = ff.avg_pool2d_grad %dy {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>}
        : (tensor<1x8x4x4xf32>) -> tensor<1x8x8x8xf32>
    ```
  }];
  let arguments = (ins FF_Tensor:$output_grad, DenseI64ArrayAttr:$kernel,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$padding,
                       UnitAttr:$ceil_mode, UnitAttr:$count_include_pad);
  let results = (outs FF_Tensor:$input_grad);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def FF_BatchNormGradOp : FF_Op<"batch_norm_grad", [Pure]> {
  let summary = "gradients of `ff.batch_norm` (input, scale, bias)";
  let description = [{
    Recomputes the normalisation from `input` (batch statistics with
    `training`, the running ones otherwise) and returns the gradients for the
    input, the scale and the bias. With `relu_output`, `output_grad` is first
    masked to where `relu_output > 0`: the gradient of a relu that `ff-fuse`
    folded in (the mask is never written out).

    Example:
    ```mlir
    %dx, %ds, %db = ff.batch_norm_grad %x, %dy, %s, %m, %v {training}
        : (tensor<8x16x4x4xf32>, tensor<8x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>,
           tensor<16xf32>) -> (tensor<8x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>)
    ```
  }];
  let arguments = (ins FF_Tensor:$input, FF_Tensor:$output_grad, FF_Tensor:$scale,
                       FF_Tensor:$running_mean, FF_Tensor:$running_var,
                       Optional<FF_Tensor>:$relu_output,
                       DefaultValuedAttr<F64Attr, "1.0e-5">:$epsilon,
                       UnitAttr:$training);
  let results = (outs FF_Tensor:$input_grad, FF_Tensor:$scale_grad,
                      FF_Tensor:$bias_grad);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def FF_LayerNormGradOp : FF_Op<"layer_norm_grad", [Pure, AttrSizedResultSegments]> {
  let summary = "gradients of `ff.layer_norm` (input, and scale and bias if present)";
  let description = [{
    Recomputes the normalisation of `input` over the dimensions from `axis` on
    and returns the input gradient, then the scale and bias gradients when the
    forward op has them.

    Example:
    ```mlir
    %dx = ff.layer_norm_grad %x, %dy {axis = 1 : i64}
        : tensor<8x16x4x4xf32>, tensor<8x16x4x4xf32> -> tensor<8x16x4x4xf32>
    %dx2, %ds, %db = ff.layer_norm_grad %x, %dy scale %s : tensor<16x4x4xf32> {has_bias}
        : tensor<8x16x4x4xf32>, tensor<8x16x4x4xf32> -> tensor<8x16x4x4xf32>
          scale_grad tensor<16x4x4xf32> bias_grad tensor<16x4x4xf32>
    ```
  }];
  let arguments = (ins FF_Tensor:$input, FF_Tensor:$output_grad,
                       Optional<FF_Tensor>:$scale,
                       DefaultValuedAttr<I64Attr, "1">:$axis,
                       DefaultValuedAttr<F64Attr, "1.0e-5">:$epsilon,
                       UnitAttr:$has_bias);
  let results = (outs FF_Tensor:$input_grad, Optional<FF_Tensor>:$scale_grad,
                      Optional<FF_Tensor>:$bias_grad);
  let assemblyFormat = [{
    $input `,` $output_grad (`scale` $scale^ `:` type($scale))? attr-dict `:`
    type($input) `,` type($output_grad) `->` type($input_grad)
    (`scale_grad` type($scale_grad)^)? (`bias_grad` type($bias_grad)^)?
  }];
  let hasVerifier = 1;
}

def FF_GoodnessGradOp : FF_Op<"goodness_grad", [Pure]> {
  let summary = "gradient of `ff.goodness` with respect to its input";
  let description = [{
    `input_grad[n, c, ...] = goodness_grad[n, k(c)] * 2 * input[n, c, ...] /
    (elements per group)`.

    Example:
    ```mlir
    %dz = ff.goodness_grad %z, %dg {groups = 10 : i64}
        : (tensor<8x10x4x4xf32>, tensor<8x10xf32>) -> tensor<8x10x4x4xf32>
    ```
  }];
  let arguments = (ins FF_Tensor:$input, FF_Tensor:$goodness_grad, I64Attr:$groups);
  let results = (outs FF_Tensor:$input_grad);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def FF_MarginCrossEntropyGradOp : FF_Op<"margin_cross_entropy_grad",
    [Pure, AllTypesMatch<["scores", "scores_grad"]>]> {
  let summary = "gradient of `ff.margin_cross_entropy` for its scores";
  let description = [{
    `(softmax(scores + margin * (1 - onehot)) - onehot(labels)) / N`: the loss
    is the seed of its block's backward pass, so no incoming gradient.

    Example:
    ```mlir
    %dg = ff.margin_cross_entropy_grad %g, %y : tensor<8x10xf32>, tensor<8xi32>
    ```
  }];
  let arguments = (ins FF_Tensor:$scores, FF_Labels:$labels,
                       DefaultValuedAttr<F64Attr, "0.0">:$margin);
  let results = (outs FF_Tensor:$scores_grad);
  let assemblyFormat = "operands attr-dict `:` type($scores) `,` type($labels)";
  let hasVerifier = 1;
}

def FF_ThresholdLossGradOp : FF_Op<"threshold_loss_grad",
    [Pure, AllTypesMatch<["positive", "negative", "positive_grad", "negative_grad"]>]> {
  let summary = "gradients of `ff.threshold_loss`";
  let description = [{
    `d/dpositive = -sigmoid(theta - positive) / N`,
    `d/dnegative = sigmoid(negative - theta) / N`.

    Example:
    ```mlir
    %dp, %dn = ff.threshold_loss_grad %gp, %gn {theta = 2.0 : f64} : tensor<8x1xf32>
    ```
  }];
  let arguments = (ins FF_Tensor:$positive, FF_Tensor:$negative,
                       DefaultValuedAttr<F64Attr, "2.0">:$theta);
  let results = (outs FF_Tensor:$positive_grad, FF_Tensor:$negative_grad);
  let assemblyFormat = "operands attr-dict `:` type($positive)";
}

#endif // FF_TRAINING_OPS_TD
