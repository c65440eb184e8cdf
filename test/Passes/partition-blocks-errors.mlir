// Impossible partitions are errors that say why.
// The layer policy keeps the layers a skip connection spans together.
// RUN: ff-opt %s -mlir-print-op-on-diagnostic=false -ff-partition-blocks="policy=layer" 2>&1 | FileCheck %s --check-prefix=LAYER
// RUN: not ff-opt %s -mlir-print-op-on-diagnostic=false -ff-partition-blocks="policy=manual boundaries=/l1/relu/Relu" 2>&1 | FileCheck %s --check-prefix=SKIP
// RUN: not ff-opt %s -mlir-print-op-on-diagnostic=false -ff-partition-blocks="policy=manual boundaries=/nope" 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not ff-opt %s -mlir-print-op-on-diagnostic=false -ff-partition-blocks="policy=manual boundaries=/l1/relu_1/Relu" 2>&1 | FileCheck %s --check-prefix=LAST
// RUN: not ff-opt %s -mlir-print-op-on-diagnostic=false -ff-partition-blocks="policy=manual" 2>&1 | FileCheck %s --check-prefix=EMPTY
// RUN: not ff-opt %s -mlir-print-op-on-diagnostic=false -ff-partition-blocks="policy=diagonal" 2>&1 | FileCheck %s --check-prefix=POLICY
// RUN: not ff-opt %s -mlir-print-op-on-diagnostic=false -ff-partition-blocks="policy=scope scope-depth=0" 2>&1 | FileCheck %s --check-prefix=DEPTH

// LAYER: remark: {{.*}}no block boundary before node '/l1/conv2/Conv': a skip connection or branch spans it (2 tensors live)
// LAYER: ff.block "block0"(%arg0) {first_node = "/l1/conv1/Conv", last_node = "/l1/relu_1/Relu"}
// LAYER-NOT: ff.block
// SKIP: error: {{.*}}ff-partition-blocks: manual boundary '/l1/relu/Relu': a block boundary after node '/l1/relu/Relu' would cut a skip connection or branch: the model input #0 is still used by '/l1/Add'
// UNKNOWN: error: {{.*}}ff-partition-blocks: unknown node name '/nope'; node names look like '/l1/conv1/Conv'
// LAST: error: {{.*}}ff-partition-blocks: node '/l1/relu_1/Relu' is the last node of the trained graph; a block cannot end there
// EMPTY: error: {{.*}}ff-partition-blocks: policy 'manual' needs boundaries=NODE,... (the ONNX node names that end blocks)
// POLICY: error: {{.*}}ff-partition-blocks: unknown policy 'diagonal'; policies: layer, residual, scope, whole, manual
// DEPTH: error: {{.*}}ff-partition-blocks: scope-depth must be at least 1
// A skip connection: the layer policy would cut it.
ff.param @c1.w = dense<0.1> : tensor<4x4x3x3xf32>
ff.param @c2.w = dense<0.1> : tensor<4x4x3x3xf32>
func.func @forward(%x: tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32> {
  %w1 = ff.param_ref @c1.w : tensor<4x4x3x3xf32>
  %w2 = ff.param_ref @c2.w : tensor<4x4x3x3xf32>
  %0 = ff.conv2d %x, %w1 {padding = array<i64: 1, 1, 1, 1>} : (tensor<2x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<2x4x8x8xf32> loc("/l1/conv1/Conv")
  %1 = ff.relu %0 : tensor<2x4x8x8xf32> loc("/l1/relu/Relu")
  %2 = ff.conv2d %1, %w2 {padding = array<i64: 1, 1, 1, 1>} : (tensor<2x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<2x4x8x8xf32> loc("/l1/conv2/Conv")
  %3 = ff.add %2, %x : (tensor<2x4x8x8xf32>, tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32> loc("/l1/Add")
  %4 = ff.relu %3 : tensor<2x4x8x8xf32> loc("/l1/relu_1/Relu")
  return %4 : tensor<2x4x8x8xf32>
}
