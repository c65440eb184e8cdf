// ff-schedule needs the output of the training passes.
// RUN: not ff-opt %s -split-input-file -ff-schedule 2>&1 >/dev/null | FileCheck %s --check-prefix=ERR


// ERR: error: ff-schedule: @train updates no parameter (run ff-differentiate-blocks and ff-synthesize-optimizer first)
module {
  func.func @train(%x: tensor<2x4xf32>, %y: tensor<2xi32>) -> tensor<2x4xf32> {
    return %x : tensor<2x4xf32>
  }
  func.func @infer(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
    return %x : tensor<2x4xf32>
  }
}

// -----

// ERR: error: ff-schedule: needs @train and @infer (run the training passes up to ff-synthesize-optimizer first)
module {
}
