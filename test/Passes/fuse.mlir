// RUN: ff-opt %s -ff-fuse -split-input-file | FileCheck %s

// A chain grows into one group; the value only the chain reads stays inside,
// the value read after the group is yielded; a broadcast bias is an input.
// CHECK-LABEL: func.func @train_step
// CHECK: %[[G:.*]]:2 = ff.fused "k0"(%arg0, %[[B:.*]]) : (tensor<2x3xf32>, tensor<3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>)
// CHECK-NEXT: ^bb0(%[[X:.*]]: tensor<2x3xf32>, %[[C:.*]]: tensor<3xf32>):
// CHECK-NEXT:   %[[S:.*]] = ff.add %[[X]], %[[C]]
// CHECK-NEXT:   %[[R:.*]] = ff.relu %[[S]]
// CHECK-NEXT:   %[[M:.*]] = ff.mul %[[R]], %[[X]]
// CHECK-NEXT:   ff.yield %[[R]], %[[M]] : tensor<2x3xf32>, tensor<2x3xf32>
// CHECK-NEXT: }
// CHECK-NEXT: %[[SM:.*]] = ff.softmax %[[G]]#0
// CHECK: return %[[G]]#1, %[[SM]]
// CHECK-LABEL: func.func @eval_step
// CHECK-NOT: ff.fused
// CHECK-LABEL: func.func @predict
module {
  func.func @train_step(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
    %b = ff.constant dense<1.0> : tensor<3xf32>
    %s = ff.add %x, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
    %r = ff.relu %s : tensor<2x3xf32>
    %m = ff.mul %r, %x : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
    %sm = ff.softmax %r {axis = 1 : i64} : tensor<2x3xf32>
    return %m, %sm : tensor<2x3xf32>, tensor<2x3xf32>
  }
  func.func @eval_step(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
    return %x : tensor<2x3xf32>
  }
  func.func @predict(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
    return %x : tensor<2x3xf32>
  }
}

// -----

// Groups form inside ff.block regions. An op reading a value computed after
// its producer's group began (the softmax here) cannot join that group: it
// starts its own. Ops over another shape start their own group too, and a
// scalar (rank-0) op stays a library call.
// CHECK-LABEL: func.func @train_step
// CHECK: ff.block "block0"
// CHECK: %[[A:.*]] = ff.fused "k0"(%{{.*}}) : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: ff.sigmoid
// CHECK: %[[SM:.*]] = ff.softmax %[[A]]
// CHECK: ff.fused "k1"(%[[A]], %[[SM]]) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: ff.sub
// CHECK: ff.fused "k2"(%{{.*}}) : (tensor<3xf32>) -> tensor<3xf32>
// CHECK: ff.hardswish
// CHECK: ff.add %{{.*}}, %{{.*}} : (tensor<f32>, tensor<f32>) -> tensor<f32>
module {
  func.func @train_step(%x: tensor<2x3xf32>, %v: tensor<3xf32>, %t: tensor<f32>) -> (tensor<2x3xf32>, tensor<3xf32>, tensor<f32>) {
    %0:3 = ff.block "block0"(%x, %v, %t) : (tensor<2x3xf32>, tensor<3xf32>, tensor<f32>) -> (tensor<2x3xf32>, tensor<3xf32>, tensor<f32>) {
    ^bb0(%in: tensor<2x3xf32>, %w: tensor<3xf32>, %s: tensor<f32>):
      %a = ff.sigmoid %in : tensor<2x3xf32>
      %sm = ff.softmax %a {axis = 1 : i64} : tensor<2x3xf32>
      %d = ff.sub %a, %sm : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
      %h = ff.hardswish %w : tensor<3xf32>
      %u = ff.add %s, %s : (tensor<f32>, tensor<f32>) -> tensor<f32>
      ff.yield %d, %h, %u : tensor<2x3xf32>, tensor<3xf32>, tensor<f32>
    }
    return %0#0, %0#1, %0#2 : tensor<2x3xf32>, tensor<3xf32>, tensor<f32>
  }
  func.func @eval_step(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
    return %x : tensor<2x3xf32>
  }
  func.func @predict(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
    %r = ff.relu %x : tensor<2x3xf32>
    return %r : tensor<2x3xf32>
  }
}

// -----

// A relu after a batch norm becomes the batch norm's epilogue; its gradient
// then reads the relu's output (the same mask) and groups as usual.
// CHECK-LABEL: func.func @train_step
// CHECK: %[[BN:.*]] = ff.batch_norm %arg0, %arg1, %arg1, %arg1, %arg1 {relu, training}
// CHECK-NOT: ff.relu %
// CHECK: ff.fused "k0"(%[[BN]], %arg2)
// CHECK: ff.relu_grad
// CHECK: return %[[BN]],
// A batch norm whose output something else reads keeps its relu.
// CHECK-LABEL: func.func @eval_step
// CHECK: %[[BN2:.*]] = ff.batch_norm %arg0, %arg1, %arg1, %arg1, %arg1 :
// CHECK: ff.fused "k1"(%[[BN2]])
// CHECK-NEXT: ^bb0
// CHECK-NEXT: ff.relu
// CHECK: ff.softmax %[[BN2]]
// A relu_grad that only a batch-norm gradient reads becomes its mask.
// CHECK-LABEL: func.func @predict
// CHECK-NOT: ff.relu_grad
// CHECK: ff.batch_norm_grad %arg0, %arg2, %arg1, %arg1, %arg1, %arg3 {training}
// CHECK-NOT: ff.fused
module {
  func.func @train_step(%x: tensor<2x3x2x2xf32>, %p: tensor<3xf32>, %dy: tensor<2x3x2x2xf32>) -> (tensor<2x3x2x2xf32>, tensor<2x3x2x2xf32>) {
    %y = ff.batch_norm %x, %p, %p, %p, %p {training} : (tensor<2x3x2x2xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x2x2xf32>
    %r = ff.relu %y : tensor<2x3x2x2xf32>
    %dx = ff.relu_grad %y, %dy : tensor<2x3x2x2xf32>
    return %r, %dx : tensor<2x3x2x2xf32>, tensor<2x3x2x2xf32>
  }
  func.func @eval_step(%x: tensor<2x3x2x2xf32>, %p: tensor<3xf32>) -> (tensor<2x3x2x2xf32>, tensor<2x3x2x2xf32>) {
    %y = ff.batch_norm %x, %p, %p, %p, %p : (tensor<2x3x2x2xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x2x2xf32>
    %r = ff.relu %y : tensor<2x3x2x2xf32>
    %s = ff.softmax %y {axis = 1 : i64} : tensor<2x3x2x2xf32>
    return %r, %s : tensor<2x3x2x2xf32>, tensor<2x3x2x2xf32>
  }
  func.func @predict(%x: tensor<2x3x2x2xf32>, %p: tensor<3xf32>, %dy: tensor<2x3x2x2xf32>, %r: tensor<2x3x2x2xf32>) -> tensor<2x3x2x2xf32> {
    %g = ff.relu_grad %r, %dy : tensor<2x3x2x2xf32>
    %dx, %ds, %db = ff.batch_norm_grad %x, %g, %p, %p, %p {training} : (tensor<2x3x2x2xf32>, tensor<2x3x2x2xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<2x3x2x2xf32>, tensor<3xf32>, tensor<3xf32>)
    return %dx : tensor<2x3x2x2xf32>
  }
}

// -----

// A relu after a convolution or a linear layer becomes its epilogue (oneDNN's
// post-op, or the bias pass of our own kernels); the relu's gradient then
// reads the relu's output. A convolution whose output something else reads
// (the residual add) keeps its relu as a kernel.
// CHECK-LABEL: func.func @train_step
// CHECK: %[[C:.*]] = ff.conv2d %arg0, %arg1 {padding = array<i64: 1, 1, 1, 1>, relu}
// CHECK: %[[L:.*]] = ff.linear %arg3, %arg4 {relu}
// CHECK: %[[C2:.*]] = ff.conv2d %arg0, %arg1 {padding = array<i64: 1, 1, 1, 1>} :
// CHECK-NEXT: %[[S:.*]] = ff.fused "k0"(%[[C2]])
// CHECK-NEXT: ^bb0
// CHECK-NEXT: ff.relu
// CHECK-NEXT: ff.add
// CHECK: %[[G:.*]] = ff.fused "k1"(%[[C]], %arg2)
// CHECK-NEXT: ^bb0
// CHECK-NEXT: ff.relu_grad
// CHECK: return %[[C]], %[[G]], %[[L]], %[[S]]
module {
  func.func @train_step(%x: tensor<2x3x4x4xf32>, %w: tensor<3x3x3x3xf32>, %dy: tensor<2x3x4x4xf32>, %v: tensor<2x5xf32>, %m: tensor<4x5xf32>) -> (tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32>, tensor<2x4xf32>, tensor<2x3x4x4xf32>) {
    %c = ff.conv2d %x, %w {padding = array<i64: 1, 1, 1, 1>} : (tensor<2x3x4x4xf32>, tensor<3x3x3x3xf32>) -> tensor<2x3x4x4xf32>
    %r = ff.relu %c : tensor<2x3x4x4xf32>
    %l = ff.linear %v, %m : (tensor<2x5xf32>, tensor<4x5xf32>) -> tensor<2x4xf32>
    %lr = ff.relu %l : tensor<2x4xf32>
    %c2 = ff.conv2d %x, %w {padding = array<i64: 1, 1, 1, 1>} : (tensor<2x3x4x4xf32>, tensor<3x3x3x3xf32>) -> tensor<2x3x4x4xf32>
    %r2 = ff.relu %c2 : tensor<2x3x4x4xf32>
    %sum = ff.add %r2, %c2 : (tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32>) -> tensor<2x3x4x4xf32>
    %dx = ff.relu_grad %c, %dy : tensor<2x3x4x4xf32>
    return %r, %dx, %lr, %sum : tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32>, tensor<2x4xf32>, tensor<2x3x4x4xf32>
  }
  func.func @eval_step(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
    return %x : tensor<2x3xf32>
  }
  func.func @predict(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
    return %x : tensor<2x3xf32>
  }
}

// -----

// Reductions end groups. The SE gate's gradient (a product summed over space)
// never writes the product; an activation feeding a global average pool is
// yielded for its other reader and pooled in the same pass; the goodness of a
// ReLU output (one group per channel) is one kernel. An op reading a
// reduction's result cannot join the group that computes it, and a reduction
// of a group's input (nothing to save), a goodness of channel groups, and a
// bias gradient that drops dimensions stay library calls.
// CHECK-LABEL: func.func @train_step
// CHECK: %[[SE:.*]] = ff.fused "k0"(%arg0, %arg1) : (tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>) -> tensor<2x4x1x1xf32>
// CHECK-NEXT: ^bb0
// CHECK-NEXT:   %[[P:.*]] = ff.mul
// CHECK-NEXT:   %[[S:.*]] = ff.reduce_sum %[[P]] : (tensor<2x4x3x3xf32>) -> tensor<2x4x1x1xf32>
// CHECK-NEXT:   ff.yield %[[S]] : tensor<2x4x1x1xf32>
// CHECK: %[[H:.*]]:2 = ff.fused "k1"(%arg0) : (tensor<2x4x3x3xf32>) -> (tensor<2x4x3x3xf32>, tensor<2x4x1x1xf32>)
// CHECK-NEXT: ^bb0
// CHECK-NEXT:   %[[HS:.*]] = ff.hardswish
// CHECK-NEXT:   %[[GAP:.*]] = ff.global_avg_pool %[[HS]]
// CHECK-NEXT:   ff.yield %[[HS]], %[[GAP]]
// CHECK: ff.fused "k2"(%[[H]]#0, %[[H]]#1)
// CHECK-NEXT: ^bb0
// CHECK-NEXT:   ff.mul
// CHECK-NEXT:   ff.yield
// CHECK: %[[GD:.*]] = ff.fused "k3"(%arg1) : (tensor<2x4x3x3xf32>) -> tensor<2x4xf32>
// CHECK-NEXT: ^bb0
// CHECK-NEXT:   ff.relu
// CHECK-NEXT:   ff.goodness {{.*}}groups = 4
// CHECK-NEXT:   ff.yield
// CHECK: ff.global_avg_pool %arg0
// CHECK: ff.fused "k4"
// CHECK-NEXT: ^bb0
// CHECK-NEXT:   ff.sigmoid
// CHECK-NEXT:   ff.yield
// CHECK: ff.goodness {{.*}}groups = 2
// CHECK: ff.reduce_sum {{.*}}axes = array<i64: 0, 2, 3>
module {
  func.func @train_step(%x: tensor<2x4x3x3xf32>, %dy: tensor<2x4x3x3xf32>) -> (tensor<2x4x1x1xf32>, tensor<2x4x3x3xf32>, tensor<2x4xf32>, tensor<2x4x1x1xf32>, tensor<2x2xf32>, tensor<4xf32>) {
    %p = ff.mul %x, %dy : (tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>) -> tensor<2x4x3x3xf32>
    %se = ff.reduce_sum %p : (tensor<2x4x3x3xf32>) -> tensor<2x4x1x1xf32>
    %h = ff.hardswish %x : tensor<2x4x3x3xf32>
    %gap = ff.global_avg_pool %h : (tensor<2x4x3x3xf32>) -> tensor<2x4x1x1xf32>
    %scaled = ff.mul %h, %gap : (tensor<2x4x3x3xf32>, tensor<2x4x1x1xf32>) -> tensor<2x4x3x3xf32>
    %r = ff.relu %dy : tensor<2x4x3x3xf32>
    %g = ff.goodness %r {groups = 4 : i64} : (tensor<2x4x3x3xf32>) -> tensor<2x4xf32>
    %lone = ff.global_avg_pool %x : (tensor<2x4x3x3xf32>) -> tensor<2x4x1x1xf32>
    %sg = ff.sigmoid %dy : tensor<2x4x3x3xf32>
    %g2 = ff.goodness %sg {groups = 2 : i64} : (tensor<2x4x3x3xf32>) -> tensor<2x2xf32>
    %db = ff.reduce_sum %sg {axes = array<i64: 0, 2, 3>} : (tensor<2x4x3x3xf32>) -> tensor<4xf32>
    return %se, %scaled, %g, %lone, %g2, %db : tensor<2x4x1x1xf32>, tensor<2x4x3x3xf32>, tensor<2x4xf32>, tensor<2x4x1x1xf32>, tensor<2x2xf32>, tensor<4xf32>
  }
  func.func @eval_step(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
    return %x : tensor<2x3xf32>
  }
  func.func @predict(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
    return %x : tensor<2x3xf32>
  }
}

// -----

// A training batch norm and the running-statistics update of the same input
// become one op (the batch statistics are computed once), at the batch norm's
// place, with the relu epilogue kept; the update's results are its results.
// An update of another tensor, or of an input only an inference batch norm
// reads, is left alone.
// CHECK-LABEL: func.func @train_step
// CHECK: %[[Y:.*]], %[[M:.*]], %[[V:.*]] = ff.batch_norm_with_update %arg0, %arg1, %arg1, %arg2, %arg2 {epsilon = 1.000000e-03 : f64, momentum = 8.000000e-01 : f64, relu} : tensor<2x3x2x2xf32>, tensor<3xf32>
// CHECK-NEXT: ff.fused "k{{[0-9]+}}"(%[[Y]])
// CHECK: ff.batch_norm %arg3, %arg1, %arg1, %arg1, %arg1 :
// CHECK: ff.batch_norm_stats_update %arg3
// CHECK: ff.batch_norm_stats_update %arg4
// CHECK-NOT: ff.batch_norm_stats_update
// CHECK: return %[[M]], %[[V]]
module {
  func.func @train_step(%x: tensor<2x3x2x2xf32>, %p: tensor<3xf32>, %r: tensor<3xf32>, %z: tensor<2x3x2x2xf32>, %w: tensor<2x3x2x2xf32>) -> (tensor<3xf32>, tensor<3xf32>, tensor<2x3x2x2xf32>, tensor<2x3x2x2xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) {
    %y = ff.batch_norm %x, %p, %p, %p, %p {training, epsilon = 1.0e-3 : f64} : (tensor<2x3x2x2xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x2x2xf32>
    %a = ff.relu %y : tensor<2x3x2x2xf32>
    %g = ff.relu_grad %y, %a : tensor<2x3x2x2xf32>
    %yz = ff.batch_norm %z, %p, %p, %p, %p : (tensor<2x3x2x2xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x2x2xf32>
    %m, %v = ff.batch_norm_stats_update %x, %r, %r {momentum = 0.8 : f64} : tensor<2x3x2x2xf32>, tensor<3xf32>
    %mz, %vz = ff.batch_norm_stats_update %z, %r, %r : tensor<2x3x2x2xf32>, tensor<3xf32>
    %mw, %vw = ff.batch_norm_stats_update %w, %r, %r : tensor<2x3x2x2xf32>, tensor<3xf32>
    return %m, %v, %g, %yz, %mz, %vz, %mw, %vw : tensor<3xf32>, tensor<3xf32>, tensor<2x3x2x2xf32>, tensor<2x3x2x2xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>
  }
  func.func @eval_step(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
    return %x : tensor<2x3xf32>
  }
  func.func @predict(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
    return %x : tensor<2x3xf32>
  }
}
