//===- GraphBuilder.cpp - Emits PyTorch-exporter-shaped ONNX graphs ------===//

#include "frontend/zoo/GraphBuilder.h"

#include <cmath>
#include <cstring>

namespace ffc::zoo::detail {

namespace {

// ONNX files are single protobuf messages, which protobuf caps at 2 GiB; stay
// clearly below that so graph structure and metadata still fit.
constexpr uint64_t kMaxInitializerBytes = 2000ull * 1000 * 1000;

/// xoshiro256** seeded through splitmix64: small, fast, and the same stream on
/// every platform, unlike std::normal_distribution.
class Rng {
public:
  explicit Rng(uint64_t seed) {
    for (uint64_t &word : state)
      word = splitmix64(seed);
  }

  uint64_t next() {
    const uint64_t result = rotl(state[1] * 5, 7) * 9;
    const uint64_t t = state[1] << 17;
    state[2] ^= state[0];
    state[3] ^= state[1];
    state[1] ^= state[2];
    state[0] ^= state[3];
    state[2] ^= t;
    state[3] = rotl(state[3], 45);
    return result;
  }

  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  /// Standard normal by Box-Muller; the second variate is kept for the next
  /// call.
  double normal() {
    if (haveSpare) {
      haveSpare = false;
      return spare;
    }
    const double u1 = 1.0 - uniform(); // (0, 1]: log() stays finite
    const double u2 = uniform();
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 6.283185307179586 * u2; // 2 pi
    spare = radius * std::sin(angle);
    haveSpare = true;
    return radius * std::cos(angle);
  }

  static uint64_t splitmix64(uint64_t &x) {
    uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  uint64_t state[4];
  double spare = 0.0;
  bool haveSpare = false;
};

/// Each tensor gets its own stream keyed by its name, so its values depend on
/// the seed and the name only, not on what else the model contains.
uint64_t tensorSeed(uint64_t seed, const std::string &name) {
  uint64_t hash = 0xCBF29CE484222325ull; // FNV-1a
  for (unsigned char c : name) {
    hash ^= c;
    hash *= 0x100000001B3ull;
  }
  uint64_t mix = seed;
  return Rng::splitmix64(mix) ^ hash;
}

/// Appends `value` as 4 little-endian bytes (ONNX raw_data is little-endian
/// whatever the host).
void appendFloat(std::string &out, float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<char>((bits >> (8 * i)) & 0xFF));
}

void setInts(onnx::NodeProto *node, const std::string &name,
             const std::vector<int64_t> &values) {
  onnx::AttributeProto *attr = node->add_attribute();
  attr->set_name(name);
  attr->set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values)
    attr->add_ints(v);
}

void setInt(onnx::NodeProto *node, const std::string &name, int64_t value) {
  onnx::AttributeProto *attr = node->add_attribute();
  attr->set_name(name);
  attr->set_type(onnx::AttributeProto::INT);
  attr->set_i(value);
}

void setFloat(onnx::NodeProto *node, const std::string &name, float value) {
  onnx::AttributeProto *attr = node->add_attribute();
  attr->set_name(name);
  attr->set_type(onnx::AttributeProto::FLOAT);
  attr->set_f(value);
}

void setTensor(onnx::NodeProto *node, const std::string &name,
               const onnx::TensorProto &value) {
  onnx::AttributeProto *attr = node->add_attribute();
  attr->set_name(name);
  attr->set_type(onnx::AttributeProto::TENSOR);
  *attr->mutable_t() = value;
}

/// Output size of a convolution or pooling window along one axis (dilation 1,
/// floor rounding), or -1 when the window does not fit even once.
int64_t windowOutput(int64_t size, int64_t kernel, int64_t stride,
                     int64_t pad) {
  const int64_t span = size + 2 * pad - kernel;
  if (span < 0)
    return -1;
  return span / stride + 1;
}

void setTensorType(onnx::ValueInfoProto *info, const std::string &name,
                   const std::vector<int64_t> &shape, bool dynamicBatch) {
  info->set_name(name);
  onnx::TypeProto_Tensor *type = info->mutable_type()->mutable_tensor_type();
  type->set_elem_type(onnx::TensorProto::FLOAT);
  onnx::TensorShapeProto *dims = type->mutable_shape();
  if (dynamicBatch)
    dims->add_dim()->set_dim_param("batch");
  else
    dims->add_dim()->set_dim_value(1);
  for (int64_t d : shape)
    dims->add_dim()->set_dim_value(d);
}

} // namespace

GraphBuilder::GraphBuilder(const ZooOptions &opts, onnx::ModelProto &model)
    : opts(opts), model(model), graph(*model.mutable_graph()) {}

GraphBuilder::Scope GraphBuilder::module(const std::string &attr,
                                         const std::string &scopeName) {
  scopes.push_back(scopeName.empty() ? attr : scopeName);
  paramParts.push_back(attr);
  return Scope(*this);
}

GraphBuilder::Scope GraphBuilder::child(int64_t index) {
  const std::string idx = std::to_string(index);
  scopes.push_back(scopes.empty() ? idx : scopes.back() + "." + idx);
  paramParts.push_back(idx);
  return Scope(*this);
}

void GraphBuilder::popScope() {
  scopes.pop_back();
  paramParts.pop_back();
}

void GraphBuilder::fail(const std::string &message) {
  if (errorMessage.empty())
    errorMessage = message;
}

std::string GraphBuilder::shapeString(const std::vector<int64_t> &shape) const {
  std::string out;
  for (size_t i = 0; i < shape.size(); ++i)
    out += (i ? "x" : "") + std::to_string(shape[i]);
  return out;
}

std::string GraphBuilder::nodeName(const std::string &opType) {
  std::string name;
  for (const std::string &scope : scopes)
    name += "/" + scope;
  name += "/" + opType;
  // Like PyTorch: the second Constant in a scope is "Constant_1".
  int &uses = nodeNames[name];
  if (uses++ > 0)
    name += "_" + std::to_string(uses - 1);
  return name;
}

std::string GraphBuilder::paramName(const std::string &leaf) const {
  std::string name;
  for (const std::string &part : paramParts)
    name += part + ".";
  return name + leaf;
}

onnx::NodeProto *GraphBuilder::addNode(const std::string &opType,
                                       const std::vector<std::string> &inputs,
                                       std::string &outputName) {
  onnx::NodeProto *node = graph.add_node();
  node->set_op_type(opType);
  node->set_name(nodeName(opType));
  for (const std::string &in : inputs)
    node->add_input(in);
  outputName = node->name() + "_output_0";
  node->add_output(outputName);
  return node;
}

std::string GraphBuilder::addInitializer(const std::string &leaf,
                                         const std::vector<int64_t> &dims,
                                         PendingInit::Kind kind, double scale) {
  const std::string name = paramName(leaf);
  for (const onnx::TensorProto &existing : graph.initializer())
    if (existing.name() == name)
      fail("internal error: initializer '" + name + "' defined twice");
  onnx::TensorProto *tensor = graph.add_initializer();
  tensor->set_name(name);
  tensor->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims)
    tensor->add_dims(d);
  pending.push_back({graph.initializer_size() - 1, kind, scale});
  return name;
}

bool GraphBuilder::checkRank(const Value &x, size_t rank,
                             const std::string &op) {
  if (x.shape.size() == rank)
    return true;
  fail("internal error: " + op + " expects a rank-" + std::to_string(rank + 1) +
       " input, got [batch, " + shapeString(x.shape) + "]");
  return false;
}

Value GraphBuilder::input() {
  const std::vector<int64_t> shape = {opts.channels, opts.height, opts.width};
  setTensorType(graph.add_input(), "input", shape, opts.dynamicBatch);
  return {"input", shape};
}

void GraphBuilder::output(const Value &v) {
  if (failed())
    return;
  for (int i = graph.node_size() - 1; i >= 0; --i) {
    onnx::NodeProto *node = graph.mutable_node(i);
    for (int j = 0; j < node->output_size(); ++j)
      if (node->output(j) == v.name)
        node->set_output(j, "logits");
  }
  setTensorType(graph.add_output(), "logits", v.shape, opts.dynamicBatch);
}

Value GraphBuilder::conv2d(const Value &x, int64_t outChannels, int64_t kernel,
                           int64_t stride, int64_t pad, int64_t groups,
                           bool bias, WeightInit init) {
  if (failed() || !checkRank(x, 3, "Conv"))
    return x;
  const int64_t inChannels = x.shape[0];
  if (inChannels % groups != 0 || outChannels % groups != 0) {
    fail("internal error: Conv groups " + std::to_string(groups) +
         " do not divide channels");
    return x;
  }
  const int64_t fanIn = inChannels / groups * kernel * kernel;
  const int64_t fanOut = outChannels * kernel * kernel;
  const std::vector<int64_t> wDims = {outChannels, inChannels / groups, kernel,
                                      kernel};
  std::vector<std::string> inputs = {x.name};
  switch (init) {
  case WeightInit::TorchDefault: {
    const double bound = 1.0 / std::sqrt(static_cast<double>(fanIn));
    inputs.push_back(addInitializer("weight", wDims, PendingInit::Uniform, bound));
    if (bias)
      inputs.push_back(
          addInitializer("bias", {outChannels}, PendingInit::Uniform, bound));
    break;
  }
  case WeightInit::KaimingNormalFanOut:
  case WeightInit::Normal001: {
    const double stddev = init == WeightInit::Normal001
                              ? 0.01
                              : std::sqrt(2.0 / static_cast<double>(fanOut));
    inputs.push_back(addInitializer("weight", wDims, PendingInit::Normal, stddev));
    if (bias)
      inputs.push_back(
          addInitializer("bias", {outChannels}, PendingInit::Zeros, 0.0));
    break;
  }
  }

  std::string out;
  onnx::NodeProto *node = addNode("Conv", inputs, out);
  int64_t h = 0, w = 0;
  if (!windowFits(*node, x, kernel, stride, pad, h, w))
    return x;
  setInts(node, "dilations", {1, 1});
  setInt(node, "group", groups);
  setInts(node, "kernel_shape", {kernel, kernel});
  setInts(node, "pads", {pad, pad, pad, pad});
  setInts(node, "strides", {stride, stride});
  return {out, {outChannels, h, w}};
}

Value GraphBuilder::batchNorm(const Value &x, double epsilon,
                              double torchMomentum) {
  if (failed() || !checkRank(x, 3, "BatchNormalization"))
    return x;
  const std::vector<int64_t> dims = {x.shape[0]};
  std::vector<std::string> inputs = {x.name};
  inputs.push_back(addInitializer("weight", dims, PendingInit::Ones, 0.0));
  inputs.push_back(addInitializer("bias", dims, PendingInit::Zeros, 0.0));
  inputs.push_back(addInitializer("running_mean", dims, PendingInit::Zeros, 0.0));
  inputs.push_back(addInitializer("running_var", dims, PendingInit::Ones, 0.0));
  std::string out;
  onnx::NodeProto *node = addNode("BatchNormalization", inputs, out);
  setFloat(node, "epsilon", static_cast<float>(epsilon));
  // ONNX: running = momentum * running + (1 - momentum) * batch; PyTorch uses
  // the complement.
  setFloat(node, "momentum", static_cast<float>(1.0 - torchMomentum));
  return {out, x.shape};
}

Value GraphBuilder::gemm(const Value &x, int64_t outFeatures, WeightInit init) {
  if (failed() || !checkRank(x, 1, "Gemm"))
    return x;
  const int64_t inFeatures = x.shape[0];
  std::vector<std::string> inputs = {x.name};
  const std::vector<int64_t> wDims = {outFeatures, inFeatures};
  if (init == WeightInit::TorchDefault) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(inFeatures));
    inputs.push_back(addInitializer("weight", wDims, PendingInit::Uniform, bound));
    inputs.push_back(
        addInitializer("bias", {outFeatures}, PendingInit::Uniform, bound));
  } else {
    const double stddev =
        init == WeightInit::Normal001
            ? 0.01
            : std::sqrt(2.0 / static_cast<double>(outFeatures));
    inputs.push_back(addInitializer("weight", wDims, PendingInit::Normal, stddev));
    inputs.push_back(
        addInitializer("bias", {outFeatures}, PendingInit::Zeros, 0.0));
  }
  std::string out;
  onnx::NodeProto *node = addNode("Gemm", inputs, out);
  setFloat(node, "alpha", 1.0f);
  setFloat(node, "beta", 1.0f);
  setInt(node, "transB", 1);
  return {out, {outFeatures}};
}

Value GraphBuilder::relu(const Value &x) {
  if (failed())
    return x;
  std::string out;
  addNode("Relu", {x.name}, out);
  return {out, x.shape};
}

Value GraphBuilder::hardSigmoid(const Value &x) {
  if (failed())
    return x;
  std::string out;
  onnx::NodeProto *node = addNode("HardSigmoid", {x.name}, out);
  // torch.nn.Hardsigmoid: relu6(x + 3) / 6 = clip(x / 6 + 0.5, 0, 1).
  setFloat(node, "alpha", 1.0f / 6.0f);
  setFloat(node, "beta", 0.5f);
  return {out, x.shape};
}

Value GraphBuilder::hardSwish(const Value &x) {
  if (failed())
    return x;
  if (opts.opset >= 14) {
    std::string out;
    addNode("HardSwish", {x.name}, out);
    return {out, x.shape};
  }
  // HardSwish arrived in opset 14; PyTorch exports x * hardsigmoid(x) below it.
  const Value gate = hardSigmoid(x);
  return mul(x, gate);
}

bool GraphBuilder::windowFits(const onnx::NodeProto &node, const Value &x,
                              int64_t kernel, int64_t stride, int64_t pad,
                              int64_t &h, int64_t &w) {
  h = windowOutput(x.shape[1], kernel, stride, pad);
  w = windowOutput(x.shape[2], kernel, stride, pad);
  if (h >= 1 && w >= 1)
    return true;
  spatialError = true;
  fail(node.name() + " (kernel " + std::to_string(kernel) + ", stride " +
       std::to_string(stride) + ", padding " + std::to_string(pad) + ") gets a " +
       std::to_string(x.shape[1]) + "x" + std::to_string(x.shape[2]) +
       " feature map and would produce an empty output");
  return false;
}

Value GraphBuilder::maxPool(const Value &x, int64_t kernel, int64_t stride,
                            int64_t pad) {
  if (failed() || !checkRank(x, 3, "MaxPool"))
    return x;
  std::string out;
  onnx::NodeProto *node = addNode("MaxPool", {x.name}, out);
  int64_t h = 0, w = 0;
  if (!windowFits(*node, x, kernel, stride, pad, h, w))
    return x;
  setInt(node, "ceil_mode", 0);
  setInts(node, "kernel_shape", {kernel, kernel});
  setInts(node, "pads", {pad, pad, pad, pad});
  setInts(node, "strides", {stride, stride});
  return {out, {x.shape[0], h, w}};
}

Value GraphBuilder::globalAveragePool(const Value &x) {
  if (failed() || !checkRank(x, 3, "GlobalAveragePool"))
    return x;
  std::string out;
  addNode("GlobalAveragePool", {x.name}, out);
  return {out, {x.shape[0], 1, 1}};
}

Value GraphBuilder::flatten(const Value &x) {
  if (failed())
    return x;
  std::string out;
  onnx::NodeProto *node = addNode("Flatten", {x.name}, out);
  setInt(node, "axis", 1);
  int64_t features = 1;
  for (int64_t d : x.shape)
    features *= d;
  return {out, {features}};
}

Value GraphBuilder::dropout(const Value &x, float ratio) {
  if (failed())
    return x;
  std::string out;
  if (opts.opset < 12) {
    onnx::NodeProto *node = addNode("Dropout", {x.name}, out);
    setFloat(node, "ratio", ratio);
    return {out, x.shape};
  }
  // Dropout-12 takes ratio and training_mode as inputs; PyTorch feeds them
  // from Constant nodes (training_mode true in a training export).
  onnx::TensorProto ratioTensor;
  ratioTensor.set_data_type(onnx::TensorProto::FLOAT);
  std::string ratioBytes;
  appendFloat(ratioBytes, ratio);
  ratioTensor.set_raw_data(ratioBytes);
  std::string ratioName;
  setTensor(addNode("Constant", {}, ratioName), "value", ratioTensor);

  onnx::TensorProto modeTensor;
  modeTensor.set_data_type(onnx::TensorProto::BOOL);
  modeTensor.set_raw_data(std::string(1, '\x01'));
  std::string modeName;
  setTensor(addNode("Constant", {}, modeName), "value", modeTensor);

  addNode("Dropout", {x.name, ratioName, modeName}, out);
  return {out, x.shape};
}

Value GraphBuilder::add(const Value &a, const Value &b) {
  if (failed())
    return a;
  if (a.shape != b.shape) {
    fail("internal error: Add of [batch, " + shapeString(a.shape) +
         "] and [batch, " + shapeString(b.shape) + "]");
    return a;
  }
  std::string out;
  addNode("Add", {a.name, b.name}, out);
  return {out, a.shape};
}

Value GraphBuilder::mul(const Value &a, const Value &b) {
  if (failed())
    return a;
  std::vector<int64_t> shape = a.shape;
  bool ok = a.shape.size() == b.shape.size();
  for (size_t i = 0; ok && i < shape.size(); ++i) {
    if (a.shape[i] == b.shape[i] || b.shape[i] == 1)
      continue;
    if (a.shape[i] == 1)
      shape[i] = b.shape[i];
    else
      ok = false;
  }
  if (!ok) {
    fail("internal error: Mul of [batch, " + shapeString(a.shape) +
         "] and [batch, " + shapeString(b.shape) + "]");
    return a;
  }
  std::string out;
  addNode("Mul", {a.name, b.name}, out);
  return {out, shape};
}

bool GraphBuilder::materialize() {
  if (failed())
    return false;
  uint64_t totalBytes = 0;
  std::vector<int64_t> counts;
  for (const PendingInit &p : pending) {
    const onnx::TensorProto &tensor = graph.initializer(p.index);
    uint64_t count = 1;
    for (int64_t d : tensor.dims())
      if (__builtin_mul_overflow(count, static_cast<uint64_t>(d), &count))
        count = UINT64_MAX;
    if (count > kMaxInitializerBytes / 4 ||
        totalBytes + 4 * count > kMaxInitializerBytes) {
      fail("the parameters would exceed " +
           std::to_string(kMaxInitializerBytes / 1000000) +
           " MB (reached at initializer '" + tensor.name() +
           "'), more than one ONNX protobuf file can hold (2 GiB)");
      return false;
    }
    totalBytes += 4 * count;
    counts.push_back(static_cast<int64_t>(count));
  }

  for (size_t i = 0; i < pending.size(); ++i) {
    const PendingInit &p = pending[i];
    onnx::TensorProto *tensor = graph.mutable_initializer(p.index);
    std::string bytes;
    bytes.reserve(4 * counts[i]);
    Rng rng(tensorSeed(opts.seed, tensor->name()));
    for (int64_t j = 0; j < counts[i]; ++j) {
      double v = 0.0;
      switch (p.kind) {
      case PendingInit::Zeros:
        v = 0.0;
        break;
      case PendingInit::Ones:
        v = 1.0;
        break;
      case PendingInit::Uniform:
        v = (2.0 * rng.uniform() - 1.0) * p.scale;
        break;
      case PendingInit::Normal:
        v = rng.normal() * p.scale;
        break;
      }
      appendFloat(bytes, static_cast<float>(v));
    }
    tensor->set_raw_data(std::move(bytes));
  }
  return true;
}

} // namespace ffc::zoo::detail
