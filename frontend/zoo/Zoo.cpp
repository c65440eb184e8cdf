//===- Zoo.cpp - Model zoo entry points: validation, build, atomic write --===//

#include "frontend/zoo/Zoo.h"
#include "frontend/zoo/GraphBuilder.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ffc::zoo {

namespace {

struct ModelInfo {
  const char *name;
  const char *description;
};

const ModelInfo kModels[] = {
    {"mlp", "multilayer perceptron: Flatten, (Linear + ReLU) per hidden width "
            "(default 1000,1000,1000), Linear"},
    {"cnn4", "4 conv3x3-BN-ReLU blocks (32/64/128/256 channels), 2x2 max-pool "
             "after blocks 2-4, global average pool, Linear"},
    {"resnet18", "torchvision resnet18 (--stem=imagenet: conv7x7/2 + maxpool; "
                 "--stem=cifar: conv3x3/1, no maxpool)"},
    {"mobilenet_v3_small", "torchvision mobilenet_v3_small (SE blocks, "
                           "Hardswish, last channel 1024)"},
    {"mobilenet_v3_large", "torchvision mobilenet_v3_large (SE blocks, "
                           "Hardswish, last channel 1280)"},
};

// Bounds that keep every size computation far from int64 overflow; real
// limits (2 GiB of parameters) are checked when the weights are drawn.
constexpr int64_t kMaxSpatial = 1 << 20;
constexpr int64_t kMaxWidth = 1 << 24;

std::string joinedModelNames() {
  std::string out;
  for (const ModelInfo &info : kModels)
    out += std::string(out.empty() ? "" : ", ") + info.name;
  return out;
}

std::string shapeOf(const ZooOptions &opts) {
  return std::to_string(opts.channels) + "x" + std::to_string(opts.height) +
         "x" + std::to_string(opts.width);
}

bool validate(const ZooOptions &opts, std::string &error) {
  bool known = false;
  for (const ModelInfo &info : kModels)
    known |= opts.model == info.name;
  if (!known) {
    error = "unknown model '" + opts.model + "'; available models: " +
            joinedModelNames();
    return false;
  }
  if (opts.opset < kMinOpset || opts.opset > kMaxOpset) {
    error = "unsupported opset " + std::to_string(opts.opset) +
            "; the zoo emits opsets " + std::to_string(kMinOpset) + " to " +
            std::to_string(kMaxOpset);
    return false;
  }
  if (opts.channels < 1 || opts.height < 1 || opts.width < 1 ||
      opts.channels > kMaxSpatial || opts.height > kMaxSpatial ||
      opts.width > kMaxSpatial) {
    error = "invalid input shape " + shapeOf(opts) +
            ": channels, height and width must be between 1 and " +
            std::to_string(kMaxSpatial);
    return false;
  }
  if (opts.classes < 1 || opts.classes > kMaxWidth) {
    error = "invalid number of classes " + std::to_string(opts.classes) +
            ": must be between 1 and " + std::to_string(kMaxWidth);
    return false;
  }
  if (opts.stem != "imagenet" && opts.stem != "cifar") {
    error = "unknown stem '" + opts.stem + "'; accepted: imagenet, cifar";
    return false;
  }
  if (opts.stem != "imagenet" && opts.model != "resnet18") {
    error = "the stem option applies to resnet18 only, not to " + opts.model;
    return false;
  }
  if (opts.model == "mlp") {
    if (opts.hidden.empty()) {
      error = "mlp needs at least one hidden layer width";
      return false;
    }
    for (int64_t width : opts.hidden) {
      if (width < 1 || width > kMaxWidth) {
        error = "invalid mlp hidden width " + std::to_string(width) +
                ": must be between 1 and " + std::to_string(kMaxWidth);
        return false;
      }
    }
  }
  return true;
}

void buildGraph(detail::GraphBuilder &b, const ZooOptions &opts) {
  if (opts.model == "mlp")
    detail::buildMlp(b, opts);
  else if (opts.model == "cnn4")
    detail::buildCnn4(b, opts);
  else if (opts.model == "resnet18")
    detail::buildResNet18(b, opts);
  else
    detail::buildMobileNetV3(b, opts, opts.model == "mobilenet_v3_large");
}

/// The smallest square input the architecture accepts, or 0 if none up to
/// 4096 (no model in the zoo needs more than a few pixels).
int64_t minimumSide(const ZooOptions &opts) {
  ZooOptions probe = opts;
  for (int64_t side = 1; side <= 4096; ++side) {
    probe.height = probe.width = side;
    onnx::ModelProto scratch;
    detail::GraphBuilder b(probe, scratch);
    buildGraph(b, probe);
    if (!b.inputTooSmall())
      return side;
  }
  return 0;
}

void addMetadata(onnx::ModelProto &model, const std::string &key,
                 const std::string &value) {
  onnx::StringStringEntryProto *entry = model.add_metadata_props();
  entry->set_key(key);
  entry->set_value(value);
}

} // namespace

std::vector<std::string> modelNames() {
  std::vector<std::string> names;
  for (const ModelInfo &info : kModels)
    names.push_back(info.name);
  return names;
}

std::string modelDescription(const std::string &model) {
  for (const ModelInfo &info : kModels)
    if (model == info.name)
      return info.description;
  return "";
}

bool buildModel(const ZooOptions &opts, onnx::ModelProto &model,
                std::string &error) {
  if (!validate(opts, error))
    return false;

  model.Clear();
  model.set_ir_version(8);
  model.set_producer_name("ffc-zoo");
  onnx::OperatorSetIdProto *opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(opts.opset);
  model.mutable_graph()->set_name(opts.model);
  model.mutable_graph()->set_doc_string(modelDescription(opts.model));

  detail::GraphBuilder b(opts, model);
  buildGraph(b, opts);
  if (b.failed() || !b.materialize()) {
    std::string prefix = opts.model + " with input " + shapeOf(opts);
    if (b.inputTooSmall()) {
      const int64_t side = minimumSide(opts);
      if (side > 0)
        prefix = opts.model + " needs an input of at least " +
                 std::to_string(side) + "x" + std::to_string(side) + ", got " +
                 shapeOf(opts);
    }
    error = prefix + ": " + b.error();
    model.Clear();
    return false;
  }

  addMetadata(model, "ffc.zoo.model", opts.model);
  addMetadata(model, "ffc.zoo.input_shape", shapeOf(opts));
  addMetadata(model, "ffc.zoo.classes", std::to_string(opts.classes));
  addMetadata(model, "ffc.zoo.seed", std::to_string(opts.seed));
  if (opts.model == "resnet18")
    addMetadata(model, "ffc.zoo.stem", opts.stem);
  if (opts.model == "mlp") {
    std::string hidden;
    for (int64_t width : opts.hidden)
      hidden += (hidden.empty() ? "" : ",") + std::to_string(width);
    addMetadata(model, "ffc.zoo.hidden", hidden);
  }
  return true;
}

bool writeModel(const onnx::ModelProto &model, const std::string &path,
                std::string &error) {
  if (path.empty()) {
    error = "empty output path";
    return false;
  }
  const size_t size = model.ByteSizeLong();
  if (size > static_cast<size_t>(INT_MAX)) {
    error = "cannot write '" + path + "': the model is " +
            std::to_string(size) +
            " bytes, over protobuf's 2 GiB limit for one message";
    return false;
  }
  std::string bytes;
  if (!model.SerializeToString(&bytes)) {
    error = "cannot serialise the model for '" + path + "'";
    return false;
  }

  // The temporary lives next to the target so that rename() stays within one
  // file system and is atomic.
  std::string tmp = path + ".tmp.XXXXXX";
  std::vector<char> tmpName(tmp.begin(), tmp.end());
  tmpName.push_back('\0');
  int fd = mkstemp(tmpName.data());
  if (fd < 0) {
    error = "cannot write '" + path + "': " + std::strerror(errno);
    return false;
  }
  tmp = tmpName.data();
  auto failWith = [&](const std::string &what) {
    error = "cannot write '" + path + "': " + what + ": " +
            std::strerror(errno);
    if (fd >= 0)
      close(fd);
    unlink(tmp.c_str());
    return false;
  };

  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return failWith("write failed");
    }
    done += static_cast<size_t>(n);
  }
  // mkstemp creates the file 0600; a model file is ordinary data.
  if (fchmod(fd, 0644) != 0)
    return failWith("chmod failed");
  if (fsync(fd) != 0)
    return failWith("fsync failed");
  const int closed = close(fd);
  fd = -1;
  if (closed != 0)
    return failWith("close failed");
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    return failWith("rename failed");
  return true;
}

ParameterStats countParameters(const onnx::ModelProto &model) {
  auto endsWith = [](const std::string &s, const std::string &suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  ParameterStats stats;
  for (const onnx::TensorProto &tensor : model.graph().initializer()) {
    const std::string &name = tensor.name();
    // Buffers, not parameters: PyTorch's model.parameters() skips them.
    if (endsWith(name, ".running_mean") || endsWith(name, ".running_var") ||
        endsWith(name, ".num_batches_tracked"))
      continue;
    int64_t elements = 1;
    for (int64_t d : tensor.dims())
      elements *= d;
    stats.parameters += elements;
    ++stats.tensors;
  }
  return stats;
}

} // namespace ffc::zoo
