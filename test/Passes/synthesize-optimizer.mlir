// ff-synthesize-optimizer: every ff.param_grad becomes its parameter's update,
// the learning rate becomes @train's last argument, optimizer state becomes
// buffer params, training batch norms advance their running statistics.
// RUN: ff-opt %s -split-input-file -ff-synthesize-optimizer | FileCheck %s --check-prefixes=CHECK,ADAMS,ADAM
// RUN: ff-opt %s -split-input-file -ff-synthesize-optimizer="optimizer=sgd" | FileCheck %s --check-prefixes=CHECK,SGD
// RUN: ff-opt %s -split-input-file -ff-synthesize-optimizer="optimizer=sgd momentum=0.9 nesterov=true weight-decay=5e-4" | FileCheck %s --check-prefixes=CHECK,SGDM
// RUN: ff-opt %s -split-input-file -ff-synthesize-optimizer="optimizer=adamw" | FileCheck %s --check-prefixes=CHECK,ADAMS,ADAMW
// The output parses and verifies again.
// RUN: ff-opt %s -split-input-file -ff-synthesize-optimizer | ff-opt -split-input-file | FileCheck %s --check-prefixes=CHECK,ADAMS,ADAM

// One block with a weight and a bias.
// ADAM: module attributes {ff.optimizer = {beta1 = 9.000000e-01 : f64, beta2 = 0.99899999999999999 : f64, epsilon = 1.000000e-08 : f64, name = "adam", weight_decay = 0.000000e+00 : f64}}
// SGD: module attributes {ff.optimizer = {momentum = 0.000000e+00 : f64, name = "sgd", nesterov = false, weight_decay = 0.000000e+00 : f64}}
// SGDM: module attributes {ff.optimizer = {momentum = 9.000000e-01 : f64, name = "sgd", nesterov = true, weight_decay = 5.000000e-04 : f64}}
// ADAMW: module attributes {ff.optimizer = {beta1 = 9.000000e-01 : f64, beta2 = 0.99899999999999999 : f64, epsilon = 1.000000e-08 : f64, name = "adamw", weight_decay = 1.000000e-02 : f64}}

// State params follow their parameter, zeros of its type, as buffers.
// CHECK: ff.param @block0.fc.weight = dense<5.000000e-01> : tensor<4x6xf32>
// ADAMS-NEXT: ff.param @block0.fc.weight.adam_m buffer = dense<0.000000e+00> : tensor<4x6xf32>
// ADAMS-NEXT: ff.param @block0.fc.weight.adam_v buffer = dense<0.000000e+00> : tensor<4x6xf32>
// SGDM-NEXT: ff.param @block0.fc.weight.momentum_buffer buffer = dense<0.000000e+00> : tensor<4x6xf32>
// CHECK-NEXT: ff.param @block0.fc.bias = dense<1.000000e-01> : tensor<4xf32>
// ADAMS-NEXT: ff.param @block0.fc.bias.adam_m buffer = dense<0.000000e+00> : tensor<4xf32>
// ADAMS-NEXT: ff.param @block0.fc.bias.adam_v buffer = dense<0.000000e+00> : tensor<4xf32>
// SGDM-NEXT: ff.param @block0.fc.bias.momentum_buffer buffer = dense<0.000000e+00> : tensor<4xf32>
// Adam's bias correction counts the block's steps; SGD needs no counter.
// ADAMS-NEXT: ff.param @block0.step buffer = dense<0.000000e+00> : tensor<f32>
// CHECK-NEXT: func.func @train(%[[X:.*]]: tensor<2x6xf32> {ff.name = "input"}, %[[Y:.*]]: tensor<2xi32> {ff.name = "labels"}, %[[LR:.*]]: tensor<f32> {ff.name = "lr"}) -> (tensor<f32>, tensor<2x4xf32>)
// CHECK-NEXT: %[[B:.*]]:3 = ff.block "block0"(%[[X]], %[[Y]], %[[LR]]) : (tensor<2x6xf32>, tensor<2xi32>, tensor<f32>) -> (tensor<2x4xf32>, tensor<f32>, tensor<2x4xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: tensor<2x6xf32>, %[[L:.*]]: tensor<2xi32>, %[[BLR:.*]]: tensor<f32>):
// The forward and backward passes are unchanged, the gradients gone.
// CHECK-NEXT: %[[W:.*]] = ff.param_ref @block0.fc.weight
// CHECK-NEXT: %[[BIAS:.*]] = ff.param_ref @block0.fc.bias
// CHECK-NEXT: %[[H:.*]] = ff.linear %[[IN]], %[[W]], %[[BIAS]]
// CHECK-NEXT: %[[LOSS:.*]] = ff.margin_cross_entropy %[[H]], %[[L]]
// CHECK-NEXT: %[[DH:.*]] = ff.margin_cross_entropy_grad %[[H]], %[[L]]
// CHECK-NEXT: %[[DW0:.*]] = ff.transpose %[[DH]]
// CHECK-NEXT: %[[DW:.*]] = ff.matmul %[[DW0]], %[[IN]]
// CHECK-NEXT: %[[DB:.*]] = ff.reduce_sum %[[DH]]
// The step counter, once per block.
// ADAM-NEXT: %[[T0:.*]] = ff.param_ref @block0.step : tensor<f32>
// ADAM-NEXT: %[[ONE:.*]] = ff.constant dense<1.000000e+00> : tensor<f32>
// ADAM-NEXT: %[[T:.*]] = ff.add %[[T0]], %[[ONE]] : (tensor<f32>, tensor<f32>) -> tensor<f32>
// ADAM-NEXT: ff.param_store @block0.step, %[[T]] : tensor<f32>
// Then each update, in the order of the gradients.
// ADAM-NEXT: %[[P:.*]] = ff.param_ref @block0.fc.weight : tensor<4x6xf32>
// ADAM-NEXT: %[[M:.*]] = ff.param_ref @block0.fc.weight.adam_m : tensor<4x6xf32>
// ADAM-NEXT: %[[V:.*]] = ff.param_ref @block0.fc.weight.adam_v : tensor<4x6xf32>
// ADAM-NEXT: %[[P1:.*]], %[[M1:.*]], %[[V1:.*]] = ff.adam_step %[[P]], %[[DW]], %[[M]], %[[V]], %[[BLR]], %[[T]] : tensor<4x6xf32>, tensor<f32>
// ADAM-NEXT: ff.param_store @block0.fc.weight, %[[P1]] : tensor<4x6xf32>
// ADAM-NEXT: ff.param_store @block0.fc.weight.adam_m, %[[M1]] : tensor<4x6xf32>
// ADAM-NEXT: ff.param_store @block0.fc.weight.adam_v, %[[V1]] : tensor<4x6xf32>
// ADAM-NEXT: %[[Q:.*]] = ff.param_ref @block0.fc.bias : tensor<4xf32>
// ADAM-NEXT: %[[QM:.*]] = ff.param_ref @block0.fc.bias.adam_m : tensor<4xf32>
// ADAM-NEXT: %[[QV:.*]] = ff.param_ref @block0.fc.bias.adam_v : tensor<4xf32>
// ADAM-NEXT: %[[Q1:.*]], %[[QM1:.*]], %[[QV1:.*]] = ff.adam_step %[[Q]], %[[DB]], %[[QM]], %[[QV]], %[[BLR]], %[[T]] : tensor<4xf32>, tensor<f32>
// ADAM-NEXT: ff.param_store @block0.fc.bias, %[[Q1]] : tensor<4xf32>
// ADAM-NEXT: ff.param_store @block0.fc.bias.adam_m, %[[QM1]] : tensor<4xf32>
// ADAM-NEXT: ff.param_store @block0.fc.bias.adam_v, %[[QV1]] : tensor<4xf32>
// AdamW: decoupled, weight decay 0.01 by default.
// ADAMW: %[[T:.*]] = ff.add
// ADAMW-NEXT: ff.param_store @block0.step, %[[T]]
// ADAMW-NEXT: %[[P:.*]] = ff.param_ref @block0.fc.weight
// ADAMW-NEXT: %[[M:.*]] = ff.param_ref @block0.fc.weight.adam_m
// ADAMW-NEXT: %[[V:.*]] = ff.param_ref @block0.fc.weight.adam_v
// ADAMW-NEXT: ff.adam_step %[[P]], %[[DW]], %[[M]], %[[V]], %[[BLR]], %[[T]] {decoupled, weight_decay = 1.000000e-02 : f64} : tensor<4x6xf32>, tensor<f32>
// ADAMW: ff.adam_step {{.*}} {decoupled, weight_decay = 1.000000e-02 : f64} : tensor<4xf32>, tensor<f32>
// Plain sgd has no buffer.
// SGD-NEXT: %[[P:.*]] = ff.param_ref @block0.fc.weight : tensor<4x6xf32>
// SGD-NEXT: %[[P1:.*]] = ff.sgd_step %[[P]], %[[DW]], %[[BLR]] : (tensor<4x6xf32>, tensor<4x6xf32>, tensor<f32>) -> tensor<4x6xf32>
// SGD-NEXT: ff.param_store @block0.fc.weight, %[[P1]] : tensor<4x6xf32>
// SGD-NEXT: %[[Q:.*]] = ff.param_ref @block0.fc.bias : tensor<4xf32>
// SGD-NEXT: %[[Q1:.*]] = ff.sgd_step %[[Q]], %[[DB]], %[[BLR]] : (tensor<4xf32>, tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
// SGD-NEXT: ff.param_store @block0.fc.bias, %[[Q1]] : tensor<4xf32>
// SGD with Nesterov momentum and weight decay: the buffer is state.
// SGDM-NEXT: %[[P:.*]] = ff.param_ref @block0.fc.weight : tensor<4x6xf32>
// SGDM-NEXT: %[[BUF:.*]] = ff.param_ref @block0.fc.weight.momentum_buffer : tensor<4x6xf32>
// SGDM-NEXT: %[[P1:.*]], %[[BUF1:.*]] = ff.sgd_step %[[P]], %[[DW]], %[[BLR]], %[[BUF]] {momentum = 9.000000e-01 : f64, nesterov, weight_decay = 5.000000e-04 : f64} : (tensor<4x6xf32>, tensor<4x6xf32>, tensor<f32>, tensor<4x6xf32>) -> (tensor<4x6xf32>, tensor<4x6xf32>)
// SGDM-NEXT: ff.param_store @block0.fc.weight, %[[P1]] : tensor<4x6xf32>
// SGDM-NEXT: ff.param_store @block0.fc.weight.momentum_buffer, %[[BUF1]] : tensor<4x6xf32>
// SGDM-NEXT: %[[Q:.*]] = ff.param_ref @block0.fc.bias : tensor<4xf32>
// SGDM-NEXT: %[[QB:.*]] = ff.param_ref @block0.fc.bias.momentum_buffer : tensor<4xf32>
// SGDM-NEXT: %[[Q1:.*]], %[[QB1:.*]] = ff.sgd_step %[[Q]], %[[DB]], %[[BLR]], %[[QB]] {momentum = 9.000000e-01 : f64, nesterov, weight_decay = 5.000000e-04 : f64}
// SGDM-NEXT: ff.param_store @block0.fc.bias, %[[Q1]] : tensor<4xf32>
// SGDM-NEXT: ff.param_store @block0.fc.bias.momentum_buffer, %[[QB1]] : tensor<4xf32>
// The updates come last, just before the yield.
// CHECK-NOT: ff.param_grad
// CHECK: ff.yield %[[H]], %[[LOSS]], %[[H]] : tensor<2x4xf32>, tensor<f32>, tensor<2x4xf32>
// CHECK-NEXT: }
// CHECK-NEXT: return %[[B]]#1, %[[B]]#2
// The inference program is untouched.
// CHECK-LABEL: func.func @infer(%{{.*}}: tensor<2x6xf32>) -> tensor<2x4xf32>
// CHECK-NEXT: ff.param_ref @block0.fc.weight
// CHECK-NEXT: ff.param_ref @block0.fc.bias
// CHECK-NEXT: ff.linear
// CHECK-NEXT: return
ff.param @block0.fc.weight = dense<0.5> : tensor<4x6xf32>
ff.param @block0.fc.bias = dense<0.1> : tensor<4xf32>
func.func @train(%x: tensor<2x6xf32> {ff.name = "input"}, %y: tensor<2xi32> {ff.name = "labels"}) -> (tensor<f32>, tensor<2x4xf32>) {
  %h, %loss, %scores = ff.block "block0" (%x, %y) : (tensor<2x6xf32>, tensor<2xi32>) -> (tensor<2x4xf32>, tensor<f32>, tensor<2x4xf32>) {
  ^bb0(%in: tensor<2x6xf32>, %labels: tensor<2xi32>):
    %w = ff.param_ref @block0.fc.weight : tensor<4x6xf32>
    %b = ff.param_ref @block0.fc.bias : tensor<4xf32>
    %z = ff.linear %in, %w, %b : (tensor<2x6xf32>, tensor<4x6xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    %l = ff.margin_cross_entropy %z, %labels : (tensor<2x4xf32>, tensor<2xi32>) -> tensor<f32>
    %dz = ff.margin_cross_entropy_grad %z, %labels : tensor<2x4xf32>, tensor<2xi32>
    %dzt = ff.transpose %dz {permutation = array<i64: 1, 0>} : (tensor<2x4xf32>) -> tensor<4x2xf32>
    %dw = ff.matmul %dzt, %in : (tensor<4x2xf32>, tensor<2x6xf32>) -> tensor<4x6xf32>
    ff.param_grad @block0.fc.weight, %dw : tensor<4x6xf32>
    %db = ff.reduce_sum %dz {axes = array<i64: 0>} : (tensor<2x4xf32>) -> tensor<4xf32>
    ff.param_grad @block0.fc.bias, %db : tensor<4xf32>
    ff.yield %z, %l, %z : tensor<2x4xf32>, tensor<f32>, tensor<2x4xf32>
  }
  return %loss, %scores : tensor<f32>, tensor<2x4xf32>
}
func.func @infer(%x: tensor<2x6xf32>) -> tensor<2x4xf32> {
  %w = ff.param_ref @block0.fc.weight : tensor<4x6xf32>
  %b = ff.param_ref @block0.fc.bias : tensor<4xf32>
  %z = ff.linear %x, %w, %b : (tensor<2x6xf32>, tensor<4x6xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %z : tensor<2x4xf32>
}

// -----

// Two blocks: each has its own state and step counter and reads the same
// learning rate; a block without parameters gets the learning rate only.
// CHECK: ff.param @block0.w = dense<1.000000e+00> : tensor<4x6xf32>
// ADAMS-NEXT: ff.param @block0.w.adam_m buffer
// ADAMS-NEXT: ff.param @block0.w.adam_v buffer
// SGDM-NEXT: ff.param @block0.w.momentum_buffer buffer
// CHECK-NEXT: ff.param @block1.w = dense<2.000000e+00> : tensor<3x4xf32>
// ADAMS-NEXT: ff.param @block1.w.adam_m buffer = dense<0.000000e+00> : tensor<3x4xf32>
// ADAMS-NEXT: ff.param @block1.w.adam_v buffer = dense<0.000000e+00> : tensor<3x4xf32>
// SGDM-NEXT: ff.param @block1.w.momentum_buffer buffer = dense<0.000000e+00> : tensor<3x4xf32>
// ADAMS-NEXT: ff.param @block0.step buffer = dense<0.000000e+00> : tensor<f32>
// ADAMS-NEXT: ff.param @block1.step buffer = dense<0.000000e+00> : tensor<f32>
// ADAMS-NOT: ff.param @sink.step
// CHECK-LABEL: func.func @train
// CHECK-SAME: %[[LR:[^:]*]]: tensor<f32> {ff.name = "lr"})
// CHECK: %[[B0:.*]]:3 = ff.block "block0"(%{{.*}}, %{{.*}}, %[[LR]]) : (tensor<2x6xf32>, tensor<2xi32>, tensor<f32>)
// CHECK-NEXT: ^bb0(%{{.*}}: tensor<2x6xf32>, %{{.*}}: tensor<2xi32>, %[[LR0:.*]]: tensor<f32>):
// ADAMS: %[[S0:.*]] = ff.param_ref @block0.step
// ADAMS: %[[T0:.*]] = ff.add %[[S0]]
// ADAMS-NEXT: ff.param_store @block0.step, %[[T0]]
// ADAM: ff.adam_step %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[LR0]], %[[T0]] : tensor<4x6xf32>, tensor<f32>
// ADAMW: ff.adam_step %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[LR0]], %[[T0]] {decoupled, weight_decay = 1.000000e-02 : f64} : tensor<4x6xf32>, tensor<f32>
// SGD: ff.sgd_step %{{.*}}, %{{.*}}, %[[LR0]] : (tensor<4x6xf32>,
// SGDM: ff.param_ref @block0.w.momentum_buffer
// SGDM: ff.sgd_step %{{.*}}, %{{.*}}, %[[LR0]], %{{.*}} {momentum = 9.000000e-01 : f64, nesterov, weight_decay = 5.000000e-04 : f64} : (tensor<4x6xf32>,
// CHECK: ff.yield
// CHECK: %[[N:.*]] = ff.layer_norm %[[B0]]#0
// CHECK: %[[D:.*]] = ff.stop_gradient %[[N]]
// CHECK: %[[B1:.*]]:3 = ff.block "block1"(%[[D]], %{{.*}}, %[[LR]]) : (tensor<2x4xf32>, tensor<2xi32>, tensor<f32>)
// CHECK-NEXT: ^bb0(%{{.*}}: tensor<2x4xf32>, %{{.*}}: tensor<2xi32>, %[[LR1:.*]]: tensor<f32>):
// ADAMS: %[[S1:.*]] = ff.param_ref @block1.step
// ADAMS: %[[T1:.*]] = ff.add %[[S1]]
// ADAMS-NEXT: ff.param_store @block1.step, %[[T1]]
// ADAM: ff.adam_step %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[LR1]], %[[T1]] : tensor<3x4xf32>, tensor<f32>
// ADAMW: ff.adam_step %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[LR1]], %[[T1]] {decoupled, weight_decay = 1.000000e-02 : f64} : tensor<3x4xf32>, tensor<f32>
// SGD: ff.sgd_step %{{.*}}, %{{.*}}, %[[LR1]] : (tensor<3x4xf32>,
// SGDM: ff.param_ref @block1.w.momentum_buffer
// SGDM: ff.sgd_step %{{.*}}, %{{.*}}, %[[LR1]], %{{.*}} {{.*}} : (tensor<3x4xf32>,
// CHECK: ff.yield
// CHECK: ff.block "sink"(%[[B1]]#0, %[[LR]]) : (tensor<2x3xf32>, tensor<f32>) -> () {
// CHECK-NEXT: ^bb0(%{{.*}}: tensor<2x3xf32>, %{{.*}}: tensor<f32>):
// CHECK-NEXT: ff.yield
ff.param @block0.w = dense<1.0> : tensor<4x6xf32>
ff.param @block1.w = dense<2.0> : tensor<3x4xf32>
func.func @train(%x: tensor<2x6xf32>, %y: tensor<2xi32>) -> (tensor<f32>, tensor<2x4xf32>, tensor<f32>, tensor<2x3xf32>) {
  %h0, %l0, %s0 = ff.block "block0" (%x, %y) : (tensor<2x6xf32>, tensor<2xi32>) -> (tensor<2x4xf32>, tensor<f32>, tensor<2x4xf32>) {
  ^bb0(%in: tensor<2x6xf32>, %labels: tensor<2xi32>):
    %w = ff.param_ref @block0.w : tensor<4x6xf32>
    %z = ff.linear %in, %w : (tensor<2x6xf32>, tensor<4x6xf32>) -> tensor<2x4xf32>
    %l = ff.margin_cross_entropy %z, %labels : (tensor<2x4xf32>, tensor<2xi32>) -> tensor<f32>
    %dz = ff.margin_cross_entropy_grad %z, %labels : tensor<2x4xf32>, tensor<2xi32>
    %dzt = ff.transpose %dz {permutation = array<i64: 1, 0>} : (tensor<2x4xf32>) -> tensor<4x2xf32>
    %dw = ff.matmul %dzt, %in : (tensor<4x2xf32>, tensor<2x6xf32>) -> tensor<4x6xf32>
    ff.param_grad @block0.w, %dw : tensor<4x6xf32>
    ff.yield %z, %l, %z : tensor<2x4xf32>, tensor<f32>, tensor<2x4xf32>
  }
  %n = ff.layer_norm %h0 : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %d = ff.stop_gradient %n : tensor<2x4xf32>
  %h1, %l1, %s1 = ff.block "block1" (%d, %y) : (tensor<2x4xf32>, tensor<2xi32>) -> (tensor<2x3xf32>, tensor<f32>, tensor<2x3xf32>) {
  ^bb0(%in: tensor<2x4xf32>, %labels: tensor<2xi32>):
    %w = ff.param_ref @block1.w : tensor<3x4xf32>
    %z = ff.linear %in, %w : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
    %l = ff.margin_cross_entropy %z, %labels : (tensor<2x3xf32>, tensor<2xi32>) -> tensor<f32>
    %dz = ff.margin_cross_entropy_grad %z, %labels : tensor<2x3xf32>, tensor<2xi32>
    %dzt = ff.transpose %dz {permutation = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
    %dw = ff.matmul %dzt, %in : (tensor<3x2xf32>, tensor<2x4xf32>) -> tensor<3x4xf32>
    ff.param_grad @block1.w, %dw : tensor<3x4xf32>
    ff.yield %z, %l, %z : tensor<2x3xf32>, tensor<f32>, tensor<2x3xf32>
  }
  ff.block "sink" (%h1) : (tensor<2x3xf32>) -> () {
  ^bb0(%in: tensor<2x3xf32>):
    ff.yield
  }
  return %l0, %s0, %l1, %s1 : tensor<f32>, tensor<2x4xf32>, tensor<f32>, tensor<2x3xf32>
}

// -----

// A training batch norm advances its running statistics with its own
// momentum; the statistics are buffers: read by the forward pass, never
// trained, so they get no optimizer state.
// CHECK: ff.param @block0.conv.weight = dense<5.000000e-01> : tensor<4x1x3x3xf32>
// ADAMS-NEXT: ff.param @block0.conv.weight.adam_m buffer = dense<0.000000e+00> : tensor<4x1x3x3xf32>
// ADAMS-NEXT: ff.param @block0.conv.weight.adam_v buffer = dense<0.000000e+00> : tensor<4x1x3x3xf32>
// SGDM-NEXT: ff.param @block0.conv.weight.momentum_buffer buffer
// CHECK-NEXT: ff.param @block0.bn.weight = dense<1.000000e+00> : tensor<4xf32>
// ADAMS-NEXT: ff.param @block0.bn.weight.adam_m buffer
// ADAMS-NEXT: ff.param @block0.bn.weight.adam_v buffer
// SGDM-NEXT: ff.param @block0.bn.weight.momentum_buffer buffer
// CHECK-NEXT: ff.param @block0.bn.bias = dense<0.000000e+00> : tensor<4xf32>
// ADAMS-NEXT: ff.param @block0.bn.bias.adam_m buffer
// ADAMS-NEXT: ff.param @block0.bn.bias.adam_v buffer
// SGDM-NEXT: ff.param @block0.bn.bias.momentum_buffer buffer
// CHECK-NEXT: ff.param @block0.bn.running_mean buffer = dense<0.000000e+00> : tensor<4xf32>
// CHECK-NEXT: ff.param @block0.bn.running_var buffer = dense<1.000000e+00> : tensor<4xf32>
// ADAMS-NEXT: ff.param @block0.step buffer
// CHECK-LABEL: func.func @train
// CHECK: %[[RM:.*]] = ff.param_ref @block0.bn.running_mean
// CHECK-NEXT: %[[RV:.*]] = ff.param_ref @block0.bn.running_var
// CHECK-NEXT: %[[C:.*]] = ff.conv2d
// CHECK-NEXT: %[[N:.*]] = ff.batch_norm %[[C]], %{{.*}}, %{{.*}}, %[[RM]], %[[RV]] {momentum = 5.000000e-01 : f64, training}
// The statistics are updated after the parameters, from the batch norm's input
// and the values it read.
// CHECK: ff.param_store @block0.conv.weight,
// CHECK-NOT: ff.param_grad
// CHECK: %[[NM:.*]], %[[NV:.*]] = ff.batch_norm_stats_update %[[C]], %[[RM]], %[[RV]] {momentum = 5.000000e-01 : f64} : tensor<8x4x8x8xf32>, tensor<4xf32>
// CHECK-NEXT: ff.param_store @block0.bn.running_mean, %[[NM]] : tensor<4xf32>
// CHECK-NEXT: ff.param_store @block0.bn.running_var, %[[NV]] : tensor<4xf32>
// CHECK-NEXT: ff.yield %[[N]],
ff.param @block0.conv.weight = dense<0.5> : tensor<4x1x3x3xf32>
ff.param @block0.bn.weight = dense<1.0> : tensor<4xf32>
ff.param @block0.bn.bias = dense<0.0> : tensor<4xf32>
ff.param @block0.bn.running_mean buffer = dense<0.0> : tensor<4xf32>
ff.param @block0.bn.running_var buffer = dense<1.0> : tensor<4xf32>
func.func @train(%x: tensor<8x1x8x8xf32>, %y: tensor<8xi32>) -> (tensor<f32>, tensor<8x4xf32>) {
  %h, %loss, %scores = ff.block "block0" (%x, %y) : (tensor<8x1x8x8xf32>, tensor<8xi32>) -> (tensor<8x4x8x8xf32>, tensor<f32>, tensor<8x4xf32>) {
  ^bb0(%in: tensor<8x1x8x8xf32>, %labels: tensor<8xi32>):
    %w = ff.param_ref @block0.conv.weight : tensor<4x1x3x3xf32>
    %s = ff.param_ref @block0.bn.weight : tensor<4xf32>
    %b = ff.param_ref @block0.bn.bias : tensor<4xf32>
    %rm = ff.param_ref @block0.bn.running_mean : tensor<4xf32>
    %rv = ff.param_ref @block0.bn.running_var : tensor<4xf32>
    %c = ff.conv2d %in, %w {padding = array<i64: 1, 1, 1, 1>} : (tensor<8x1x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<8x4x8x8xf32>
    %n = ff.batch_norm %c, %s, %b, %rm, %rv {training, momentum = 0.5 : f64} : (tensor<8x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<8x4x8x8xf32>
    %g = ff.goodness %n {groups = 4 : i64} : (tensor<8x4x8x8xf32>) -> tensor<8x4xf32>
    %l = ff.margin_cross_entropy %g, %labels : (tensor<8x4xf32>, tensor<8xi32>) -> tensor<f32>
    %dg = ff.margin_cross_entropy_grad %g, %labels : tensor<8x4xf32>, tensor<8xi32>
    %dn = ff.goodness_grad %n, %dg {groups = 4 : i64} : (tensor<8x4x8x8xf32>, tensor<8x4xf32>) -> tensor<8x4x8x8xf32>
    %dc, %ds, %db = ff.batch_norm_grad %c, %dn, %s, %rm, %rv {training} : (tensor<8x4x8x8xf32>, tensor<8x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<8x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>)
    ff.param_grad @block0.bn.weight, %ds : tensor<4xf32>
    ff.param_grad @block0.bn.bias, %db : tensor<4xf32>
    %dw = ff.conv2d_grad_weight %in, %dc {padding = array<i64: 1, 1, 1, 1>} : (tensor<8x1x8x8xf32>, tensor<8x4x8x8xf32>) -> tensor<4x1x3x3xf32>
    ff.param_grad @block0.conv.weight, %dw : tensor<4x1x3x3xf32>
    ff.yield %n, %l, %g : tensor<8x4x8x8xf32>, tensor<f32>, tensor<8x4xf32>
  }
  return %loss, %scores : tensor<f32>, tensor<8x4xf32>
}

// -----

// Which batch norms update statistics: a batch norm applied twice with the
// same buffers advances them twice, in program order (as PyTorch does); an
// inference-mode batch norm, and one whose statistics are not buffer params,
// update nothing.
// CHECK-LABEL: func.func @train
// CHECK: %[[RM:.*]] = ff.param_ref @bn.running_mean
// CHECK-NEXT: %[[RV:.*]] = ff.param_ref @bn.running_var
// CHECK-NEXT: %[[N1:.*]] = ff.batch_norm %[[IN:[^,]*]], {{.*}} {training}
// CHECK-NEXT: %[[N2:.*]] = ff.batch_norm %[[N1]], {{.*}} {training}
// CHECK-NEXT: %[[N3:.*]] = ff.batch_norm %[[N2]], {{.*}} :
// CHECK-NEXT: %[[K:.*]] = ff.constant
// CHECK-NEXT: %[[N4:.*]] = ff.batch_norm %[[N3]], %{{.*}}, %{{.*}}, %[[K]], %[[K]] {training}
// CHECK: ff.param_store @w,
// CHECK-NOT: ff.batch_norm_stats_update
// CHECK: %[[M1:.*]], %[[V1:.*]] = ff.batch_norm_stats_update %[[IN]], %[[RM]], %[[RV]] :
// CHECK-NEXT: %[[M2:.*]], %[[V2:.*]] = ff.batch_norm_stats_update %[[N1]], %[[M1]], %[[V1]] :
// CHECK-NEXT: ff.param_store @bn.running_mean, %[[M2]]
// CHECK-NEXT: ff.param_store @bn.running_var, %[[V2]]
// CHECK-NEXT: ff.yield
ff.param @w = dense<1.0> : tensor<4xf32>
ff.param @bn.running_mean buffer = dense<0.0> : tensor<4xf32>
ff.param @bn.running_var buffer = dense<1.0> : tensor<4xf32>
func.func @train(%x: tensor<2x4xf32>, %y: tensor<2xi32>) -> tensor<f32> {
  %l = ff.block "block0" (%x, %y) : (tensor<2x4xf32>, tensor<2xi32>) -> tensor<f32> {
  ^bb0(%in: tensor<2x4xf32>, %labels: tensor<2xi32>):
    %w = ff.param_ref @w : tensor<4xf32>
    %rm = ff.param_ref @bn.running_mean : tensor<4xf32>
    %rv = ff.param_ref @bn.running_var : tensor<4xf32>
    %n1 = ff.batch_norm %in, %w, %w, %rm, %rv {training} : (tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    %n2 = ff.batch_norm %n1, %w, %w, %rm, %rv {training} : (tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    %n3 = ff.batch_norm %n2, %w, %w, %rm, %rv : (tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    %k = ff.constant dense<1.0> : tensor<4xf32>
    %n4 = ff.batch_norm %n3, %w, %w, %k, %k {training} : (tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    %loss = ff.margin_cross_entropy %n4, %labels : (tensor<2x4xf32>, tensor<2xi32>) -> tensor<f32>
    ff.param_grad @w, %w : tensor<4xf32>
    ff.yield %loss : tensor<f32>
  }
  return %l : tensor<f32>
}
