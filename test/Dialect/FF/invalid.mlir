// Verifier errors of every ff op.
// RUN: ff-opt %s -split-input-file -verify-diagnostics

// expected-error@+1 {{parameters must have a float element type}}
ff.param @p = dense<1> : tensor<4xi32>

// -----

func.func @param_inside_function() {
  // expected-error@+1 {{symbol's parent must have the SymbolTable trait}}
  ff.param @p = dense<1.0> : tensor<4xf32>
  return
}

// -----

func.func @unknown_param() -> tensor<4xf32> {
  // expected-error@+1 {{refers to 'nope', which is not an ff.param}}
  %0 = ff.param_ref @nope : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

ff.param @p = dense<1.0> : tensor<4xf32>
func.func @param_type_mismatch() -> tensor<8xf32> {
  // expected-error@+1 {{result type 'tensor<8xf32>' differs from the type 'tensor<4xf32>' of parameter 'p'}}
  %0 = ff.param_ref @p : tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

func.func @dynamic_shape(%x: tensor<?x4xf32>) {
  // expected-error@+1 {{must be statically shaped tensor}}
  %0 = ff.relu %x : tensor<?x4xf32>
  return
}

// -----

func.func @conv_channels(%x: tensor<1x3x8x8xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{conv2d: weight expects 2 channels per group but the input has 3 channels in 1 group(s)}}
  %0 = ff.conv2d %x, %w : (tensor<1x3x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_groups(%x: tensor<1x6x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{conv2d: groups (4) must divide the input channels (6) and the output channels (4)}}
  %0 = ff.conv2d %x, %w {groups = 4 : i64} : (tensor<1x6x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_result_shape(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{inferred type(s) 'tensor<1x4x6x6xf32>' are incompatible with return type(s) of operation 'tensor<1x4x8x8xf32>'}}
  %0 = ff.conv2d %x, %w : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @conv_bias(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<3xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{conv2d: bias must be a vector of 4 elements, got 'tensor<3xf32>'}}
  %0 = ff.conv2d %x, %w, %b : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_window(%x: tensor<1x3x2x2xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{conv2d: the window (3x3, dilation 1x1) does not fit the padded 2x2 input}}
  %0 = ff.conv2d %x, %w : (tensor<1x3x2x2xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x1x1xf32>
  return
}

// -----

func.func @conv_strides(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{conv2d: strides must be 2 positive values}}
  %0 = ff.conv2d %x, %w {strides = array<i64: 0, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_padding(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{conv2d: padding must be 4 non-negative values [top, left, bottom, right]}}
  %0 = ff.conv2d %x, %w {padding = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @conv_rank(%x: tensor<3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{conv2d: input and weight must be 4-D (NCHW, OIHW)}}
  %0 = ff.conv2d %x, %w : (tensor<3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_element_types(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf16>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{conv2d: operand element types differ ('f32' vs 'f16')}}
  %0 = ff.conv2d %x, %w : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf16>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @linear_features(%x: tensor<2x5xf32>, %w: tensor<3x4xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{linear: input has 5 features but the weight expects 4}}
  %0 = ff.linear %x, %w : (tensor<2x5xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @linear_rank(%x: tensor<2x5x1xf32>, %w: tensor<3x5xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{linear: input (N x in) and weight (out x in) must be 2-D}}
  %0 = ff.linear %x, %w : (tensor<2x5x1xf32>, tensor<3x5xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @linear_bias(%x: tensor<2x5xf32>, %w: tensor<3x5xf32>, %b: tensor<5xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{linear: bias must be a vector of 3 elements}}
  %0 = ff.linear %x, %w, %b : (tensor<2x5xf32>, tensor<3x5xf32>, tensor<5xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @matmul_contraction(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{matmul: contraction sizes differ (3 vs 4)}}
  %0 = ff.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @matmul_batch(%a: tensor<2x2x3xf32>, %b: tensor<3x3x5xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{matmul: batch dimensions of 'tensor<2x2x3xf32>' and 'tensor<3x3x5xf32>' do not broadcast}}
  %0 = ff.matmul %a, %b : (tensor<2x2x3xf32>, tensor<3x3x5xf32>) -> tensor<2x2x5xf32>
  return
}

// -----

func.func @matmul_rank(%a: tensor<3xf32>, %b: tensor<3x5xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{matmul: operands must have rank 2 or more}}
  %0 = ff.matmul %a, %b : (tensor<3xf32>, tensor<3x5xf32>) -> tensor<5xf32>
  return
}

// -----

func.func @batch_norm_channels(%x: tensor<2x8x4x4xf32>, %s: tensor<8xf32>, %m: tensor<4xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{batch_norm: running_mean must be a vector of 8 elements, got 'tensor<4xf32>'}}
  %0 = ff.batch_norm %x, %s, %s, %m, %s : (tensor<2x8x4x4xf32>, tensor<8xf32>, tensor<8xf32>, tensor<4xf32>, tensor<8xf32>) -> tensor<2x8x4x4xf32>
  return
}

// -----

func.func @batch_norm_epsilon(%x: tensor<2x8x4x4xf32>, %s: tensor<8xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{batch_norm: epsilon must be positive}}
  %0 = ff.batch_norm %x, %s, %s, %s, %s {epsilon = 0.0 : f64} : (tensor<2x8x4x4xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x8x4x4xf32>
  return
}

// -----

func.func @batch_norm_momentum(%x: tensor<2x8x4x4xf32>, %s: tensor<8xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{batch_norm: momentum must be in [0, 1], got 1.5}}
  %0 = ff.batch_norm %x, %s, %s, %s, %s {momentum = 1.5 : f64} : (tensor<2x8x4x4xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x8x4x4xf32>
  return
}

// -----

func.func @batch_norm_rank(%x: tensor<8xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{batch_norm: input must have rank 2 or more (N x C x ...)}}
  %0 = ff.batch_norm %x, %x, %x, %x, %x : (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return
}

// -----

func.func @layer_norm_axis(%x: tensor<2x8xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{layer_norm: axis 2 is out of range for rank 2}}
  %0 = ff.layer_norm %x {axis = 2 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @layer_norm_scale(%x: tensor<2x8x4xf32>, %s: tensor<8xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{layer_norm: scale must have type 'tensor<8x4xf32>' (the normalised dimensions), got 'tensor<8xf32>'}}
  %0 = ff.layer_norm %x scale %s : (tensor<2x8x4xf32>, tensor<8xf32>) -> tensor<2x8x4xf32>
  return
}

// -----

func.func @layer_norm_epsilon(%x: tensor<2x8xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{layer_norm: epsilon must be positive}}
  %0 = ff.layer_norm %x {epsilon = -1.0 : f64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @relu_types(%x: tensor<2x8xf32>) {
  // expected-error@+1 {{requires the same type for all operands and results}}
  %0 = "ff.relu"(%x) : (tensor<2x8xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @sigmoid_types(%x: tensor<2x8xf32>) {
  // expected-error@+1 {{requires the same type for all operands and results}}
  %0 = "ff.sigmoid"(%x) : (tensor<2x8xf32>) -> tensor<2x8xf16>
  return
}

// -----

func.func @hardswish_types(%x: tensor<2x8xf32>) {
  // expected-error@+1 {{requires the same type for all operands and results}}
  %0 = "ff.hardswish"(%x) : (tensor<2x8xf32>) -> tensor<8xf32>
  return
}

// -----

func.func @hardsigmoid_integer(%x: tensor<2x8xi32>) {
  // expected-error@+1 {{must be statically shaped tensor of floating-point values}}
  %0 = ff.hardsigmoid %x : tensor<2x8xi32>
  return
}

// -----

func.func @clip_range(%x: tensor<2x8xf32>) {
  // expected-error@+1 {{min (6.000000e+00) is greater than max (0.000000e+00)}}
  %0 = ff.clip %x {min = 6.0 : f64, max = 0.0 : f64} : tensor<2x8xf32>
  return
}

// -----

func.func @add_broadcast(%a: tensor<2x8xf32>, %b: tensor<3x8xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{add: shapes 'tensor<2x8xf32>' and 'tensor<3x8xf32>' do not broadcast}}
  %0 = ff.add %a, %b : (tensor<2x8xf32>, tensor<3x8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @mul_result(%a: tensor<2x8x4x4xf32>, %b: tensor<2x8x1x1xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{inferred type(s) 'tensor<2x8x4x4xf32>' are incompatible with return type(s) of operation 'tensor<2x8x1x1xf32>'}}
  %0 = ff.mul %a, %b : (tensor<2x8x4x4xf32>, tensor<2x8x1x1xf32>) -> tensor<2x8x1x1xf32>
  return
}

// -----

func.func @sub_types(%a: tensor<2x8xf32>, %b: tensor<2x8xf16>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{sub: operand element types differ ('f32' vs 'f16')}}
  %0 = ff.sub %a, %b : (tensor<2x8xf32>, tensor<2x8xf16>) -> tensor<2x8xf32>
  return
}

// -----

func.func @div_broadcast(%a: tensor<4xf32>, %b: tensor<3xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{div: shapes 'tensor<4xf32>' and 'tensor<3xf32>' do not broadcast}}
  %0 = ff.div %a, %b : (tensor<4xf32>, tensor<3xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @dropout_ratio(%x: tensor<2x8xf32>) {
  // expected-error@+1 {{ratio must be in [0, 1), got 1}}
  %0 = ff.dropout %x {ratio = 1.0 : f64} : tensor<2x8xf32>
  return
}

// -----

func.func @softmax_axis(%x: tensor<2x8xf32>) {
  // expected-error@+1 {{axis 2 is out of range for rank 2}}
  %0 = ff.softmax %x {axis = 2 : i64} : tensor<2x8xf32>
  return
}

// -----

func.func @max_pool_kernel(%x: tensor<1x8x8x8xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{max_pool2d: kernel must be 2 positive sizes}}
  %0 = ff.max_pool2d %x {kernel = array<i64: 2>} : (tensor<1x8x8x8xf32>) -> tensor<1x8x4x4xf32>
  return
}

// -----

func.func @max_pool_rank(%x: tensor<8x8x8xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{max_pool2d: input must be 4-D (NCHW), got 'tensor<8x8x8xf32>'}}
  %0 = ff.max_pool2d %x {kernel = array<i64: 2, 2>} : (tensor<8x8x8xf32>) -> tensor<8x8x4x4xf32>
  return
}

// -----

func.func @max_pool_shape(%x: tensor<1x8x8x8xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{inferred type(s) 'tensor<1x8x4x4xf32>' are incompatible with return type(s) of operation 'tensor<1x8x8x8xf32>'}}
  %0 = ff.max_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  return
}

// -----

func.func @avg_pool_padding(%x: tensor<1x8x8x8xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{avg_pool2d: padding must be smaller than the kernel}}
  %0 = ff.avg_pool2d %x {kernel = array<i64: 2, 2>, padding = array<i64: 2, 2, 2, 2>} : (tensor<1x8x8x8xf32>) -> tensor<1x8x11x11xf32>
  return
}

// -----

func.func @global_avg_pool_rank(%x: tensor<2x8xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{global_avg_pool: input must be 4-D (NCHW), got 'tensor<2x8xf32>'}}
  %0 = ff.global_avg_pool %x : (tensor<2x8xf32>) -> tensor<2x8x1x1xf32>
  return
}

// -----

func.func @flatten_axis(%x: tensor<2x8xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{flatten: axis 3 is out of range [0, 2]}}
  %0 = ff.flatten %x {axis = 3 : i64} : (tensor<2x8xf32>) -> tensor<16x1xf32>
  return
}

// -----

func.func @reshape_count(%x: tensor<2x8xf32>) {
  // expected-error@+1 {{cannot reshape 'tensor<2x8xf32>' (16 elements) into 'tensor<3x5xf32>' (15 elements)}}
  %0 = ff.reshape %x : (tensor<2x8xf32>) -> tensor<3x5xf32>
  return
}

// -----

func.func @reshape_type(%x: tensor<2x8xf32>) {
  // expected-error@+1 {{element type changes from 'f32' to 'f16'}}
  %0 = ff.reshape %x : (tensor<2x8xf32>) -> tensor<16xf16>
  return
}

// -----

func.func @concat_mismatch(%a: tensor<1x8x4x4xf32>, %b: tensor<1x4x5x4xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{concat: operand 1 has type 'tensor<1x4x5x4xf32>', which differs from 'tensor<1x8x4x4xf32>' outside axis 1}}
  %0 = ff.concat %a, %b {axis = 1 : i64} : (tensor<1x8x4x4xf32>, tensor<1x4x5x4xf32>) -> tensor<1x12x4x4xf32>
  return
}

// -----

func.func @concat_axis(%a: tensor<1x8xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{concat: axis 2 is out of range for rank 2}}
  %0 = ff.concat %a {axis = 2 : i64} : (tensor<1x8xf32>) -> tensor<1x8xf32>
  return
}
