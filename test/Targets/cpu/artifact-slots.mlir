// A hand-written model through the whole pipeline into an artifact: optional
// operands and results keep their ODS slots (-1 where absent), shape ops are
// aliases, and node names come from NameLocs, also inside FusedLocs.

// RUN: ffc %s --mode=bp --optimizer=sgd --compile-to=artifact -o %t.ffx
// RUN: ffx-dump --ops %t.ffx | FileCheck %s

// CHECK:      input_shape: 3x2x2
// CHECK-NEXT: batch: 2
// CHECK-NEXT: classes: 3
// CHECK-NEXT: mode: bp
// CHECK:      source: artifact-slots
// The model's parameters (splat initial values); backpropagation trains the
// model's own classifier, so no head is synthesized.
// CHECK:      params: 4
// CHECK-NEXT:   param fc.weight: 4x12 sum=0.48
// CHECK-NEXT:   param ln.scale: 12 sum=12
// CHECK-NEXT:   param head.weight: 3x4 sum=0.24
// CHECK-NEXT:   param head.bias: 3 sum=0
// CHECK-NEXT: kernels: 1 for cpu
// CHECK-NEXT: programs: 3

// CHECK-LABEL: program train_step:
// The reshape is an alias of the input, so the layer norm reads a tensor that
// no op computes; scale is present, bias absent.
// CHECK-NOT:   reshape
// CHECK:       layer_norm block=0 operands=[{{[0-9]+}}, [[SCALE:[0-9]+]], -1] results=[{{[0-9]+}}] {axis=1 epsilon=0.001} node='/ln/LayerNormalization'
// No bias: the third slot is -1. The ReLU after it is its epilogue (ff-fuse).
// CHECK-NEXT:  linear block=0 operands=[{{[0-9]+}}, {{[0-9]+}}, -1] results=[{{[0-9]+}}] {relu=1} node='/fc/Gemm'
// CHECK:       linear block=0 operands=[{{[0-9]+}}, {{[0-9]+}}, {{[0-9]+}}] results=[{{[0-9]+}}] {relu=0} node='/head/Gemm'
// The layer norm's gradient with a scale and no bias: three result slots.
// CHECK:       layer_norm_grad block=0 operands=[{{[0-9]+}}, {{[0-9]+}}, [[SCALE]]] results=[{{[0-9]+}}, {{[0-9]+}}, -1] {axis=1 epsilon=0.001 has_bias=0} {{.*}}node='/ln/LayerNormalization'
// CHECK:       sgd_step block=0 operands=[{{[0-9]+}}, {{[0-9]+}}, {{[0-9]+}}, -1] results=[{{[0-9]+}}, -1]
// CHECK-LABEL: program predict:
// CHECK-NOT:   reshape
// CHECK:       layer_norm block=0

module attributes {ff.source = "artifact-slots"} {
  ff.param @fc.weight = dense<0.01> : tensor<4x12xf32>
  ff.param @ln.scale = dense<1.0> : tensor<12xf32>
  ff.param @head.weight = dense<0.02> : tensor<3x4xf32>
  ff.param @head.bias = dense<0.0> : tensor<3xf32>
  func.func @forward(%x: tensor<2x3x2x2xf32> {ff.name = "input"}) -> (tensor<2x3xf32> {ff.name = "logits"}) {
    %s = ff.param_ref @ln.scale : tensor<12xf32>
    %w = ff.param_ref @fc.weight : tensor<4x12xf32>
    %hw = ff.param_ref @head.weight : tensor<3x4xf32>
    %hb = ff.param_ref @head.bias : tensor<3xf32>
    %r = ff.reshape %x : (tensor<2x3x2x2xf32>) -> tensor<2x12xf32> loc("/flatten/Reshape")
    %n = ff.layer_norm %r scale %s {epsilon = 1.0e-3 : f64} : (tensor<2x12xf32>, tensor<12xf32>) -> tensor<2x12xf32> loc(fused["/ln/LayerNormalization", "model.mlir":1:1])
    %h = ff.linear %n, %w : (tensor<2x12xf32>, tensor<4x12xf32>) -> tensor<2x4xf32> loc("/fc/Gemm")
    %a = ff.relu %h : tensor<2x4xf32> loc("/fc/Relu")
    %o = ff.linear %a, %hw, %hb : (tensor<2x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<2x3xf32> loc("/head/Gemm")
    return %o : tensor<2x3xf32>
  }
}
