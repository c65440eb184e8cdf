// RUN: ff-opt %s -ff-schedule 2>/dev/null | FileCheck %s

// Two trained blocks as ff-synthesize-optimizer leaves them (the backward
// and update are reduced to one ff.param_store per block here).
module attributes {ff.classes = 3 : i64} {
  ff.param @w0 = dense<0.5> : tensor<3x4xf32>
  ff.param @w1 = dense<0.5> : tensor<3x4xf32>
  func.func @train(%x: tensor<2x4xf32> {ff.name = "input"}, %y: tensor<2xi32> {ff.name = "labels"}, %lr: tensor<f32> {ff.name = "lr"}) -> (tensor<f32>, tensor<2x3xf32>, tensor<f32>, tensor<2x3xf32>) {
    %0:3 = ff.block "block0"(%x, %y, %lr) : (tensor<2x4xf32>, tensor<2xi32>, tensor<f32>) -> (tensor<2x4xf32>, tensor<f32>, tensor<2x3xf32>) {
    ^bb0(%in: tensor<2x4xf32>, %l: tensor<2xi32>, %r: tensor<f32>):
      %w = ff.param_ref @w0 : tensor<3x4xf32>
      %s = ff.linear %in, %w : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
      %loss = ff.margin_cross_entropy %s, %l : (tensor<2x3xf32>, tensor<2xi32>) -> tensor<f32>
      ff.param_store @w0, %w : tensor<3x4xf32>
      ff.yield %in, %loss, %s : tensor<2x4xf32>, tensor<f32>, tensor<2x3xf32>
    }
    %1 = ff.layer_norm %0#0 : (tensor<2x4xf32>) -> tensor<2x4xf32>
    %2 = ff.stop_gradient %1 : tensor<2x4xf32>
    %3:3 = ff.block "block1"(%2, %y, %lr) : (tensor<2x4xf32>, tensor<2xi32>, tensor<f32>) -> (tensor<2x4xf32>, tensor<f32>, tensor<2x3xf32>) {
    ^bb0(%in: tensor<2x4xf32>, %l: tensor<2xi32>, %r: tensor<f32>):
      %w = ff.param_ref @w1 : tensor<3x4xf32>
      %s = ff.linear %in, %w : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
      %loss = ff.margin_cross_entropy %s, %l : (tensor<2x3xf32>, tensor<2xi32>) -> tensor<f32>
      ff.param_store @w1, %w : tensor<3x4xf32>
      ff.yield %in, %loss, %s : tensor<2x4xf32>, tensor<f32>, tensor<2x3xf32>
    }
    return %0#1, %0#2, %3#1, %3#2 : tensor<f32>, tensor<2x3xf32>, tensor<f32>, tensor<2x3xf32>
  }
  func.func @infer(%x: tensor<2x4xf32> {ff.name = "input"}) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
    %0:2 = ff.block "block0"(%x) : (tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x3xf32>) {
    ^bb0(%in: tensor<2x4xf32>):
      %w = ff.param_ref @w0 : tensor<3x4xf32>
      %s = ff.linear %in, %w : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
      ff.yield %in, %s : tensor<2x4xf32>, tensor<2x3xf32>
    }
    %1 = ff.layer_norm %0#0 : (tensor<2x4xf32>) -> tensor<2x4xf32>
    %2 = ff.stop_gradient %1 : tensor<2x4xf32>
    %3:2 = ff.block "block1"(%2) : (tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x3xf32>) {
    ^bb0(%in: tensor<2x4xf32>):
      %w = ff.param_ref @w1 : tensor<3x4xf32>
      %s = ff.linear %in, %w : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
      ff.yield %in, %s : tensor<2x4xf32>, tensor<2x3xf32>
    }
    %v = ff.vote %0#1, %3#1 {softmax} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
    return %v, %0#1, %3#1 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
  }
}
// CHECK: module attributes {ff.classes = 3 : i64, ff.programs = ["train_step", "eval_step", "predict"]}
// The training step: block by block, then the correct count of each block.
// CHECK-LABEL: func.func @train_step
// CHECK-SAME: (%{{.*}}: tensor<2x4xf32> {ff.name = "input"}, %[[Y:.*]]: tensor<2xi32> {ff.name = "labels"}, %{{.*}}: tensor<f32> {ff.name = "lr"})
// CHECK-SAME: -> (tensor<f32> {ff.name = "loss0"}, tensor<f32> {ff.name = "loss1"}, tensor<i32> {ff.name = "correct0"}, tensor<i32> {ff.name = "correct1"})
// CHECK: %[[B0:.*]]:3 = ff.block "block0"
// CHECK: ff.param_store @w0
// CHECK: %[[B1:.*]]:3 = ff.block "block1"
// CHECK: ff.param_store @w1
// CHECK: %[[C0:.*]] = ff.count_correct %[[B0]]#2, %[[Y]]
// CHECK: %[[C1:.*]] = ff.count_correct %[[B1]]#2, %[[Y]]
// CHECK: return %[[B0]]#1, %[[B1]]#1, %[[C0]], %[[C1]]
// Evaluation: the vote of all blocks (with the configured softmax), the last
// block's vote, and every block.
// CHECK-LABEL: func.func @eval_step
// CHECK-SAME: (%{{.*}}: tensor<2x4xf32> {ff.name = "input"}, %[[EY:.*]]: tensor<2xi32> {ff.name = "labels"})
// CHECK-SAME: -> (tensor<i32> {ff.name = "correct_all"}, tensor<i32> {ff.name = "correct_last"}, tensor<i32> {ff.name = "correct0"}, tensor<i32> {ff.name = "correct1"})
// CHECK: %[[E0:.*]]:2 = ff.block "block0"
// CHECK: %[[E1:.*]]:2 = ff.block "block1"
// CHECK-NOT: ff.param_store
// CHECK: %[[ALL:.*]] = ff.vote %[[E0]]#1, %[[E1]]#1 {softmax}
// CHECK: %[[CA:.*]] = ff.count_correct %[[ALL]], %[[EY]]
// CHECK: %[[CL:.*]] = ff.count_correct %[[E1]]#1, %[[EY]]
// CHECK: %[[CB0:.*]] = ff.count_correct %[[E0]]#1, %[[EY]]
// CHECK: %[[CB1:.*]] = ff.count_correct %[[E1]]#1, %[[EY]]
// CHECK: return %[[CA]], %[[CL]], %[[CB0]], %[[CB1]]

// The prediction program: the configured vote only.
// CHECK-LABEL: func.func @predict
// CHECK-SAME: (%{{.*}}: tensor<2x4xf32> {ff.name = "input"}) -> (tensor<2x3xf32> {ff.name = "vote"})
// CHECK: %[[P0:.*]]:2 = ff.block "block0"
// CHECK: %[[P1:.*]]:2 = ff.block "block1"
// CHECK: %[[V:.*]] = ff.vote %[[P0]]#1, %[[P1]]#1 {softmax}
// CHECK: return %[[V]] : tensor<2x3xf32>

