// RUN: ff-opt %s -split-input-file -mlir-print-op-on-diagnostic=false -ff-partition-blocks 2>/dev/null | FileCheck %s
// RUN: ff-opt %s -split-input-file -mlir-print-op-on-diagnostic=false -ff-partition-blocks 2>&1 >/dev/null | FileCheck %s --check-prefix=CHECK-REMARK

// Residual policy (the default): a stem without a residual of its own joins
// the first unit; units end after each residual join and its activation.
ff.param @stem.w = dense<0.1> : tensor<4x1x3x3xf32>
ff.param @a.w = dense<0.1> : tensor<4x4x3x3xf32>
ff.param @b.w = dense<0.1> : tensor<4x4x3x3xf32>
// CHECK-REMARK: remark: {{.*}}block 'block0' ends at node '/a/relu_1/Relu'
// CHECK-LABEL: func.func @forward
// CHECK: ff.block "block0"(%arg0) {first_node = "/stem/Conv", last_node = "/a/relu_1/Relu"}
// CHECK: ff.block "block1"(%{{.*}}) {first_node = "/b/conv/Conv", last_node = "/b/relu_1/Relu"}
// CHECK-NOT: ff.block
func.func @forward(%x: tensor<2x1x8x8xf32>) -> tensor<2x4x8x8xf32> {
  %ws = ff.param_ref @stem.w : tensor<4x1x3x3xf32>
  %wa = ff.param_ref @a.w : tensor<4x4x3x3xf32>
  %wb = ff.param_ref @b.w : tensor<4x4x3x3xf32>
  %0 = ff.conv2d %x, %ws {padding = array<i64: 1, 1, 1, 1>} : (tensor<2x1x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<2x4x8x8xf32> loc("/stem/Conv")
  %1 = ff.relu %0 : tensor<2x4x8x8xf32> loc("/stem/Relu")
  %2 = ff.conv2d %1, %wa {padding = array<i64: 1, 1, 1, 1>} : (tensor<2x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<2x4x8x8xf32> loc("/a/conv/Conv")
  %3 = ff.add %2, %1 : (tensor<2x4x8x8xf32>, tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32> loc("/a/Add")
  %4 = ff.relu %3 : tensor<2x4x8x8xf32> loc("/a/relu_1/Relu")
  %5 = ff.conv2d %4, %wb {padding = array<i64: 1, 1, 1, 1>} : (tensor<2x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<2x4x8x8xf32> loc("/b/conv/Conv")
  %6 = ff.add %5, %4 : (tensor<2x4x8x8xf32>, tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32> loc("/b/Add")
  %7 = ff.relu %6 : tensor<2x4x8x8xf32> loc("/b/relu_1/Relu")
  return %7 : tensor<2x4x8x8xf32>
}

// -----

// Linear bottlenecks (a norm output fed straight into the next conv) end
// units too, as in MobileNet's inverted residuals without a skip; the head
// after the last unit joins it.
ff.param @a.w = dense<0.1> : tensor<4x1x1x1xf32>
ff.param @b.w = dense<0.1> : tensor<4x4x1x1xf32>
ff.param @bn = dense<1.0> : tensor<4xf32>
// CHECK-REMARK: remark: {{.*}}block 'block0' ends at node '/a/bn/BatchNormalization'
// CHECK-REMARK-NOT: remark
// CHECK-LABEL: func.func @forward
// CHECK: ff.block "block0"(%arg0) {first_node = "/a/Conv", last_node = "/a/bn/BatchNormalization"}
// CHECK: ff.block "block1"(%{{.*}}) {first_node = "/b/Conv", last_node = "/c/act/HardSwish"}
func.func @forward(%x: tensor<2x1x4x4xf32>) -> tensor<2x4x4x4xf32> {
  %wa = ff.param_ref @a.w : tensor<4x1x1x1xf32>
  %wb = ff.param_ref @b.w : tensor<4x4x1x1xf32>
  %s = ff.param_ref @bn : tensor<4xf32>
  %0 = ff.conv2d %x, %wa : (tensor<2x1x4x4xf32>, tensor<4x1x1x1xf32>) -> tensor<2x4x4x4xf32> loc("/a/Conv")
  %1 = ff.batch_norm %0, %s, %s, %s, %s : (tensor<2x4x4x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4x4x4xf32> loc("/a/bn/BatchNormalization")
  %2 = ff.conv2d %1, %wb : (tensor<2x4x4x4xf32>, tensor<4x4x1x1xf32>) -> tensor<2x4x4x4xf32> loc("/b/Conv")
  %3 = ff.batch_norm %2, %s, %s, %s, %s : (tensor<2x4x4x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4x4x4xf32> loc("/b/bn/BatchNormalization")
  %4 = ff.conv2d %3, %wb : (tensor<2x4x4x4xf32>, tensor<4x4x1x1xf32>) -> tensor<2x4x4x4xf32> loc("/c/Conv")
  %5 = ff.batch_norm %4, %s, %s, %s, %s : (tensor<2x4x4x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4x4x4xf32> loc("/c/bn/BatchNormalization")
  %6 = ff.hardswish %5 : tensor<2x4x4x4xf32> loc("/c/act/HardSwish")
  return %6 : tensor<2x4x4x4xf32>
}
