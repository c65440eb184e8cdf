//===- MobileNetV3.cpp - torchvision 0.14's mobilenet_v3_small / _large ---===//

#include "frontend/zoo/GraphBuilder.h"

#include <iterator>

namespace ffc::zoo::detail {

namespace {

// torchvision builds MobileNetV3's BatchNorm2d with eps=0.001, momentum=0.01.
constexpr double kEps = 0.001;
constexpr double kMomentum = 0.01;

enum class Act { None, ReLU, HardSwish };

/// torchvision's InvertedResidualConfig at width_mult 1.0 (dilation 1).
struct BlockConfig {
  int64_t input, kernel, expanded, out;
  bool se;
  Act act;
  int64_t stride;
};

// Table 1 and 2 of "Searching for MobileNetV3", as torchvision 0.14 lists them
// in _mobilenet_v3_conf (reduced_tail=False, dilated=False).
const BlockConfig kLarge[] = {
    {16, 3, 16, 16, false, Act::ReLU, 1},
    {16, 3, 64, 24, false, Act::ReLU, 2},
    {24, 3, 72, 24, false, Act::ReLU, 1},
    {24, 5, 72, 40, true, Act::ReLU, 2},
    {40, 5, 120, 40, true, Act::ReLU, 1},
    {40, 5, 120, 40, true, Act::ReLU, 1},
    {40, 3, 240, 80, false, Act::HardSwish, 2},
    {80, 3, 200, 80, false, Act::HardSwish, 1},
    {80, 3, 184, 80, false, Act::HardSwish, 1},
    {80, 3, 184, 80, false, Act::HardSwish, 1},
    {80, 3, 480, 112, true, Act::HardSwish, 1},
    {112, 3, 672, 112, true, Act::HardSwish, 1},
    {112, 5, 672, 160, true, Act::HardSwish, 2},
    {160, 5, 960, 160, true, Act::HardSwish, 1},
    {160, 5, 960, 160, true, Act::HardSwish, 1},
};
const BlockConfig kSmall[] = {
    {16, 3, 16, 16, true, Act::ReLU, 2},
    {16, 3, 72, 24, false, Act::ReLU, 2},
    {24, 3, 88, 24, false, Act::ReLU, 1},
    {24, 5, 96, 40, true, Act::HardSwish, 2},
    {40, 5, 240, 40, true, Act::HardSwish, 1},
    {40, 5, 240, 40, true, Act::HardSwish, 1},
    {40, 5, 120, 48, true, Act::HardSwish, 1},
    {48, 5, 144, 48, true, Act::HardSwish, 1},
    {48, 5, 288, 96, true, Act::HardSwish, 2},
    {96, 5, 576, 96, true, Act::HardSwish, 1},
    {96, 5, 576, 96, true, Act::HardSwish, 1},
};

/// torchvision's _make_divisible(v, 8) for integer v: round to the nearest
/// multiple of 8, never below 8 and never more than 10% below v.
int64_t makeDivisible(int64_t v, int64_t divisor = 8) {
  int64_t rounded = (v + divisor / 2) / divisor * divisor;
  if (rounded < divisor)
    rounded = divisor;
  if (10 * rounded < 9 * v)
    rounded += divisor;
  return rounded;
}

Value activation(GraphBuilder &b, const Value &x, Act act) {
  switch (act) {
  case Act::None:
    return x;
  case Act::ReLU:
    return b.relu(x);
  case Act::HardSwish:
    return b.hardSwish(x);
  }
  return x;
}

/// torchvision.ops.Conv2dNormActivation as the current Sequential's child
/// `index`: children 0 (conv, no bias), 1 (BatchNorm), 2 (activation).
Value convNormAct(GraphBuilder &b, const Value &x, int64_t index, int64_t out,
                  int64_t kernel, int64_t stride, int64_t groups, Act act) {
  auto s = b.child(index);
  Value y;
  {
    auto c = b.child(0);
    y = b.conv2d(x, out, kernel, stride, (kernel - 1) / 2, groups,
                 /*bias=*/false, WeightInit::KaimingNormalFanOut);
  }
  {
    auto c = b.child(1);
    y = b.batchNorm(y, kEps, kMomentum);
  }
  if (act != Act::None) {
    auto c = b.child(2);
    y = activation(b, y, act);
  }
  return y;
}

/// torchvision.ops.SqueezeExcitation with scale_activation=Hardsigmoid.
Value squeezeExcitation(GraphBuilder &b, const Value &x, int64_t index,
                        int64_t squeeze) {
  auto s = b.child(index);
  Value scale;
  {
    auto m = b.module("avgpool");
    scale = b.globalAveragePool(x);
  }
  {
    auto m = b.module("fc1");
    scale = b.conv2d(scale, squeeze, 1, 1, 0, 1, /*bias=*/true,
                     WeightInit::KaimingNormalFanOut);
  }
  {
    auto m = b.module("activation");
    scale = b.relu(scale);
  }
  {
    auto m = b.module("fc2");
    scale = b.conv2d(scale, x.shape[0], 1, 1, 0, 1, /*bias=*/true,
                     WeightInit::KaimingNormalFanOut);
  }
  {
    auto m = b.module("scale_activation");
    scale = b.hardSigmoid(scale);
  }
  return b.mul(scale, x);
}

/// torchvision.models.mobilenetv3.InvertedResidual.
Value invertedResidual(GraphBuilder &b, const Value &x, const BlockConfig &c) {
  Value y = x;
  {
    auto s = b.module("block");
    int64_t index = 0;
    if (c.expanded != c.input)
      y = convNormAct(b, y, index++, c.expanded, 1, 1, 1, c.act);
    y = convNormAct(b, y, index++, c.expanded, c.kernel, c.stride, c.expanded,
                    c.act);
    if (c.se)
      y = squeezeExcitation(b, y, index++, makeDivisible(c.expanded / 4));
    y = convNormAct(b, y, index++, c.out, 1, 1, 1, Act::None);
  }
  if (c.stride == 1 && c.input == c.out)
    y = b.add(y, x);
  return y;
}

} // namespace

void buildMobileNetV3(GraphBuilder &b, const ZooOptions &opts, bool large) {
  const BlockConfig *configs = large ? kLarge : kSmall;
  const size_t count = large ? std::size(kLarge) : std::size(kSmall);
  const int64_t lastChannel = large ? 1280 : 1024;

  Value x = b.input();
  {
    auto features = b.module("features");
    int64_t index = 0;
    x = convNormAct(b, x, index++, configs[0].input, 3, 2, 1, Act::HardSwish);
    for (size_t i = 0; i < count; ++i) {
      auto s = b.child(index++);
      x = invertedResidual(b, x, configs[i]);
    }
    const int64_t lastConvOut = 6 * configs[count - 1].out;
    x = convNormAct(b, x, index++, lastConvOut, 1, 1, 1, Act::HardSwish);
  }
  {
    auto s = b.module("avgpool");
    x = b.globalAveragePool(x);
  }
  x = b.flatten(x);
  {
    auto classifier = b.module("classifier");
    {
      auto s = b.child(0);
      x = b.gemm(x, lastChannel, WeightInit::Normal001);
    }
    {
      auto s = b.child(1);
      x = b.hardSwish(x);
    }
    {
      auto s = b.child(2);
      x = b.dropout(x, 0.2f);
    }
    {
      auto s = b.child(3);
      x = b.gemm(x, opts.classes, WeightInit::Normal001);
    }
  }
  b.output(x);
}

} // namespace ffc::zoo::detail
