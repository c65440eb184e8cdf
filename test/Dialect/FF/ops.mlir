// Round trip of every ff op: print, parse again, print the same.
// RUN: ff-opt %s | ff-opt | FileCheck %s
// RUN: ff-opt %s --mlir-print-op-generic | ff-opt | FileCheck %s

// CHECK: ff.param @conv.weight = dense<5.000000e-01> : tensor<8x3x3x3xf32>
ff.param @conv.weight = dense<0.5> : tensor<8x3x3x3xf32>
// CHECK: ff.param @bn.running_mean buffer = dense<0.000000e+00> : tensor<8xf32>
ff.param @bn.running_mean buffer = dense<0.0> : tensor<8xf32>

// CHECK-LABEL: func.func @params_and_constants
func.func @params_and_constants() -> (tensor<8x3x3x3xf32>, tensor<8xf32>, tensor<2xf32>) {
  // CHECK: ff.param_ref @conv.weight : tensor<8x3x3x3xf32>
  %w = ff.param_ref @conv.weight : tensor<8x3x3x3xf32>
  // CHECK: ff.param_ref @bn.running_mean : tensor<8xf32>
  %m = ff.param_ref @bn.running_mean : tensor<8xf32>
  // CHECK: ff.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
  %c = ff.constant dense<[1.0, 2.0]> : tensor<2xf32>
  return %w, %m, %c : tensor<8x3x3x3xf32>, tensor<8xf32>, tensor<2xf32>
}

// CHECK-LABEL: func.func @contractions
func.func @contractions(%x: tensor<2x3x32x32xf32>, %w: tensor<16x3x3x3xf32>, %b: tensor<16xf32>,
                        %dw: tensor<16x1x3x3xf32>, %f: tensor<2x64xf32>, %lw: tensor<10x64xf32>,
                        %lb: tensor<10xf32>, %a3: tensor<4x2x3xf32>, %m2: tensor<3x5xf32>) {
  // CHECK: ff.conv2d %{{.*}}, %{{.*}}, %{{.*}} {padding = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<2x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>) -> tensor<2x16x16x16xf32>
  %0 = ff.conv2d %x, %w, %b {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>}
      : (tensor<2x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>) -> tensor<2x16x16x16xf32>
  // Depthwise, dilated, no bias, asymmetric padding.
  // CHECK: ff.conv2d %{{.*}}, %{{.*}} {dilations = array<i64: 2, 2>, groups = 16 : i64, padding = array<i64: 2, 2, 1, 1>} : (tensor<2x16x16x16xf32>, tensor<16x1x3x3xf32>) -> tensor<2x16x15x15xf32>
  %1 = ff.conv2d %0, %dw {groups = 16 : i64, dilations = array<i64: 2, 2>, padding = array<i64: 2, 2, 1, 1>}
      : (tensor<2x16x16x16xf32>, tensor<16x1x3x3xf32>) -> tensor<2x16x15x15xf32>
  // CHECK: ff.linear %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x64xf32>, tensor<10x64xf32>, tensor<10xf32>) -> tensor<2x10xf32>
  %2 = ff.linear %f, %lw, %lb : (tensor<2x64xf32>, tensor<10x64xf32>, tensor<10xf32>) -> tensor<2x10xf32>
  // CHECK: ff.linear %{{.*}}, %{{.*}} : (tensor<2x64xf32>, tensor<10x64xf32>) -> tensor<2x10xf32>
  %3 = ff.linear %f, %lw : (tensor<2x64xf32>, tensor<10x64xf32>) -> tensor<2x10xf32>
  // CHECK: ff.matmul %{{.*}}, %{{.*}} : (tensor<4x2x3xf32>, tensor<3x5xf32>) -> tensor<4x2x5xf32>
  %4 = ff.matmul %a3, %m2 : (tensor<4x2x3xf32>, tensor<3x5xf32>) -> tensor<4x2x5xf32>
  return
}

// CHECK-LABEL: func.func @normalisation
func.func @normalisation(%x: tensor<4x8x5x5xf32>, %s: tensor<8xf32>, %ls: tensor<8x5x5xf32>) {
  // CHECK: ff.batch_norm %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 1.000000e-03 : f64, momentum = 5.000000e-01 : f64, training}
  %0 = ff.batch_norm %x, %s, %s, %s, %s {epsilon = 1.0e-3 : f64, momentum = 0.5 : f64, training}
      : (tensor<4x8x5x5xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<4x8x5x5xf32>
  // Inference semantics and default attributes print without attributes.
  // CHECK: ff.batch_norm %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : (
  %1 = ff.batch_norm %x, %s, %s, %s, %s
      : (tensor<4x8x5x5xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<4x8x5x5xf32>
  // CHECK: ff.layer_norm %{{.*}} : (tensor<4x8x5x5xf32>) -> tensor<4x8x5x5xf32>
  %2 = ff.layer_norm %x : (tensor<4x8x5x5xf32>) -> tensor<4x8x5x5xf32>
  // CHECK: ff.layer_norm %{{.*}} scale %{{.*}} bias %{{.*}} {epsilon = 1.000000e-03 : f64} : (tensor<4x8x5x5xf32>, tensor<8x5x5xf32>, tensor<8x5x5xf32>) -> tensor<4x8x5x5xf32>
  %3 = ff.layer_norm %x scale %ls bias %ls {epsilon = 1.0e-3 : f64}
      : (tensor<4x8x5x5xf32>, tensor<8x5x5xf32>, tensor<8x5x5xf32>) -> tensor<4x8x5x5xf32>
  // CHECK: ff.layer_norm %{{.*}} bias %{{.*}} {axis = 3 : i64} : (tensor<4x8x5x5xf32>, tensor<5xf32>) -> tensor<4x8x5x5xf32>
  %b5 = ff.constant dense<0.0> : tensor<5xf32>
  %4 = ff.layer_norm %x bias %b5 {axis = 3 : i64} : (tensor<4x8x5x5xf32>, tensor<5xf32>) -> tensor<4x8x5x5xf32>
  return
}

// CHECK-LABEL: func.func @elementwise
func.func @elementwise(%x: tensor<2x8x4x4xf32>, %s: tensor<2x8x1x1xf32>, %v: tensor<4xf32>) {
  // CHECK: ff.relu %{{.*}} : tensor<2x8x4x4xf32>
  %0 = ff.relu %x : tensor<2x8x4x4xf32>
  // CHECK: ff.sigmoid %{{.*}} : tensor<2x8x4x4xf32>
  %1 = ff.sigmoid %x : tensor<2x8x4x4xf32>
  // CHECK: ff.hardswish %{{.*}} : tensor<2x8x4x4xf32>
  %2 = ff.hardswish %x : tensor<2x8x4x4xf32>
  // CHECK: ff.hardsigmoid %{{.*}} {alpha = 0.16666666666666666 : f64} : tensor<2x8x4x4xf32>
  %3 = ff.hardsigmoid %x {alpha = 0.16666666666666666 : f64} : tensor<2x8x4x4xf32>
  // CHECK: ff.clip %{{.*}} {max = 6.000000e+00 : f64, min = 0.000000e+00 : f64} : tensor<2x8x4x4xf32>
  %4 = ff.clip %x {min = 0.0 : f64, max = 6.0 : f64} : tensor<2x8x4x4xf32>
  // CHECK: ff.add %{{.*}}, %{{.*}} : (tensor<2x8x4x4xf32>, tensor<2x8x4x4xf32>) -> tensor<2x8x4x4xf32>
  %5 = ff.add %x, %x : (tensor<2x8x4x4xf32>, tensor<2x8x4x4xf32>) -> tensor<2x8x4x4xf32>
  // The squeeze-and-excitation broadcast: N x C x 1 x 1 against N x C x H x W.
  // CHECK: ff.mul %{{.*}}, %{{.*}} : (tensor<2x8x4x4xf32>, tensor<2x8x1x1xf32>) -> tensor<2x8x4x4xf32>
  %6 = ff.mul %x, %s : (tensor<2x8x4x4xf32>, tensor<2x8x1x1xf32>) -> tensor<2x8x4x4xf32>
  // CHECK: ff.sub %{{.*}}, %{{.*}} : (tensor<4xf32>, tensor<2x8x4x4xf32>) -> tensor<2x8x4x4xf32>
  %7 = ff.sub %v, %x : (tensor<4xf32>, tensor<2x8x4x4xf32>) -> tensor<2x8x4x4xf32>
  // CHECK: ff.div %{{.*}}, %{{.*}} : (tensor<2x8x1x1xf32>, tensor<4xf32>) -> tensor<2x8x1x4xf32>
  %8 = ff.div %s, %v : (tensor<2x8x1x1xf32>, tensor<4xf32>) -> tensor<2x8x1x4xf32>
  // CHECK: ff.dropout %{{.*}} {ratio = 2.000000e-01 : f64} : tensor<2x8x4x4xf32>
  %9 = ff.dropout %x {ratio = 0.2 : f64} : tensor<2x8x4x4xf32>
  // CHECK: ff.softmax %{{.*}} {axis = 1 : i64} : tensor<2x8x4x4xf32>
  %10 = ff.softmax %x {axis = 1 : i64} : tensor<2x8x4x4xf32>
  return
}

// CHECK-LABEL: func.func @pooling
func.func @pooling(%x: tensor<1x8x28x28xf32>, %y: tensor<1x8x7x7xf32>) {
  // CHECK: ff.max_pool2d %{{.*}} {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x8x28x28xf32>) -> tensor<1x8x14x14xf32>
  %0 = ff.max_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x8x28x28xf32>) -> tensor<1x8x14x14xf32>
  // ResNet's stem pool: 3x3, stride 2, padding 1.
  // CHECK: ff.max_pool2d %{{.*}} {{.*}} : (tensor<1x8x28x28xf32>) -> tensor<1x8x14x14xf32>
  %1 = ff.max_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x8x28x28xf32>) -> tensor<1x8x14x14xf32>
  // ceil_mode rounds 7 -> 4 windows of 2 with stride 2.
  // CHECK: ff.max_pool2d %{{.*}} {ceil_mode, kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x8x7x7xf32>) -> tensor<1x8x4x4xf32>
  %2 = ff.max_pool2d %y {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, ceil_mode} : (tensor<1x8x7x7xf32>) -> tensor<1x8x4x4xf32>
  // CHECK: ff.avg_pool2d %{{.*}} {count_include_pad, kernel = array<i64: 3, 3>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x8x7x7xf32>) -> tensor<1x8x7x7xf32>
  %3 = ff.avg_pool2d %y {kernel = array<i64: 3, 3>, padding = array<i64: 1, 1, 1, 1>, count_include_pad} : (tensor<1x8x7x7xf32>) -> tensor<1x8x7x7xf32>
  // CHECK: ff.global_avg_pool %{{.*}} : (tensor<1x8x7x7xf32>) -> tensor<1x8x1x1xf32>
  %4 = ff.global_avg_pool %y : (tensor<1x8x7x7xf32>) -> tensor<1x8x1x1xf32>
  return
}

// CHECK-LABEL: func.func @shapes
func.func @shapes(%x: tensor<2x8x1x1xf32>, %y: tensor<2x4x1x1xf32>) {
  // CHECK: ff.flatten %{{.*}} : (tensor<2x8x1x1xf32>) -> tensor<2x8xf32>
  %0 = ff.flatten %x : (tensor<2x8x1x1xf32>) -> tensor<2x8xf32>
  // CHECK: ff.flatten %{{.*}} {axis = 0 : i64} : (tensor<2x8x1x1xf32>) -> tensor<1x16xf32>
  %1 = ff.flatten %x {axis = 0 : i64} : (tensor<2x8x1x1xf32>) -> tensor<1x16xf32>
  // CHECK: ff.reshape %{{.*}} : (tensor<2x8x1x1xf32>) -> tensor<4x4xf32>
  %2 = ff.reshape %x : (tensor<2x8x1x1xf32>) -> tensor<4x4xf32>
  // CHECK: ff.concat %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<2x8x1x1xf32>, tensor<2x4x1x1xf32>) -> tensor<2x12x1x1xf32>
  %3 = ff.concat %x, %y {axis = 1 : i64} : (tensor<2x8x1x1xf32>, tensor<2x4x1x1xf32>) -> tensor<2x12x1x1xf32>
  return
}
