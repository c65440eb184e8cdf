//===- GraphBuilder.h - Emits PyTorch-exporter-shaped ONNX graphs (internal) ===//
//
// The model definitions in this folder describe architectures as PyTorch
// modules do (named scopes, layers called in forward order); the builder turns
// that into ONNX nodes named the way torch.onnx.export names them, tracks the
// per-sample shape of every value to reject inputs that a stride would shrink
// to nothing, and records how each initializer is to be initialised. Weights
// are drawn only by materialize(), after the whole graph is known, so an
// oversized model is rejected before any memory is spent on it.
//
//===----------------------------------------------------------------------===//

#ifndef FFC_FRONTEND_ZOO_GRAPHBUILDER_H
#define FFC_FRONTEND_ZOO_GRAPHBUILDER_H

#include "frontend/zoo/Zoo.h"

#include <map>
#include <string>
#include <vector>

namespace ffc::zoo::detail {

/// A graph value and its shape without the batch dimension: {C, H, W} for
/// feature maps, {F} after Flatten/Gemm.
struct Value {
  std::string name;
  std::vector<int64_t> shape;
};

/// Initialisation of a weight tensor, after PyTorch / torchvision.
enum class WeightInit {
  /// nn.Conv2d / nn.Linear reset_parameters(): kaiming_uniform(a=sqrt(5)) for
  /// the weight, i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the same bound
  /// for the bias.
  TorchDefault,
  /// kaiming_normal_(mode="fan_out", nonlinearity="relu"): N(0, 2/fan_out);
  /// bias zero (resnet and mobilenet convolutions).
  KaimingNormalFanOut,
  /// normal_(0, 0.01); bias zero (mobilenet's Linear layers).
  Normal001,
};

class GraphBuilder {
public:
  GraphBuilder(const ZooOptions &opts, onnx::ModelProto &model);

  /// RAII guard for a module scope; pops it when destroyed.
  class Scope {
  public:
    explicit Scope(GraphBuilder &b) : builder(&b) {}
    Scope(Scope &&other) noexcept : builder(other.builder) {
      other.builder = nullptr;
    }
    Scope(const Scope &) = delete;
    Scope &operator=(const Scope &) = delete;
    Scope &operator=(Scope &&) = delete;
    ~Scope() {
      if (builder)
        builder->popScope();
    }

  private:
    GraphBuilder *builder;
  };

  /// Enters the submodule stored in attribute `attr` of the current module
  /// (`self.conv1`): scope component "conv1", parameter prefix "conv1".
  /// `scopeName` overrides the scope component only, for a module called a
  /// second time (PyTorch names that call "relu_1").
  [[nodiscard]] Scope module(const std::string &attr,
                             const std::string &scopeName = "");
  /// Enters child `index` of the current nn.Sequential: scope component
  /// "<current>.<index>" (e.g. "block.0"), parameter prefix "<index>".
  [[nodiscard]] Scope child(int64_t index);

  /// The graph input `input` [batch, C, H, W].
  Value input();
  /// Declares `v` the graph output, renamed to `logits`.
  void output(const Value &v);

  // Layers. Each records the first error and turns every later call into a
  // no-op, so model code checks failed() once at the end.
  Value conv2d(const Value &x, int64_t outChannels, int64_t kernel,
               int64_t stride, int64_t pad, int64_t groups, bool bias,
               WeightInit init);
  /// `torchMomentum` in PyTorch's convention; stored as 1 - torchMomentum.
  Value batchNorm(const Value &x, double epsilon, double torchMomentum);
  Value gemm(const Value &x, int64_t outFeatures, WeightInit init);
  Value relu(const Value &x);
  Value hardSigmoid(const Value &x);
  /// HardSwish at opset >= 14, otherwise Mul(x, HardSigmoid(x)).
  Value hardSwish(const Value &x);
  Value maxPool(const Value &x, int64_t kernel, int64_t stride, int64_t pad);
  Value globalAveragePool(const Value &x);
  Value flatten(const Value &x);
  /// One output (no mask); training_mode true at opset >= 12.
  Value dropout(const Value &x, float ratio);
  Value add(const Value &a, const Value &b);
  /// Elementwise product with numpy broadcasting of `a` against `b`.
  Value mul(const Value &a, const Value &b);

  bool failed() const { return !errorMessage.empty(); }
  const std::string &error() const { return errorMessage; }
  /// True when the error is a window that does not fit the feature map, i.e.
  /// the input is too small for the model.
  bool inputTooSmall() const { return spatialError; }
  /// Records `message` unless an error was already recorded.
  void fail(const std::string &message);

  /// Checks the total size and fills every initializer's data.
  bool materialize();

private:
  struct PendingInit {
    int index; // into graph.initializer
    enum Kind { Zeros, Ones, Uniform, Normal } kind;
    double scale; // bound for Uniform, standard deviation for Normal
  };

  void popScope();
  std::string nodeName(const std::string &opType);
  std::string paramName(const std::string &leaf) const;
  onnx::NodeProto *addNode(const std::string &opType,
                           const std::vector<std::string> &inputs,
                           std::string &outputName);
  std::string addInitializer(const std::string &leaf,
                             const std::vector<int64_t> &dims,
                             PendingInit::Kind kind, double scale);
  void addBatchNormParams(const Value &x);
  bool checkRank(const Value &x, size_t rank, const std::string &op);
  /// Output height and width of a square window over `x` (C x H x W); an
  /// empty output is reported as an input-too-small error naming `node`.
  bool windowFits(const onnx::NodeProto &node, const Value &x, int64_t kernel,
                  int64_t stride, int64_t pad, int64_t &h, int64_t &w);
  std::string shapeString(const std::vector<int64_t> &shape) const;

  const ZooOptions &opts;
  onnx::ModelProto &model;
  onnx::GraphProto &graph;
  std::vector<std::string> scopes;     // PyTorch scope components
  std::vector<std::string> paramParts; // state_dict key components
  std::map<std::string, int> nodeNames;
  std::vector<PendingInit> pending;
  std::string errorMessage;
  bool spatialError = false;
};

/// Architectures, one per model name (defined in Models*.cpp).
void buildMlp(GraphBuilder &b, const ZooOptions &opts);
void buildCnn4(GraphBuilder &b, const ZooOptions &opts);
void buildResNet18(GraphBuilder &b, const ZooOptions &opts);
void buildMobileNetV3(GraphBuilder &b, const ZooOptions &opts, bool large);

} // namespace ffc::zoo::detail

#endif // FFC_FRONTEND_ZOO_GRAPHBUILDER_H
