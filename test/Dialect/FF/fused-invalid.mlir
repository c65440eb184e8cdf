// RUN: ff-opt %s -split-input-file -verify-diagnostics

func.func @not_elementwise(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = ff.fused "k0"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32> {
  ^bb0(%a: tensor<2x3xf32>):
    // expected-error @+1 {{'ff.softmax' op cannot be part of an ff.fused kernel group}}
    %s = ff.softmax %a {axis = 1 : i64} : tensor<2x3xf32>
    ff.yield %s : tensor<2x3xf32>
  }
  return %0 : tensor<2x3xf32>
}

// -----

func.func @results_differ(%x: tensor<2x3xf32>, %y: tensor<3xf32>) -> (tensor<2x3xf32>, tensor<3xf32>) {
  // expected-error @+1 {{results must all have the iteration type 'tensor<2x3xf32>' or be reductions of it, got 'tensor<3xf32>'}}
  %0:2 = ff.fused "k0"(%x, %y) : (tensor<2x3xf32>, tensor<3xf32>) -> (tensor<2x3xf32>, tensor<3xf32>) {
  ^bb0(%a: tensor<2x3xf32>, %b: tensor<3xf32>):
    %r = ff.relu %a : tensor<2x3xf32>
    %s = ff.relu %b : tensor<3xf32>
    ff.yield %r, %s : tensor<2x3xf32>, tensor<3xf32>
  }
  return %0#0, %0#1 : tensor<2x3xf32>, tensor<3xf32>
}

// -----

func.func @no_broadcast(%x: tensor<2x3xf32>, %y: tensor<2xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{input 1 of type 'tensor<2xf32>' does not broadcast to the iteration type 'tensor<2x3xf32>'}}
  %0 = ff.fused "k0"(%x, %y) : (tensor<2x3xf32>, tensor<2xf32>) -> tensor<2x3xf32> {
  ^bb0(%a: tensor<2x3xf32>, %b: tensor<2xf32>):
    %r = ff.relu %a : tensor<2x3xf32>
    ff.yield %r : tensor<2x3xf32>
  }
  return %0 : tensor<2x3xf32>
}

// -----

func.func @other_shape_inside(%x: tensor<2x3xf32>, %y: tensor<3xf32>) -> tensor<2x3xf32> {
  %0 = ff.fused "k0"(%x, %y) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32> {
  ^bb0(%a: tensor<2x3xf32>, %b: tensor<3xf32>):
    // expected-error @+1 {{'ff.relu' op result type 'tensor<3xf32>' differs from the group's iteration type 'tensor<2x3xf32>'}}
    %s = ff.relu %b : tensor<3xf32>
    %r = ff.add %a, %s : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
    ff.yield %r : tensor<2x3xf32>
  }
  return %0 : tensor<2x3xf32>
}

// -----

func.func @yield_mismatch(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{yields}}
  %0 = ff.fused "k0"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32> {
  ^bb0(%a: tensor<2x3xf32>):
    ff.yield
  }
  return %0 : tensor<2x3xf32>
}

// -----

func.func @reduction_read_inside(%x: tensor<2x3x4x4xf32>) -> tensor<2x3x4x4xf32> {
  %0 = ff.fused "k0"(%x) : (tensor<2x3x4x4xf32>) -> tensor<2x3x4x4xf32> {
  ^bb0(%a: tensor<2x3x4x4xf32>):
    %r = ff.relu %a : tensor<2x3x4x4xf32>
    // expected-error @+1 {{'ff.global_avg_pool' op result is read inside the group; a reduction's result is complete only when the whole kernel has run}}
    %p = ff.global_avg_pool %r : (tensor<2x3x4x4xf32>) -> tensor<2x3x1x1xf32>
    %m = ff.mul %r, %p : (tensor<2x3x4x4xf32>, tensor<2x3x1x1xf32>) -> tensor<2x3x4x4xf32>
    ff.yield %m : tensor<2x3x4x4xf32>
  }
  return %0 : tensor<2x3x4x4xf32>
}

// -----

func.func @reduction_of_other_space(%x: tensor<2x3x4x4xf32>, %y: tensor<3x4x4xf32>) -> (tensor<2x3x4x4xf32>, tensor<3x1x1xf32>) {
  %0:2 = ff.fused "k0"(%x, %y) : (tensor<2x3x4x4xf32>, tensor<3x4x4xf32>) -> (tensor<2x3x4x4xf32>, tensor<3x1x1xf32>) {
  ^bb0(%a: tensor<2x3x4x4xf32>, %b: tensor<3x4x4xf32>):
    %r = ff.relu %a : tensor<2x3x4x4xf32>
    // expected-error @+1 {{'ff.reduce_sum' op reduces a value of type 'tensor<3x4x4xf32>', not of the group's iteration type 'tensor<2x3x4x4xf32>'}}
    %s = ff.reduce_sum %b : (tensor<3x4x4xf32>) -> tensor<3x1x1xf32>
    ff.yield %r, %s : tensor<2x3x4x4xf32>, tensor<3x1x1xf32>
  }
  return %0#0, %0#1 : tensor<2x3x4x4xf32>, tensor<3x1x1xf32>
}
