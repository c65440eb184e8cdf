// Programs ff-synthesize-optimizer cannot update are errors that say why.
// RUN: ff-opt %s -split-input-file -ff-synthesize-optimizer -verify-diagnostics

// expected-error@+1 {{ff-synthesize-optimizer: needs @train (run ff-synthesize-local-loss and ff-differentiate-blocks first)}}
module {
  func.func @forward(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
    return %x : tensor<2x4xf32>
  }
}

// -----

ff.param @w = dense<1.0> : tensor<4xf32>
// expected-error@+1 {{ff-synthesize-optimizer: @train has no ff.param_grad (run ff-differentiate-blocks first)}}
func.func @train(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %h = ff.block "block0" (%x) : (tensor<2x4xf32>) -> tensor<2x4xf32> {
  ^bb0(%in: tensor<2x4xf32>):
    ff.yield %in : tensor<2x4xf32>
  }
  return %h : tensor<2x4xf32>
}

// -----

// The pass runs once.
// expected-error@+1 {{ff-synthesize-optimizer: the module already has an optimizer (ff.optimizer); the pass runs once}}
module attributes {ff.optimizer = {name = "adam"}} {
  ff.param @w = dense<1.0> : tensor<4xf32>
  func.func @train(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
    %h = ff.block "block0" (%x) : (tensor<2x4xf32>) -> tensor<2x4xf32> {
    ^bb0(%in: tensor<2x4xf32>):
      %w = ff.param_ref @w : tensor<4xf32>
      ff.param_grad @w, %w : tensor<4xf32>
      ff.yield %in : tensor<2x4xf32>
    }
    return %h : tensor<2x4xf32>
  }
}

// -----

ff.param @w = dense<1.0> : tensor<4xf32>
func.func @train(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = ff.param_ref @w : tensor<4xf32>
  // expected-error@+1 {{ff-synthesize-optimizer: ff.param_grad of 'w' outside an ff.block of @train; only block gradients are trained}}
  ff.param_grad @w, %w : tensor<4xf32>
  return %x : tensor<2x4xf32>
}

// -----

ff.param @w = dense<1.0> : tensor<4xf32>
func.func @train(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %h = ff.block "block0" (%x) : (tensor<2x4xf32>) -> tensor<2x4xf32> {
  ^bb0(%in: tensor<2x4xf32>):
    %w = ff.param_ref @w : tensor<4xf32>
    ff.param_grad @w, %w : tensor<4xf32>
    ff.yield %in : tensor<2x4xf32>
  }
  return %h : tensor<2x4xf32>
}
func.func @infer(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %h = ff.block "block0" (%x) : (tensor<2x4xf32>) -> tensor<2x4xf32> {
  ^bb0(%in: tensor<2x4xf32>):
    %w = ff.param_ref @w : tensor<4xf32>
    // expected-error@+1 {{ff-synthesize-optimizer: ff.param_grad of 'w' outside an ff.block of @train}}
    ff.param_grad @w, %w : tensor<4xf32>
    ff.yield %in : tensor<2x4xf32>
  }
  return %h : tensor<2x4xf32>
}

// -----

ff.param @w = dense<1.0> : tensor<4xf32>
ff.param @rm buffer = dense<0.0> : tensor<4xf32>
func.func @train(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = ff.param_ref @w : tensor<4xf32>
  %rm = ff.param_ref @rm : tensor<4xf32>
  // expected-error@+1 {{ff-synthesize-optimizer: training ff.batch_norm outside an ff.block; its running statistics would never be updated}}
  %n = ff.batch_norm %x, %w, %w, %rm, %rm {training} : (tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %h = ff.block "block0" (%n) : (tensor<2x4xf32>) -> tensor<2x4xf32> {
  ^bb0(%in: tensor<2x4xf32>):
    %w2 = ff.param_ref @w : tensor<4xf32>
    ff.param_grad @w, %w2 : tensor<4xf32>
    ff.yield %in : tensor<2x4xf32>
  }
  return %h : tensor<2x4xf32>
}

// -----

// Optimizer state is named after its parameter; the names must be free.
ff.param @w = dense<1.0> : tensor<4xf32>
// expected-note@+1 {{the existing symbol}}
ff.param @w.adam_m buffer = dense<0.0> : tensor<4xf32>
func.func @train(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %h = ff.block "block0" (%x) : (tensor<2x4xf32>) -> tensor<2x4xf32> {
  ^bb0(%in: tensor<2x4xf32>):
    %w = ff.param_ref @w : tensor<4xf32>
    // expected-error@+1 {{ff-synthesize-optimizer: cannot create the optimizer state 'w.adam_m' of parameter 'w': the module already has a symbol of that name}}
    ff.param_grad @w, %w : tensor<4xf32>
    ff.yield %in : tensor<2x4xf32>
  }
  return %h : tensor<2x4xf32>
}

// -----

ff.param @w = dense<1.0> : tensor<4xf32>
// expected-note@+1 {{the existing symbol}}
func.func private @w.adam_v()
func.func @train(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %h = ff.block "block0" (%x) : (tensor<2x4xf32>) -> tensor<2x4xf32> {
  ^bb0(%in: tensor<2x4xf32>):
    %w = ff.param_ref @w : tensor<4xf32>
    // expected-error@+1 {{cannot create the optimizer state 'w.adam_v' of parameter 'w'}}
    ff.param_grad @w, %w : tensor<4xf32>
    ff.yield %in : tensor<2x4xf32>
  }
  return %h : tensor<2x4xf32>
}

// -----

ff.param @w = dense<1.0> : tensor<4xf32>
// expected-note@+1 {{the existing symbol}}
ff.param @block0.step buffer = dense<0.0> : tensor<f32>
func.func @train(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  // expected-error@+1 {{ff-synthesize-optimizer: cannot create the step counter 'block0.step' of block 'block0': the module already has a symbol of that name}}
  %h = ff.block "block0" (%x) : (tensor<2x4xf32>) -> tensor<2x4xf32> {
  ^bb0(%in: tensor<2x4xf32>):
    %w = ff.param_ref @w : tensor<4xf32>
    ff.param_grad @w, %w : tensor<4xf32>
    ff.yield %in : tensor<2x4xf32>
  }
  return %h : tensor<2x4xf32>
}

// -----

// Two blocks with one name would share a step counter.
ff.param @w = dense<1.0> : tensor<4xf32>
ff.param @v = dense<1.0> : tensor<4xf32>
func.func @train(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  // expected-note@+1 {{the other block}}
  %h = ff.block "block0" (%x) : (tensor<2x4xf32>) -> tensor<2x4xf32> {
  ^bb0(%in: tensor<2x4xf32>):
    %w = ff.param_ref @w : tensor<4xf32>
    ff.param_grad @w, %w : tensor<4xf32>
    ff.yield %in : tensor<2x4xf32>
  }
  // expected-error@+1 {{ff-synthesize-optimizer: two blocks are named 'block0'; block names must be unique}}
  %h2 = ff.block "block0" (%h) : (tensor<2x4xf32>) -> tensor<2x4xf32> {
  ^bb0(%in: tensor<2x4xf32>):
    %v = ff.param_ref @v : tensor<4xf32>
    ff.param_grad @v, %v : tensor<4xf32>
    ff.yield %in : tensor<2x4xf32>
  }
  return %h2 : tensor<2x4xf32>
}

// -----

// A parameter belongs to one block: tied weights across blocks would be stepped
// twice, by two unrelated losses.
ff.param @w = dense<1.0> : tensor<4xf32>
func.func @train(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %h = ff.block "block0" (%x) : (tensor<2x4xf32>) -> tensor<2x4xf32> {
  ^bb0(%in: tensor<2x4xf32>):
    %w = ff.param_ref @w : tensor<4xf32>
    // expected-note@+1 {{the first gradient}}
    ff.param_grad @w, %w : tensor<4xf32>
    ff.yield %in : tensor<2x4xf32>
  }
  %h2 = ff.block "block1" (%h) : (tensor<2x4xf32>) -> tensor<2x4xf32> {
  ^bb0(%in: tensor<2x4xf32>):
    %w = ff.param_ref @w : tensor<4xf32>
    // expected-error@+1 {{ff-synthesize-optimizer: parameter 'w' is trained by two blocks ('block0' and 'block1'); parameters shared across blocks are not supported}}
    ff.param_grad @w, %w : tensor<4xf32>
    ff.yield %in : tensor<2x4xf32>
  }
  return %h2 : tensor<2x4xf32>
}

// -----

ff.param @w = dense<1.0> : tensor<4xf32>
func.func @train(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %h = ff.block "block0" (%x) : (tensor<2x4xf32>) -> tensor<2x4xf32> {
  ^bb0(%in: tensor<2x4xf32>):
    %w = ff.param_ref @w : tensor<4xf32>
    // expected-note@+1 {{the first gradient}}
    ff.param_grad @w, %w : tensor<4xf32>
    // expected-error@+1 {{ff-synthesize-optimizer: parameter 'w' has two ff.param_grad in block 'block0'; autodiff gives one gradient per parameter}}
    ff.param_grad @w, %w : tensor<4xf32>
    ff.yield %in : tensor<2x4xf32>
  }
  return %h : tensor<2x4xf32>
}
