// The backward pass that ff-differentiate-blocks appends to each block of
// @train, one case per family of gradient rules.
// RUN: ff-opt %s -ff-differentiate-blocks -split-input-file | FileCheck %s

// A convolution on the block input gets weight and bias gradients but no
// input gradient (the input is detached). The SFF head seeds the backward
// pass: margin CE grad (the seed, with the forward margin) -> goodness grad.

ff.param @conv.weight = dense<0.1> : tensor<10x1x3x3xf32>
ff.param @conv.bias = dense<0.0> : tensor<10xf32>
// CHECK-LABEL: func.func @train
// CHECK: ff.block "conv_first"
// CHECK-NEXT: ^bb0(%[[IN:.*]]: tensor<8x1x8x8xf32>, %[[LAB:.*]]: tensor<8xi32>):
// CHECK: %[[C:.*]] = ff.conv2d %[[IN]]
// CHECK: %[[G:.*]] = ff.goodness %[[C]]
// CHECK: %[[L:.*]] = ff.margin_cross_entropy %[[G]], %[[LAB]]
// CHECK-NEXT: %[[DG:.*]] = ff.margin_cross_entropy_grad %[[G]], %[[LAB]] {margin = 1.000000e+00 : f64} : tensor<8x10xf32>, tensor<8xi32>
// CHECK-NEXT: %[[DC:.*]] = ff.goodness_grad %[[C]], %[[DG]] {groups = 10 : i64} : (tensor<8x10x8x8xf32>, tensor<8x10xf32>) -> tensor<8x10x8x8xf32>
// CHECK-NOT: conv2d_grad_input
// CHECK-NEXT: %[[DW:.*]] = ff.conv2d_grad_weight %[[IN]], %[[DC]] {padding = array<i64: 1, 1, 1, 1>} : (tensor<8x1x8x8xf32>, tensor<8x10x8x8xf32>) -> tensor<10x1x3x3xf32>
// CHECK-NEXT: %[[DB:.*]] = ff.reduce_sum %[[DC]] {axes = array<i64: 0, 2, 3>} : (tensor<8x10x8x8xf32>) -> tensor<10xf32>
// CHECK-NEXT: ff.param_grad @conv.weight, %[[DW]] : tensor<10x1x3x3xf32>
// CHECK-NEXT: ff.param_grad @conv.bias, %[[DB]] : tensor<10xf32>
// CHECK-NEXT: ff.yield %[[C]], %[[L]], %[[G]]
func.func @train(%x: tensor<8x1x8x8xf32>, %y: tensor<8xi32>) -> (tensor<f32>, tensor<8x10xf32>) {
  %h, %loss, %scores = ff.block "conv_first" (%x, %y) : (tensor<8x1x8x8xf32>, tensor<8xi32>) -> (tensor<8x10x8x8xf32>, tensor<f32>, tensor<8x10xf32>) {
  ^bb0(%in: tensor<8x1x8x8xf32>, %labels: tensor<8xi32>):
    %w = ff.param_ref @conv.weight : tensor<10x1x3x3xf32>
    %b = ff.param_ref @conv.bias : tensor<10xf32>
    %c = ff.conv2d %in, %w, %b {padding = array<i64: 1, 1, 1, 1>} : (tensor<8x1x8x8xf32>, tensor<10x1x3x3xf32>, tensor<10xf32>) -> tensor<8x10x8x8xf32>
    %g = ff.goodness %c {groups = 10 : i64} : (tensor<8x10x8x8xf32>) -> tensor<8x10xf32>
    %l = ff.margin_cross_entropy %g, %labels {margin = 1.0 : f64} : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<f32>
    ff.yield %c, %l, %g : tensor<8x10x8x8xf32>, tensor<f32>, tensor<8x10xf32>
  }
  return %loss, %scores : tensor<f32>, tensor<8x10xf32>
}

// -----

// Two convolutions: the aux conv's input gradient flows back through the
// dropout mask (the dropout became mask * x and the backward multiplies by
// the same mask) and the ReLU to the first convolution's weight.

ff.param @c1.weight = dense<0.1> : tensor<4x1x3x3xf32>
ff.param @aux.weight = dense<0.1> : tensor<10x4x1x1xf32>
ff.param @aux.bias = dense<0.0> : tensor<10xf32>
// CHECK-LABEL: func.func @train
// CHECK: ff.block "two_convs"
// CHECK-NEXT: ^bb0(%[[IN:.*]]: tensor<8x1x8x8xf32>, %{{.*}}: tensor<8xi32>):
// CHECK: %[[W1:.*]] = ff.param_ref @c1.weight
// CHECK: %[[C:.*]] = ff.conv2d %[[IN]], %[[W1]]
// CHECK: %[[R:.*]] = ff.relu %[[C]]
// CHECK-NOT: ff.dropout %
// CHECK: %[[M:.*]] = ff.dropout_mask {ratio = 2.500000e-01 : f64} : tensor<8x4x8x8xf32>
// CHECK-NEXT: %[[D:.*]] = ff.mul %[[R]], %[[M]]
// CHECK: %[[AW:.*]] = ff.param_ref @aux.weight
// CHECK: %[[Z:.*]] = ff.conv2d %[[D]], %[[AW]]
// CHECK: %[[DZ:.*]] = ff.goodness_grad %[[Z]]
// CHECK-NEXT: %[[DD:.*]] = ff.conv2d_grad_input %[[DZ]], %[[AW]] : (tensor<8x10x8x8xf32>, tensor<10x4x1x1xf32>) -> tensor<8x4x8x8xf32>
// CHECK-NEXT: %[[DAW:.*]] = ff.conv2d_grad_weight %[[D]], %[[DZ]] : (tensor<8x4x8x8xf32>, tensor<8x10x8x8xf32>) -> tensor<10x4x1x1xf32>
// CHECK-NEXT: %[[DAB:.*]] = ff.reduce_sum %[[DZ]] {axes = array<i64: 0, 2, 3>}
// CHECK-NEXT: %[[DR:.*]] = ff.mul %[[DD]], %[[M]]
// CHECK-NEXT: %[[DC:.*]] = ff.relu_grad %[[C]], %[[DR]] : tensor<8x4x8x8xf32>
// CHECK-NEXT: %[[DW1:.*]] = ff.conv2d_grad_weight %[[IN]], %[[DC]] {padding = array<i64: 1, 1, 1, 1>}
// CHECK-NEXT: ff.param_grad @c1.weight, %[[DW1]]
// CHECK-NEXT: ff.param_grad @aux.weight, %[[DAW]]
// CHECK-NEXT: ff.param_grad @aux.bias, %[[DAB]]
// CHECK-NEXT: ff.yield
func.func @train(%x: tensor<8x1x8x8xf32>, %y: tensor<8xi32>) -> (tensor<f32>, tensor<8x10xf32>) {
  %h, %loss, %scores = ff.block "two_convs" (%x, %y) : (tensor<8x1x8x8xf32>, tensor<8xi32>) -> (tensor<8x4x8x8xf32>, tensor<f32>, tensor<8x10xf32>) {
  ^bb0(%in: tensor<8x1x8x8xf32>, %labels: tensor<8xi32>):
    %w = ff.param_ref @c1.weight : tensor<4x1x3x3xf32>
    %c = ff.conv2d %in, %w {padding = array<i64: 1, 1, 1, 1>} : (tensor<8x1x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<8x4x8x8xf32>
    %r = ff.relu %c : tensor<8x4x8x8xf32>
    %d = ff.dropout %r {ratio = 0.25 : f64} : tensor<8x4x8x8xf32>
    %aw = ff.param_ref @aux.weight : tensor<10x4x1x1xf32>
    %ab = ff.param_ref @aux.bias : tensor<10xf32>
    %z = ff.conv2d %d, %aw, %ab : (tensor<8x4x8x8xf32>, tensor<10x4x1x1xf32>, tensor<10xf32>) -> tensor<8x10x8x8xf32>
    %g = ff.goodness %z {groups = 10 : i64} : (tensor<8x10x8x8xf32>) -> tensor<8x10xf32>
    %l = ff.margin_cross_entropy %g, %labels : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<f32>
    ff.yield %r, %l, %g : tensor<8x4x8x8xf32>, tensor<f32>, tensor<8x10xf32>
  }
  return %loss, %scores : tensor<f32>, tensor<8x10xf32>
}

// -----

// A residual join: the ReLU output is used twice (by conv2 and by the add),
// so its gradient is the sum of both contributions.

ff.param @c1.weight = dense<0.1> : tensor<4x1x1x1xf32>
ff.param @c2.weight = dense<0.1> : tensor<4x4x3x3xf32>
// CHECK-LABEL: func.func @train
// CHECK: ff.block "residual"
// CHECK: %[[A:.*]] = ff.conv2d
// CHECK-NEXT: %[[R:.*]] = ff.relu %[[A]]
// CHECK: %[[W2:.*]] = ff.param_ref @c2.weight
// CHECK-NEXT: %[[C:.*]] = ff.conv2d %[[R]], %[[W2]]
// CHECK-NEXT: %[[S:.*]] = ff.add %[[C]], %[[R]]
// CHECK: %[[DS:.*]] = ff.goodness_grad %[[S]]
// CHECK-NEXT: %[[GI:.*]] = ff.conv2d_grad_input %[[DS]], %[[W2]] {padding = array<i64: 1, 1, 1, 1>}
// CHECK-NEXT: %[[DR:.*]] = ff.add %[[DS]], %[[GI]] : (tensor<8x4x4x4xf32>, tensor<8x4x4x4xf32>) -> tensor<8x4x4x4xf32>
// CHECK-NEXT: %[[DW2:.*]] = ff.conv2d_grad_weight %[[R]], %[[DS]] {padding = array<i64: 1, 1, 1, 1>}
// CHECK-NEXT: %[[DA:.*]] = ff.relu_grad %[[A]], %[[DR]]
// CHECK-NEXT: %[[DW1:.*]] = ff.conv2d_grad_weight %{{.*}}, %[[DA]]
// CHECK-NEXT: ff.param_grad @c1.weight, %[[DW1]]
// CHECK-NEXT: ff.param_grad @c2.weight, %[[DW2]]
func.func @train(%x: tensor<8x1x4x4xf32>, %y: tensor<8xi32>) -> (tensor<f32>, tensor<8x4xf32>) {
  %h, %loss, %scores = ff.block "residual" (%x, %y) : (tensor<8x1x4x4xf32>, tensor<8xi32>) -> (tensor<8x4x4x4xf32>, tensor<f32>, tensor<8x4xf32>) {
  ^bb0(%in: tensor<8x1x4x4xf32>, %labels: tensor<8xi32>):
    %w1 = ff.param_ref @c1.weight : tensor<4x1x1x1xf32>
    %a = ff.conv2d %in, %w1 : (tensor<8x1x4x4xf32>, tensor<4x1x1x1xf32>) -> tensor<8x4x4x4xf32>
    %r = ff.relu %a : tensor<8x4x4x4xf32>
    %w2 = ff.param_ref @c2.weight : tensor<4x4x3x3xf32>
    %c = ff.conv2d %r, %w2 {padding = array<i64: 1, 1, 1, 1>} : (tensor<8x4x4x4xf32>, tensor<4x4x3x3xf32>) -> tensor<8x4x4x4xf32>
    %s = ff.add %c, %r : (tensor<8x4x4x4xf32>, tensor<8x4x4x4xf32>) -> tensor<8x4x4x4xf32>
    %g = ff.goodness %s {groups = 4 : i64} : (tensor<8x4x4x4xf32>) -> tensor<8x4xf32>
    %l = ff.margin_cross_entropy %g, %labels : (tensor<8x4xf32>, tensor<8xi32>) -> tensor<f32>
    ff.yield %s, %l, %g : tensor<8x4x4x4xf32>, tensor<f32>, tensor<8x4xf32>
  }
  return %loss, %scores : tensor<f32>, tensor<8x4xf32>
}

// -----

// Squeeze-and-excitation: a broadcasting multiply by N x C x 1 x 1 gates.
// The gate's gradient is summed back to its shape; global average pooling
// spreads its gradient over H x W scaled by 1 / (H W) = 1/16; the feature map
// is used twice (pool and multiply), so its gradients add up.

ff.param @conv.weight = dense<0.1> : tensor<4x2x1x1xf32>
// CHECK-LABEL: func.func @train
// CHECK: ff.block "squeeze_excite"
// CHECK: %[[F:.*]] = ff.conv2d
// CHECK-NEXT: %[[P:.*]] = ff.global_avg_pool %[[F]]
// CHECK-NEXT: %[[S:.*]] = ff.sigmoid %[[P]]
// CHECK-NEXT: %[[M:.*]] = ff.mul %[[F]], %[[S]] : (tensor<2x4x4x4xf32>, tensor<2x4x1x1xf32>) -> tensor<2x4x4x4xf32>
// CHECK: %[[DM:.*]] = ff.goodness_grad %[[M]]
// CHECK-NEXT: %[[DF1:.*]] = ff.mul %[[DM]], %[[S]] : (tensor<2x4x4x4xf32>, tensor<2x4x1x1xf32>) -> tensor<2x4x4x4xf32>
// CHECK-NEXT: %[[T:.*]] = ff.mul %[[DM]], %[[F]] : (tensor<2x4x4x4xf32>, tensor<2x4x4x4xf32>) -> tensor<2x4x4x4xf32>
// CHECK-NEXT: %[[DS:.*]] = ff.reduce_sum %[[T]] : (tensor<2x4x4x4xf32>) -> tensor<2x4x1x1xf32>
// CHECK-NEXT: %[[DP:.*]] = ff.sigmoid_grad %[[P]], %[[DS]] : tensor<2x4x1x1xf32>
// CHECK-NEXT: %[[B:.*]] = ff.broadcast %[[DP]] : (tensor<2x4x1x1xf32>) -> tensor<2x4x4x4xf32>
// CHECK-NEXT: %[[K:.*]] = ff.constant dense<6.250000e-02> : tensor<f32>
// CHECK-NEXT: %[[DF2:.*]] = ff.mul %[[B]], %[[K]] : (tensor<2x4x4x4xf32>, tensor<f32>) -> tensor<2x4x4x4xf32>
// CHECK-NEXT: %[[DF:.*]] = ff.add %[[DF1]], %[[DF2]]
// CHECK-NEXT: %[[DW:.*]] = ff.conv2d_grad_weight %{{.*}}, %[[DF]]
// CHECK-NEXT: ff.param_grad @conv.weight, %[[DW]]
func.func @train(%x: tensor<2x2x4x4xf32>, %y: tensor<2xi32>) -> (tensor<f32>, tensor<2x4xf32>) {
  %h, %loss, %scores = ff.block "squeeze_excite" (%x, %y) : (tensor<2x2x4x4xf32>, tensor<2xi32>) -> (tensor<2x4x4x4xf32>, tensor<f32>, tensor<2x4xf32>) {
  ^bb0(%in: tensor<2x2x4x4xf32>, %labels: tensor<2xi32>):
    %w = ff.param_ref @conv.weight : tensor<4x2x1x1xf32>
    %f = ff.conv2d %in, %w : (tensor<2x2x4x4xf32>, tensor<4x2x1x1xf32>) -> tensor<2x4x4x4xf32>
    %p = ff.global_avg_pool %f : (tensor<2x4x4x4xf32>) -> tensor<2x4x1x1xf32>
    %s = ff.sigmoid %p : tensor<2x4x1x1xf32>
    %m = ff.mul %f, %s : (tensor<2x4x4x4xf32>, tensor<2x4x1x1xf32>) -> tensor<2x4x4x4xf32>
    %g = ff.goodness %m {groups = 4 : i64} : (tensor<2x4x4x4xf32>) -> tensor<2x4xf32>
    %l = ff.margin_cross_entropy %g, %labels : (tensor<2x4xf32>, tensor<2xi32>) -> tensor<f32>
    ff.yield %m, %l, %g : tensor<2x4x4x4xf32>, tensor<f32>, tensor<2x4xf32>
  }
  return %loss, %scores : tensor<f32>, tensor<2x4xf32>
}

// -----

// Broadcasting add, sub and div with trainable operands of smaller shapes:
// each operand's gradient is summed down to its shape (reduce_sum without
// axes); sub and div negate theirs; for y = a / b, db = -(dy * y) / b.

ff.param @conv.weight = dense<0.1> : tensor<4x1x1x1xf32>
ff.param @t = dense<2.0> : tensor<4x1x1xf32>
ff.param @u = dense<0.5> : tensor<4x2x2xf32>
ff.param @v = dense<0.0> : tensor<1x4x1x1xf32>
// CHECK-LABEL: func.func @train
// CHECK: ff.block "broadcasting"
// CHECK: %[[T:.*]] = ff.param_ref @t
// CHECK: %[[C:.*]] = ff.conv2d
// CHECK-NEXT: %[[D:.*]] = ff.div %[[C]], %[[T]]
// CHECK-NEXT: %[[E:.*]] = ff.sub %[[D]], %{{.*}}
// CHECK-NEXT: %[[F:.*]] = ff.add %[[E]], %{{.*}}
// CHECK: %[[DF:.*]] = ff.goodness_grad %[[F]]
// add: lhs as is, rhs summed to 1x4x1x1.
// CHECK-NEXT: %[[DV:.*]] = ff.reduce_sum %[[DF]] : (tensor<8x4x2x2xf32>) -> tensor<1x4x1x1xf32>
// sub: lhs as is, rhs summed then negated.
// CHECK-NEXT: %[[SU:.*]] = ff.reduce_sum %[[DF]] : (tensor<8x4x2x2xf32>) -> tensor<4x2x2xf32>
// CHECK-NEXT: %[[M1:.*]] = ff.constant dense<-1.000000e+00> : tensor<f32>
// CHECK-NEXT: %[[DU:.*]] = ff.mul %[[SU]], %[[M1]] : (tensor<4x2x2xf32>, tensor<f32>) -> tensor<4x2x2xf32>
// div: dc = dy / t, dt = -sum(dy * y / t).
// CHECK-NEXT: %[[DC:.*]] = ff.div %[[DF]], %[[T]] : (tensor<8x4x2x2xf32>, tensor<4x1x1xf32>) -> tensor<8x4x2x2xf32>
// CHECK-NEXT: %[[DY:.*]] = ff.mul %[[DF]], %[[D]]
// CHECK-NEXT: %[[Q:.*]] = ff.div %[[DY]], %[[T]]
// CHECK-NEXT: %[[ST:.*]] = ff.reduce_sum %[[Q]] : (tensor<8x4x2x2xf32>) -> tensor<4x1x1xf32>
// CHECK-NEXT: %[[M2:.*]] = ff.constant dense<-1.000000e+00> : tensor<f32>
// CHECK-NEXT: %[[DT:.*]] = ff.mul %[[ST]], %[[M2]]
// CHECK-NEXT: %[[DW:.*]] = ff.conv2d_grad_weight %{{.*}}, %[[DC]]
// CHECK-NEXT: ff.param_grad @conv.weight, %[[DW]]
// CHECK-NEXT: ff.param_grad @t, %[[DT]] : tensor<4x1x1xf32>
// CHECK-NEXT: ff.param_grad @u, %[[DU]] : tensor<4x2x2xf32>
// CHECK-NEXT: ff.param_grad @v, %[[DV]] : tensor<1x4x1x1xf32>
func.func @train(%x: tensor<8x1x2x2xf32>, %y: tensor<8xi32>) -> (tensor<f32>, tensor<8x4xf32>) {
  %h, %loss, %scores = ff.block "broadcasting" (%x, %y) : (tensor<8x1x2x2xf32>, tensor<8xi32>) -> (tensor<8x4x2x2xf32>, tensor<f32>, tensor<8x4xf32>) {
  ^bb0(%in: tensor<8x1x2x2xf32>, %labels: tensor<8xi32>):
    %w = ff.param_ref @conv.weight : tensor<4x1x1x1xf32>
    %t = ff.param_ref @t : tensor<4x1x1xf32>
    %u = ff.param_ref @u : tensor<4x2x2xf32>
    %v = ff.param_ref @v : tensor<1x4x1x1xf32>
    %c = ff.conv2d %in, %w : (tensor<8x1x2x2xf32>, tensor<4x1x1x1xf32>) -> tensor<8x4x2x2xf32>
    %d = ff.div %c, %t : (tensor<8x4x2x2xf32>, tensor<4x1x1xf32>) -> tensor<8x4x2x2xf32>
    %e = ff.sub %d, %u : (tensor<8x4x2x2xf32>, tensor<4x2x2xf32>) -> tensor<8x4x2x2xf32>
    %f = ff.add %e, %v : (tensor<8x4x2x2xf32>, tensor<1x4x1x1xf32>) -> tensor<8x4x2x2xf32>
    %g = ff.goodness %f {groups = 4 : i64} : (tensor<8x4x2x2xf32>) -> tensor<8x4xf32>
    %l = ff.margin_cross_entropy %g, %labels : (tensor<8x4xf32>, tensor<8xi32>) -> tensor<f32>
    ff.yield %f, %l, %g : tensor<8x4x2x2xf32>, tensor<f32>, tensor<8x4xf32>
  }
  return %loss, %scores : tensor<f32>, tensor<8x4xf32>
}

// -----

// Training batch norm: one batch_norm_grad gives the input, scale and bias
// gradients; the running statistics are buffers and get no gradient.

ff.param @conv.weight = dense<0.1> : tensor<4x1x3x3xf32>
ff.param @bn.weight = dense<1.0> : tensor<4xf32>
ff.param @bn.bias = dense<0.0> : tensor<4xf32>
ff.param @bn.running_mean buffer = dense<0.0> : tensor<4xf32>
ff.param @bn.running_var buffer = dense<1.0> : tensor<4xf32>
// CHECK-LABEL: func.func @train
// CHECK: ff.block "batch_norm"
// CHECK: %[[S:.*]] = ff.param_ref @bn.weight
// CHECK: %[[RM:.*]] = ff.param_ref @bn.running_mean
// CHECK-NEXT: %[[RV:.*]] = ff.param_ref @bn.running_var
// CHECK-NEXT: %[[C:.*]] = ff.conv2d
// CHECK-NEXT: %[[N:.*]] = ff.batch_norm %[[C]]
// CHECK: %[[DN:.*]] = ff.goodness_grad %[[N]]
// CHECK-NEXT: %[[DC:.*]], %[[DS:.*]], %[[DB:.*]] = ff.batch_norm_grad %[[C]], %[[DN]], %[[S]], %[[RM]], %[[RV]] {epsilon = 1.000000e-03 : f64, training} : (tensor<8x4x4x4xf32>, tensor<8x4x4x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<8x4x4x4xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK-NEXT: %[[DW:.*]] = ff.conv2d_grad_weight %{{.*}}, %[[DC]]
// CHECK-NEXT: ff.param_grad @conv.weight, %[[DW]]
// CHECK-NEXT: ff.param_grad @bn.weight, %[[DS]]
// CHECK-NEXT: ff.param_grad @bn.bias, %[[DB]]
// CHECK-NOT: ff.param_grad @bn.running
// CHECK-NEXT: ff.yield
func.func @train(%x: tensor<8x1x4x4xf32>, %y: tensor<8xi32>) -> (tensor<f32>, tensor<8x4xf32>) {
  %h, %loss, %scores = ff.block "batch_norm" (%x, %y) : (tensor<8x1x4x4xf32>, tensor<8xi32>) -> (tensor<8x4x4x4xf32>, tensor<f32>, tensor<8x4xf32>) {
  ^bb0(%in: tensor<8x1x4x4xf32>, %labels: tensor<8xi32>):
    %w = ff.param_ref @conv.weight : tensor<4x1x3x3xf32>
    %s = ff.param_ref @bn.weight : tensor<4xf32>
    %b = ff.param_ref @bn.bias : tensor<4xf32>
    %m = ff.param_ref @bn.running_mean : tensor<4xf32>
    %v = ff.param_ref @bn.running_var : tensor<4xf32>
    %c = ff.conv2d %in, %w {padding = array<i64: 1, 1, 1, 1>} : (tensor<8x1x4x4xf32>, tensor<4x1x3x3xf32>) -> tensor<8x4x4x4xf32>
    %n = ff.batch_norm %c, %s, %b, %m, %v {epsilon = 1.0e-3 : f64, training} : (tensor<8x4x4x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<8x4x4x4xf32>
    %g = ff.goodness %n {groups = 4 : i64} : (tensor<8x4x4x4xf32>) -> tensor<8x4xf32>
    %l = ff.margin_cross_entropy %g, %labels : (tensor<8x4xf32>, tensor<8xi32>) -> tensor<f32>
    ff.yield %n, %l, %g : tensor<8x4x4x4xf32>, tensor<f32>, tensor<8x4xf32>
  }
  return %loss, %scores : tensor<f32>, tensor<8x4xf32>
}

// -----

// One trainable vector read as scale, bias and running statistics of a
// training batch norm: only the scale and bias positions carry a gradient
// (the batch statistics replace the running ones), and the two add up.

ff.param @bn.shared = dense<1.0> : tensor<4xf32>
// CHECK-LABEL: func.func @train
// CHECK: ff.block "bn_shared"
// CHECK: %[[P:.*]] = ff.param_ref @bn.shared
// CHECK: %[[DX:.*]], %[[DS:.*]], %[[DB:.*]] = ff.batch_norm_grad %{{.*}}, %{{.*}}, %[[P]], %[[P]], %[[P]] {training}
// CHECK-NEXT: %[[SUM:.*]] = ff.add %[[DS]], %[[DB]] : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT: ff.param_grad @bn.shared, %[[SUM]] : tensor<4xf32>
// CHECK-NEXT: ff.yield
func.func @train(%x: tensor<8x4x2x2xf32>, %y: tensor<8xi32>) -> (tensor<f32>, tensor<8x4xf32>) {
  %h, %loss, %scores = ff.block "bn_shared" (%x, %y) : (tensor<8x4x2x2xf32>, tensor<8xi32>) -> (tensor<8x4x2x2xf32>, tensor<f32>, tensor<8x4xf32>) {
  ^bb0(%in: tensor<8x4x2x2xf32>, %labels: tensor<8xi32>):
    %p = ff.param_ref @bn.shared : tensor<4xf32>
    %n = ff.batch_norm %in, %p, %p, %p, %p {training} : (tensor<8x4x2x2xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<8x4x2x2xf32>
    %g = ff.goodness %n {groups = 4 : i64} : (tensor<8x4x2x2xf32>) -> tensor<8x4xf32>
    %l = ff.margin_cross_entropy %g, %labels : (tensor<8x4xf32>, tensor<8xi32>) -> tensor<f32>
    ff.yield %n, %l, %g : tensor<8x4x2x2xf32>, tensor<f32>, tensor<8x4xf32>
  }
  return %loss, %scores : tensor<f32>, tensor<8x4xf32>
}

// -----

// A dropout with the default ratio (0.5) keeps it on its mask.

ff.param @fc.weight = dense<0.1> : tensor<10x16xf32>
// CHECK-LABEL: func.func @train
// CHECK: ff.block "dropout_default"
// CHECK: %[[M:.*]] = ff.dropout_mask {ratio = 5.000000e-01 : f64} : tensor<8x10xf32>
// CHECK-NEXT: %[[D:.*]] = ff.mul %{{.*}}, %[[M]]
// CHECK-NEXT: ff.margin_cross_entropy %[[D]]
// CHECK-NEXT: %[[DD:.*]] = ff.margin_cross_entropy_grad %[[D]]
// CHECK-NEXT: %[[DO:.*]] = ff.mul %[[DD]], %[[M]]
// CHECK-NEXT: ff.transpose %[[DO]]
func.func @train(%x: tensor<8x16xf32>, %y: tensor<8xi32>) -> (tensor<f32>, tensor<8x10xf32>) {
  %h, %loss, %scores = ff.block "dropout_default" (%x, %y) : (tensor<8x16xf32>, tensor<8xi32>) -> (tensor<8x10xf32>, tensor<f32>, tensor<8x10xf32>) {
  ^bb0(%in: tensor<8x16xf32>, %labels: tensor<8xi32>):
    %w = ff.param_ref @fc.weight : tensor<10x16xf32>
    %o = ff.linear %in, %w : (tensor<8x16xf32>, tensor<10x16xf32>) -> tensor<8x10xf32>
    %d = ff.dropout %o : tensor<8x10xf32>
    %l = ff.margin_cross_entropy %d, %labels : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<f32>
    ff.yield %o, %l, %d : tensor<8x10xf32>, tensor<f32>, tensor<8x10xf32>
  }
  return %loss, %scores : tensor<f32>, tensor<8x10xf32>
}

// -----

// Pooling: max pooling routes the gradient to the window maxima of its
// input; average pooling spreads it (same window attributes as forward).

ff.param @conv.weight = dense<0.1> : tensor<4x1x1x1xf32>
// CHECK-LABEL: func.func @train
// CHECK: ff.block "pooling"
// CHECK: %[[C:.*]] = ff.conv2d
// CHECK-NEXT: %[[MP:.*]] = ff.max_pool2d %[[C]]
// CHECK-NEXT: %[[AP:.*]] = ff.avg_pool2d %[[MP]]
// CHECK: %[[DA:.*]] = ff.goodness_grad %[[AP]]
// CHECK-NEXT: %[[DM:.*]] = ff.avg_pool2d_grad %[[DA]] {count_include_pad, kernel = array<i64: 3, 3>, padding = array<i64: 1, 1, 1, 1>} : (tensor<8x4x4x4xf32>) -> tensor<8x4x4x4xf32>
// CHECK-NEXT: %[[DC:.*]] = ff.max_pool2d_grad %[[C]], %[[DM]] {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<8x4x8x8xf32>, tensor<8x4x4x4xf32>) -> tensor<8x4x8x8xf32>
// CHECK-NEXT: %[[DW:.*]] = ff.conv2d_grad_weight %{{.*}}, %[[DC]]
// CHECK-NEXT: ff.param_grad @conv.weight, %[[DW]]
func.func @train(%x: tensor<8x1x8x8xf32>, %y: tensor<8xi32>) -> (tensor<f32>, tensor<8x4xf32>) {
  %h, %loss, %scores = ff.block "pooling" (%x, %y) : (tensor<8x1x8x8xf32>, tensor<8xi32>) -> (tensor<8x4x4x4xf32>, tensor<f32>, tensor<8x4xf32>) {
  ^bb0(%in: tensor<8x1x8x8xf32>, %labels: tensor<8xi32>):
    %w = ff.param_ref @conv.weight : tensor<4x1x1x1xf32>
    %c = ff.conv2d %in, %w : (tensor<8x1x8x8xf32>, tensor<4x1x1x1xf32>) -> tensor<8x4x8x8xf32>
    %mp = ff.max_pool2d %c {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<8x4x8x8xf32>) -> tensor<8x4x4x4xf32>
    %ap = ff.avg_pool2d %mp {kernel = array<i64: 3, 3>, padding = array<i64: 1, 1, 1, 1>, count_include_pad} : (tensor<8x4x4x4xf32>) -> tensor<8x4x4x4xf32>
    %g = ff.goodness %ap {groups = 4 : i64} : (tensor<8x4x4x4xf32>) -> tensor<8x4xf32>
    %l = ff.margin_cross_entropy %g, %labels : (tensor<8x4xf32>, tensor<8xi32>) -> tensor<f32>
    ff.yield %ap, %l, %g : tensor<8x4x4x4xf32>, tensor<f32>, tensor<8x4xf32>
  }
  return %loss, %scores : tensor<f32>, tensor<8x4xf32>
}

// -----

// Flatten and reshape: the gradient is reshaped back to each input's shape.

ff.param @conv.weight = dense<0.1> : tensor<4x1x1x1xf32>
// CHECK-LABEL: func.func @train
// CHECK: ff.block "flatten_reshape"
// CHECK: %[[C:.*]] = ff.conv2d
// CHECK-NEXT: %[[F:.*]] = ff.flatten %[[C]]
// CHECK-NEXT: %[[R:.*]] = ff.reshape %[[F]]
// CHECK: %[[DR:.*]] = ff.goodness_grad %[[R]], %{{.*}} {groups = 4 : i64} : (tensor<8x4x16xf32>, tensor<8x4xf32>) -> tensor<8x4x16xf32>
// CHECK-NEXT: %[[DF:.*]] = ff.reshape %[[DR]] : (tensor<8x4x16xf32>) -> tensor<8x64xf32>
// CHECK-NEXT: %[[DC:.*]] = ff.reshape %[[DF]] : (tensor<8x64xf32>) -> tensor<8x4x4x4xf32>
// CHECK-NEXT: %[[DW:.*]] = ff.conv2d_grad_weight %{{.*}}, %[[DC]]
// CHECK-NEXT: ff.param_grad @conv.weight, %[[DW]]
func.func @train(%x: tensor<8x1x4x4xf32>, %y: tensor<8xi32>) -> (tensor<f32>, tensor<8x4xf32>) {
  %h, %loss, %scores = ff.block "flatten_reshape" (%x, %y) : (tensor<8x1x4x4xf32>, tensor<8xi32>) -> (tensor<8x4x16xf32>, tensor<f32>, tensor<8x4xf32>) {
  ^bb0(%in: tensor<8x1x4x4xf32>, %labels: tensor<8xi32>):
    %w = ff.param_ref @conv.weight : tensor<4x1x1x1xf32>
    %c = ff.conv2d %in, %w : (tensor<8x1x4x4xf32>, tensor<4x1x1x1xf32>) -> tensor<8x4x4x4xf32>
    %f = ff.flatten %c {axis = 1 : i64} : (tensor<8x4x4x4xf32>) -> tensor<8x64xf32>
    %r = ff.reshape %f : (tensor<8x64xf32>) -> tensor<8x4x16xf32>
    %g = ff.goodness %r {groups = 4 : i64} : (tensor<8x4x16xf32>) -> tensor<8x4xf32>
    %l = ff.margin_cross_entropy %g, %labels : (tensor<8x4xf32>, tensor<8xi32>) -> tensor<f32>
    ff.yield %r, %l, %g : tensor<8x4x16xf32>, tensor<f32>, tensor<8x4xf32>
  }
  return %loss, %scores : tensor<f32>, tensor<8x4xf32>
}

// -----

// Concat: each differentiated operand gets its slice of the gradient; the
// detached block input in the middle gets none but still shifts the offsets.

ff.param @a.weight = dense<0.1> : tensor<3x2x1x1xf32>
ff.param @b.weight = dense<0.1> : tensor<5x2x1x1xf32>
// CHECK-LABEL: func.func @train
// CHECK: ff.block "concat"
// CHECK: %[[CAT:.*]] = ff.concat
// CHECK: %[[D:.*]] = ff.goodness_grad %[[CAT]]
// CHECK-NEXT: %[[DA:.*]] = ff.slice %[[D]] {offsets = array<i64: 0, 0, 0, 0>} : (tensor<8x10x4x4xf32>) -> tensor<8x3x4x4xf32>
// CHECK-NEXT: %[[DB:.*]] = ff.slice %[[D]] {offsets = array<i64: 0, 5, 0, 0>} : (tensor<8x10x4x4xf32>) -> tensor<8x5x4x4xf32>
// CHECK-NOT: ff.slice
// CHECK-NEXT: %[[DWB:.*]] = ff.conv2d_grad_weight %{{.*}}, %[[DB]]
// CHECK-NEXT: %[[DWA:.*]] = ff.conv2d_grad_weight %{{.*}}, %[[DA]]
// CHECK-NEXT: ff.param_grad @a.weight, %[[DWA]]
// CHECK-NEXT: ff.param_grad @b.weight, %[[DWB]]
func.func @train(%x: tensor<8x2x4x4xf32>, %y: tensor<8xi32>) -> (tensor<f32>, tensor<8x10xf32>) {
  %h, %loss, %scores = ff.block "concat" (%x, %y) : (tensor<8x2x4x4xf32>, tensor<8xi32>) -> (tensor<8x10x4x4xf32>, tensor<f32>, tensor<8x10xf32>) {
  ^bb0(%in: tensor<8x2x4x4xf32>, %labels: tensor<8xi32>):
    %wa = ff.param_ref @a.weight : tensor<3x2x1x1xf32>
    %wb = ff.param_ref @b.weight : tensor<5x2x1x1xf32>
    %a = ff.conv2d %in, %wa : (tensor<8x2x4x4xf32>, tensor<3x2x1x1xf32>) -> tensor<8x3x4x4xf32>
    %b = ff.conv2d %in, %wb : (tensor<8x2x4x4xf32>, tensor<5x2x1x1xf32>) -> tensor<8x5x4x4xf32>
    %c = ff.concat %a, %in, %b {axis = 1 : i64} : (tensor<8x3x4x4xf32>, tensor<8x2x4x4xf32>, tensor<8x5x4x4xf32>) -> tensor<8x10x4x4xf32>
    %g = ff.goodness %c {groups = 10 : i64} : (tensor<8x10x4x4xf32>) -> tensor<8x10xf32>
    %l = ff.margin_cross_entropy %g, %labels : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<f32>
    ff.yield %c, %l, %g : tensor<8x10x4x4xf32>, tensor<f32>, tensor<8x10xf32>
  }
  return %loss, %scores : tensor<f32>, tensor<8x10xf32>
}

// -----

// Linear layers (y = x W^T + b): dx = dy W, dW = dy^T x, db = sum over the
// batch; the first layer reads the detached input, so it has no dx. Softmax
// differentiates from its output.

ff.param @fc1.weight = dense<0.1> : tensor<12x16xf32>
ff.param @fc1.bias = dense<0.0> : tensor<12xf32>
ff.param @fc2.weight = dense<0.1> : tensor<10x12xf32>
// CHECK-LABEL: func.func @train
// CHECK: ff.block "linear"
// CHECK-NEXT: ^bb0(%[[IN:.*]]: tensor<8x16xf32>, %{{.*}}: tensor<8xi32>):
// CHECK: %[[W2:.*]] = ff.param_ref @fc2.weight
// CHECK: %[[H:.*]] = ff.linear %[[IN]]
// CHECK-NEXT: %[[O:.*]] = ff.linear %[[H]], %[[W2]]
// CHECK-NEXT: %[[P:.*]] = ff.softmax %[[O]]
// CHECK: %[[DP:.*]] = ff.margin_cross_entropy_grad %[[P]]
// CHECK-NEXT: %[[DO:.*]] = ff.softmax_grad %[[P]], %[[DP]] {axis = 1 : i64} : tensor<8x10xf32>
// CHECK-NEXT: %[[DH:.*]] = ff.matmul %[[DO]], %[[W2]] : (tensor<8x10xf32>, tensor<10x12xf32>) -> tensor<8x12xf32>
// CHECK-NEXT: %[[DOT:.*]] = ff.transpose %[[DO]] {permutation = array<i64: 1, 0>} : (tensor<8x10xf32>) -> tensor<10x8xf32>
// CHECK-NEXT: %[[DW2:.*]] = ff.matmul %[[DOT]], %[[H]] : (tensor<10x8xf32>, tensor<8x12xf32>) -> tensor<10x12xf32>
// CHECK-NEXT: %[[DHT:.*]] = ff.transpose %[[DH]] {permutation = array<i64: 1, 0>}
// CHECK-NEXT: %[[DW1:.*]] = ff.matmul %[[DHT]], %[[IN]] : (tensor<12x8xf32>, tensor<8x16xf32>) -> tensor<12x16xf32>
// CHECK-NEXT: %[[DB1:.*]] = ff.reduce_sum %[[DH]] {axes = array<i64: 0>} : (tensor<8x12xf32>) -> tensor<12xf32>
// CHECK-NEXT: ff.param_grad @fc1.weight, %[[DW1]]
// CHECK-NEXT: ff.param_grad @fc1.bias, %[[DB1]]
// CHECK-NEXT: ff.param_grad @fc2.weight, %[[DW2]]
func.func @train(%x: tensor<8x16xf32>, %y: tensor<8xi32>) -> (tensor<f32>, tensor<8x10xf32>) {
  %h, %loss, %scores = ff.block "linear" (%x, %y) : (tensor<8x16xf32>, tensor<8xi32>) -> (tensor<8x10xf32>, tensor<f32>, tensor<8x10xf32>) {
  ^bb0(%in: tensor<8x16xf32>, %labels: tensor<8xi32>):
    %w1 = ff.param_ref @fc1.weight : tensor<12x16xf32>
    %b1 = ff.param_ref @fc1.bias : tensor<12xf32>
    %w2 = ff.param_ref @fc2.weight : tensor<10x12xf32>
    %h1 = ff.linear %in, %w1, %b1 : (tensor<8x16xf32>, tensor<12x16xf32>, tensor<12xf32>) -> tensor<8x12xf32>
    %o = ff.linear %h1, %w2 : (tensor<8x12xf32>, tensor<10x12xf32>) -> tensor<8x10xf32>
    %p = ff.softmax %o {axis = 1 : i64} : tensor<8x10xf32>
    %l = ff.margin_cross_entropy %p, %labels : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<f32>
    ff.yield %o, %l, %p : tensor<8x10xf32>, tensor<f32>, tensor<8x10xf32>
  }
  return %loss, %scores : tensor<f32>, tensor<8x10xf32>
}

// -----

// Batched matmul with broadcast batch dimensions: dA = dY B^T, dB = A^T dY
// (transposing the last two dimensions), each summed over the batch
// dimensions its operand was broadcast along.

ff.param @p = dense<0.1> : tensor<4x3xf32>
ff.param @q = dense<0.1> : tensor<5x6xf32>
// CHECK-LABEL: func.func @train
// CHECK: ff.block "matmul"
// CHECK-NEXT: ^bb0(%[[IN:.*]]: tensor<8x3x5xf32>, %{{.*}}: tensor<8xi32>):
// CHECK: %[[P:.*]] = ff.param_ref @p
// CHECK-NEXT: %[[Q:.*]] = ff.param_ref @q
// CHECK-NEXT: %[[A:.*]] = ff.matmul %[[P]], %[[IN]]
// CHECK-NEXT: %[[B:.*]] = ff.matmul %[[A]], %[[Q]]
// CHECK: %[[DB:.*]] = ff.goodness_grad %[[B]]
// CHECK-NEXT: %[[QT:.*]] = ff.transpose %[[Q]] {permutation = array<i64: 1, 0>} : (tensor<5x6xf32>) -> tensor<6x5xf32>
// CHECK-NEXT: %[[DA:.*]] = ff.matmul %[[DB]], %[[QT]] : (tensor<8x4x6xf32>, tensor<6x5xf32>) -> tensor<8x4x5xf32>
// CHECK-NEXT: %[[AT:.*]] = ff.transpose %[[A]] {permutation = array<i64: 0, 2, 1>} : (tensor<8x4x5xf32>) -> tensor<8x5x4xf32>
// CHECK-NEXT: %[[DQB:.*]] = ff.matmul %[[AT]], %[[DB]] : (tensor<8x5x4xf32>, tensor<8x4x6xf32>) -> tensor<8x5x6xf32>
// CHECK-NEXT: %[[DQ:.*]] = ff.reduce_sum %[[DQB]] : (tensor<8x5x6xf32>) -> tensor<5x6xf32>
// CHECK-NEXT: %[[INT:.*]] = ff.transpose %[[IN]] {permutation = array<i64: 0, 2, 1>} : (tensor<8x3x5xf32>) -> tensor<8x5x3xf32>
// CHECK-NEXT: %[[DPB:.*]] = ff.matmul %[[DA]], %[[INT]] : (tensor<8x4x5xf32>, tensor<8x5x3xf32>) -> tensor<8x4x3xf32>
// CHECK-NEXT: %[[DP:.*]] = ff.reduce_sum %[[DPB]] : (tensor<8x4x3xf32>) -> tensor<4x3xf32>
// CHECK-NEXT: ff.param_grad @p, %[[DP]]
// CHECK-NEXT: ff.param_grad @q, %[[DQ]]
func.func @train(%x: tensor<8x3x5xf32>, %y: tensor<8xi32>) -> (tensor<f32>, tensor<8x4xf32>) {
  %h, %loss, %scores = ff.block "matmul" (%x, %y) : (tensor<8x3x5xf32>, tensor<8xi32>) -> (tensor<8x4x6xf32>, tensor<f32>, tensor<8x4xf32>) {
  ^bb0(%in: tensor<8x3x5xf32>, %labels: tensor<8xi32>):
    %p = ff.param_ref @p : tensor<4x3xf32>
    %q = ff.param_ref @q : tensor<5x6xf32>
    %a = ff.matmul %p, %in : (tensor<4x3xf32>, tensor<8x3x5xf32>) -> tensor<8x4x5xf32>
    %b = ff.matmul %a, %q : (tensor<8x4x5xf32>, tensor<5x6xf32>) -> tensor<8x4x6xf32>
    %g = ff.goodness %b {groups = 4 : i64} : (tensor<8x4x6xf32>) -> tensor<8x4xf32>
    %l = ff.margin_cross_entropy %g, %labels : (tensor<8x4xf32>, tensor<8xi32>) -> tensor<f32>
    ff.yield %b, %l, %g : tensor<8x4x6xf32>, tensor<f32>, tensor<8x4xf32>
  }
  return %loss, %scores : tensor<f32>, tensor<8x4xf32>
}

// -----

// Layer norm with an elementwise scale and bias: one layer_norm_grad with
// has_bias gives the three gradients.

ff.param @conv.weight = dense<0.1> : tensor<4x1x1x1xf32>
ff.param @ln.weight = dense<1.0> : tensor<4x2x2xf32>
ff.param @ln.bias = dense<0.0> : tensor<4x2x2xf32>
// CHECK-LABEL: func.func @train
// CHECK: ff.block "layer_norm"
// CHECK: %[[S:.*]] = ff.param_ref @ln.weight
// CHECK: %[[C:.*]] = ff.conv2d
// CHECK-NEXT: %[[N:.*]] = ff.layer_norm %[[C]]
// CHECK: %[[DN:.*]] = ff.goodness_grad %[[N]]
// CHECK-NEXT: %[[DC:.*]], %[[DS:.*]], %[[DB:.*]] = ff.layer_norm_grad %[[C]], %[[DN]] scale %[[S]]{{.*}} {epsilon = 1.000000e-03 : f64, has_bias{{.*}}}
// CHECK-NEXT: %[[DW:.*]] = ff.conv2d_grad_weight %{{.*}}, %[[DC]]
// CHECK-NEXT: ff.param_grad @conv.weight, %[[DW]]
// CHECK-NEXT: ff.param_grad @ln.weight, %[[DS]]
// CHECK-NEXT: ff.param_grad @ln.bias, %[[DB]]
func.func @train(%x: tensor<8x1x2x2xf32>, %y: tensor<8xi32>) -> (tensor<f32>, tensor<8x4xf32>) {
  %h, %loss, %scores = ff.block "layer_norm" (%x, %y) : (tensor<8x1x2x2xf32>, tensor<8xi32>) -> (tensor<8x4x2x2xf32>, tensor<f32>, tensor<8x4xf32>) {
  ^bb0(%in: tensor<8x1x2x2xf32>, %labels: tensor<8xi32>):
    %w = ff.param_ref @conv.weight : tensor<4x1x1x1xf32>
    %s = ff.param_ref @ln.weight : tensor<4x2x2xf32>
    %b = ff.param_ref @ln.bias : tensor<4x2x2xf32>
    %c = ff.conv2d %in, %w : (tensor<8x1x2x2xf32>, tensor<4x1x1x1xf32>) -> tensor<8x4x2x2xf32>
    %n = ff.layer_norm %c scale %s bias %b {axis = 1 : i64, epsilon = 1.0e-3 : f64} : (tensor<8x4x2x2xf32>, tensor<4x2x2xf32>, tensor<4x2x2xf32>) -> tensor<8x4x2x2xf32>
    %g = ff.goodness %n {groups = 4 : i64} : (tensor<8x4x2x2xf32>) -> tensor<8x4xf32>
    %l = ff.margin_cross_entropy %g, %labels : (tensor<8x4xf32>, tensor<8xi32>) -> tensor<f32>
    ff.yield %n, %l, %g : tensor<8x4x2x2xf32>, tensor<f32>, tensor<8x4xf32>
  }
  return %loss, %scores : tensor<f32>, tensor<8x4xf32>
}

// -----

// Activations: each has its *_grad op, from the forward input, with the
// forward attributes (hardsigmoid alpha/beta, clip bounds).

ff.param @fc.weight = dense<0.1> : tensor<10x16xf32>
// CHECK-LABEL: func.func @train
// CHECK: ff.block "activations"
// CHECK: %[[O:.*]] = ff.linear
// CHECK-NEXT: %[[A:.*]] = ff.hardswish %[[O]]
// CHECK-NEXT: %[[B:.*]] = ff.hardsigmoid %[[A]]
// CHECK-NEXT: %[[C:.*]] = ff.clip %[[B]]
// CHECK-NEXT: %[[D:.*]] = ff.sigmoid %[[C]]
// CHECK: %[[DD:.*]] = ff.margin_cross_entropy_grad %[[D]]
// CHECK-NEXT: %[[DC:.*]] = ff.sigmoid_grad %[[C]], %[[DD]] : tensor<8x10xf32>
// CHECK-NEXT: %[[DB:.*]] = ff.clip_grad %[[B]], %[[DC]] {max = 6.000000e+00 : f64, min = 0.000000e+00 : f64} : tensor<8x10xf32>
// CHECK-NEXT: %[[DA:.*]] = ff.hardsigmoid_grad %[[A]], %[[DB]] {alpha = 0.16666666666666666 : f64, beta = 4.000000e-01 : f64} : tensor<8x10xf32>
// CHECK-NEXT: %[[DO:.*]] = ff.hardswish_grad %[[O]], %[[DA]] : tensor<8x10xf32>
// CHECK-NEXT: ff.transpose %[[DO]]
func.func @train(%x: tensor<8x16xf32>, %y: tensor<8xi32>) -> (tensor<f32>, tensor<8x10xf32>) {
  %h, %loss, %scores = ff.block "activations" (%x, %y) : (tensor<8x16xf32>, tensor<8xi32>) -> (tensor<8x10xf32>, tensor<f32>, tensor<8x10xf32>) {
  ^bb0(%in: tensor<8x16xf32>, %labels: tensor<8xi32>):
    %w = ff.param_ref @fc.weight : tensor<10x16xf32>
    %o = ff.linear %in, %w : (tensor<8x16xf32>, tensor<10x16xf32>) -> tensor<8x10xf32>
    %a = ff.hardswish %o : tensor<8x10xf32>
    %b = ff.hardsigmoid %a {alpha = 0.16666666666666666 : f64, beta = 0.4 : f64} : tensor<8x10xf32>
    %c = ff.clip %b {min = 0.0 : f64, max = 6.0 : f64} : tensor<8x10xf32>
    %d = ff.sigmoid %c : tensor<8x10xf32>
    %l = ff.margin_cross_entropy %d, %labels : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<f32>
    ff.yield %o, %l, %d : tensor<8x10xf32>, tensor<f32>, tensor<8x10xf32>
  }
  return %loss, %scores : tensor<f32>, tensor<8x10xf32>
}

// -----

// Hinton's FF loss: the positive and negative passes read the same weight
// through two param_refs, so the two weight gradients are summed into one
// param_grad. The label embedding and the random shift are on the input
// side (no parameter behind them) and need no gradient.

ff.param @fc.weight = dense<0.1> : tensor<32x16xf32>
// CHECK-LABEL: func.func @train
// CHECK: ff.block "threshold"
// CHECK: %[[GP:.*]] = ff.goodness
// CHECK: %[[GN:.*]] = ff.goodness
// CHECK-NEXT: %[[L:.*]] = ff.threshold_loss %[[GP]], %[[GN]]
// CHECK-NEXT: %[[DGP:.*]], %[[DGN:.*]] = ff.threshold_loss_grad %[[GP]], %[[GN]] {theta = 3.000000e+00 : f64} : tensor<8x1xf32>
// CHECK-NEXT: %[[DRN:.*]] = ff.goodness_grad %{{.*}}, %[[DGN]] {groups = 1 : i64}
// CHECK-NEXT: %[[DON:.*]] = ff.relu_grad %{{.*}}, %[[DRN]]
// CHECK-NEXT: ff.transpose %[[DON]]
// CHECK-NEXT: %[[DWN:.*]] = ff.matmul
// CHECK-NEXT: %[[DRP:.*]] = ff.goodness_grad %{{.*}}, %[[DGP]] {groups = 1 : i64}
// CHECK-NEXT: %[[DOP:.*]] = ff.relu_grad %{{.*}}, %[[DRP]]
// CHECK-NEXT: ff.transpose %[[DOP]]
// CHECK-NEXT: %[[DWP:.*]] = ff.matmul
// CHECK-NEXT: %[[DW:.*]] = ff.add %[[DWN]], %[[DWP]] : (tensor<32x16xf32>, tensor<32x16xf32>) -> tensor<32x16xf32>
// CHECK-NEXT: ff.param_grad @fc.weight, %[[DW]] : tensor<32x16xf32>
// CHECK-NOT: ff.param_grad
// CHECK: ff.yield
func.func @train(%x: tensor<8x16xf32>, %y: tensor<8xi32>) -> (tensor<f32>, tensor<8x1xf32>) {
  %h, %loss, %scores = ff.block "threshold" (%x, %y) : (tensor<8x16xf32>, tensor<8xi32>) -> (tensor<8x32xf32>, tensor<f32>, tensor<8x1xf32>) {
  ^bb0(%in: tensor<8x16xf32>, %labels: tensor<8xi32>):
    %pos = ff.embed_label %in, %labels {classes = 10 : i64} : tensor<8x16xf32>, tensor<8xi32>
    %shift = ff.random_label_shift {classes = 10 : i64} : tensor<8xi32>
    %neg = ff.embed_label %in, %labels shift %shift : tensor<8xi32> {classes = 10 : i64} : tensor<8x16xf32>, tensor<8xi32>
    %w1 = ff.param_ref @fc.weight : tensor<32x16xf32>
    %op = ff.linear %pos, %w1 : (tensor<8x16xf32>, tensor<32x16xf32>) -> tensor<8x32xf32>
    %rp = ff.relu %op : tensor<8x32xf32>
    %gp = ff.goodness %rp {groups = 1 : i64} : (tensor<8x32xf32>) -> tensor<8x1xf32>
    %w2 = ff.param_ref @fc.weight : tensor<32x16xf32>
    %on = ff.linear %neg, %w2 : (tensor<8x16xf32>, tensor<32x16xf32>) -> tensor<8x32xf32>
    %rn = ff.relu %on : tensor<8x32xf32>
    %gn = ff.goodness %rn {groups = 1 : i64} : (tensor<8x32xf32>) -> tensor<8x1xf32>
    %l = ff.threshold_loss %gp, %gn {theta = 3.0 : f64} : (tensor<8x1xf32>, tensor<8x1xf32>) -> tensor<f32>
    ff.yield %rp, %l, %gp : tensor<8x32xf32>, tensor<f32>, tensor<8x1xf32>
  }
  return %loss, %scores : tensor<f32>, tensor<8x1xf32>
}

// -----

// Shape ops used as forward ops: transpose (inverse permutation) and slice
// (the gradient padded back with zeros, here along dimension 1).

ff.param @fc.weight = dense<0.1> : tensor<6x4xf32>
// CHECK-LABEL: func.func @train
// CHECK: ff.block "shape_ops"
// CHECK: %[[O:.*]] = ff.linear
// CHECK-NEXT: %[[T:.*]] = ff.transpose %[[O]]
// CHECK-NEXT: %[[U:.*]] = ff.transpose %[[T]]
// CHECK-NEXT: %[[S:.*]] = ff.slice %[[U]]
// CHECK: %[[DS:.*]] = ff.margin_cross_entropy_grad %[[S]]
// CHECK-NEXT: %[[Z0:.*]] = ff.constant dense<0.000000e+00> : tensor<8x1xf32>
// CHECK-NEXT: %[[Z1:.*]] = ff.constant dense<0.000000e+00> : tensor<8x1xf32>
// CHECK-NEXT: %[[DU:.*]] = ff.concat %[[Z0]], %[[DS]], %[[Z1]] {axis = 1 : i64} : (tensor<8x1xf32>, tensor<8x4xf32>, tensor<8x1xf32>) -> tensor<8x6xf32>
// CHECK-NEXT: %[[DT:.*]] = ff.transpose %[[DU]] {permutation = array<i64: 1, 0>} : (tensor<8x6xf32>) -> tensor<6x8xf32>
// CHECK-NEXT: %[[DO:.*]] = ff.transpose %[[DT]] {permutation = array<i64: 1, 0>} : (tensor<6x8xf32>) -> tensor<8x6xf32>
// CHECK-NEXT: %[[DOT:.*]] = ff.transpose %[[DO]]
// CHECK-NEXT: %[[DW:.*]] = ff.matmul %[[DOT]]
// CHECK-NEXT: ff.param_grad @fc.weight, %[[DW]]
func.func @train(%x: tensor<8x4xf32>, %y: tensor<8xi32>) -> (tensor<f32>, tensor<8x4xf32>) {
  %h, %loss, %scores = ff.block "shape_ops" (%x, %y) : (tensor<8x4xf32>, tensor<8xi32>) -> (tensor<8x4xf32>, tensor<f32>, tensor<8x4xf32>) {
  ^bb0(%in: tensor<8x4xf32>, %labels: tensor<8xi32>):
    %w = ff.param_ref @fc.weight : tensor<6x4xf32>
    %o = ff.linear %in, %w : (tensor<8x4xf32>, tensor<6x4xf32>) -> tensor<8x6xf32>
    %t = ff.transpose %o {permutation = array<i64: 1, 0>} : (tensor<8x6xf32>) -> tensor<6x8xf32>
    %u = ff.transpose %t {permutation = array<i64: 1, 0>} : (tensor<6x8xf32>) -> tensor<8x6xf32>
    %s = ff.slice %u {offsets = array<i64: 0, 1>} : (tensor<8x6xf32>) -> tensor<8x4xf32>
    %l = ff.margin_cross_entropy %s, %labels : (tensor<8x4xf32>, tensor<8xi32>) -> tensor<f32>
    ff.yield %s, %l, %s : tensor<8x4xf32>, tensor<f32>, tensor<8x4xf32>
  }
  return %loss, %scores : tensor<f32>, tensor<8x4xf32>
}

// -----

// A loss that is not itself a loss op (the sum of two heads): the seed is
// the constant 1 and each head's gradient is scaled by its loss's adjoint.

ff.param @fc.weight = dense<0.1> : tensor<10x16xf32>
// CHECK-LABEL: func.func @train
// CHECK: ff.block "two_heads"
// CHECK: %[[S:.*]] = ff.linear
// CHECK-NEXT: %[[L1:.*]] = ff.margin_cross_entropy %[[S]]
// CHECK-NEXT: %[[L2:.*]] = ff.margin_cross_entropy %[[S]]
// CHECK-NEXT: %[[L:.*]] = ff.add %[[L1]], %[[L2]]
// CHECK-NEXT: %[[ONE:.*]] = ff.constant dense<1.000000e+00> : tensor<f32>
// CHECK-NEXT: %[[G2:.*]] = ff.margin_cross_entropy_grad %[[S]], %{{.*}} {margin = 2.000000e+00 : f64}
// CHECK-NEXT: %[[D2:.*]] = ff.mul %[[G2]], %[[ONE]] : (tensor<8x10xf32>, tensor<f32>) -> tensor<8x10xf32>
// CHECK-NEXT: %[[G1:.*]] = ff.margin_cross_entropy_grad %[[S]], %{{.*}} :
// CHECK-NEXT: %[[D1:.*]] = ff.mul %[[G1]], %[[ONE]]
// CHECK-NEXT: %[[DS:.*]] = ff.add %[[D2]], %[[D1]]
// CHECK-NEXT: ff.transpose %[[DS]]
func.func @train(%x: tensor<8x16xf32>, %y: tensor<8xi32>) -> (tensor<f32>, tensor<8x10xf32>) {
  %h, %loss, %scores = ff.block "two_heads" (%x, %y) : (tensor<8x16xf32>, tensor<8xi32>) -> (tensor<8x10xf32>, tensor<f32>, tensor<8x10xf32>) {
  ^bb0(%in: tensor<8x16xf32>, %labels: tensor<8xi32>):
    %w = ff.param_ref @fc.weight : tensor<10x16xf32>
    %s = ff.linear %in, %w : (tensor<8x16xf32>, tensor<10x16xf32>) -> tensor<8x10xf32>
    %l1 = ff.margin_cross_entropy %s, %labels : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<f32>
    %l2 = ff.margin_cross_entropy %s, %labels {margin = 2.0 : f64} : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<f32>
    %l = ff.add %l1, %l2 : (tensor<f32>, tensor<f32>) -> tensor<f32>
    ff.yield %s, %l, %s : tensor<8x10xf32>, tensor<f32>, tensor<8x10xf32>
  }
  return %loss, %scores : tensor<f32>, tensor<8x10xf32>
}

// -----

// ff.stop_gradient inside a block cuts the flow: the layer before it gets no
// gradient (and no param_grad), only the layer after it does.

ff.param @early.weight = dense<0.1> : tensor<10x16xf32>
ff.param @late.weight = dense<0.1> : tensor<10x10xf32>
// CHECK-LABEL: func.func @train
// CHECK: ff.block "stopped"
// CHECK: %[[SG:.*]] = ff.stop_gradient
// CHECK-NEXT: %[[O:.*]] = ff.linear %[[SG]]
// CHECK: ff.margin_cross_entropy_grad %[[O]]
// CHECK-NEXT: %[[T:.*]] = ff.transpose
// CHECK-NEXT: %[[DW:.*]] = ff.matmul %[[T]], %[[SG]]
// CHECK-NEXT: ff.param_grad @late.weight, %[[DW]]
// CHECK-NOT: ff.param_grad @early.weight
// CHECK-NEXT: ff.yield
func.func @train(%x: tensor<8x16xf32>, %y: tensor<8xi32>) -> (tensor<f32>, tensor<8x10xf32>) {
  %h, %loss, %scores = ff.block "stopped" (%x, %y) : (tensor<8x16xf32>, tensor<8xi32>) -> (tensor<8x10xf32>, tensor<f32>, tensor<8x10xf32>) {
  ^bb0(%in: tensor<8x16xf32>, %labels: tensor<8xi32>):
    %w1 = ff.param_ref @early.weight : tensor<10x16xf32>
    %w2 = ff.param_ref @late.weight : tensor<10x10xf32>
    %e = ff.linear %in, %w1 : (tensor<8x16xf32>, tensor<10x16xf32>) -> tensor<8x10xf32>
    %sg = ff.stop_gradient %e : tensor<8x10xf32>
    %o = ff.linear %sg, %w2 : (tensor<8x10xf32>, tensor<10x10xf32>) -> tensor<8x10xf32>
    %l = ff.margin_cross_entropy %o, %labels : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<f32>
    ff.yield %o, %l, %o : tensor<8x10xf32>, tensor<f32>, tensor<8x10xf32>
  }
  return %loss, %scores : tensor<f32>, tensor<8x10xf32>
}

// -----

// Two blocks separated by layer norm + stop_gradient (SFF's hand-over):
// each block differentiates its own loss for its own parameters only; block1
// starts from its (detached) region argument, with no input gradient. @infer
// is left alone (its blocks have no loss).

ff.param @block0.conv.weight = dense<0.1> : tensor<4x1x3x3xf32>
ff.param @block1.conv.weight = dense<0.1> : tensor<4x4x3x3xf32>
// CHECK-LABEL: func.func @train
// CHECK: ff.block "block0"
// CHECK: %[[DW0:.*]] = ff.conv2d_grad_weight
// CHECK-NEXT: ff.param_grad @block0.conv.weight, %[[DW0]]
// CHECK-NEXT: ff.yield
// CHECK: ff.layer_norm
// CHECK-NEXT: %[[S:.*]] = ff.stop_gradient
// CHECK-NEXT: ff.block "block1"(%[[S]], %{{.*}})
// CHECK-NEXT: ^bb0(%[[IN1:.*]]: tensor<8x4x8x8xf32>, %{{.*}}: tensor<8xi32>):
// CHECK-NOT: conv2d_grad_input
// CHECK-NOT: block0.conv.weight
// CHECK: %[[DW1:.*]] = ff.conv2d_grad_weight %[[IN1]]
// CHECK-NEXT: ff.param_grad @block1.conv.weight, %[[DW1]]
// CHECK-NEXT: ff.yield
// CHECK-LABEL: func.func @infer
// CHECK-NOT: _grad
// CHECK: return
func.func @train(%x: tensor<8x1x8x8xf32>, %y: tensor<8xi32>) -> (tensor<f32>, tensor<8x4xf32>, tensor<f32>, tensor<8x4xf32>) {
  %h, %loss, %scores = ff.block "block0" (%x, %y) : (tensor<8x1x8x8xf32>, tensor<8xi32>) -> (tensor<8x4x8x8xf32>, tensor<f32>, tensor<8x4xf32>) {
  ^bb0(%in: tensor<8x1x8x8xf32>, %labels: tensor<8xi32>):
    %w = ff.param_ref @block0.conv.weight : tensor<4x1x3x3xf32>
    %c = ff.conv2d %in, %w {padding = array<i64: 1, 1, 1, 1>} : (tensor<8x1x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<8x4x8x8xf32>
    %g = ff.goodness %c {groups = 4 : i64} : (tensor<8x4x8x8xf32>) -> tensor<8x4xf32>
    %l = ff.margin_cross_entropy %g, %labels : (tensor<8x4xf32>, tensor<8xi32>) -> tensor<f32>
    ff.yield %c, %l, %g : tensor<8x4x8x8xf32>, tensor<f32>, tensor<8x4xf32>
  }
  %n = ff.layer_norm %h {axis = 1 : i64} : (tensor<8x4x8x8xf32>) -> tensor<8x4x8x8xf32>
  %s = ff.stop_gradient %n : tensor<8x4x8x8xf32>
  %h1, %loss1, %scores1 = ff.block "block1" (%s, %y) : (tensor<8x4x8x8xf32>, tensor<8xi32>) -> (tensor<8x4x8x8xf32>, tensor<f32>, tensor<8x4xf32>) {
  ^bb0(%in: tensor<8x4x8x8xf32>, %labels: tensor<8xi32>):
    %w = ff.param_ref @block1.conv.weight : tensor<4x4x3x3xf32>
    %c = ff.conv2d %in, %w {padding = array<i64: 1, 1, 1, 1>} : (tensor<8x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<8x4x8x8xf32>
    %g = ff.goodness %c {groups = 4 : i64} : (tensor<8x4x8x8xf32>) -> tensor<8x4xf32>
    %l = ff.margin_cross_entropy %g, %labels : (tensor<8x4xf32>, tensor<8xi32>) -> tensor<f32>
    ff.yield %c, %l, %g : tensor<8x4x8x8xf32>, tensor<f32>, tensor<8x4xf32>
  }
  return %loss, %scores, %loss1, %scores1 : tensor<f32>, tensor<8x4xf32>, tensor<f32>, tensor<8x4xf32>
}
func.func @infer(%x: tensor<8x1x8x8xf32>) -> tensor<8x4x8x8xf32> {
  %h = ff.block "block0" (%x) : (tensor<8x1x8x8xf32>) -> tensor<8x4x8x8xf32> {
  ^bb0(%in: tensor<8x1x8x8xf32>):
    %w = ff.param_ref @block0.conv.weight : tensor<4x1x3x3xf32>
    %c = ff.conv2d %in, %w {padding = array<i64: 1, 1, 1, 1>} : (tensor<8x1x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<8x4x8x8xf32>
    ff.yield %c : tensor<8x4x8x8xf32>
  }
  return %h : tensor<8x4x8x8xf32>
}
