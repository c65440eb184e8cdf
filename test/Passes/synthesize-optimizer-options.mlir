// Invalid ff-synthesize-optimizer options are errors that say what is accepted.
// RUN: not ff-opt %s -ff-synthesize-optimizer="optimizer=rmsprop" 2>&1 | FileCheck %s --check-prefix=NAME
// RUN: not ff-opt %s -ff-synthesize-optimizer="optimizer=sgd nesterov=true" 2>&1 | FileCheck %s --check-prefix=NESTEROV
// RUN: not ff-opt %s -ff-synthesize-optimizer="optimizer=adam momentum=0.9" 2>&1 | FileCheck %s --check-prefix=ADAM-MOMENTUM
// RUN: not ff-opt %s -ff-synthesize-optimizer="optimizer=adamw nesterov=true" 2>&1 | FileCheck %s --check-prefix=ADAM-NESTEROV
// RUN: not ff-opt %s -ff-synthesize-optimizer="optimizer=sgd momentum=-0.5" 2>&1 | FileCheck %s --check-prefix=MOMENTUM
// RUN: not ff-opt %s -ff-synthesize-optimizer="beta1=1.0" 2>&1 | FileCheck %s --check-prefix=BETA1
// RUN: not ff-opt %s -ff-synthesize-optimizer="beta2=-0.1" 2>&1 | FileCheck %s --check-prefix=BETA2
// RUN: not ff-opt %s -ff-synthesize-optimizer="epsilon=0" 2>&1 | FileCheck %s --check-prefix=EPSILON
// RUN: not ff-opt %s -ff-synthesize-optimizer="optimizer=sgd weight-decay=-0.5" 2>&1 | FileCheck %s --check-prefix=DECAY
// The accepted extremes pass.
// RUN: ff-opt %s -ff-synthesize-optimizer="beta1=0 beta2=0.5 weight-decay=0" | FileCheck %s --check-prefix=OK
// RUN: ff-opt %s -ff-synthesize-optimizer="optimizer=sgd momentum=0.9 nesterov=true" | FileCheck %s --check-prefix=OK

// NAME: error: ff-synthesize-optimizer: unknown optimizer 'rmsprop'; accepted: sgd, adam, adamw
// NESTEROV: error: ff-synthesize-optimizer: nesterov=true needs a momentum > 0 (e.g. momentum=0.9)
// ADAM-MOMENTUM: error: ff-synthesize-optimizer: momentum applies to optimizer=sgd only; adam averages gradients with beta1 (got momentum=9.000000e-01)
// ADAM-NESTEROV: error: ff-synthesize-optimizer: nesterov applies to optimizer=sgd only, not adamw
// MOMENTUM: error: ff-synthesize-optimizer: momentum must be non-negative, got -5.000000e-01
// BETA1: error: ff-synthesize-optimizer: beta1 must be in [0, 1), got 1.000000e+00
// BETA2: error: ff-synthesize-optimizer: beta2 must be in [0, 1), got -1.000000e-01
// EPSILON: error: ff-synthesize-optimizer: epsilon must be positive, got 0.000000e+00
// DECAY: error: ff-synthesize-optimizer: weight-decay must be non-negative, got -5.000000e-01
// OK: ff.optimizer
// OK: ff.param_store @w,

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
