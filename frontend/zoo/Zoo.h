//===- Zoo.h - Built-in model zoo: standard models as ONNX ModelProtos ----===//
//
// The zoo builds the same ONNX graphs that `torch.onnx.export(...,
// training=TrainingMode.TRAINING, do_constant_folding=False)` produces for the
// equivalent PyTorch/torchvision models, so zoo models and user models take one
// road through the importer. No LLVM or MLIR here: only ONNX's protobuf classes.
//
// Conventions shared by every model:
//   * NCHW float32; graph input `input` [batch, C, H, W], output `logits`
//     [batch, classes]; `batch` is the symbolic dim "batch" (or 1 when
//     dynamicBatch is false).
//   * Node names follow PyTorch's exporter scopes
//     (`/layer1/layer1.0/conv1/Conv`); initializer names are the PyTorch
//     state_dict keys (`layer1.0.conv1.weight`, `bn1.running_mean`), minus
//     `num_batches_tracked`, in state_dict order.
//   * BatchNormalization has one output (Y) and no `training_mode` attribute;
//     whether BN uses batch statistics is decided by ffc's compile mode, not
//     by the file (ONNX rejects training_mode=1 with a single output).
//     Momentum is in ONNX convention (1 - PyTorch momentum). Dropout likewise
//     has one output (no mask); its ratio/training_mode inputs come from
//     Constant nodes at opset >= 12, as PyTorch exports them.
//   * Initialisation follows PyTorch/torchvision, drawn from a PRNG seeded by
//     (seed, initializer name), so a given seed always gives the same bytes.
//
// Models and their PyTorch module names:
//   mlp       flatten (nn.Flatten); hidden.{2i} Linear + hidden.{2i+1} ReLU for
//             each hidden width; classifier (Linear). Default hidden widths
//             1000,1000,1000. Default nn.Linear init.
//   cnn4      block{1..4}.conv (3x3, pad 1, no bias: BN follows), block{i}.bn,
//             block{i}.relu with 32/64/128/256 channels; block{2,3,4}.pool
//             (MaxPool 2x2 stride 2); avgpool (GlobalAveragePool); Flatten;
//             fc (Linear). Default nn.Conv2d / nn.Linear init.
//   resnet18  torchvision.models.resnet18; stem "cifar" replaces conv1 by a
//             3x3 stride-1 conv and drops the maxpool.
//   mobilenet_v3_small / mobilenet_v3_large
//             torchvision 0.14's MobileNetV3 (width 1.0, no reduced tail).
// For resnet18 and mobilenet_v3 the first conv takes `channels` inputs
// (torchvision hard-codes 3).
//
//===----------------------------------------------------------------------===//

#ifndef FFC_FRONTEND_ZOO_ZOO_H
#define FFC_FRONTEND_ZOO_ZOO_H

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ffc::zoo {

/// Opsets of the default ONNX domain the zoo can emit.
constexpr int64_t kMinOpset = 11;
constexpr int64_t kMaxOpset = 17;

struct ZooOptions {
  /// One of modelNames().
  std::string model;
  /// Input image shape C x H x W (the batch dimension is separate).
  int64_t channels = 1, height = 28, width = 28;
  int64_t classes = 10;
  /// resnet18 only: "imagenet" (conv 7x7 stride 2 + maxpool) or "cifar"
  /// (conv 3x3 stride 1, no maxpool).
  std::string stem = "imagenet";
  /// mlp only: widths of the hidden layers (at least one).
  std::vector<int64_t> hidden = {1000, 1000, 1000};
  /// Initialisation seed; the same options and seed give the same model.
  uint64_t seed = 0;
  /// Batch dim of input/output symbolic ("batch") rather than 1.
  bool dynamicBatch = true;
  /// ONNX opset of the default domain, 11..17. HardSwish is used from 14 on;
  /// below that it is x * HardSigmoid(x), as PyTorch exports it.
  int64_t opset = 17;
};

/// The names accepted in ZooOptions::model, in a stable order.
std::vector<std::string> modelNames();

/// One line describing `model` (empty for an unknown name).
std::string modelDescription(const std::string &model);

/// Builds the model. Returns false and sets `error` to a user-facing message
/// (naming the bad option and what is accepted) when the options are invalid,
/// e.g. an input too small for the model's strides.
bool buildModel(const ZooOptions &opts, onnx::ModelProto &model,
                std::string &error);

/// Serialises `model` to `path` atomically (a temporary file in the same
/// directory, then rename), so a reader never sees a partial file.
bool writeModel(const onnx::ModelProto &model, const std::string &path,
                std::string &error);

struct ParameterStats {
  /// Elements of trainable initializers (BN running statistics excluded),
  /// which equals sum(p.numel() for p in model.parameters()) in PyTorch.
  int64_t parameters = 0;
  /// Number of trainable initializer tensors.
  int64_t tensors = 0;
};
ParameterStats countParameters(const onnx::ModelProto &model);

} // namespace ffc::zoo

#endif // FFC_FRONTEND_ZOO_ZOO_H
