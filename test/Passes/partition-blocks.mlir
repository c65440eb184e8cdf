// RUN: ff-opt %s -mlir-print-op-on-diagnostic=false -ff-partition-blocks="policy=layer" 2>/dev/null | FileCheck %s --check-prefix=LAYER
// RUN: ff-opt %s -mlir-print-op-on-diagnostic=false -ff-partition-blocks="policy=layer" 2>&1 >/dev/null | FileCheck %s --check-prefix=LAYER-REMARK
// RUN: ff-opt %s -mlir-print-op-on-diagnostic=false -ff-partition-blocks="policy=whole" 2>/dev/null | FileCheck %s --check-prefix=WHOLE

// Every boundary is reported with the ONNX node that ends the block.
// LAYER-REMARK: remark: {{.*}}block 'block0' ends at node '/r1/Relu'
// LAYER-REMARK-NOT: remark

// Two conv layers, each with its norm and activation, then the classifier.
ff.param @c1.w = dense<0.1> : tensor<4x1x3x3xf32>
ff.param @c2.w = dense<0.1> : tensor<8x4x3x3xf32>
ff.param @fc.w = dense<0.1> : tensor<10x8xf32>
// LAYER-LABEL: func.func @forward
// LAYER-SAME: -> (tensor<2x8x4x4xf32> {ff.name = "features"})
// LAYER: %[[B0:.*]] = ff.block "block0"(%arg0) {first_node = "/c1/Conv", last_node = "/r1/Relu"}
// LAYER-NEXT: ^bb0(%[[IN:.*]]: tensor<2x1x8x8xf32>):
// LAYER-NEXT: %[[W:.*]] = ff.param_ref @c1.w
// LAYER-NEXT: %[[C:.*]] = ff.conv2d %[[IN]], %[[W]]
// LAYER-NEXT: %[[R:.*]] = ff.relu %[[C]]
// LAYER-NEXT: ff.yield %[[R]]
// LAYER: %[[B1:.*]] = ff.block "block1"(%[[B0]]) {first_node = "/c2/Conv", last_node = "/p2/MaxPool"}
// LAYER: ff.conv2d
// LAYER: ff.relu
// LAYER: ff.max_pool2d
// LAYER-NOT: ff.global_avg_pool
// LAYER-NOT: ff.linear
// LAYER: return %[[B1]]
// The classifier's parameter goes with it.
// LAYER-NOT: ff.param @fc.w
// WHOLE-LABEL: func.func @forward
// WHOLE: ff.block "block0"(%arg0)
// WHOLE-NOT: ff.block
// WHOLE: ff.max_pool2d
// WHOLE-NEXT: ff.yield
func.func @forward(%x: tensor<2x1x8x8xf32>) -> tensor<2x10xf32> {
  %w1 = ff.param_ref @c1.w : tensor<4x1x3x3xf32>
  %w2 = ff.param_ref @c2.w : tensor<8x4x3x3xf32>
  %wf = ff.param_ref @fc.w : tensor<10x8xf32>
  %0 = ff.conv2d %x, %w1 {padding = array<i64: 1, 1, 1, 1>} : (tensor<2x1x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<2x4x8x8xf32> loc("/c1/Conv")
  %1 = ff.relu %0 : tensor<2x4x8x8xf32> loc("/r1/Relu")
  %2 = ff.conv2d %1, %w2 {padding = array<i64: 1, 1, 1, 1>} : (tensor<2x4x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<2x8x8x8xf32> loc("/c2/Conv")
  %3 = ff.relu %2 : tensor<2x8x8x8xf32> loc("/r2/Relu")
  %4 = ff.max_pool2d %3 {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<2x8x8x8xf32>) -> tensor<2x8x4x4xf32> loc("/p2/MaxPool")
  %5 = ff.global_avg_pool %4 : (tensor<2x8x4x4xf32>) -> tensor<2x8x1x1xf32> loc("/avgpool/GlobalAveragePool")
  %6 = ff.flatten %5 : (tensor<2x8x1x1xf32>) -> tensor<2x8xf32> loc("/Flatten")
  %7 = ff.linear %6, %wf : (tensor<2x8xf32>, tensor<10x8xf32>) -> tensor<2x10xf32> loc("/fc/Gemm")
  return %7 : tensor<2x10xf32>
}

