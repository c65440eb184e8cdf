// Verifier and shape-inference errors of the training-structure and gradient ops.
// RUN: ff-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// ff.block, ff.yield
//===----------------------------------------------------------------------===//

func.func @block_input_count(%x: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error@+1 {{'ff.block' op has 1 inputs but its region takes 2 arguments}}
  %r = ff.block "b" (%x) : (tensor<8x4xf32>) -> tensor<8x4xf32> {
  ^bb0(%a: tensor<8x4xf32>, %b: tensor<8x4xf32>):
    ff.yield %a : tensor<8x4xf32>
  }
  return %r : tensor<8x4xf32>
}

// -----

func.func @block_argument_type(%x: tensor<8x4xf32>) -> tensor<8x2xf32> {
  // expected-error@+1 {{region argument 0 has type 'tensor<8x2xf32>' but input 0 has type 'tensor<8x4xf32>'}}
  %r = ff.block "b" (%x) : (tensor<8x4xf32>) -> tensor<8x2xf32> {
  ^bb0(%a: tensor<8x2xf32>):
    ff.yield %a : tensor<8x2xf32>
  }
  return %r : tensor<8x2xf32>
}

// -----

func.func @block_without_yield(%x: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error@+1 {{region must end with ff.yield}}
  %r = ff.block "b" (%x) : (tensor<8x4xf32>) -> tensor<8x4xf32> {
  ^bb0(%a: tensor<8x4xf32>):
    %z = ff.relu %a : tensor<8x4xf32>
  }
  return %r : tensor<8x4xf32>
}

// -----

func.func @block_yield_types(%x: tensor<8x4xf32>) -> tensor<f32> {
  // expected-error@+1 {{yields 'tensor<8x4xf32>' but the block results are 'tensor<f32>'}}
  %r = ff.block "b" (%x) : (tensor<8x4xf32>) -> tensor<f32> {
  ^bb0(%a: tensor<8x4xf32>):
    ff.yield %a : tensor<8x4xf32>
  }
  return %r : tensor<f32>
}

// -----

func.func @block_yield_count(%x: tensor<8x4xf32>) {
  // expected-error@+1 {{yields 'tensor<8x4xf32>' but the block results are}}
  ff.block "b" (%x) : (tensor<8x4xf32>) -> () {
  ^bb0(%a: tensor<8x4xf32>):
    ff.yield %a : tensor<8x4xf32>
  }
  return
}

// -----

// Blocks are isolated from above: parameters are read inside, values come in as operands.
func.func @block_captures(%x: tensor<8x4xf32>, %y: tensor<8x4xf32>) {
  // expected-note@+1 {{required by region isolation constraints}}
  %r = ff.block "b" (%x) : (tensor<8x4xf32>) -> tensor<8x4xf32> {
  ^bb0(%a: tensor<8x4xf32>):
    // expected-error@+1 {{using value defined outside the region}}
    %s = ff.add %a, %y : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<8x4xf32>
    ff.yield %s : tensor<8x4xf32>
  }
  return
}

// -----

func.func @yield_outside_block(%x: tensor<8x4xf32>) {
  // expected-error@+1 {{expects parent op to be one of 'ff.block, ff.fused'}}
  ff.yield %x : tensor<8x4xf32>
}

// -----

func.func @stop_gradient_type(%x: tensor<8x4xf32>) {
  // expected-error@+1 {{requires the same type for all operands and results}}
  %0 = "ff.stop_gradient"(%x) : (tensor<8x4xf32>) -> tensor<8x2xf32>
  return
}

//===----------------------------------------------------------------------===//
// Losses, votes, labels
//===----------------------------------------------------------------------===//

// -----

func.func @goodness_rank(%x: tensor<8xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{goodness: input must be N x C x ..., got 'tensor<8xf32>'}}
  %0 = ff.goodness %x {groups = 1 : i64} : (tensor<8xf32>) -> tensor<8x1xf32>
  return
}

// -----

func.func @goodness_groups(%x: tensor<8x20x4x4xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{goodness: 3 groups do not divide the 20 channels}}
  %0 = ff.goodness %x {groups = 3 : i64} : (tensor<8x20x4x4xf32>) -> tensor<8x3xf32>
  return
}

// -----

func.func @goodness_zero_groups(%x: tensor<8x20x4x4xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{goodness: 0 groups do not divide the 20 channels}}
  %0 = ff.goodness %x {groups = 0 : i64} : (tensor<8x20x4x4xf32>) -> tensor<8x0xf32>
  return
}

// -----

func.func @goodness_result(%x: tensor<8x20x4x4xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{inferred type(s) 'tensor<8x10xf32>' are incompatible with return type(s) of operation 'tensor<8x20xf32>'}}
  %0 = ff.goodness %x {groups = 10 : i64} : (tensor<8x20x4x4xf32>) -> tensor<8x20xf32>
  return
}

// -----

func.func @margin_ce_scores_rank(%s: tensor<8x10x1xf32>, %y: tensor<8xi32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{margin_cross_entropy: scores must be N x K, got 'tensor<8x10x1xf32>'}}
  %0 = ff.margin_cross_entropy %s, %y : (tensor<8x10x1xf32>, tensor<8xi32>) -> tensor<f32>
  return
}

// -----

func.func @margin_ce_label_count(%s: tensor<8x10xf32>, %y: tensor<4xi32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{margin_cross_entropy: 4 labels for 8 samples}}
  %0 = ff.margin_cross_entropy %s, %y : (tensor<8x10xf32>, tensor<4xi32>) -> tensor<f32>
  return
}

// -----

func.func @margin_ce_label_type(%s: tensor<8x10xf32>, %y: tensor<8xi64>) {
  // expected-error@+1 {{operand #1 must be 1D tensor of 32-bit signless integer values}}
  %0 = ff.margin_cross_entropy %s, %y : (tensor<8x10xf32>, tensor<8xi64>) -> tensor<f32>
  return
}

// -----

func.func @threshold_loss_types(%p: tensor<8x1xf32>, %n: tensor<4x1xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{threshold_loss: positive and negative goodness must have the same type}}
  %0 = ff.threshold_loss %p, %n : (tensor<8x1xf32>, tensor<4x1xf32>) -> tensor<f32>
  return
}

// -----

func.func @vote_empty() {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{vote: needs at least one score matrix}}
  %0 = ff.vote : () -> tensor<8x10xf32>
  return
}

// -----

func.func @vote_rank(%s: tensor<8x10x2xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{vote: scores must be N x K, got 'tensor<8x10x2xf32>'}}
  %0 = ff.vote %s : (tensor<8x10x2xf32>) -> tensor<8x10x2xf32>
  return
}

// -----

func.func @vote_types(%a: tensor<8x10xf32>, %b: tensor<8x5xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{vote: every vote must have type 'tensor<8x10xf32>', got 'tensor<8x5xf32>'}}
  %0 = ff.vote %a, %b : (tensor<8x10xf32>, tensor<8x5xf32>) -> tensor<8x10xf32>
  return
}

// -----

func.func @count_correct_scores(%s: tensor<8xf32>, %y: tensor<8xi32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{count_correct: scores must be N x K, got 'tensor<8xf32>'}}
  %0 = ff.count_correct %s, %y : (tensor<8xf32>, tensor<8xi32>) -> tensor<i32>
  return
}

// -----

func.func @count_correct_labels(%s: tensor<8x10xf32>, %y: tensor<6xi32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{count_correct: 6 labels for 8 samples}}
  %0 = ff.count_correct %s, %y : (tensor<8x10xf32>, tensor<6xi32>) -> tensor<i32>
  return
}

// -----

func.func @embed_label_rank(%x: tensor<784xf32>, %y: tensor<8xi32>) {
  // expected-error@+1 {{input must be N x ..., got 'tensor<784xf32>'}}
  %0 = ff.embed_label %x, %y {classes = 10 : i64} : tensor<784xf32>, tensor<8xi32>
  return
}

// -----

func.func @embed_label_too_many_classes(%x: tensor<8x4xf32>, %y: tensor<8xi32>) {
  // expected-error@+1 {{classes (10) must be in [2, 4] (elements per sample)}}
  %0 = ff.embed_label %x, %y {classes = 10 : i64} : tensor<8x4xf32>, tensor<8xi32>
  return
}

// -----

func.func @embed_label_one_class(%x: tensor<8x1x4x4xf32>, %y: tensor<8xi32>) {
  // expected-error@+1 {{classes (1) must be in [2, 16] (elements per sample)}}
  %0 = ff.embed_label %x, %y {classes = 1 : i64} : tensor<8x1x4x4xf32>, tensor<8xi32>
  return
}

// -----

func.func @embed_label_count(%x: tensor<8x784xf32>, %y: tensor<4xi32>) {
  // expected-error@+1 {{has 4 labels for 8 samples}}
  %0 = ff.embed_label %x, %y {classes = 10 : i64} : tensor<8x784xf32>, tensor<4xi32>
  return
}

// -----

func.func @embed_all_labels_too_many_classes(%x: tensor<8x4xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{embed_all_labels: classes (10) must be in [2, 4] (elements per sample)}}
  %0 = ff.embed_all_labels %x {classes = 10 : i64} : (tensor<8x4xf32>) -> tensor<80x4xf32>
  return
}

// -----

func.func @embed_all_labels_result(%x: tensor<8x784xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{inferred type(s) 'tensor<80x784xf32>' are incompatible with return type(s) of operation 'tensor<8x784xf32>'}}
  %0 = ff.embed_all_labels %x {classes = 10 : i64} : (tensor<8x784xf32>) -> tensor<8x784xf32>
  return
}

// -----

func.func @embed_label_shift(%x: tensor<8x784xf32>, %y: tensor<8xi32>, %s: tensor<4xi32>) {
  // expected-error@+1 {{shift must have the labels' type}}
  %0 = ff.embed_label %x, %y shift %s : tensor<4xi32> {classes = 10 : i64} : tensor<8x784xf32>, tensor<8xi32>
  return
}

// -----

func.func @dropout_mask_ratio() {
  // expected-error@+1 {{ratio must be in [0, 1), got 1.000000e+00}}
  %0 = ff.dropout_mask {ratio = 1.0 : f64} : tensor<8x16xf32>
  return
}

// -----

func.func @dropout_mask_negative_ratio() {
  // expected-error@+1 {{ratio must be in [0, 1), got -5.000000e-01}}
  %0 = ff.dropout_mask {ratio = -0.5 : f64} : tensor<8x16xf32>
  return
}

//===----------------------------------------------------------------------===//
// Parameters in training
//===----------------------------------------------------------------------===//

// -----

func.func @param_grad_unknown(%g: tensor<4xf32>) {
  // expected-error@+1 {{'ff.param_grad' op refers to 'nope', which is not an ff.param}}
  ff.param_grad @nope, %g : tensor<4xf32>
  return
}

// -----

ff.param @w = dense<1.0> : tensor<4xf32>
func.func @param_grad_type(%g: tensor<8xf32>) {
  // expected-error@+1 {{value type 'tensor<8xf32>' differs from the type 'tensor<4xf32>' of parameter 'w'}}
  ff.param_grad @w, %g : tensor<8xf32>
  return
}

// -----

ff.param @bn.running_mean buffer = dense<0.0> : tensor<4xf32>
func.func @param_grad_buffer(%g: tensor<4xf32>) {
  // expected-error@+1 {{parameter 'bn.running_mean' is a buffer, which is not trained}}
  ff.param_grad @bn.running_mean, %g : tensor<4xf32>
  return
}

// -----

// A symbol that is not an ff.param.
func.func @param_store_not_param(%v: tensor<4xf32>) {
  // expected-error@+1 {{'ff.param_store' op refers to 'param_store_not_param', which is not an ff.param}}
  ff.param_store @param_store_not_param, %v : tensor<4xf32>
  return
}

// -----

ff.param @bn.running_var buffer = dense<1.0> : tensor<4xf32>
func.func @param_store_type(%v: tensor<4x1xf32>) {
  // expected-error@+1 {{value type 'tensor<4x1xf32>' differs from the type 'tensor<4xf32>' of parameter 'bn.running_var'}}
  ff.param_store @bn.running_var, %v : tensor<4x1xf32>
  return
}

// -----

func.func @sgd_types(%w: tensor<16xf32>, %g: tensor<8xf32>, %lr: tensor<f32>) {
  // expected-error@+1 {{parameter, gradient and new parameter must have one type}}
  %0 = ff.sgd_step %w, %g, %lr : (tensor<16xf32>, tensor<8xf32>, tensor<f32>) -> tensor<16xf32>
  return
}

// -----

func.func @sgd_result_type(%w: tensor<16xf32>, %lr: tensor<f32>) {
  // expected-error@+1 {{parameter, gradient and new parameter must have one type}}
  %0 = ff.sgd_step %w, %w, %lr : (tensor<16xf32>, tensor<16xf32>, tensor<f32>) -> tensor<16xf16>
  return
}

// -----

func.func @sgd_negative_momentum(%w: tensor<16xf32>, %lr: tensor<f32>) {
  // expected-error@+1 {{momentum must be non-negative}}
  %0:2 = ff.sgd_step %w, %w, %lr, %w {momentum = -0.5 : f64}
      : (tensor<16xf32>, tensor<16xf32>, tensor<f32>, tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>)
  return
}

// -----

func.func @sgd_momentum_without_buffer(%w: tensor<16xf32>, %lr: tensor<f32>) {
  // expected-error@+1 {{a momentum buffer operand and result are needed exactly when momentum is non-zero}}
  %0 = ff.sgd_step %w, %w, %lr {momentum = 0.9 : f64}
      : (tensor<16xf32>, tensor<16xf32>, tensor<f32>) -> tensor<16xf32>
  return
}

// -----

func.func @sgd_buffer_without_momentum(%w: tensor<16xf32>, %lr: tensor<f32>) {
  // expected-error@+1 {{a momentum buffer operand and result are needed exactly when momentum is non-zero}}
  %0:2 = ff.sgd_step %w, %w, %lr, %w
      : (tensor<16xf32>, tensor<16xf32>, tensor<f32>, tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>)
  return
}

// -----

func.func @sgd_buffer_type(%w: tensor<16xf32>, %b: tensor<4x4xf32>, %lr: tensor<f32>) {
  // expected-error@+1 {{the momentum buffer must have the parameter's type}}
  %0:2 = ff.sgd_step %w, %w, %lr, %b {momentum = 0.9 : f64}
      : (tensor<16xf32>, tensor<16xf32>, tensor<f32>, tensor<4x4xf32>) -> (tensor<16xf32>, tensor<4x4xf32>)
  return
}

// -----

func.func @sgd_nesterov_without_momentum(%w: tensor<16xf32>, %lr: tensor<f32>) {
  // expected-error@+1 {{Nesterov momentum needs a non-zero momentum}}
  %0 = ff.sgd_step %w, %w, %lr {nesterov} : (tensor<16xf32>, tensor<16xf32>, tensor<f32>) -> tensor<16xf32>
  return
}

// -----

func.func @sgd_lr_not_scalar(%w: tensor<16xf32>, %lr: tensor<1xf32>) {
  // expected-error@+1 {{operand #2 must be 0D tensor of 32-bit float values}}
  %0 = ff.sgd_step %w, %w, %lr : (tensor<16xf32>, tensor<16xf32>, tensor<1xf32>) -> tensor<16xf32>
  return
}

// -----

func.func @adam_beta1(%w: tensor<16xf32>, %lr: tensor<f32>) {
  // expected-error@+1 {{beta1 must be in [0, 1), got 1.000000e+00}}
  %0:3 = ff.adam_step %w, %w, %w, %w, %lr, %lr {beta1 = 1.0 : f64} : tensor<16xf32>, tensor<f32>
  return
}

// -----

func.func @adam_beta2(%w: tensor<16xf32>, %lr: tensor<f32>) {
  // expected-error@+1 {{beta2 must be in [0, 1), got -5.000000e-01}}
  %0:3 = ff.adam_step %w, %w, %w, %w, %lr, %lr {beta2 = -0.5 : f64} : tensor<16xf32>, tensor<f32>
  return
}

// -----

func.func @adam_epsilon(%w: tensor<16xf32>, %lr: tensor<f32>) {
  // expected-error@+1 {{epsilon must be positive}}
  %0:3 = ff.adam_step %w, %w, %w, %w, %lr, %lr {epsilon = 0.0 : f64} : tensor<16xf32>, tensor<f32>
  return
}

// -----

func.func @adam_weight_decay(%w: tensor<16xf32>, %lr: tensor<f32>) {
  // expected-error@+1 {{weight_decay must be non-negative}}
  %0:3 = ff.adam_step %w, %w, %w, %w, %lr, %lr {weight_decay = -1.0e-2 : f64, decoupled} : tensor<16xf32>, tensor<f32>
  return
}

// -----

func.func @adam_moment_type(%w: tensor<16xf32>, %m: tensor<8xf32>, %lr: tensor<f32>) {
  // expected-error@+1 {{failed to verify that all of {param, gradient, moment1, moment2, new_param, new_moment1, new_moment2} have same type}}
  %0:3 = "ff.adam_step"(%w, %w, %m, %w, %lr, %lr)
      : (tensor<16xf32>, tensor<16xf32>, tensor<8xf32>, tensor<16xf32>, tensor<f32>, tensor<f32>)
      -> (tensor<16xf32>, tensor<16xf32>, tensor<16xf32>)
  return
}

// -----

func.func @bn_stats_channels(%x: tensor<8x16x4x4xf32>, %m: tensor<8xf32>) {
  // expected-error@+1 {{statistics must be vectors over dimension 1 of the input}}
  %0:2 = ff.batch_norm_stats_update %x, %m, %m : tensor<8x16x4x4xf32>, tensor<8xf32>
  return
}

// -----

func.func @bn_stats_rank(%x: tensor<8x16x4x4xf32>, %m: tensor<16x1xf32>) {
  // expected-error@+1 {{statistics must be vectors over dimension 1 of the input}}
  %0:2 = ff.batch_norm_stats_update %x, %m, %m : tensor<8x16x4x4xf32>, tensor<16x1xf32>
  return
}

// -----

func.func @bn_stats_input_rank(%x: tensor<16xf32>) {
  // expected-error@+1 {{statistics must be vectors over dimension 1 of the input}}
  %0:2 = ff.batch_norm_stats_update %x, %x, %x : tensor<16xf32>, tensor<16xf32>
  return
}

//===----------------------------------------------------------------------===//
// Gradient ops
//===----------------------------------------------------------------------===//

// -----

func.func @conv_grad_input_rank(%dy: tensor<8x16x8x8xf32>, %w: tensor<16x3x3xf32>) {
  // expected-error@+1 {{input and weight must be 4-D}}
  %0 = ff.conv2d_grad_input %dy, %w : (tensor<8x16x8x8xf32>, tensor<16x3x3xf32>) -> tensor<8x3x8x8xf32>
  return
}

// -----

func.func @conv_grad_input_strides(%dy: tensor<8x16x8x8xf32>, %w: tensor<16x3x3x3xf32>) {
  // expected-error@+1 {{conv2d_grad_input: strides must be 2 positive values}}
  %0 = ff.conv2d_grad_input %dy, %w {strides = array<i64: 0, 1>}
      : (tensor<8x16x8x8xf32>, tensor<16x3x3x3xf32>) -> tensor<8x3x8x8xf32>
  return
}

// -----

func.func @conv_grad_input_groups(%dy: tensor<8x16x8x8xf32>, %w: tensor<16x3x3x3xf32>) {
  // expected-error@+1 {{weight and groups do not match the input channels}}
  %0 = ff.conv2d_grad_input %dy, %w {padding = array<i64: 1, 1, 1, 1>}
      : (tensor<8x16x8x8xf32>, tensor<16x3x3x3xf32>) -> tensor<8x6x8x8xf32>
  return
}

// -----

func.func @conv_grad_input_output_grad(%dy: tensor<8x16x8x8xf32>, %w: tensor<16x3x3x3xf32>) {
  // Without padding the forward convolution gives 6x6.
  // expected-error@+1 {{output_grad has type 'tensor<8x16x8x8xf32>' but the forward op gives 'tensor<8x16x6x6xf32>'}}
  %0 = ff.conv2d_grad_input %dy, %w : (tensor<8x16x8x8xf32>, tensor<16x3x3x3xf32>) -> tensor<8x3x8x8xf32>
  return
}

// -----

func.func @conv_grad_weight_rank(%x: tensor<8x3x8xf32>, %dy: tensor<8x16x8x8xf32>) {
  // expected-error@+1 {{input and weight must be 4-D}}
  %0 = ff.conv2d_grad_weight %x, %dy : (tensor<8x3x8xf32>, tensor<8x16x8x8xf32>) -> tensor<16x3x3x3xf32>
  return
}

// -----

func.func @conv_grad_weight_window(%x: tensor<8x3x2x2xf32>, %dy: tensor<8x16x1x1xf32>) {
  // expected-error@+1 {{conv2d_grad_weight: the window (3x3, dilation 1x1) does not fit the padded 2x2 input}}
  %0 = ff.conv2d_grad_weight %x, %dy : (tensor<8x3x2x2xf32>, tensor<8x16x1x1xf32>) -> tensor<16x3x3x3xf32>
  return
}

// -----

func.func @conv_grad_weight_groups(%x: tensor<8x3x8x8xf32>, %dy: tensor<8x16x6x6xf32>) {
  // expected-error@+1 {{weight and groups do not match the input channels}}
  %0 = ff.conv2d_grad_weight %x, %dy : (tensor<8x3x8x8xf32>, tensor<8x16x6x6xf32>) -> tensor<16x1x3x3xf32>
  return
}

// -----

func.func @conv_grad_weight_output_grad(%x: tensor<8x3x8x8xf32>, %dy: tensor<8x16x8x8xf32>) {
  // expected-error@+1 {{output_grad has type 'tensor<8x16x8x8xf32>' but the forward op gives 'tensor<8x16x4x4xf32>'}}
  %0 = ff.conv2d_grad_weight %x, %dy {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>}
      : (tensor<8x3x8x8xf32>, tensor<8x16x8x8xf32>) -> tensor<16x3x3x3xf32>
  return
}

// -----

func.func @reduce_sum_axis_range(%x: tensor<8x16x4x4xf32>) {
  // expected-error@+1 {{axis 4 is out of range for rank 4}}
  %0 = ff.reduce_sum %x {axes = array<i64: 0, 4>} : (tensor<8x16x4x4xf32>) -> tensor<16x4x4xf32>
  return
}

// -----

func.func @reduce_sum_axes_shape(%x: tensor<8x16x4x4xf32>) {
  // expected-error@+1 {{summing 'tensor<8x16x4x4xf32>' over the axes gives shape [16], not 'tensor<8xf32>'}}
  %0 = ff.reduce_sum %x {axes = array<i64: 0, 2, 3>} : (tensor<8x16x4x4xf32>) -> tensor<8xf32>
  return
}

// -----

func.func @reduce_sum_not_broadcast_source(%x: tensor<8x16x4x4xf32>) {
  // expected-error@+1 {{result 'tensor<8x3x1x1xf32>' does not broadcast to the input 'tensor<8x16x4x4xf32>'}}
  %0 = ff.reduce_sum %x : (tensor<8x16x4x4xf32>) -> tensor<8x3x1x1xf32>
  return
}

// -----

func.func @reduce_sum_higher_rank(%x: tensor<16xf32>) {
  // expected-error@+1 {{result 'tensor<1x16xf32>' does not broadcast to the input 'tensor<16xf32>'}}
  %0 = ff.reduce_sum %x : (tensor<16xf32>) -> tensor<1x16xf32>
  return
}

// -----

func.func @broadcast_shapes(%x: tensor<8x3x1x1xf32>) {
  // expected-error@+1 {{cannot broadcast 'tensor<8x3x1x1xf32>' to 'tensor<8x16x4x4xf32>'}}
  %0 = ff.broadcast %x : (tensor<8x3x1x1xf32>) -> tensor<8x16x4x4xf32>
  return
}

// -----

func.func @broadcast_lower_rank(%x: tensor<8x16xf32>) {
  // expected-error@+1 {{cannot broadcast 'tensor<8x16xf32>' to 'tensor<16xf32>'}}
  %0 = ff.broadcast %x : (tensor<8x16xf32>) -> tensor<16xf32>
  return
}

// -----

func.func @transpose_length(%x: tensor<8x16xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{transpose: permutation of 3 entries for rank 2}}
  %0 = ff.transpose %x {permutation = array<i64: 1, 0, 2>} : (tensor<8x16xf32>) -> tensor<16x8xf32>
  return
}

// -----

func.func @transpose_repeated(%x: tensor<8x16xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{transpose: invalid permutation}}
  %0 = ff.transpose %x {permutation = array<i64: 1, 1>} : (tensor<8x16xf32>) -> tensor<16x16xf32>
  return
}

// -----

func.func @transpose_out_of_range(%x: tensor<8x16xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{transpose: invalid permutation}}
  %0 = ff.transpose %x {permutation = array<i64: 2, 0>} : (tensor<8x16xf32>) -> tensor<16x8xf32>
  return
}

// -----

func.func @slice_rank(%x: tensor<1x12x4x4xf32>) {
  // expected-error@+1 {{offsets, input and result must have one rank}}
  %0 = ff.slice %x {offsets = array<i64: 0, 8>} : (tensor<1x12x4x4xf32>) -> tensor<1x4x4x4xf32>
  return
}

// -----

func.func @slice_box(%x: tensor<1x12x4x4xf32>) {
  // expected-error@+1 {{the box does not fit the input in dimension 1}}
  %0 = ff.slice %x {offsets = array<i64: 0, 10, 0, 0>} : (tensor<1x12x4x4xf32>) -> tensor<1x4x4x4xf32>
  return
}

// -----

func.func @slice_negative_offset(%x: tensor<1x12x4x4xf32>) {
  // expected-error@+1 {{the box does not fit the input in dimension 2}}
  %0 = ff.slice %x {offsets = array<i64: 0, 0, -1, 0>} : (tensor<1x12x4x4xf32>) -> tensor<1x4x4x4xf32>
  return
}

// -----

func.func @relu_grad_types(%x: tensor<8x16xf32>, %dy: tensor<8x8xf32>) {
  // expected-error@+1 {{failed to verify that all of {input, output_grad, input_grad} have same type}}
  %0 = "ff.relu_grad"(%x, %dy) : (tensor<8x16xf32>, tensor<8x8xf32>) -> tensor<8x16xf32>
  return
}

// -----

func.func @max_pool_grad_rank(%x: tensor<8x8x8xf32>, %dy: tensor<8x4x4xf32>) {
  // expected-error@+1 {{max_pool2d_grad: input must be 4-D (NCHW), got 'tensor<8x8x8xf32>'}}
  %0 = ff.max_pool2d_grad %x, %dy {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>}
      : (tensor<8x8x8xf32>, tensor<8x4x4xf32>) -> tensor<8x8x8xf32>
  return
}

// -----

func.func @max_pool_grad_kernel(%x: tensor<1x8x8x8xf32>, %dy: tensor<1x8x4x4xf32>) {
  // expected-error@+1 {{max_pool2d_grad: kernel must be 2 positive sizes}}
  %0 = ff.max_pool2d_grad %x, %dy {kernel = array<i64: 2>}
      : (tensor<1x8x8x8xf32>, tensor<1x8x4x4xf32>) -> tensor<1x8x8x8xf32>
  return
}

// -----

func.func @max_pool_grad_output_grad(%x: tensor<1x8x8x8xf32>, %dy: tensor<1x8x4x4xf32>) {
  // expected-error@+1 {{output_grad has type 'tensor<1x8x4x4xf32>' but the forward op gives 'tensor<1x8x7x7xf32>'}}
  %0 = ff.max_pool2d_grad %x, %dy {kernel = array<i64: 2, 2>}
      : (tensor<1x8x8x8xf32>, tensor<1x8x4x4xf32>) -> tensor<1x8x8x8xf32>
  return
}

// -----

func.func @avg_pool_grad_padding(%dy: tensor<1x8x4x4xf32>) {
  // expected-error@+1 {{avg_pool2d_grad: padding must be 4 non-negative values [top, left, bottom, right]}}
  %0 = ff.avg_pool2d_grad %dy {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1>}
      : (tensor<1x8x4x4xf32>) -> tensor<1x8x8x8xf32>
  return
}

// -----

func.func @avg_pool_grad_rank(%dy: tensor<1x8x4x4xf32>) {
  // expected-error@+1 {{avg_pool2d_grad: input must be 4-D (NCHW), got 'tensor<8x8x8xf32>'}}
  %0 = ff.avg_pool2d_grad %dy {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>}
      : (tensor<1x8x4x4xf32>) -> tensor<8x8x8xf32>
  return
}

// -----

func.func @avg_pool_grad_output_grad(%dy: tensor<1x8x4x4xf32>) {
  // expected-error@+1 {{output_grad has type 'tensor<1x8x4x4xf32>' but the forward op gives 'tensor<1x8x3x3xf32>'}}
  %0 = ff.avg_pool2d_grad %dy {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>}
      : (tensor<1x8x4x4xf32>) -> tensor<1x8x7x7xf32>
  return
}

// -----

func.func @batch_norm_grad_rank(%x: tensor<16xf32>) {
  // expected-error@+1 {{input must have rank 2 or more}}
  %0:3 = ff.batch_norm_grad %x, %x, %x, %x, %x
      : (tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>)
      -> (tensor<16xf32>, tensor<16xf32>, tensor<16xf32>)
  return
}

// -----

func.func @batch_norm_grad_types(%x: tensor<8x16x4x4xf32>, %dy: tensor<8x16x2x2xf32>, %c: tensor<16xf32>) {
  // expected-error@+1 {{input, output_grad and input_grad must have one type}}
  %0:3 = ff.batch_norm_grad %x, %dy, %c, %c, %c {training}
      : (tensor<8x16x4x4xf32>, tensor<8x16x2x2xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>)
      -> (tensor<8x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>)
  return
}

// -----

func.func @batch_norm_grad_channels(%x: tensor<8x16x4x4xf32>, %c: tensor<16xf32>, %v: tensor<8xf32>) {
  // expected-error@+1 {{per-channel operands and results must have type 'tensor<16xf32>'}}
  %0:3 = ff.batch_norm_grad %x, %x, %c, %c, %v {training}
      : (tensor<8x16x4x4xf32>, tensor<8x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>, tensor<8xf32>)
      -> (tensor<8x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>)
  return
}

// -----

func.func @batch_norm_grad_result_channels(%x: tensor<8x16x4x4xf32>, %c: tensor<16xf32>) {
  // expected-error@+1 {{per-channel operands and results must have type 'tensor<16xf32>'}}
  %0:3 = ff.batch_norm_grad %x, %x, %c, %c, %c {training}
      : (tensor<8x16x4x4xf32>, tensor<8x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>)
      -> (tensor<8x16x4x4xf32>, tensor<16xf32>, tensor<16xf16>)
  return
}

// -----

// ff.layer_norm_grad is written in the generic form here: its result segments
// are explicit, whatever the custom syntax.
func.func @layer_norm_grad_axis(%x: tensor<8x16x4x4xf32>) {
  // expected-error@+1 {{axis 4 is out of range for rank 4}}
  %0 = "ff.layer_norm_grad"(%x, %x) <{axis = 4 : i64, resultSegmentSizes = array<i32: 1, 0, 0>}>
      : (tensor<8x16x4x4xf32>, tensor<8x16x4x4xf32>) -> tensor<8x16x4x4xf32>
  return
}

// -----

func.func @layer_norm_grad_types(%x: tensor<8x16x4x4xf32>, %dy: tensor<8x16x4x2xf32>) {
  // expected-error@+1 {{input, output_grad and input_grad must have one type}}
  %0 = "ff.layer_norm_grad"(%x, %dy) <{resultSegmentSizes = array<i32: 1, 0, 0>}>
      : (tensor<8x16x4x4xf32>, tensor<8x16x4x2xf32>) -> tensor<8x16x4x4xf32>
  return
}

// -----

func.func @layer_norm_grad_scale(%x: tensor<8x16x4x4xf32>, %s: tensor<16xf32>) {
  // expected-error@+1 {{scale must have type 'tensor<16x4x4xf32>'}}
  %0:2 = "ff.layer_norm_grad"(%x, %x, %s) <{resultSegmentSizes = array<i32: 1, 1, 0>}>
      : (tensor<8x16x4x4xf32>, tensor<8x16x4x4xf32>, tensor<16xf32>) -> (tensor<8x16x4x4xf32>, tensor<16xf32>)
  return
}

// -----

func.func @layer_norm_grad_missing_scale_grad(%x: tensor<8x16x4x4xf32>, %s: tensor<16x4x4xf32>) {
  // expected-error@+1 {{a scale gradient is returned exactly when there is a scale}}
  %0 = "ff.layer_norm_grad"(%x, %x, %s) <{resultSegmentSizes = array<i32: 1, 0, 0>}>
      : (tensor<8x16x4x4xf32>, tensor<8x16x4x4xf32>, tensor<16x4x4xf32>) -> tensor<8x16x4x4xf32>
  return
}

// -----

func.func @layer_norm_grad_bias_without_has_bias(%x: tensor<8x16x4x4xf32>) {
  // expected-error@+1 {{a bias gradient is returned exactly with has_bias}}
  %0:2 = "ff.layer_norm_grad"(%x, %x) <{resultSegmentSizes = array<i32: 1, 0, 1>}>
      : (tensor<8x16x4x4xf32>, tensor<8x16x4x4xf32>) -> (tensor<8x16x4x4xf32>, tensor<16x4x4xf32>)
  return
}

// -----

func.func @layer_norm_grad_bias_type(%x: tensor<8x16x4x4xf32>) {
  // expected-error@+1 {{scale and bias gradients must have type 'tensor<4xf32>'}}
  %0:2 = "ff.layer_norm_grad"(%x, %x) <{axis = 3 : i64, has_bias, resultSegmentSizes = array<i32: 1, 0, 1>}>
      : (tensor<8x16x4x4xf32>, tensor<8x16x4x4xf32>) -> (tensor<8x16x4x4xf32>, tensor<16x4x4xf32>)
  return
}

// -----

func.func @goodness_grad_result(%z: tensor<8x20x4x4xf32>, %dg: tensor<8x10xf32>) {
  // expected-error@+1 {{input_grad must have the input's type}}
  %0 = ff.goodness_grad %z, %dg {groups = 10 : i64} : (tensor<8x20x4x4xf32>, tensor<8x10xf32>) -> tensor<8x10x4x4xf32>
  return
}

// -----

func.func @goodness_grad_groups(%z: tensor<8x20x4x4xf32>, %dg: tensor<8x3xf32>) {
  // expected-error@+1 {{groups must divide dimension 1 of the input}}
  %0 = ff.goodness_grad %z, %dg {groups = 3 : i64} : (tensor<8x20x4x4xf32>, tensor<8x3xf32>) -> tensor<8x20x4x4xf32>
  return
}

// -----

func.func @goodness_grad_zero_groups(%z: tensor<8x20x4x4xf32>, %dg: tensor<8x3xf32>) {
  // expected-error@+1 {{groups must divide dimension 1 of the input}}
  %0 = ff.goodness_grad %z, %dg {groups = 0 : i64} : (tensor<8x20x4x4xf32>, tensor<8x3xf32>) -> tensor<8x20x4x4xf32>
  return
}

// -----

func.func @goodness_grad_seed(%z: tensor<8x20x4x4xf32>, %dg: tensor<8x20xf32>) {
  // expected-error@+1 {{goodness_grad has type 'tensor<8x20xf32>' but the forward op gives 'tensor<8x10xf32>'}}
  %0 = ff.goodness_grad %z, %dg {groups = 10 : i64} : (tensor<8x20x4x4xf32>, tensor<8x20xf32>) -> tensor<8x20x4x4xf32>
  return
}

// -----

func.func @threshold_loss_grad_types(%p: tensor<8x1xf32>, %n: tensor<4x1xf32>) {
  // expected-error@+1 {{failed to verify that all of {positive, negative, positive_grad, negative_grad} have same type}}
  %0:2 = "ff.threshold_loss_grad"(%p, %n) : (tensor<8x1xf32>, tensor<4x1xf32>) -> (tensor<8x1xf32>, tensor<8x1xf32>)
  return
}

// -----

// A batch of zero samples must not crash the verifier.
func.func @embed_label_empty_batch(%x: tensor<0x784xf32>, %y: tensor<0xi32>) {
  // expected-error@+1 {{classes (1000) must be in [2, 784] (elements per sample)}}
  %0 = ff.embed_label %x, %y {classes = 1000 : i64} : tensor<0x784xf32>, tensor<0xi32>
  return
}

// -----

func.func @random_label_shift_classes() {
  // expected-error@+1 {{classes must be at least 2, got 1}}
  %0 = ff.random_label_shift {classes = 1 : i64} : tensor<8xi32>
  return
}

// -----

func.func @sgd_weight_decay(%w: tensor<16xf32>, %lr: tensor<f32>) {
  // expected-error@+1 {{weight_decay must be non-negative}}
  %0 = ff.sgd_step %w, %w, %lr {weight_decay = -1.0e-4 : f64} : (tensor<16xf32>, tensor<16xf32>, tensor<f32>) -> tensor<16xf32>
  return
}

// -----

func.func @bn_stats_momentum(%x: tensor<8x16x4x4xf32>, %m: tensor<16xf32>) {
  // expected-error@+1 {{momentum must be in [0, 1], got 1.500000e+00}}
  %0:2 = ff.batch_norm_stats_update %x, %m, %m {momentum = 1.5 : f64} : tensor<8x16x4x4xf32>, tensor<16xf32>
  return
}

// -----

func.func @bn_stats_element_type(%x: tensor<8x16x4x4xf32>, %m: tensor<16xf16>) {
  // expected-error@+1 {{statistics must have the input's element type}}
  %0:2 = ff.batch_norm_stats_update %x, %m, %m : tensor<8x16x4x4xf32>, tensor<16xf16>
  return
}

// -----

func.func @conv_grad_input_output_groups(%dy: tensor<8x3x6x6xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error@+1 {{groups (2) must divide the output channels (3)}}
  %0 = ff.conv2d_grad_input %dy, %w {groups = 2 : i64} : (tensor<8x3x6x6xf32>, tensor<3x2x3x3xf32>) -> tensor<8x4x8x8xf32>
  return
}

// -----

func.func @conv_grad_weight_output_groups(%x: tensor<8x4x8x8xf32>, %dy: tensor<8x3x6x6xf32>) {
  // expected-error@+1 {{groups (2) must divide the output channels (3)}}
  %0 = ff.conv2d_grad_weight %x, %dy {groups = 2 : i64} : (tensor<8x4x8x8xf32>, tensor<8x3x6x6xf32>) -> tensor<3x2x3x3xf32>
  return
}

// -----

func.func @reduce_sum_element_type(%x: tensor<8x16xf32>) {
  // expected-error@+1 {{element type changes from 'f32' to 'f16'}}
  %0 = ff.reduce_sum %x {axes = array<i64: 0>} : (tensor<8x16xf32>) -> tensor<16xf16>
  return
}

// -----

func.func @broadcast_element_type(%x: tensor<16xf32>) {
  // expected-error@+1 {{element type changes from 'f32' to 'f16'}}
  %0 = ff.broadcast %x : (tensor<16xf32>) -> tensor<8x16xf16>
  return
}

// -----

func.func @slice_element_type(%x: tensor<1x12x4x4xf32>) {
  // expected-error@+1 {{element type changes from 'f32' to 'f16'}}
  %0 = ff.slice %x {offsets = array<i64: 0, 8, 0, 0>} : (tensor<1x12x4x4xf32>) -> tensor<1x4x4x4xf16>
  return
}

// -----

func.func @softmax_grad_axis(%y: tensor<8x10xf32>) {
  // expected-error@+1 {{axis 2 is out of range for rank 2}}
  %0 = ff.softmax_grad %y, %y {axis = 2 : i64} : tensor<8x10xf32>
  return
}

// -----

func.func @margin_ce_grad_labels(%s: tensor<8x10xf32>, %y: tensor<4xi32>) {
  // expected-error@+1 {{margin_cross_entropy_grad: 4 labels for 8 samples}}
  %0 = ff.margin_cross_entropy_grad %s, %y : tensor<8x10xf32>, tensor<4xi32>
  return
}
