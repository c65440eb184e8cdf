//===- ff-zoo.cpp - Writes the built-in zoo's models as ONNX files --------===//

#include "frontend/zoo/Zoo.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace ffc::zoo;

namespace {

const char *const kUsage =
    "usage: ff-zoo MODEL -o FILE [options]\n"
    "       ff-zoo --list\n"
    "       ff-zoo --help\n"
    "\n"
    "Writes a built-in model as a standard ONNX file, shaped like\n"
    "torch.onnx.export of the equivalent PyTorch model in training mode.\n"
    "\n"
    "options:\n"
    "  -o FILE, --output=FILE   where to write the model (required)\n"
    "  --input-shape=CxHxW      input image shape (default 1x28x28)\n"
    "  --classes=N              number of output classes (default 10)\n"
    "  --stem=imagenet|cifar    resnet18 only: conv7x7/2 + maxpool (default) or\n"
    "                           conv3x3/1 without maxpool\n"
    "  --hidden=A,B,...         mlp only: hidden layer widths\n"
    "                           (default 1000,1000,1000)\n"
    "  --seed=N                 initialisation seed (default 0)\n"
    "  --static-batch           batch dimension 1 instead of symbolic 'batch'\n"
    "  --opset=N                ONNX opset, 11 to 17 (default 17)\n"
    "  --list                   list the models\n"
    "  -h, --help               show this help\n";

int fail(const std::string &message) {
  std::fprintf(stderr, "ff-zoo: error: %s\n", message.c_str());
  return 1;
}

/// Parses a decimal integer in [min, max]; no sign, spaces or suffixes.
bool parseInt(const std::string &text, uint64_t min, uint64_t max,
              uint64_t &value) {
  if (text.empty() || text.size() > 20)
    return false;
  for (char c : text)
    if (c < '0' || c > '9')
      return false;
  errno = 0;
  char *end = nullptr;
  const unsigned long long parsed = std::strtoull(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || parsed < min || parsed > max)
    return false;
  value = parsed;
  return true;
}

/// Splits `text` at every `sep`, keeping empty pieces.
std::vector<std::string> split(const std::string &text, char sep) {
  std::vector<std::string> pieces(1);
  for (char c : text) {
    if (c == sep)
      pieces.emplace_back();
    else
      pieces.back().push_back(c);
  }
  return pieces;
}

constexpr uint64_t kMaxDim = 1u << 20;
constexpr uint64_t kMaxWidth = 1u << 24;

} // namespace

int main(int argc, char **argv) {
  ZooOptions opts;
  std::string output;
  bool haveOutput = false, haveStem = false, haveHidden = false;

  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--list") {
      for (const std::string &name : modelNames())
        std::printf("%-20s %s\n", name.c_str(), modelDescription(name).c_str());
      return 0;
    }
    if (arg == "--static-batch") {
      opts.dynamicBatch = false;
      continue;
    }
    if (arg.size() > 1 && arg[0] == '-') {
      // -o FILE, -oFILE, --flag=VALUE or --flag VALUE.
      std::string flag = arg, value;
      bool haveValue = false;
      if (arg.compare(0, 2, "-o") == 0) {
        flag = "-o";
        if (arg.size() > 2) {
          value = arg.substr(2);
          haveValue = true;
        }
      } else if (size_t eq = arg.find('='); eq != std::string::npos) {
        flag = arg.substr(0, eq);
        value = arg.substr(eq + 1);
        haveValue = true;
      }
      static const char *const kValueFlags[] = {
          "-o",      "--output", "--input-shape", "--classes",
          "--stem",  "--hidden", "--seed",        "--opset"};
      bool known = false;
      for (const char *valueFlag : kValueFlags)
        known |= flag == valueFlag;
      if (!known) {
        if (flag == "--static-batch" || flag == "--list" || flag == "--help")
          return fail("option '" + flag + "' takes no value");
        return fail("unknown option '" + flag + "'; see ff-zoo --help");
      }
      if (!haveValue) {
        if (i + 1 >= argc)
          return fail("option '" + flag + "' needs a value");
        value = argv[++i];
      }

      if (flag == "-o" || flag == "--output") {
        if (value.empty())
          return fail("option '" + flag + "' needs a file name");
        output = value;
        haveOutput = true;
      } else if (flag == "--input-shape") {
        const std::vector<std::string> dims = split(value, 'x');
        uint64_t c = 0, h = 0, w = 0;
        if (dims.size() != 3 || !parseInt(dims[0], 1, kMaxDim, c) ||
            !parseInt(dims[1], 1, kMaxDim, h) ||
            !parseInt(dims[2], 1, kMaxDim, w))
          return fail("invalid value '" + value +
                      "' for --input-shape: expected CxHxW with integers from "
                      "1 to " + std::to_string(kMaxDim) + ", e.g. 3x32x32");
        opts.channels = static_cast<int64_t>(c);
        opts.height = static_cast<int64_t>(h);
        opts.width = static_cast<int64_t>(w);
      } else if (flag == "--classes") {
        uint64_t classes = 0;
        if (!parseInt(value, 1, kMaxWidth, classes))
          return fail("invalid value '" + value +
                      "' for --classes: expected an integer from 1 to " +
                      std::to_string(kMaxWidth));
        opts.classes = static_cast<int64_t>(classes);
      } else if (flag == "--stem") {
        if (value != "imagenet" && value != "cifar")
          return fail("invalid value '" + value +
                      "' for --stem: expected imagenet or cifar");
        opts.stem = value;
        haveStem = true;
      } else if (flag == "--hidden") {
        opts.hidden.clear();
        for (const std::string &piece : split(value, ',')) {
          uint64_t width = 0;
          if (!parseInt(piece, 1, kMaxWidth, width))
            return fail("invalid value '" + value +
                        "' for --hidden: expected comma-separated widths from "
                        "1 to " + std::to_string(kMaxWidth) +
                        ", e.g. 1000,500");
          opts.hidden.push_back(static_cast<int64_t>(width));
        }
        haveHidden = true;
      } else if (flag == "--seed") {
        uint64_t seed = 0;
        if (!parseInt(value, 0, UINT64_MAX, seed))
          return fail("invalid value '" + value +
                      "' for --seed: expected a non-negative integer");
        opts.seed = seed;
      } else if (flag == "--opset") {
        uint64_t opset = 0;
        if (!parseInt(value, kMinOpset, kMaxOpset, opset))
          return fail("invalid value '" + value + "' for --opset: expected " +
                      std::to_string(kMinOpset) + " to " +
                      std::to_string(kMaxOpset));
        opts.opset = static_cast<int64_t>(opset);
      }
      continue;
    }
    if (!opts.model.empty())
      return fail("unexpected argument '" + arg + "': MODEL was already given "
                  "as '" + opts.model + "'");
    opts.model = arg;
  }

  if (opts.model.empty()) {
    std::string names;
    for (const std::string &name : modelNames())
      names += (names.empty() ? "" : ", ") + name;
    return fail("no MODEL given; available models: " + names +
                " (see ff-zoo --help)");
  }
  std::string error;
  if (modelDescription(opts.model).empty()) {
    // buildModel's message lists the available models.
    onnx::ModelProto unused;
    buildModel(opts, unused, error);
    return fail(error);
  }
  if (!haveOutput)
    return fail("no output file given; use -o FILE");
  if (haveStem && opts.model != "resnet18")
    return fail("--stem applies to resnet18 only, not to " + opts.model);
  if (haveHidden && opts.model != "mlp")
    return fail("--hidden applies to mlp only, not to " + opts.model);

  onnx::ModelProto model;
  if (!buildModel(opts, model, error))
    return fail(error);
  if (!writeModel(model, output, error))
    return fail(error);

  const ParameterStats stats = countParameters(model);
  std::printf("wrote %s: %s, %lld parameters (%lld tensors), input "
              "%lldx%lldx%lld, %lld classes\n",
              output.c_str(), opts.model.c_str(),
              static_cast<long long>(stats.parameters),
              static_cast<long long>(stats.tensors),
              static_cast<long long>(opts.channels),
              static_cast<long long>(opts.height),
              static_cast<long long>(opts.width),
              static_cast<long long>(opts.classes));
  return 0;
}
