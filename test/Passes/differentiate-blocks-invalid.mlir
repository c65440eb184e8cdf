// Errors and warnings of ff-differentiate-blocks.
// RUN: ff-opt %s -ff-differentiate-blocks -split-input-file -verify-diagnostics

// The pass differentiates @train; without it there is nothing to train.
// expected-error@+1 {{ff-differentiate-blocks needs @train (run ff-synthesize-local-loss first)}}
module {
  func.func @infer(%x: tensor<8x16xf32>) -> tensor<8x16xf32> {
    return %x : tensor<8x16xf32>
  }
}

// -----

// The vote combines blocks at inference; it has no gradient rule, so a
// parameter path through it is an error on the vote.
ff.param @fc.weight = dense<0.1> : tensor<10x16xf32>
func.func @train(%x: tensor<8x16xf32>, %y: tensor<8xi32>) -> (tensor<f32>, tensor<8x10xf32>) {
  %h, %loss, %scores = ff.block "voting" (%x, %y) : (tensor<8x16xf32>, tensor<8xi32>) -> (tensor<8x10xf32>, tensor<f32>, tensor<8x10xf32>) {
  ^bb0(%in: tensor<8x16xf32>, %labels: tensor<8xi32>):
    %w = ff.param_ref @fc.weight : tensor<10x16xf32>
    %s = ff.linear %in, %w : (tensor<8x16xf32>, tensor<10x16xf32>) -> tensor<8x10xf32>
    // expected-error@+1 {{ff-differentiate-blocks: no gradient rule for 'ff.vote' (it lies on a path from a trainable parameter to the loss of block 'voting')}}
    %v = ff.vote %s, %s : (tensor<8x10xf32>, tensor<8x10xf32>) -> tensor<8x10xf32>
    %l = ff.margin_cross_entropy %v, %labels : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<f32>
    ff.yield %s, %l, %v : tensor<8x10xf32>, tensor<f32>, tensor<8x10xf32>
  }
  return %loss, %scores : tensor<f32>, tensor<8x10xf32>
}

// -----

// A label embedding is fine on the input side, but not behind a parameter.
ff.param @fc.weight = dense<0.1> : tensor<16x16xf32>
ff.param @fc2.weight = dense<0.1> : tensor<1x16xf32>
func.func @train(%x: tensor<8x16xf32>, %y: tensor<8xi32>) -> (tensor<f32>, tensor<8x1xf32>) {
  %h, %loss, %scores = ff.block "embed" (%x, %y) : (tensor<8x16xf32>, tensor<8xi32>) -> (tensor<8x16xf32>, tensor<f32>, tensor<8x1xf32>) {
  ^bb0(%in: tensor<8x16xf32>, %labels: tensor<8xi32>):
    %w = ff.param_ref @fc.weight : tensor<16x16xf32>
    %a = ff.linear %in, %w : (tensor<8x16xf32>, tensor<16x16xf32>) -> tensor<8x16xf32>
    // expected-error@+1 {{no gradient rule for 'ff.embed_label'}}
    %e = ff.embed_label %a, %labels {classes = 10 : i64} : tensor<8x16xf32>, tensor<8xi32>
    %w2 = ff.param_ref @fc2.weight : tensor<1x16xf32>
    %p = ff.linear %e, %w2 : (tensor<8x16xf32>, tensor<1x16xf32>) -> tensor<8x1xf32>
    %l = ff.threshold_loss %p, %p : (tensor<8x1xf32>, tensor<8x1xf32>) -> tensor<f32>
    ff.yield %a, %l, %p : tensor<8x16xf32>, tensor<f32>, tensor<8x1xf32>
  }
  return %loss, %scores : tensor<f32>, tensor<8x1xf32>
}

// -----

// Ops of other dialects have no gradient rule either.
ff.param @fc.weight = dense<0.1> : tensor<10x16xf32>
func.func private @helper(tensor<8x10xf32>) -> tensor<8x10xf32>
func.func @train(%x: tensor<8x16xf32>, %y: tensor<8xi32>) -> (tensor<f32>, tensor<8x10xf32>) {
  %h, %loss, %scores = ff.block "foreign" (%x, %y) : (tensor<8x16xf32>, tensor<8xi32>) -> (tensor<8x10xf32>, tensor<f32>, tensor<8x10xf32>) {
  ^bb0(%in: tensor<8x16xf32>, %labels: tensor<8xi32>):
    %w = ff.param_ref @fc.weight : tensor<10x16xf32>
    %s = ff.linear %in, %w : (tensor<8x16xf32>, tensor<10x16xf32>) -> tensor<8x10xf32>
    // expected-error@+1 {{no gradient rule for 'func.call'}}
    %c = func.call @helper(%s) : (tensor<8x10xf32>) -> tensor<8x10xf32>
    %l = ff.margin_cross_entropy %c, %labels : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<f32>
    ff.yield %s, %l, %c : tensor<8x10xf32>, tensor<f32>, tensor<8x10xf32>
  }
  return %loss, %scores : tensor<f32>, tensor<8x10xf32>
}

// -----

// An inference-mode batch norm whose running statistics are computed from a
// trainable parameter: there is no rule for that dependence.
ff.param @bn.weight = dense<1.0> : tensor<4xf32>
ff.param @bn.mean = dense<0.0> : tensor<4xf32>
ff.param @bn.var buffer = dense<1.0> : tensor<4xf32>
func.func @train(%x: tensor<8x4x2x2xf32>, %y: tensor<8xi32>) -> (tensor<f32>, tensor<8x4xf32>) {
  %h, %loss, %scores = ff.block "bn_stats" (%x, %y) : (tensor<8x4x2x2xf32>, tensor<8xi32>) -> (tensor<8x4x2x2xf32>, tensor<f32>, tensor<8x4xf32>) {
  ^bb0(%in: tensor<8x4x2x2xf32>, %labels: tensor<8xi32>):
    %s = ff.param_ref @bn.weight : tensor<4xf32>
    %m = ff.param_ref @bn.mean : tensor<4xf32>
    %v = ff.param_ref @bn.var : tensor<4xf32>
    // expected-error@+1 {{no gradient rule for 'ff.batch_norm' with respect to running statistics}}
    %n = ff.batch_norm %in, %s, %s, %m, %v : (tensor<8x4x2x2xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<8x4x2x2xf32>
    %g = ff.goodness %n {groups = 4 : i64} : (tensor<8x4x2x2xf32>) -> tensor<8x4xf32>
    %l = ff.margin_cross_entropy %g, %labels : (tensor<8x4xf32>, tensor<8xi32>) -> tensor<f32>
    ff.yield %n, %l, %g : tensor<8x4x2x2xf32>, tensor<f32>, tensor<8x4xf32>
  }
  return %loss, %scores : tensor<f32>, tensor<8x4xf32>
}

// -----

// A block of @train must yield (activations..., loss, scores).
func.func @train(%x: tensor<8x16xf32>, %y: tensor<8xi32>) -> tensor<8x16xf32> {
  // expected-error@+1 {{ff-differentiate-blocks: block 'no_loss' yields 1 value(s); expected (activations..., loss: tensor<f32>, scores) from ff-synthesize-local-loss}}
  %h = ff.block "no_loss" (%x) : (tensor<8x16xf32>) -> tensor<8x16xf32> {
  ^bb0(%in: tensor<8x16xf32>):
    ff.yield %in : tensor<8x16xf32>
  }
  return %h : tensor<8x16xf32>
}

// -----

// The loss is the second-to-last result and must be a 0-d float tensor.
func.func @train(%x: tensor<8x16xf32>, %y: tensor<8xi32>) -> (tensor<8x16xf32>, tensor<8x16xf32>) {
  // expected-error@+1 {{block 'bad_loss' yields 'tensor<8x16xf32>' as its loss (second-to-last result); expected a 0-d float tensor}}
  %a, %b = ff.block "bad_loss" (%x) : (tensor<8x16xf32>) -> (tensor<8x16xf32>, tensor<8x16xf32>) {
  ^bb0(%in: tensor<8x16xf32>):
    ff.yield %in, %in : tensor<8x16xf32>, tensor<8x16xf32>
  }
  return %a, %b : tensor<8x16xf32>, tensor<8x16xf32>
}

// -----

// Running the pass twice would double the updates.
ff.param @fc.weight = dense<0.1> : tensor<10x16xf32>
func.func @train(%x: tensor<8x16xf32>, %y: tensor<8xi32>) -> (tensor<f32>, tensor<8x10xf32>) {
  %h, %loss, %scores = ff.block "twice" (%x, %y) : (tensor<8x16xf32>, tensor<8xi32>) -> (tensor<8x10xf32>, tensor<f32>, tensor<8x10xf32>) {
  ^bb0(%in: tensor<8x16xf32>, %labels: tensor<8xi32>):
    %w = ff.param_ref @fc.weight : tensor<10x16xf32>
    %s = ff.linear %in, %w : (tensor<8x16xf32>, tensor<10x16xf32>) -> tensor<8x10xf32>
    %l = ff.margin_cross_entropy %s, %labels : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<f32>
    // expected-error@+1 {{block 'twice' already has gradients (was the pass run twice?)}}
    ff.param_grad @fc.weight, %w : tensor<10x16xf32>
    ff.yield %s, %l, %s : tensor<8x10xf32>, tensor<f32>, tensor<8x10xf32>
  }
  return %loss, %scores : tensor<f32>, tensor<8x10xf32>
}

// -----

// The isolation proof rejects a gradient outside every block.
ff.param @fc.weight = dense<0.1> : tensor<10x16xf32>
func.func @train(%x: tensor<8x16xf32>, %y: tensor<8xi32>) -> (tensor<f32>, tensor<8x10xf32>) {
  %h, %loss, %scores = ff.block "block0" (%x, %y) : (tensor<8x16xf32>, tensor<8xi32>) -> (tensor<8x10xf32>, tensor<f32>, tensor<8x10xf32>) {
  ^bb0(%in: tensor<8x16xf32>, %labels: tensor<8xi32>):
    %w = ff.param_ref @fc.weight : tensor<10x16xf32>
    %s = ff.linear %in, %w : (tensor<8x16xf32>, tensor<10x16xf32>) -> tensor<8x10xf32>
    %l = ff.margin_cross_entropy %s, %labels : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<f32>
    ff.yield %s, %l, %s : tensor<8x10xf32>, tensor<f32>, tensor<8x10xf32>
  }
  %w = ff.param_ref @fc.weight : tensor<10x16xf32>
  // expected-error@+1 {{ff.param_grad for 'fc.weight' lies outside every ff.block; gradients must stay inside their block}}
  ff.param_grad @fc.weight, %w : tensor<10x16xf32>
  return %loss, %scores : tensor<f32>, tensor<8x10xf32>
}

// -----

// A trainable parameter that the loss does not depend on (cut by a
// stop_gradient) gets no gradient, with a warning; buffers get none silently.
ff.param @early.weight = dense<0.1> : tensor<10x16xf32>
ff.param @late.weight = dense<0.1> : tensor<10x10xf32>
ff.param @unused.weight = dense<0.1> : tensor<10x10xf32>
ff.param @stats buffer = dense<0.1> : tensor<10xf32>
func.func @train(%x: tensor<8x16xf32>, %y: tensor<8xi32>) -> (tensor<f32>, tensor<8x10xf32>) {
  %h, %loss, %scores = ff.block "stopped" (%x, %y) : (tensor<8x16xf32>, tensor<8xi32>) -> (tensor<8x10xf32>, tensor<f32>, tensor<8x10xf32>) {
  ^bb0(%in: tensor<8x16xf32>, %labels: tensor<8xi32>):
    // expected-warning@+1 {{ff-differentiate-blocks: the loss of block 'stopped' does not depend on trainable parameter 'early.weight'; it gets no gradient}}
    %w1 = ff.param_ref @early.weight : tensor<10x16xf32>
    %w2 = ff.param_ref @late.weight : tensor<10x10xf32>
    // expected-warning@+1 {{does not depend on trainable parameter 'unused.weight'}}
    %w3 = ff.param_ref @unused.weight : tensor<10x10xf32>
    %st = ff.param_ref @stats : tensor<10xf32>
    %e = ff.linear %in, %w1 : (tensor<8x16xf32>, tensor<10x16xf32>) -> tensor<8x10xf32>
    %sg = ff.stop_gradient %e : tensor<8x10xf32>
    %o = ff.linear %sg, %w2, %st : (tensor<8x10xf32>, tensor<10x10xf32>, tensor<10xf32>) -> tensor<8x10xf32>
    %l = ff.margin_cross_entropy %o, %labels : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<f32>
    %u = ff.linear %o, %w3 : (tensor<8x10xf32>, tensor<10x10xf32>) -> tensor<8x10xf32>
    ff.yield %u, %l, %o : tensor<8x10xf32>, tensor<f32>, tensor<8x10xf32>
  }
  return %loss, %scores : tensor<f32>, tensor<8x10xf32>
}
