//===- ResNet.cpp - torchvision's resnet18, optionally with a CIFAR stem --===//

#include "frontend/zoo/GraphBuilder.h"

namespace ffc::zoo::detail {

namespace {

constexpr double kEps = 1e-5;
constexpr double kMomentum = 0.1; // PyTorch convention

Value convBn(GraphBuilder &b, const Value &x, const std::string &conv,
             const std::string &bn, int64_t planes, int64_t kernel,
             int64_t stride) {
  Value y;
  {
    auto s = b.module(conv);
    y = b.conv2d(x, planes, kernel, stride, (kernel - 1) / 2, /*groups=*/1,
                 /*bias=*/false, WeightInit::KaimingNormalFanOut);
  }
  auto s = b.module(bn);
  return b.batchNorm(y, kEps, kMomentum);
}

// torchvision.models.resnet.BasicBlock.forward.
Value basicBlock(GraphBuilder &b, const Value &x, int64_t planes,
                 int64_t stride) {
  Value out = convBn(b, x, "conv1", "bn1", planes, 3, stride);
  {
    auto s = b.module("relu");
    out = b.relu(out);
  }
  out = convBn(b, out, "conv2", "bn2", planes, 3, 1);
  Value identity = x;
  if (stride != 1 || x.shape[0] != planes) {
    auto s = b.module("downsample");
    {
      auto c = b.child(0);
      identity = b.conv2d(x, planes, 1, stride, 0, 1, false,
                          WeightInit::KaimingNormalFanOut);
    }
    auto n = b.child(1);
    identity = b.batchNorm(identity, kEps, kMomentum);
  }
  out = b.add(out, identity);
  // self.relu is called a second time; PyTorch scopes that call "relu_1".
  auto s = b.module("relu", "relu_1");
  return b.relu(out);
}

} // namespace

void buildResNet18(GraphBuilder &b, const ZooOptions &opts) {
  const bool cifar = opts.stem == "cifar";
  Value x = b.input();
  x = cifar ? convBn(b, x, "conv1", "bn1", 64, 3, 1)
            : convBn(b, x, "conv1", "bn1", 64, 7, 2);
  {
    auto s = b.module("relu");
    x = b.relu(x);
  }
  if (!cifar) {
    auto s = b.module("maxpool");
    x = b.maxPool(x, /*kernel=*/3, /*stride=*/2, /*pad=*/1);
  }
  static const int64_t kPlanes[4] = {64, 128, 256, 512};
  for (int layer = 0; layer < 4; ++layer) {
    auto s = b.module("layer" + std::to_string(layer + 1));
    for (int block = 0; block < 2; ++block) {
      auto c = b.child(block);
      x = basicBlock(b, x, kPlanes[layer], layer > 0 && block == 0 ? 2 : 1);
    }
  }
  {
    auto s = b.module("avgpool");
    x = b.globalAveragePool(x);
  }
  x = b.flatten(x);
  {
    // torchvision leaves fc at nn.Linear's default initialisation.
    auto s = b.module("fc");
    x = b.gemm(x, opts.classes, WeightInit::TorchDefault);
  }
  b.output(x);
}

} // namespace ffc::zoo::detail
