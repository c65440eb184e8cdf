// Folds of the ff ops.
// RUN: ff-opt %s -canonicalize -split-input-file | FileCheck %s

// A reshape to the same type folds away.
// CHECK-LABEL: func.func @reshape_identity
// CHECK-NOT: ff.reshape
// CHECK: return %arg0
func.func @reshape_identity(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %0 = ff.reshape %x : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// A real reshape stays.
// CHECK-LABEL: func.func @reshape_real
// CHECK: ff.reshape %arg0 : (tensor<2x8xf32>) -> tensor<16xf32>
func.func @reshape_real(%x: tensor<2x8xf32>) -> tensor<16xf32> {
  %0 = ff.reshape %x : (tensor<2x8xf32>) -> tensor<16xf32>
  return %0 : tensor<16xf32>
}

// -----

// Constants are uniqued (ConstantLike + folder).
// CHECK-LABEL: func.func @constants
// CHECK-COUNT-1: ff.constant
// CHECK-NOT: ff.constant
func.func @constants() -> (tensor<2xf32>, tensor<2xf32>) {
  %0 = ff.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %1 = ff.constant dense<[1.0, 2.0]> : tensor<2xf32>
  return %0, %1 : tensor<2xf32>, tensor<2xf32>
}
