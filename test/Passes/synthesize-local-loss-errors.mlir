// Bad options and inputs of ff-synthesize-local-loss are errors that say what is accepted.
// RUN: not ff-opt %s -split-input-file -ff-synthesize-local-loss="loss=hinge" 2>&1 | FileCheck %s --check-prefix=LOSS
// RUN: not ff-opt %s -split-input-file -ff-synthesize-local-loss="loss=ff" 2>&1 | FileCheck %s --check-prefix=FF
// RUN: not ff-opt %s -split-input-file -ff-synthesize-local-loss="loss=ff goodness=max" 2>&1 | FileCheck %s --check-prefix=GOODNESS
// RUN: not ff-opt %s -split-input-file -ff-synthesize-local-loss="norm=batch" 2>&1 | FileCheck %s --check-prefix=NORM
// RUN: not ff-opt %s -split-input-file -ff-synthesize-local-loss="aux-input=middle" 2>&1 | FileCheck %s --check-prefix=AUXIN
// RUN: not ff-opt %s -split-input-file -ff-synthesize-local-loss="vote=first" 2>&1 | FileCheck %s --check-prefix=VOTE
// RUN: not ff-opt %s -split-input-file -ff-synthesize-local-loss="aux-kernel=2" 2>&1 | FileCheck %s --check-prefix=KERNEL
// RUN: not ff-opt %s -split-input-file -ff-synthesize-local-loss="loss=cwcomp classes=3" 2>&1 | FileCheck %s --check-prefix=CWCOMP
// RUN: not ff-opt %s -split-input-file -ff-synthesize-local-loss 2>&1 | FileCheck %s --check-prefix=INPUT

// LOSS: error: ff-synthesize-local-loss: unknown loss 'hinge'; losses: sff, cwcomp, ff, bp
// FF: error: ff-synthesize-local-loss: loss 'ff' (Hinton's Forward-Forward) is for MLP-like models, whose blocks hand on N x F activations; block 'block0' outputs 'tensor<2x8x8x8xf32>' (FF's label pixels reach a convolution only locally; use sff or cwcomp for convolutional models)
// GOODNESS: error: ff-synthesize-local-loss: goodness must be 'mean' or 'sum', got 'max'
// NORM: error: ff-synthesize-local-loss: unknown norm 'batch'; choices: layer, channel, none
// AUXIN: error: ff-synthesize-local-loss: aux-input must be 'pre' or 'post', got 'middle'
// VOTE: error: ff-synthesize-local-loss: vote must be 'all' or 'last', got 'first'
// KERNEL: error: ff-synthesize-local-loss: aux-kernel must be a positive odd size, got 2
// CWCOMP: error: ff-synthesize-local-loss: loss 'cwcomp' needs the block's channels (8) to split into 3 class groups
module attributes {ff.classes = 10 : i64} {
  ff.param @c1.w = dense<0.1> : tensor<8x1x3x3xf32>
  func.func @forward(%x: tensor<2x1x8x8xf32>) -> tensor<2x8x8x8xf32> {
    %0 = ff.block "block0"(%x) : (tensor<2x1x8x8xf32>) -> tensor<2x8x8x8xf32> {
    ^bb0(%in: tensor<2x1x8x8xf32>):
      %w = ff.param_ref @c1.w : tensor<8x1x3x3xf32>
      %c = ff.conv2d %in, %w {padding = array<i64: 1, 1, 1, 1>} : (tensor<2x1x8x8xf32>, tensor<8x1x3x3xf32>) -> tensor<2x8x8x8xf32>
      ff.yield %c : tensor<2x8x8x8xf32>
    }
    return %0 : tensor<2x8x8x8xf32>
  }
}

// -----

// INPUT: error: ff-synthesize-local-loss: the number of classes is unknown (the model has no N x K output); set classes=K
module {
  func.func @forward(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
    %0 = ff.block "block0"(%x) : (tensor<2x8xf32>) -> tensor<2x8xf32> {
    ^bb0(%in: tensor<2x8xf32>):
      ff.yield %in : tensor<2x8xf32>
    }
    return %0 : tensor<2x8xf32>
  }
}

// -----

// INPUT: error: ff-synthesize-local-loss: needs a partitioned @forward (run ff-partition-blocks first)
module attributes {ff.classes = 10 : i64} {
  func.func @forward(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
    %0 = ff.relu %x : tensor<2x8xf32>
    return %0 : tensor<2x8xf32>
  }
}

// -----

// An MLP whose samples are too small to hold the label.
// FF: error: ff-synthesize-local-loss: loss 'ff' writes the label into the first 10 elements of each sample, so block 'block0' needs one N x ... input with at least that many elements per sample
module attributes {ff.classes = 10 : i64} {
  ff.param @w = dense<0.1> : tensor<8x4xf32>
  func.func @forward(%x: tensor<2x4xf32>) -> tensor<2x8xf32> {
    %0 = ff.block "block0"(%x) : (tensor<2x4xf32>) -> tensor<2x8xf32> {
    ^bb0(%in: tensor<2x4xf32>):
      %w = ff.param_ref @w : tensor<8x4xf32>
      %l = ff.linear %in, %w : (tensor<2x4xf32>, tensor<8x4xf32>) -> tensor<2x8xf32>
      ff.yield %l : tensor<2x8xf32>
    }
    return %0 : tensor<2x8xf32>
  }
}
