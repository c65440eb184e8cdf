//===- Passes.td - ffc's training passes -------------------*- tablegen -*-===//
//
// The passes that turn an inference graph in the ff dialect into a local-loss
// training program, in pipeline order. Each is also a `ffc --compile-to=` phase.
//
//===----------------------------------------------------------------------===//

#ifndef FFC_PASSES_TD
#define FFC_PASSES_TD

include "mlir/Pass/PassBase.td"

def PartitionBlocks : Pass<"ff-partition-blocks", "mlir::ModuleOp"> {
  let summary = "Groups the model graph into gradient-isolated ff.block regions";
  let description = [{
    Rewrites `@forward` into a sequence of `ff.block` ops. Between two blocks
    exactly one tensor may be live (it becomes the next block's input), so no
    skip connection ever spans a boundary. Policies:

    - `layer`: every parametric layer (conv2d, linear, matmul) with the
      normalisation, activation and pooling ops that follow it; layers that a
      skip connection or branch spans stay together (reported as remarks);
    - `residual`: residual units found from the graph: single-tensor cut
      points right after a residual join (the add and its activation) or a
      linear bottleneck (a conv/norm output fed straight into the next
      contraction). A stem with no residual of its own joins the first unit,
      a trailing head joins the last. Graphs with neither fall back to `layer`;
    - `scope`: runs of ops whose ONNX node names (module paths) agree on the
      first `scope-depth` components; shallower-named ops join the next run;
    - `whole`: one block (end-to-end backpropagation);
    - `manual`: blocks end at the listed `boundaries` (ONNX node names).

    With `drop-classifier` (the SFF modes) the model's classifier (from the
    first pooling-to-vector, flatten or linear op after the last convolution,
    or the last linear layer of a model without convolutions) is removed:
    SFF predicts from the blocks' votes. `keep-classifier` keeps it as an
    extra last block (trained with the `bp` head). Every boundary is reported
    as a remark naming the ONNX node that ends the block.
  }];
  let options = [
    Option<"policy", "policy", "std::string", /*default=*/"\"residual\"",
           "Partition policy: layer, residual, scope, whole or manual">,
    Option<"scopeDepth", "scope-depth", "unsigned", /*default=*/"2",
           "Module-path depth for the scope policy">,
    ListOption<"boundaries", "boundaries", "std::string",
               "Manual policy: ONNX node names that end a block">,
    Option<"dropClassifier", "drop-classifier", "bool", /*default=*/"true",
           "Remove the model's classifier (SFF predicts from the blocks' votes)">,
    Option<"keepClassifier", "keep-classifier", "bool", /*default=*/"false",
           "Keep the classifier as a last block trained with the bp head">,
  ];
  let dependentDialects = ["::ffc::ff::FFDialect", "::mlir::func::FuncDialect"];
}

def SynthesizeLocalLoss : Pass<"ff-synthesize-local-loss", "mlir::ModuleOp"> {
  let summary = "Adds each block's local objective, the normalisation between blocks and the vote";
  let description = [{
    Turns the partitioned `@forward` into two programs:

    - `@train(input, labels) -> (loss_0, scores_0, ..., loss_B-1, scores_B-1)`:
      every block also computes its loss and its N x K class scores; the next
      block reads `ff.stop_gradient(LN(h_b))`; batch norms use batch statistics
      and dropout is active;
    - `@infer(input) -> (vote, scores_0, ..., scores_B-1)`: the same blocks in
      inference semantics (running statistics, no dropout) and the vote.

    Losses (`loss`): `sff` adds an auxiliary convolution with `classes` output
    channels (kernel `aux-kernel`, with bias, its own parameters; a linear
    layer on 2-D features), goodness = mean of squares over space per class,
    and the margin cross-entropy; `cwcomp` takes the goodness of `classes`
    groups of the block's own channels; `bp` adds global-average-pool + linear
    + cross-entropy on the last block (or uses the model's classifier when it
    is kept); `ff` is Hinton's threshold loss with label-in-input positives
    and wrong-label negatives, for MLPs (every block output N x F).

    Loss `ff`: block 0 writes `onehot(label) * label-scale` into the first K
    input elements (`ff.embed_label`) and a random wrong label
    (`ff.random_label_shift`) for the negatives, and concatenates both into
    one batch of 2N that every block runs (the blocks are re-typed for it).
    Each block's goodness (`goodness`: mean, the default, or sum of the
    squared outputs, per sample) is split into its positive and negative
    halves for `ff.threshold_loss` (`threshold` = theta). The training scores
    are `onehot(label) * (g_pos - g_neg)`: a sample counts as correct when its
    positive goodness beats its negative one. `@infer` runs all K label
    hypotheses as one batch of K*N (`ff.embed_all_labels`); each block's
    scores are the goodness of every hypothesis (N x K), and the vote `all`
    is Hinton's rule (argmax of the goodness summed over layers).
  }];
  let options = [
    Option<"loss", "loss", "std::string", /*default=*/"\"sff\"",
           "Local objective: sff, cwcomp, ff or bp">,
    Option<"classes", "classes", "int64_t", /*default=*/"0",
           "Number of classes (0: the model's output width)">,
    Option<"margin", "margin", "double", /*default=*/"0.0",
           "SFF margin m added to the wrong classes' logits">,
    Option<"auxKernel", "aux-kernel", "int64_t", /*default=*/"1",
           "Kernel size of SFF's auxiliary convolution (odd)">,
    Option<"norm", "norm", "std::string", /*default=*/"\"layer\"",
           "Normalisation between blocks: layer (C,H,W), channel (C only) or none">,
    Option<"normEpsilon", "norm-epsilon", "double", /*default=*/"1e-5",
           "Epsilon of the normalisation between blocks">,
    Option<"auxInput", "aux-input", "std::string", /*default=*/"\"pre\"",
           "The aux head reads the block output before (pre) or after (post) the normalisation">,
    Option<"vote", "vote", "std::string", /*default=*/"\"all\"",
           "Inference vote: all (mean of every block's scores) or last">,
    Option<"voteSoftmax", "vote-softmax", "bool", /*default=*/"false",
           "Softmax each block's scores before voting">,
    Option<"threshold", "threshold", "double", /*default=*/"2.0",
           "Goodness threshold theta of the ff loss">,
    Option<"goodness", "goodness", "std::string", /*default=*/"\"mean\"",
           "ff loss: goodness of a layer per sample, the mean (default) or the sum of its squared activities">,
    Option<"labelScale", "label-scale", "double", /*default=*/"1.0",
           "ff loss: value of the one-hot label written into the first K input elements">,
    Option<"seed", "seed", "uint64_t", /*default=*/"0",
           "Seed of the initial values of synthesized heads">,
  ];
  let dependentDialects = ["::ffc::ff::FFDialect", "::mlir::func::FuncDialect"];
}

def DifferentiateBlocks : Pass<"ff-differentiate-blocks", "mlir::ModuleOp"> {
  let summary = "Reverse-mode gradients of each block's loss, inside the block";
  let description = [{
    For every `ff.block` of `@train`, appends the reverse-mode derivative of
    the block's loss (its second yielded value) with respect to every
    trainable parameter the block reads, ending in one `ff.param_grad` per
    parameter. Gradients never leave a block and never flow through
    `ff.stop_gradient`; an op without a gradient rule is an error naming it.
    A training `ff.dropout` becomes `input * ff.dropout_mask` so that the
    backward pass reuses the mask. Only values on a path from a trainable
    parameter (an `ff.param` without `buffer`) to the loss get gradients;
    block inputs never do. A trainable parameter the loss does not depend on
    gets a warning and no `ff.param_grad`. When the loss is not produced by a
    loss op (a sum of heads, say), the seed is 1. Backward ops carry their
    forward op's location tagged `fused<"grad">`. The pass then proves that no
    gradient path crosses a block boundary: every operand of every op in a
    block is defined inside it, every `ff.param_grad` lies in a block and names
    a parameter that block reads.
  }];
  let dependentDialects = ["::ffc::ff::FFDialect"];
}

def SynthesizeOptimizer : Pass<"ff-synthesize-optimizer", "mlir::ModuleOp"> {
  let summary = "Replaces each ff.param_grad with the parameter's optimizer update";
  let description = [{
    Adds the learning rate as a runtime input (`@train`'s last argument, a
    0-d f32 tensor, passed into every block) and replaces every
    `ff.param_grad` with the update of its parameter: `ff.sgd_step` (momentum,
    Nesterov, weight decay) or `ff.adam_step` (Adam, AdamW), storing the new
    values with `ff.param_store`. Optimizer state (moments, momentum buffers,
    a per-block step counter) becomes `buffer` params named after the
    parameter. Training batch norms also advance their running statistics.
  }];
  let options = [
    Option<"optimizer", "optimizer", "std::string", /*default=*/"\"adam\"",
           "Optimizer: sgd, adam or adamw">,
    Option<"momentum", "momentum", "double", /*default=*/"0.0",
           "SGD momentum">,
    Option<"nesterov", "nesterov", "bool", /*default=*/"false",
           "SGD with Nesterov momentum">,
    Option<"weightDecay", "weight-decay", "double", /*default=*/"-1.0",
           "Weight decay (default: 0, or 0.01 for adamw)">,
    Option<"beta1", "beta1", "double", /*default=*/"0.9", "Adam beta1">,
    Option<"beta2", "beta2", "double", /*default=*/"0.999", "Adam beta2">,
    Option<"epsilon", "epsilon", "double", /*default=*/"1e-8", "Adam epsilon">,
  ];
  let dependentDialects = ["::ffc::ff::FFDialect"];
}

def Schedule : Pass<"ff-schedule", "mlir::ModuleOp"> {
  let summary = "Builds the step programs train_step, eval_step and predict";
  let description = [{
    From `@train` and `@infer`:
    `@train_step(input, labels, lr) -> (loss_b..., correct_b...)` runs the
    blocks in order (forward b, loss b, backward b, update b, then block b+1
    reads the detached normalised output), `@eval_step(input, labels) ->
    (correct_all_vote, correct_last_vote, correct_b...)` and `@predict(input)
    -> vote`. Everything a block computes lives inside its region, so its
    activations are dead when the block yields; the schedule orders each
    block's ops so that values die as early as the dependences allow.
  }];
  let dependentDialects = ["::ffc::ff::FFDialect", "::mlir::func::FuncDialect"];
}

def Fuse : Pass<"ff-fuse", "mlir::ModuleOp"> {
  let summary = "Groups the step programs' elementwise ops into ff.fused kernels";
  let description = [{
    In `@train_step`, `@eval_step` and `@predict`, chains of elementwise ops
    (activations and their gradients, add/sub/mul/div with broadcasting) that
    iterate over one shape become `ff.fused` regions: one generated kernel
    each, so values used only inside a chain never reach memory. An op joins
    the group of one of its producers when it has the same iteration shape and
    everything else it reads is available where the group starts; otherwise it
    starts a group of its own. First, an `ff.relu` that reads a batch norm
    becomes that op's `relu` epilogue when the normalised value has no other
    reader than `ff.relu_grad` (which then reads the relu's output: the same
    mask), so the normalised tensor is never written; and an `ff.relu_grad`
    read only by a batch norm's gradient becomes that op's `relu_output` mask. Contractions, pooling, normalisations and the
    loss heads stay runtime library calls.
  }];
  let dependentDialects = ["::ffc::ff::FFDialect", "::mlir::func::FuncDialect"];
}

#endif // FFC_PASSES_TD
