// Loss 'ff' (Hinton's Forward-Forward) on a two-layer MLP: label-in-input
// positives and wrong-label negatives as one batch of 2N in @train, every
// label hypothesis as one batch of K*N in @infer; every op of a block is
// re-typed for the larger batch (the reshape with a static batch included).
// RUN: ff-opt %s -split-input-file -ff-synthesize-local-loss="loss=ff" | FileCheck %s --check-prefix=TRAIN
// RUN: ff-opt %s -split-input-file -ff-synthesize-local-loss="loss=ff" | FileCheck %s --check-prefix=INFER
// RUN: ff-opt %s -split-input-file -ff-synthesize-local-loss="loss=ff threshold=1.5 goodness=sum label-scale=2.0 vote=last" | FileCheck %s --check-prefix=OPTS
// The result is a valid training input for autodiff (rules for every op the
// loss adds: goodness, slice, threshold_loss).
// RUN: ff-opt %s -split-input-file -ff-synthesize-local-loss="loss=ff" -ff-differentiate-blocks | FileCheck %s --check-prefix=GRAD

// TRAIN: ff.loss = {{{.*}}goodness = "mean", label_scale = 1.000000e+00 : f64, loss = "ff"{{.*}}theta = 2.000000e+00 : f64
// TRAIN-LABEL: func.func @train(
// TRAIN-SAME: tensor<2x1x4x4xf32> {ff.name = "input"}, %{{.*}}: tensor<2xi32> {ff.name = "labels"})
// TRAIN: ff.block "block0"(%{{.*}}, %{{.*}}) {{.*}}: (tensor<2x1x4x4xf32>, tensor<2xi32>) -> (tensor<4x8xf32>, tensor<f32>, tensor<2x3xf32>)
// TRAIN-NEXT: ^bb0(%[[X:.*]]: tensor<2x1x4x4xf32>, %[[Y:.*]]: tensor<2xi32>):
// TRAIN-NEXT: %[[POS:.*]] = ff.embed_label %[[X]], %[[Y]] {classes = 3 : i64} : tensor<2x1x4x4xf32>, tensor<2xi32>
// TRAIN-NEXT: %[[SHIFT:.*]] = ff.random_label_shift {classes = 3 : i64} : tensor<2xi32>
// TRAIN-NEXT: %[[NEG:.*]] = ff.embed_label %[[X]], %[[Y]] shift %[[SHIFT]] : tensor<2xi32> {classes = 3 : i64}
// TRAIN-NEXT: %[[BOTH:.*]] = ff.concat %[[POS]], %[[NEG]] {axis = 0 : i64} : (tensor<2x1x4x4xf32>, tensor<2x1x4x4xf32>) -> tensor<4x1x4x4xf32>
// TRAIN: ff.reshape %[[BOTH]] : (tensor<4x1x4x4xf32>) -> tensor<4x16xf32>
// TRAIN: ff.linear {{.*}} -> tensor<4x8xf32>
// TRAIN-NEXT: %[[H:.*]] = ff.relu %{{.*}} : tensor<4x8xf32>
// TRAIN-NEXT: %[[G:.*]] = ff.goodness %[[H]] {groups = 1 : i64} : (tensor<4x8xf32>) -> tensor<4x1xf32>
// TRAIN-NEXT: %[[GP:.*]] = ff.slice %[[G]] {offsets = array<i64: 0, 0>} : (tensor<4x1xf32>) -> tensor<2x1xf32>
// TRAIN-NEXT: %[[GN:.*]] = ff.slice %[[G]] {offsets = array<i64: 2, 0>} : (tensor<4x1xf32>) -> tensor<2x1xf32>
// TRAIN-NEXT: %[[L:.*]] = ff.threshold_loss %[[GP]], %[[GN]] : (tensor<2x1xf32>, tensor<2x1xf32>) -> tensor<f32>
// The training metric: onehot(label) * (g_pos - g_neg).
// TRAIN-NEXT: %[[Z:.*]] = ff.constant dense<0.000000e+00> : tensor<2x3xf32>
// TRAIN-NEXT: %[[OH:.*]] = ff.embed_label %[[Z]], %[[Y]] {classes = 3 : i64} : tensor<2x3xf32>, tensor<2xi32>
// TRAIN-NEXT: %[[D:.*]] = ff.sub %[[GP]], %[[GN]]
// TRAIN-NEXT: %[[S:.*]] = ff.mul %[[OH]], %[[D]] : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x3xf32>
// TRAIN-NEXT: ff.yield %[[H]], %[[L]], %[[S]] : tensor<4x8xf32>, tensor<f32>, tensor<2x3xf32>
// TRAIN: %[[N:.*]] = ff.layer_norm %{{.*}} : (tensor<4x8xf32>) -> tensor<4x8xf32>
// TRAIN-NEXT: %[[SG:.*]] = ff.stop_gradient %[[N]] : tensor<4x8xf32>
// TRAIN-NEXT: ff.block "block1"(%[[SG]], %{{.*}}) {{.*}}: (tensor<4x8xf32>, tensor<2xi32>) -> (tensor<4x8xf32>, tensor<f32>, tensor<2x3xf32>)
// TRAIN-NEXT: ^bb0(%{{.*}}: tensor<4x8xf32>, %{{.*}}: tensor<2xi32>):
// TRAIN-NOT: ff.embed_label %{{.*}} : tensor<4x8xf32>
// TRAIN: ff.goodness %{{.*}} : (tensor<4x8xf32>) -> tensor<4x1xf32>
// TRAIN: ff.threshold_loss
// TRAIN: return {{.*}} : tensor<f32>, tensor<2x3xf32>, tensor<f32>, tensor<2x3xf32>

// INFER-LABEL: func.func @infer(%{{.*}}: tensor<2x1x4x4xf32> {ff.name = "input"})
// INFER-SAME: -> (tensor<2x3xf32> {ff.name = "vote"}, tensor<2x3xf32> {ff.name = "scores0"}, tensor<2x3xf32> {ff.name = "scores1"})
// INFER: ff.block "block0"(%{{.*}}) {{.*}}: (tensor<2x1x4x4xf32>) -> (tensor<6x8xf32>, tensor<2x3xf32>)
// INFER-NEXT: ^bb0(%[[X:.*]]: tensor<2x1x4x4xf32>):
// INFER-NEXT: %[[ALL:.*]] = ff.embed_all_labels %[[X]] {classes = 3 : i64} : (tensor<2x1x4x4xf32>) -> tensor<6x1x4x4xf32>
// INFER: ff.reshape %[[ALL]] : (tensor<6x1x4x4xf32>) -> tensor<6x16xf32>
// INFER: %[[H:.*]] = ff.relu %{{.*}} : tensor<6x8xf32>
// INFER-NEXT: %[[G:.*]] = ff.goodness %[[H]] {groups = 1 : i64} : (tensor<6x8xf32>) -> tensor<6x1xf32>
// INFER-NEXT: %[[R:.*]] = ff.reshape %[[G]] : (tensor<6x1xf32>) -> tensor<3x2xf32>
// INFER-NEXT: %[[T:.*]] = ff.transpose %[[R]] {permutation = array<i64: 1, 0>} : (tensor<3x2xf32>) -> tensor<2x3xf32>
// INFER-NEXT: ff.yield %[[H]], %[[T]] : tensor<6x8xf32>, tensor<2x3xf32>
// INFER: ff.layer_norm %{{.*}} : (tensor<6x8xf32>) -> tensor<6x8xf32>
// INFER: ff.block "block1"(%{{.*}}) {{.*}}: (tensor<6x8xf32>) -> (tensor<6x8xf32>, tensor<2x3xf32>)
// INFER-NOT: ff.embed_all_labels
// INFER: ff.transpose {{.*}} -> tensor<2x3xf32>
// INFER: %[[V:.*]] = ff.vote %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
// INFER-NEXT: return %[[V]]

// OPTS: goodness = "sum", label_scale = 2.000000e+00 : f64{{.*}}theta = 1.500000e+00 : f64
// OPTS: ff.embed_all_labels %{{.*}} {classes = 3 : i64, scale = 2.000000e+00 : f64}
// OPTS: %[[G:.*]] = ff.goodness %{{.*}} {groups = 1 : i64} : (tensor<6x8xf32>) -> tensor<6x1xf32>
// OPTS-NEXT: %[[F:.*]] = ff.constant dense<8.000000e+00> : tensor<f32>
// OPTS-NEXT: ff.mul %[[G]], %[[F]] : (tensor<6x1xf32>, tensor<f32>) -> tensor<6x1xf32>
// OPTS: ff.vote {{.*}} {last}
// OPTS-LABEL: func.func @train(
// OPTS: ff.embed_label %{{.*}} {classes = 3 : i64, scale = 2.000000e+00 : f64} : tensor<2x1x4x4xf32>
// OPTS: ff.embed_label %{{.*}} shift %{{.*}} : tensor<2xi32> {classes = 3 : i64, scale = 2.000000e+00 : f64}
// OPTS: ff.threshold_loss %{{.*}}, %{{.*}} {theta = 1.500000e+00 : f64}

// GRAD-LABEL: func.func @train(
// GRAD: ff.block "block0"
// GRAD: %[[DP:.*]], %[[DN:.*]] = ff.threshold_loss_grad %{{.*}}, %{{.*}} : tensor<2x1xf32>
// GRAD: ff.concat %{{.*}}, %[[DN]] {axis = 0 : i64} : (tensor<2x1xf32>, tensor<2x1xf32>) -> tensor<4x1xf32>
// GRAD: ff.concat %[[DP]], %{{.*}} {axis = 0 : i64} : (tensor<2x1xf32>, tensor<2x1xf32>) -> tensor<4x1xf32>
// GRAD: ff.goodness_grad {{.*}} : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
// GRAD: ff.param_grad @w0
// GRAD: ff.param_grad @b0
// GRAD: ff.block "block1"
// GRAD: ff.param_grad @w1
module attributes {ff.classes = 3 : i64} {
  ff.param @w0 = dense<0.1> : tensor<8x16xf32>
  ff.param @b0 = dense<0.0> : tensor<8xf32>
  ff.param @w1 = dense<0.1> : tensor<8x8xf32>
  func.func @forward(%x: tensor<2x1x4x4xf32> {ff.name = "input"}) -> (tensor<2x8xf32> {ff.name = "features"}) {
    %0 = ff.block "block0"(%x) : (tensor<2x1x4x4xf32>) -> tensor<2x8xf32> {
    ^bb0(%in: tensor<2x1x4x4xf32>):
      %w = ff.param_ref @w0 : tensor<8x16xf32>
      %b = ff.param_ref @b0 : tensor<8xf32>
      %f = ff.reshape %in : (tensor<2x1x4x4xf32>) -> tensor<2x16xf32>
      %l = ff.linear %f, %w, %b : (tensor<2x16xf32>, tensor<8x16xf32>, tensor<8xf32>) -> tensor<2x8xf32>
      %r = ff.relu %l : tensor<2x8xf32>
      ff.yield %r : tensor<2x8xf32>
    }
    %1 = ff.block "block1"(%0) : (tensor<2x8xf32>) -> tensor<2x8xf32> {
    ^bb0(%in: tensor<2x8xf32>):
      %w = ff.param_ref @w1 : tensor<8x8xf32>
      %l = ff.linear %in, %w : (tensor<2x8xf32>, tensor<8x8xf32>) -> tensor<2x8xf32>
      %r = ff.relu %l : tensor<2x8xf32>
      ff.yield %r : tensor<2x8xf32>
    }
    return %1 : tensor<2x8xf32>
  }
}
