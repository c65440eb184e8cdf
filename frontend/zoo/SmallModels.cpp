//===- SmallModels.cpp - The zoo's own small models: mlp and cnn4 ---------===//
//
// These have no torchvision counterpart; the PyTorch modules they mirror are
// spelled out in test/Zoo/Inputs/zoo_reference.py, which the tests export and
// compare against.

#include "frontend/zoo/GraphBuilder.h"

namespace ffc::zoo::detail {

// class MLP(nn.Module):
//   flatten = nn.Flatten()
//   hidden = nn.Sequential(Linear, ReLU, Linear, ReLU, ...)
//   classifier = nn.Linear(hidden[-1], classes)
void buildMlp(GraphBuilder &b, const ZooOptions &opts) {
  Value x = b.input();
  {
    auto s = b.module("flatten");
    x = b.flatten(x);
  }
  {
    auto s = b.module("hidden");
    int64_t index = 0;
    for (int64_t width : opts.hidden) {
      {
        auto fc = b.child(index++);
        x = b.gemm(x, width, WeightInit::TorchDefault);
      }
      {
        auto act = b.child(index++);
        x = b.relu(x);
      }
    }
  }
  {
    auto s = b.module("classifier");
    x = b.gemm(x, opts.classes, WeightInit::TorchDefault);
  }
  b.output(x);
}

// class CNN4(nn.Module): four blocks, each
//   conv = nn.Conv2d(cin, cout, 3, padding=1, bias=False); bn; relu
//   pool = nn.MaxPool2d(2)   (blocks 2, 3 and 4)
// then avgpool = nn.AdaptiveAvgPool2d(1), torch.flatten(x, 1), fc = Linear.
void buildCnn4(GraphBuilder &b, const ZooOptions &opts) {
  static const int64_t kWidths[4] = {32, 64, 128, 256};
  Value x = b.input();
  for (int block = 0; block < 4; ++block) {
    auto s = b.module("block" + std::to_string(block + 1));
    {
      auto m = b.module("conv");
      x = b.conv2d(x, kWidths[block], /*kernel=*/3, /*stride=*/1, /*pad=*/1,
                   /*groups=*/1, /*bias=*/false, WeightInit::TorchDefault);
    }
    {
      auto m = b.module("bn");
      x = b.batchNorm(x, 1e-5, 0.1);
    }
    {
      auto m = b.module("relu");
      x = b.relu(x);
    }
    if (block > 0) {
      auto m = b.module("pool");
      x = b.maxPool(x, /*kernel=*/2, /*stride=*/2, /*pad=*/0);
    }
  }
  {
    auto s = b.module("avgpool");
    x = b.globalAveragePool(x);
  }
  x = b.flatten(x);
  {
    auto s = b.module("fc");
    x = b.gemm(x, opts.classes, WeightInit::TorchDefault);
  }
  b.output(x);
}

} // namespace ffc::zoo::detail
