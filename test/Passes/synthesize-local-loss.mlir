// RUN: ff-opt %s -ff-synthesize-local-loss | FileCheck %s --check-prefix=SFF
// RUN: ff-opt %s -ff-synthesize-local-loss="margin=0.5 aux-kernel=3 vote=last vote-softmax=true" | FileCheck %s --check-prefix=OPTS
// RUN: ff-opt %s -ff-synthesize-local-loss="norm=none" | FileCheck %s --check-prefix=NONORM
// RUN: ff-opt %s -ff-synthesize-local-loss="aux-input=post" | FileCheck %s --check-prefix=POST
// RUN: ff-opt %s -ff-synthesize-local-loss="norm=channel" | FileCheck %s --check-prefix=CHANNEL
// RUN: ff-opt %s -ff-synthesize-local-loss="loss=cwcomp classes=4" | FileCheck %s --check-prefix=CWCOMP
// RUN: ff-opt %s -ff-synthesize-local-loss="loss=bp" | FileCheck %s --check-prefix=BP

// Two blocks as ff-partition-blocks leaves them; the model had 10 classes.
module attributes {ff.classes = 10 : i64} {
  ff.param @c1.w = dense<0.1> : tensor<8x1x3x3xf32>
  ff.param @bn.s = dense<1.0> : tensor<8xf32>
  ff.param @c2.w = dense<0.1> : tensor<8x8x3x3xf32>
  func.func @forward(%x: tensor<2x1x8x8xf32> {ff.name = "input"}) -> (tensor<2x8x4x4xf32> {ff.name = "features"}) {
    %0 = ff.block "block0"(%x) : (tensor<2x1x8x8xf32>) -> tensor<2x8x8x8xf32> {
    ^bb0(%in: tensor<2x1x8x8xf32>):
      %w = ff.param_ref @c1.w : tensor<8x1x3x3xf32>
      %s = ff.param_ref @bn.s : tensor<8xf32>
      %c = ff.conv2d %in, %w {padding = array<i64: 1, 1, 1, 1>} : (tensor<2x1x8x8xf32>, tensor<8x1x3x3xf32>) -> tensor<2x8x8x8xf32>
      %b = ff.batch_norm %c, %s, %s, %s, %s : (tensor<2x8x8x8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x8x8x8xf32>
      %r = ff.relu %b : tensor<2x8x8x8xf32>
      ff.yield %r : tensor<2x8x8x8xf32>
    }
    %1 = ff.block "block1"(%0) : (tensor<2x8x8x8xf32>) -> tensor<2x8x4x4xf32> {
    ^bb0(%in: tensor<2x8x8x8xf32>):
      %w = ff.param_ref @c2.w : tensor<8x8x3x3xf32>
      %c = ff.conv2d %in, %w {padding = array<i64: 1, 1, 1, 1>} : (tensor<2x8x8x8xf32>, tensor<8x8x3x3xf32>) -> tensor<2x8x8x8xf32>
      %d = ff.dropout %c {ratio = 0.1 : f64} : tensor<2x8x8x8xf32>
      %p = ff.max_pool2d %d {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<2x8x8x8xf32>) -> tensor<2x8x4x4xf32>
      ff.yield %p : tensor<2x8x4x4xf32>
    }
    return %1 : tensor<2x8x4x4xf32>
  }
}

// The sff loss: one auxiliary 1x1 conv per block with K = 10 outputs and its own
// parameters, goodness, cross-entropy; layer norm and stop-gradient between
// blocks; batch norms train on batch statistics; the vote of all blocks.
// SFF: ff.loss = {aux_input = "pre", aux_kernel = 1 : i64, loss = "sff", margin = 0.000000e+00 : f64, norm = "layer", vote = "all", vote_softmax = false}
// SFF-DAG: ff.param @block0.aux.weight = dense_resource<block0.aux.weight> : tensor<10x8x1x1xf32>
// SFF-DAG: ff.param @block0.aux.bias = dense_resource<block0.aux.bias> : tensor<10xf32>
// SFF-DAG: ff.param @block1.aux.weight = dense_resource<block1.aux.weight> : tensor<10x8x1x1xf32>
// SFF-DAG: ff.param @block1.aux.bias = dense_resource<block1.aux.bias> : tensor<10xf32>
// SFF-LABEL: func.func @infer
// SFF-SAME: (%[[X:.*]]: tensor<2x1x8x8xf32> {ff.name = "input"}) -> (tensor<2x10xf32> {ff.name = "vote"}, tensor<2x10xf32> {ff.name = "scores0"}, tensor<2x10xf32> {ff.name = "scores1"})
// SFF: %[[B0:.*]]:2 = ff.block "block0"(%[[X]]) : (tensor<2x1x8x8xf32>) -> (tensor<2x8x8x8xf32>, tensor<2x10xf32>)
// SFF-NOT: training
// SFF: ff.relu
// SFF: %[[Z:.*]] = ff.conv2d %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x8x8x8xf32>, tensor<10x8x1x1xf32>, tensor<10xf32>) -> tensor<2x10x8x8xf32>
// SFF: %[[G:.*]] = ff.goodness %[[Z]] {groups = 10 : i64} : (tensor<2x10x8x8xf32>) -> tensor<2x10xf32>
// SFF-NOT: ff.margin_cross_entropy
// SFF: ff.yield %{{.*}}, %[[G]]
// SFF: %[[N:.*]] = ff.layer_norm %[[B0]]#0 : (tensor<2x8x8x8xf32>) -> tensor<2x8x8x8xf32>
// SFF: %[[S:.*]] = ff.stop_gradient %[[N]]
// SFF: %[[B1:.*]]:2 = ff.block "block1"(%[[S]])
// Dropout is the identity when predicting.
// SFF-NOT: ff.dropout
// SFF: ff.yield
// SFF: %[[V:.*]] = ff.vote %[[B0]]#1, %[[B1]]#1 : (tensor<2x10xf32>, tensor<2x10xf32>) -> tensor<2x10xf32>
// SFF: return %[[V]], %[[B0]]#1, %[[B1]]#1
// SFF-LABEL: func.func @train
// SFF-SAME: (%[[TX:.*]]: tensor<2x1x8x8xf32> {ff.name = "input"}, %[[Y:.*]]: tensor<2xi32> {ff.name = "labels"}) -> (tensor<f32> {ff.name = "loss0"}, tensor<2x10xf32> {ff.name = "scores0"}, tensor<f32> {ff.name = "loss1"}, tensor<2x10xf32> {ff.name = "scores1"})
// SFF: %[[T0:.*]]:3 = ff.block "block0"(%[[TX]], %[[Y]]) : (tensor<2x1x8x8xf32>, tensor<2xi32>) -> (tensor<2x8x8x8xf32>, tensor<f32>, tensor<2x10xf32>)
// SFF-NEXT: ^bb0(%{{.*}}: tensor<2x1x8x8xf32>, %[[L:.*]]: tensor<2xi32>):
// SFF: ff.batch_norm {{.*}} {training}
// SFF: %[[TG:.*]] = ff.goodness
// SFF: %[[LOSS:.*]] = ff.margin_cross_entropy %[[TG]], %[[L]] : (tensor<2x10xf32>, tensor<2xi32>) -> tensor<f32>
// SFF: ff.yield %{{.*}}, %[[LOSS]], %[[TG]] : tensor<2x8x8x8xf32>, tensor<f32>, tensor<2x10xf32>
// SFF: ff.layer_norm %[[T0]]#0
// SFF: ff.stop_gradient
// SFF: %[[T1:.*]]:3 = ff.block "block1"(%{{.*}}, %[[Y]])
// SFF: ff.dropout
// SFF: return %[[T0]]#1, %[[T0]]#2, %[[T1]]#1, %[[T1]]#2

// OPTS: ff.param @block0.aux.weight = dense_resource<block0.aux.weight> : tensor<10x8x3x3xf32>
// OPTS-LABEL: func.func @infer
// OPTS: ff.conv2d {{.*}} {padding = array<i64: 1, 1, 1, 1>} : (tensor<2x8x8x8xf32>, tensor<10x8x3x3xf32>, tensor<10xf32>) -> tensor<2x10x8x8xf32>
// OPTS: ff.vote %{{.*}}, %{{.*}} {last, softmax}
// OPTS-LABEL: func.func @train
// OPTS: ff.margin_cross_entropy {{.*}} {margin = 5.000000e-01 : f64}

// Without normalisation the next block reads the detached output itself.
// NONORM-LABEL: func.func @infer
// NONORM-NOT: ff.layer_norm
// NONORM: ff.stop_gradient %{{.*}}#0
// NONORM-NEXT: ff.block "block1"

// With aux-input=post the head reads the normalised output.
// POST-LABEL: func.func @infer
// POST: %[[R:.*]] = ff.relu
// POST-NEXT: %[[N:.*]] = ff.layer_norm %[[R]]
// POST: ff.conv2d %[[N]]
// POST: ff.yield %[[R]]

// Normalisation over channels only: C moved last and back.
// CHANNEL-LABEL: func.func @infer
// CHANNEL: %[[T:.*]] = ff.transpose %{{.*}}#0 {permutation = array<i64: 0, 2, 3, 1>} : (tensor<2x8x8x8xf32>) -> tensor<2x8x8x8xf32>
// CHANNEL-NEXT: %[[N:.*]] = ff.layer_norm %[[T]] {axis = 3 : i64}
// CHANNEL-NEXT: %[[B:.*]] = ff.transpose %[[N]] {permutation = array<i64: 0, 3, 1, 2>}
// CHANNEL-NEXT: ff.stop_gradient %[[B]]

// CwComp: the goodness of 4 groups of the block's own 8 channels, no head params.
// CWCOMP-NOT: aux.weight
// CWCOMP-LABEL: func.func @train
// CWCOMP: ff.relu
// CWCOMP-NEXT: %[[G:.*]] = ff.goodness %{{.*}} {groups = 4 : i64} : (tensor<2x8x8x8xf32>) -> tensor<2x4xf32>
// CWCOMP-NEXT: ff.margin_cross_entropy %[[G]]

// The bp head: global average pool, flatten, linear to K, cross-entropy.
// BP: ff.param @block0.head.weight = dense_resource<block0.head.weight> : tensor<10x8xf32>
// BP-LABEL: func.func @train
// BP: ff.relu
// BP: %[[P:.*]] = ff.global_avg_pool
// BP-NEXT: %[[F:.*]] = ff.flatten %[[P]]
// BP-NEXT: ff.param_ref @block0.head.weight
// BP-NEXT: ff.param_ref @block0.head.bias
// BP-NEXT: %[[LOGITS:.*]] = ff.linear %[[F]]
// BP-NEXT: ff.margin_cross_entropy %[[LOGITS]]
