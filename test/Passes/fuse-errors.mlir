// RUN: not ff-opt %s -ff-fuse 2>&1 | FileCheck %s

// ff-fuse runs on the scheduled step programs.
// CHECK: error: ff-fuse: module has no step function 'train_step' (run ff-schedule first)
module {
  func.func @forward(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
    return %x : tensor<2x3xf32>
  }
}
