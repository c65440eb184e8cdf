// Round trip of every training-structure and gradient op of the ff dialect
// (FFTrainingOps.td): print, parse again, print the same; also via the generic form.
// RUN: ff-opt %s | ff-opt | FileCheck %s
// RUN: ff-opt %s --mlir-print-op-generic | ff-opt | FileCheck %s

// CHECK: ff.param @conv.weight = dense<5.000000e-01> : tensor<4x1x3x3xf32>
ff.param @conv.weight = dense<0.5> : tensor<4x1x3x3xf32>
// CHECK: ff.param @conv.weight.momentum_buffer buffer = dense<0.000000e+00> : tensor<4x1x3x3xf32>
ff.param @conv.weight.momentum_buffer buffer = dense<0.0> : tensor<4x1x3x3xf32>

// CHECK-LABEL: func.func @blocks
// CHECK-SAME: (%[[X:.*]]: tensor<8x1x8x8xf32>, %[[Y:.*]]: tensor<8xi32>)
func.func @blocks(%x: tensor<8x1x8x8xf32>, %y: tensor<8xi32>) -> (tensor<8x4x8x8xf32>, tensor<f32>) {
  // CHECK: %[[B:.*]]:2 = ff.block "block0"(%[[X]], %[[Y]]) {first_node = "/conv/Conv", last_node = "/relu/Relu"} : (tensor<8x1x8x8xf32>, tensor<8xi32>) -> (tensor<8x4x8x8xf32>, tensor<f32>) {
  // CHECK-NEXT: ^bb0(%[[IN:.*]]: tensor<8x1x8x8xf32>, %[[L:.*]]: tensor<8xi32>):
  // CHECK-NEXT: %[[W:.*]] = ff.param_ref @conv.weight : tensor<4x1x3x3xf32>
  // CHECK-NEXT: %[[C:.*]] = ff.conv2d %[[IN]], %[[W]]
  // CHECK-NEXT: %[[R:.*]] = ff.relu %[[C]] : tensor<8x4x8x8xf32>
  // CHECK-NEXT: %[[G:.*]] = ff.goodness %[[R]] {groups = 4 : i64} : (tensor<8x4x8x8xf32>) -> tensor<8x4xf32>
  // CHECK-NEXT: %[[LOSS:.*]] = ff.margin_cross_entropy %[[G]], %[[L]] : (tensor<8x4xf32>, tensor<8xi32>) -> tensor<f32>
  // CHECK-NEXT: ff.yield %[[R]], %[[LOSS]] : tensor<8x4x8x8xf32>, tensor<f32>
  // CHECK-NEXT: }
  %h, %loss = ff.block "block0" (%x, %y) {first_node = "/conv/Conv", last_node = "/relu/Relu"}
      : (tensor<8x1x8x8xf32>, tensor<8xi32>) -> (tensor<8x4x8x8xf32>, tensor<f32>) {
  ^bb0(%in: tensor<8x1x8x8xf32>, %labels: tensor<8xi32>):
    %w = ff.param_ref @conv.weight : tensor<4x1x3x3xf32>
    %c = ff.conv2d %in, %w {padding = array<i64: 1, 1, 1, 1>}
        : (tensor<8x1x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<8x4x8x8xf32>
    %r = ff.relu %c : tensor<8x4x8x8xf32>
    %g = ff.goodness %r {groups = 4 : i64} : (tensor<8x4x8x8xf32>) -> tensor<8x4xf32>
    %l = ff.margin_cross_entropy %g, %labels : (tensor<8x4xf32>, tensor<8xi32>) -> tensor<f32>
    ff.yield %r, %l : tensor<8x4x8x8xf32>, tensor<f32>
  }
  // CHECK: %[[SG:.*]] = ff.stop_gradient %[[B]]#0 : tensor<8x4x8x8xf32>
  %d = ff.stop_gradient %h : tensor<8x4x8x8xf32>
  // A block without results ends in an ff.yield without operands.
  // CHECK: ff.block "sink"(%[[SG]]) : (tensor<8x4x8x8xf32>) -> () {
  // CHECK-NEXT: ^bb0(%{{.*}}: tensor<8x4x8x8xf32>):
  // CHECK-NEXT: ff.yield{{$}}
  ff.block "sink" (%d) : (tensor<8x4x8x8xf32>) -> () {
  ^bb0(%a: tensor<8x4x8x8xf32>):
    ff.yield
  }
  // CHECK: return %[[SG]], %[[B]]#1
  return %d, %loss : tensor<8x4x8x8xf32>, tensor<f32>
}

// CHECK-LABEL: func.func @losses_and_votes
func.func @losses_and_votes(%z: tensor<8x20x4x4xf32>, %s: tensor<8x10xf32>, %y: tensor<8xi32>,
                            %gp: tensor<8x1xf32>, %x: tensor<8x784xf32>) {
  // CwComp: 20 channels in 10 groups.
  // CHECK: ff.goodness %{{.*}} {groups = 10 : i64} : (tensor<8x20x4x4xf32>) -> tensor<8x10xf32>
  %0 = ff.goodness %z {groups = 10 : i64} : (tensor<8x20x4x4xf32>) -> tensor<8x10xf32>
  // CHECK: ff.margin_cross_entropy %{{.*}}, %{{.*}} {margin = 1.000000e+00 : f64} : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<f32>
  %1 = ff.margin_cross_entropy %s, %y {margin = 1.0 : f64} : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<f32>
  // The default theta is elided.
  // CHECK: ff.threshold_loss %{{.*}}, %{{.*}} : (tensor<8x1xf32>, tensor<8x1xf32>) -> tensor<f32>
  %2 = ff.threshold_loss %gp, %gp {theta = 2.0 : f64} : (tensor<8x1xf32>, tensor<8x1xf32>) -> tensor<f32>
  // CHECK: ff.threshold_loss %{{.*}}, %{{.*}} {theta = 5.000000e-01 : f64} : (tensor<8x1xf32>, tensor<8x1xf32>) -> tensor<f32>
  %3 = ff.threshold_loss %gp, %gp {theta = 0.5 : f64} : (tensor<8x1xf32>, tensor<8x1xf32>) -> tensor<f32>
  // CHECK: ff.vote %{{.*}}, %{{.*}}, %{{.*}} {softmax} : (tensor<8x10xf32>, tensor<8x10xf32>, tensor<8x10xf32>) -> tensor<8x10xf32>
  %4 = ff.vote %s, %0, %s {softmax} : (tensor<8x10xf32>, tensor<8x10xf32>, tensor<8x10xf32>) -> tensor<8x10xf32>
  // CHECK: ff.vote %{{.*}} {last} : (tensor<8x10xf32>) -> tensor<8x10xf32>
  %5 = ff.vote %s {last} : (tensor<8x10xf32>) -> tensor<8x10xf32>
  // CHECK: ff.count_correct %{{.*}}, %{{.*}} : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<i32>
  %6 = ff.count_correct %4, %y : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<i32>
  // CHECK: ff.embed_label %{{.*}}, %{{.*}} {classes = 10 : i64} : tensor<8x784xf32>, tensor<8xi32>
  %7 = ff.embed_label %x, %y {classes = 10 : i64, scale = 1.0 : f64} : tensor<8x784xf32>, tensor<8xi32>
  // CHECK: %[[SHIFT:.*]] = ff.random_label_shift {classes = 10 : i64} : tensor<8xi32>
  %sh = ff.random_label_shift {classes = 10 : i64} : tensor<8xi32>
  // CHECK: ff.embed_label %{{.*}}, %{{.*}} shift %[[SHIFT]] : tensor<8xi32> {classes = 10 : i64, scale = 2.000000e+00 : f64} : tensor<8x784xf32>, tensor<8xi32>
  %8 = ff.embed_label %x, %y shift %sh : tensor<8xi32> {classes = 10 : i64, scale = 2.0 : f64}
      : tensor<8x784xf32>, tensor<8xi32>
  // CHECK: ff.embed_all_labels %{{.*}} {classes = 10 : i64} : (tensor<8x784xf32>) -> tensor<80x784xf32>
  %9 = ff.embed_all_labels %x {classes = 10 : i64, scale = 1.0 : f64} : (tensor<8x784xf32>) -> tensor<80x784xf32>
  // CHECK: ff.embed_all_labels %{{.*}} {classes = 10 : i64, scale = 2.500000e+00 : f64} : (tensor<8x784xf32>) -> tensor<80x784xf32>
  %10 = ff.embed_all_labels %x {classes = 10 : i64, scale = 2.5 : f64} : (tensor<8x784xf32>) -> tensor<80x784xf32>
  return
}

// CHECK-LABEL: func.func @parameters_and_optimizers
// CHECK-SAME: (%[[G:.*]]: tensor<4x1x3x3xf32>, %[[LR:.*]]: tensor<f32>, %[[T:.*]]: tensor<f32>, %[[V:.*]]: tensor<16xf32>
func.func @parameters_and_optimizers(%g: tensor<4x1x3x3xf32>, %lr: tensor<f32>, %t: tensor<f32>,
                                     %v: tensor<16xf32>, %x: tensor<8x16x4x4xf32>) {
  // CHECK: ff.param_grad @conv.weight, %[[G]] : tensor<4x1x3x3xf32>
  ff.param_grad @conv.weight, %g : tensor<4x1x3x3xf32>
  // CHECK: %[[W:.*]] = ff.param_ref @conv.weight
  %w = ff.param_ref @conv.weight : tensor<4x1x3x3xf32>
  // CHECK: %[[BUF:.*]] = ff.param_ref @conv.weight.momentum_buffer
  %buf = ff.param_ref @conv.weight.momentum_buffer : tensor<4x1x3x3xf32>
  // CHECK: %[[W1:.*]], %[[B1:.*]] = ff.sgd_step %[[W]], %[[G]], %[[LR]], %[[BUF]] {momentum = 9.000000e-01 : f64, nesterov, weight_decay = 5.000000e-04 : f64} : (tensor<4x1x3x3xf32>, tensor<4x1x3x3xf32>, tensor<f32>, tensor<4x1x3x3xf32>) -> (tensor<4x1x3x3xf32>, tensor<4x1x3x3xf32>)
  %w1, %buf1 = ff.sgd_step %w, %g, %lr, %buf {momentum = 0.9 : f64, nesterov, weight_decay = 5.0e-4 : f64}
      : (tensor<4x1x3x3xf32>, tensor<4x1x3x3xf32>, tensor<f32>, tensor<4x1x3x3xf32>)
      -> (tensor<4x1x3x3xf32>, tensor<4x1x3x3xf32>)
  // Plain SGD: no buffer operand or result.
  // CHECK: %[[W2:.*]] = ff.sgd_step %[[W1]], %[[G]], %[[LR]] : (tensor<4x1x3x3xf32>, tensor<4x1x3x3xf32>, tensor<f32>) -> tensor<4x1x3x3xf32>
  %w2 = ff.sgd_step %w1, %g, %lr : (tensor<4x1x3x3xf32>, tensor<4x1x3x3xf32>, tensor<f32>) -> tensor<4x1x3x3xf32>
  // CHECK: ff.param_store @conv.weight, %[[W2]] : tensor<4x1x3x3xf32>
  ff.param_store @conv.weight, %w2 : tensor<4x1x3x3xf32>
  // CHECK: ff.param_store @conv.weight.momentum_buffer, %[[B1]] : tensor<4x1x3x3xf32>
  ff.param_store @conv.weight.momentum_buffer, %buf1 : tensor<4x1x3x3xf32>
  // Default hyper-parameters are elided.
  // CHECK: ff.adam_step %[[V]], %[[V]], %[[V]], %[[V]], %[[LR]], %[[T]] : tensor<16xf32>, tensor<f32>
  %p0, %m0, %s0 = ff.adam_step %v, %v, %v, %v, %lr, %t : tensor<16xf32>, tensor<f32>
  // CHECK: %{{.*}}, %[[M1:.*]], %[[V1:.*]] = ff.adam_step %[[V]], %[[V]], %[[V]], %[[V]], %[[LR]], %[[T]] {beta1 = 8.000000e-01 : f64, beta2 = 7.500000e-01 : f64, decoupled, epsilon = 1.000000e-03 : f64, weight_decay = 1.000000e-02 : f64} : tensor<16xf32>, tensor<f32>
  %p1, %m1, %s1 = ff.adam_step %v, %v, %v, %v, %lr, %t
      {beta1 = 0.8 : f64, beta2 = 0.75 : f64, epsilon = 1.0e-3 : f64, weight_decay = 0.01 : f64, decoupled}
      : tensor<16xf32>, tensor<f32>
  // CHECK: ff.batch_norm_stats_update %{{.*}}, %[[M1]], %[[V1]] : tensor<8x16x4x4xf32>, tensor<16xf32>
  %rm, %rv = ff.batch_norm_stats_update %x, %m1, %s1 : tensor<8x16x4x4xf32>, tensor<16xf32>
  // CHECK: ff.batch_norm_stats_update %{{.*}}, %{{.*}}, %{{.*}} {momentum = 5.000000e-01 : f64} : tensor<8x16x4x4xf32>, tensor<16xf32>
  %rm2, %rv2 = ff.batch_norm_stats_update %x, %rm, %rv {momentum = 0.5 : f64} : tensor<8x16x4x4xf32>, tensor<16xf32>
  // CHECK: ff.dropout_mask {ratio = 2.000000e-01 : f64} : tensor<8x16x4x4xf32>
  %mask = ff.dropout_mask {ratio = 0.2 : f64} : tensor<8x16x4x4xf32>
  return
}

// CHECK-LABEL: func.func @contraction_grads
func.func @contraction_grads(%x: tensor<8x3x8x8xf32>, %w: tensor<16x3x3x3xf32>, %dy: tensor<8x16x8x8xf32>,
                             %dys: tensor<8x16x4x4xf32>, %dw: tensor<16x1x3x3xf32>, %xd: tensor<8x16x8x8xf32>) {
  // CHECK: ff.conv2d_grad_input %{{.*}}, %{{.*}} {padding = array<i64: 1, 1, 1, 1>} : (tensor<8x16x8x8xf32>, tensor<16x3x3x3xf32>) -> tensor<8x3x8x8xf32>
  %0 = ff.conv2d_grad_input %dy, %w {padding = array<i64: 1, 1, 1, 1>}
      : (tensor<8x16x8x8xf32>, tensor<16x3x3x3xf32>) -> tensor<8x3x8x8xf32>
  // Strided: 8x8 -> 4x4.
  // CHECK: ff.conv2d_grad_input %{{.*}}, %{{.*}} {padding = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<8x16x4x4xf32>, tensor<16x3x3x3xf32>) -> tensor<8x3x8x8xf32>
  %1 = ff.conv2d_grad_input %dys, %w {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>}
      : (tensor<8x16x4x4xf32>, tensor<16x3x3x3xf32>) -> tensor<8x3x8x8xf32>
  // Depthwise.
  // CHECK: ff.conv2d_grad_input %{{.*}}, %{{.*}} {groups = 16 : i64, padding = array<i64: 1, 1, 1, 1>} : (tensor<8x16x8x8xf32>, tensor<16x1x3x3xf32>) -> tensor<8x16x8x8xf32>
  %2 = ff.conv2d_grad_input %dy, %dw {groups = 16 : i64, padding = array<i64: 1, 1, 1, 1>}
      : (tensor<8x16x8x8xf32>, tensor<16x1x3x3xf32>) -> tensor<8x16x8x8xf32>
  // CHECK: ff.conv2d_grad_weight %{{.*}}, %{{.*}} {padding = array<i64: 1, 1, 1, 1>} : (tensor<8x3x8x8xf32>, tensor<8x16x8x8xf32>) -> tensor<16x3x3x3xf32>
  %3 = ff.conv2d_grad_weight %x, %dy {padding = array<i64: 1, 1, 1, 1>}
      : (tensor<8x3x8x8xf32>, tensor<8x16x8x8xf32>) -> tensor<16x3x3x3xf32>
  // CHECK: ff.conv2d_grad_weight %{{.*}}, %{{.*}} {dilations = array<i64: 2, 2>, groups = 16 : i64, padding = array<i64: 2, 2, 2, 2>} : (tensor<8x16x8x8xf32>, tensor<8x16x8x8xf32>) -> tensor<16x1x3x3xf32>
  %4 = ff.conv2d_grad_weight %xd, %dy {groups = 16 : i64, dilations = array<i64: 2, 2>, padding = array<i64: 2, 2, 2, 2>}
      : (tensor<8x16x8x8xf32>, tensor<8x16x8x8xf32>) -> tensor<16x1x3x3xf32>
  return
}

// CHECK-LABEL: func.func @shape_grads
func.func @shape_grads(%x: tensor<8x16x4x4xf32>, %s: tensor<8x16x1x1xf32>, %m: tensor<8x16xf32>,
                       %c: tensor<1x12x4x4xf32>) {
  // CHECK: ff.reduce_sum %{{.*}} {axes = array<i64: 0, 2, 3>} : (tensor<8x16x4x4xf32>) -> tensor<16xf32>
  %0 = ff.reduce_sum %x {axes = array<i64: 0, 2, 3>} : (tensor<8x16x4x4xf32>) -> tensor<16xf32>
  // Down to a broadcast source of the same rank, and of a lower rank.
  // CHECK: ff.reduce_sum %{{.*}} : (tensor<8x16x4x4xf32>) -> tensor<8x16x1x1xf32>
  %1 = ff.reduce_sum %x : (tensor<8x16x4x4xf32>) -> tensor<8x16x1x1xf32>
  // CHECK: ff.reduce_sum %{{.*}} : (tensor<8x16x4x4xf32>) -> tensor<4xf32>
  %2 = ff.reduce_sum %x : (tensor<8x16x4x4xf32>) -> tensor<4xf32>
  // CHECK: ff.broadcast %{{.*}} : (tensor<8x16x1x1xf32>) -> tensor<8x16x4x4xf32>
  %3 = ff.broadcast %s : (tensor<8x16x1x1xf32>) -> tensor<8x16x4x4xf32>
  // CHECK: ff.broadcast %{{.*}} : (tensor<16xf32>) -> tensor<8x16xf32>
  %4 = ff.broadcast %0 : (tensor<16xf32>) -> tensor<8x16xf32>
  // CHECK: ff.transpose %{{.*}} {permutation = array<i64: 1, 0>} : (tensor<8x16xf32>) -> tensor<16x8xf32>
  %5 = ff.transpose %m {permutation = array<i64: 1, 0>} : (tensor<8x16xf32>) -> tensor<16x8xf32>
  // CHECK: ff.slice %{{.*}} {offsets = array<i64: 0, 8, 0, 0>} : (tensor<1x12x4x4xf32>) -> tensor<1x4x4x4xf32>
  %6 = ff.slice %c {offsets = array<i64: 0, 8, 0, 0>} : (tensor<1x12x4x4xf32>) -> tensor<1x4x4x4xf32>
  return
}

// CHECK-LABEL: func.func @activation_grads
func.func @activation_grads(%x: tensor<8x16xf32>, %dy: tensor<8x16xf32>) {
  // CHECK: ff.relu_grad %{{.*}}, %{{.*}} : tensor<8x16xf32>
  %0 = ff.relu_grad %x, %dy : tensor<8x16xf32>
  // CHECK: ff.sigmoid_grad %{{.*}}, %{{.*}} : tensor<8x16xf32>
  %1 = ff.sigmoid_grad %x, %dy : tensor<8x16xf32>
  // CHECK: ff.hardswish_grad %{{.*}}, %{{.*}} : tensor<8x16xf32>
  %2 = ff.hardswish_grad %x, %dy : tensor<8x16xf32>
  // CHECK: ff.hardsigmoid_grad %{{.*}}, %{{.*}} {alpha = 0.16666666666666666 : f64} : tensor<8x16xf32>
  %3 = ff.hardsigmoid_grad %x, %dy {alpha = 0.16666666666666666 : f64, beta = 0.5 : f64} : tensor<8x16xf32>
  // CHECK: ff.clip_grad %{{.*}}, %{{.*}} {max = 6.000000e+00 : f64, min = 0.000000e+00 : f64} : tensor<8x16xf32>
  %4 = ff.clip_grad %x, %dy {min = 0.0 : f64, max = 6.0 : f64} : tensor<8x16xf32>
  // CHECK: ff.softmax_grad %{{.*}}, %{{.*}} {axis = 1 : i64} : tensor<8x16xf32>
  %5 = ff.softmax_grad %x, %dy {axis = 1 : i64} : tensor<8x16xf32>
  // CHECK: ff.softmax_grad %{{.*}}, %{{.*}} : tensor<8x16xf32>
  %6 = ff.softmax_grad %x, %dy : tensor<8x16xf32>
  return
}

// CHECK-LABEL: func.func @pool_grads
func.func @pool_grads(%x: tensor<1x8x8x8xf32>, %dy: tensor<1x8x4x4xf32>, %x7: tensor<1x8x7x7xf32>) {
  // CHECK: ff.max_pool2d_grad %{{.*}}, %{{.*}} {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x8x8x8xf32>, tensor<1x8x4x4xf32>) -> tensor<1x8x8x8xf32>
  %0 = ff.max_pool2d_grad %x, %dy {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>}
      : (tensor<1x8x8x8xf32>, tensor<1x8x4x4xf32>) -> tensor<1x8x8x8xf32>
  // ceil_mode: 7 -> 4 windows.
  // CHECK: ff.max_pool2d_grad %{{.*}}, %{{.*}} {ceil_mode, kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x8x7x7xf32>, tensor<1x8x4x4xf32>) -> tensor<1x8x7x7xf32>
  %1 = ff.max_pool2d_grad %x7, %dy {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, ceil_mode}
      : (tensor<1x8x7x7xf32>, tensor<1x8x4x4xf32>) -> tensor<1x8x7x7xf32>
  // CHECK: ff.avg_pool2d_grad %{{.*}} {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x8x4x4xf32>) -> tensor<1x8x8x8xf32>
  %2 = ff.avg_pool2d_grad %dy {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>}
      : (tensor<1x8x4x4xf32>) -> tensor<1x8x8x8xf32>
  // CHECK: ff.avg_pool2d_grad %{{.*}} {count_include_pad, kernel = array<i64: 3, 3>, padding = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x8x4x4xf32>) -> tensor<1x8x7x7xf32>
  %3 = ff.avg_pool2d_grad %dy {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>, count_include_pad}
      : (tensor<1x8x4x4xf32>) -> tensor<1x8x7x7xf32>
  return
}

// CHECK-LABEL: func.func @norm_grads
func.func @norm_grads(%x: tensor<8x16x4x4xf32>, %dy: tensor<8x16x4x4xf32>, %c: tensor<16xf32>,
                      %ls: tensor<16x4x4xf32>) {
  // CHECK: ff.batch_norm_grad %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {training} : (tensor<8x16x4x4xf32>, tensor<8x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) -> (tensor<8x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>)
  %0:3 = ff.batch_norm_grad %x, %dy, %c, %c, %c {training}
      : (tensor<8x16x4x4xf32>, tensor<8x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>)
      -> (tensor<8x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>)
  // CHECK: ff.batch_norm_grad %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 1.000000e-03 : f64} : (
  %1:3 = ff.batch_norm_grad %x, %dy, %c, %c, %c {epsilon = 1.0e-3 : f64}
      : (tensor<8x16x4x4xf32>, tensor<8x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>)
      -> (tensor<8x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>)
  // Without affine parameters: only the input gradient.
  // CHECK: ff.layer_norm_grad %{{.*}}, %{{.*}} : tensor<8x16x4x4xf32>, tensor<8x16x4x4xf32> -> tensor<8x16x4x4xf32>{{$}}
  %2 = ff.layer_norm_grad %x, %dy {axis = 1 : i64}
      : tensor<8x16x4x4xf32>, tensor<8x16x4x4xf32> -> tensor<8x16x4x4xf32>
  // CHECK: ff.layer_norm_grad %{{.*}}, %{{.*}} scale %{{.*}} : tensor<16x4x4xf32> {epsilon = 1.000000e-03 : f64, has_bias} : tensor<8x16x4x4xf32>, tensor<8x16x4x4xf32> -> tensor<8x16x4x4xf32> scale_grad tensor<16x4x4xf32> bias_grad tensor<16x4x4xf32>
  %3:3 = ff.layer_norm_grad %x, %dy scale %ls : tensor<16x4x4xf32> {epsilon = 1.0e-3 : f64, has_bias}
      : tensor<8x16x4x4xf32>, tensor<8x16x4x4xf32> -> tensor<8x16x4x4xf32>
        scale_grad tensor<16x4x4xf32> bias_grad tensor<16x4x4xf32>
  // A bias without a scale (over the last dimension only).
  // CHECK: ff.layer_norm_grad %{{.*}}, %{{.*}} {axis = 3 : i64, has_bias} : tensor<8x16x4x4xf32>, tensor<8x16x4x4xf32> -> tensor<8x16x4x4xf32> bias_grad tensor<4xf32>
  %4:2 = ff.layer_norm_grad %x, %dy {axis = 3 : i64, has_bias}
      : tensor<8x16x4x4xf32>, tensor<8x16x4x4xf32> -> tensor<8x16x4x4xf32> bias_grad tensor<4xf32>
  return
}

// CHECK-LABEL: func.func @loss_grads
func.func @loss_grads(%z: tensor<8x20x4x4xf32>, %dg: tensor<8x10xf32>, %y: tensor<8xi32>,
                      %gp: tensor<8x1xf32>) {
  // CHECK: ff.goodness_grad %{{.*}}, %{{.*}} {groups = 10 : i64} : (tensor<8x20x4x4xf32>, tensor<8x10xf32>) -> tensor<8x20x4x4xf32>
  %0 = ff.goodness_grad %z, %dg {groups = 10 : i64}
      : (tensor<8x20x4x4xf32>, tensor<8x10xf32>) -> tensor<8x20x4x4xf32>
  // CHECK: ff.margin_cross_entropy_grad %{{.*}}, %{{.*}} : tensor<8x10xf32>, tensor<8xi32>
  %1 = ff.margin_cross_entropy_grad %dg, %y : tensor<8x10xf32>, tensor<8xi32>
  // CHECK: ff.margin_cross_entropy_grad %{{.*}}, %{{.*}} {margin = 5.000000e-01 : f64} : tensor<8x10xf32>, tensor<8xi32>
  %2 = ff.margin_cross_entropy_grad %dg, %y {margin = 0.5 : f64} : tensor<8x10xf32>, tensor<8xi32>
  // CHECK: ff.threshold_loss_grad %{{.*}}, %{{.*}} {theta = 1.000000e+00 : f64} : tensor<8x1xf32>
  %3:2 = ff.threshold_loss_grad %gp, %gp {theta = 1.0 : f64} : tensor<8x1xf32>
  return
}
