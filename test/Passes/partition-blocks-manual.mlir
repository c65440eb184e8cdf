// RUN: ff-opt %s -mlir-print-op-on-diagnostic=false -ff-partition-blocks="policy=manual boundaries=/l1/relu_1/Relu" 2>/dev/null | FileCheck %s
// RUN: ff-opt %s -mlir-print-op-on-diagnostic=false -ff-partition-blocks="policy=manual boundaries=/l1/relu_1/Relu" 2>&1 >/dev/null | FileCheck %s --check-prefix=CHECK-REMARK
// RUN: ff-opt %s -mlir-print-op-on-diagnostic=false -ff-partition-blocks="policy=scope scope-depth=1" 2>/dev/null | FileCheck %s --check-prefix=SCOPE
// RUN: ff-opt %s -mlir-print-op-on-diagnostic=false -ff-partition-blocks="policy=scope scope-depth=1" 2>&1 >/dev/null | FileCheck %s --check-prefix=SCOPE-REMARK
// RUN: ff-opt %s -mlir-print-op-on-diagnostic=false -ff-partition-blocks="policy=scope scope-depth=1 keep-classifier=true" 2>/dev/null | FileCheck %s --check-prefix=KEEP
// RUN: ff-opt %s -mlir-print-op-on-diagnostic=false -ff-partition-blocks="policy=whole drop-classifier=false" 2>/dev/null | FileCheck %s --check-prefix=BP

// CHECK-REMARK: remark: {{.*}}block 'block0' ends at node '/l1/relu_1/Relu'
// CHECK-LABEL: func.func @forward
// CHECK: ff.block "block0"(%arg0) {first_node = "/l1/conv1/Conv", last_node = "/l1/relu_1/Relu"}
// CHECK: ff.block "block1"(%{{.*}}) {first_node = "/l2/conv/Conv", last_node = "/l2/relu/Relu"}
// SCOPE-REMARK: remark: {{.*}}block 'block0' ends at node '/l1/relu_1/Relu'
// SCOPE: ff.block "block0"(%arg0) {first_node = "/l1/conv1/Conv", last_node = "/l1/relu_1/Relu"}
// SCOPE: ff.block "block1"(%{{.*}}) {first_node = "/l2/conv/Conv", last_node = "/l2/relu/Relu"}
// The classifier as a last block of its own.
// KEEP: ff.block "block0"(%arg0) {first_node = "/l1/conv1/Conv", last_node = "/l1/relu_1/Relu"}
// KEEP: ff.block "block1"(%{{.*}}) {first_node = "/l2/conv/Conv", last_node = "/l2/relu/Relu"}
// KEEP: ff.block "block2"(%{{.*}}) {classifier, first_node = "/avgpool/GlobalAveragePool", last_node = "/fc/Gemm"}
// KEEP: ff.global_avg_pool
// KEEP: ff.linear
// KEEP: return {{.*}} : tensor<2x10xf32>
// Backpropagation keeps the whole model, classifier included, in one block.
// BP-REMARK-NOT: remark
// BP: ff.block "block0"(%arg0) {classifier, first_node = "/l1/conv1/Conv", last_node = "/fc/Gemm"} : (tensor<2x4x8x8xf32>) -> tensor<2x10xf32>
// BP-NOT: ff.block
ff.param @c1.w = dense<0.1> : tensor<4x4x3x3xf32>
ff.param @c2.w = dense<0.1> : tensor<4x4x3x3xf32>
ff.param @c3.w = dense<0.1> : tensor<4x4x3x3xf32>
ff.param @fc.w = dense<0.1> : tensor<10x4xf32>
func.func @forward(%x: tensor<2x4x8x8xf32>) -> tensor<2x10xf32> {
  %w1 = ff.param_ref @c1.w : tensor<4x4x3x3xf32>
  %w2 = ff.param_ref @c2.w : tensor<4x4x3x3xf32>
  %w3 = ff.param_ref @c3.w : tensor<4x4x3x3xf32>
  %wf = ff.param_ref @fc.w : tensor<10x4xf32>
  %0 = ff.conv2d %x, %w1 {padding = array<i64: 1, 1, 1, 1>} : (tensor<2x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<2x4x8x8xf32> loc("/l1/conv1/Conv")
  %1 = ff.relu %0 : tensor<2x4x8x8xf32> loc("/l1/relu/Relu")
  %2 = ff.conv2d %1, %w2 {padding = array<i64: 1, 1, 1, 1>} : (tensor<2x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<2x4x8x8xf32> loc("/l1/conv2/Conv")
  %3 = ff.add %2, %x : (tensor<2x4x8x8xf32>, tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32> loc("/l1/Add")
  %4 = ff.relu %3 : tensor<2x4x8x8xf32> loc("/l1/relu_1/Relu")
  %5 = ff.conv2d %4, %w3 {padding = array<i64: 1, 1, 1, 1>} : (tensor<2x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<2x4x8x8xf32> loc("/l2/conv/Conv")
  %6 = ff.relu %5 : tensor<2x4x8x8xf32> loc("/l2/relu/Relu")
  %7 = ff.global_avg_pool %6 : (tensor<2x4x8x8xf32>) -> tensor<2x4x1x1xf32> loc("/avgpool/GlobalAveragePool")
  %8 = ff.flatten %7 : (tensor<2x4x1x1xf32>) -> tensor<2x4xf32> loc("/Flatten")
  %9 = ff.linear %8, %wf : (tensor<2x4xf32>, tensor<10x4xf32>) -> tensor<2x10xf32> loc("/fc/Gemm")
  return %9 : tensor<2x10xf32>
}
