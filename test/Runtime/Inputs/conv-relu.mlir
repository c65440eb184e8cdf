// A convolution followed directly by a ReLU (no batch norm), for
// export-onnx.test: ff-fuse makes the ReLU the convolution's epilogue, and
// ff-run export must write it back as a Relu node.
module attributes {ff.source = "conv-relu"} {
  ff.param @conv.weight = dense<[[[[0.123, 0.242, 0.295], [0.442, 0.240, 0.422], [-0.471, -0.034, 0.443]]], [[[0.149, 0.401, -0.387], [-0.031, -0.253, 0.044], [0.074, -0.487, -0.283]]], [[[-0.221, 0.416, 0.266], [-0.340, 0.297, -0.361], [0.117, -0.373, -0.498]]], [[[0.371, -0.291, -0.285], [0.482, 0.372, -0.211], [0.461, 0.039, 0.178]]]]> : tensor<4x1x3x3xf32>
  ff.param @conv.bias = dense<[-0.118, 0.176, 0.076, 0.187]> : tensor<4xf32>
  ff.param @fc.weight = dense<[[0.394, -0.201, -0.139, -0.334], [-0.354, -0.435, -0.199, 0.103], [-0.497, 0.178, -0.162, -0.190], [0.319, -0.019, -0.184, -0.019], [0.205, -0.443, 0.475, -0.477], [0.250, 0.345, -0.482, 0.288], [-0.134, 0.079, -0.491, -0.453], [-0.319, 0.455, -0.303, 0.256], [0.430, 0.442, -0.156, -0.145], [0.025, 0.276, -0.392, 0.248]]> : tensor<10x4xf32>
  ff.param @fc.bias = dense<[0.059, 0.072, -0.093, 0.089, -0.082, -0.032, 0.022, 0.084, -0.032, 0.085]> : tensor<10xf32>
  func.func @forward(%x: tensor<16x1x28x28xf32> {ff.name = "input"}) -> (tensor<16x10xf32> {ff.name = "logits"}) {
    %w = ff.param_ref @conv.weight : tensor<4x1x3x3xf32>
    %b = ff.param_ref @conv.bias : tensor<4xf32>
    %fw = ff.param_ref @fc.weight : tensor<10x4xf32>
    %fb = ff.param_ref @fc.bias : tensor<10xf32>
    %c = ff.conv2d %x, %w, %b {padding = array<i64: 1, 1, 1, 1>} : (tensor<16x1x28x28xf32>, tensor<4x1x3x3xf32>, tensor<4xf32>) -> tensor<16x4x28x28xf32> loc("/conv/Conv")
    %r = ff.relu %c : tensor<16x4x28x28xf32> loc("/relu/Relu")
    %p = ff.global_avg_pool %r : (tensor<16x4x28x28xf32>) -> tensor<16x4x1x1xf32> loc("/pool/GlobalAveragePool")
    %f = ff.flatten %p : (tensor<16x4x1x1xf32>) -> tensor<16x4xf32> loc("/flatten/Flatten")
    %o = ff.linear %f, %fw, %fb : (tensor<16x4xf32>, tensor<10x4xf32>, tensor<10xf32>) -> tensor<16x10xf32> loc("/fc/Gemm")
    return %o : tensor<16x10xf32>
  }
}
