//===- ff-run.cpp - trains and evaluates ffc artifacts --------------------===//
//
// ff-run train ART.ffx --data=SPEC [options]   trains, evaluating every epoch
// ff-run eval  ART.ffx --data=SPEC              test accuracy of both votes
// ff-run predict ART.ffx --data=SPEC | --input=FILE   per-image predictions
// ff-run export ART.ffx -o MODEL.onnx          the predict program as ONNX
// ff-run info  ART.ffx                          what the artifact holds
//
// No LLVM or MLIR: this links only the runtime (and, for export, the ONNX
// library and protobuf).
//
//===----------------------------------------------------------------------===//
#include "runtime/Artifact.h"
#include "runtime/Executor.h"
#include "runtime/MemoryPlan.h"
#include "runtime/data/Dataset.h"
#include "runtime/export/OnnxExport.h"

#include <cblas.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace ffrt;

namespace {

const char *kUsage = R"(usage:
  ff-run train ART.ffx --data=SPEC [--epochs=N] [--lr=X] [--schedule=constant|step|cosine]
                       [--seed=N] [--subset=N] [--test-subset=N] [--ckpt=DIR] [--resume]
                       [--ckpt-every=STEPS] [--stop-after-steps=K]
                       [--metrics=FILE] [--threads=N] [--quiet]
  ff-run eval  ART.ffx --data=SPEC [--subset=N] [--threads=N]
  ff-run predict ART.ffx --data=SPEC [--split=test|train] [--subset=N] [--output=FILE]
  ff-run predict ART.ffx --input=FILE [--subset=N] [--output=FILE]
  ff-run export ART.ffx -o MODEL.onnx [--program=predict]
  ff-run info  ART.ffx

SPEC: fashion-mnist (Debian's dataset-fashion-mnist), fashion-mnist:DIR, mnist:DIR,
      cifar10:DIR, cifar100:DIR (standard IDX / CIFAR binary files)
predict: one line per image, "INDEX PREDICTED LABEL" (the configured vote), to
       --output=FILE (written atomically) or stdout; then the accuracy on stderr.
       --input=FILE reads raw samples instead of a dataset: little-endian float32,
       C*H*W values per sample (NCHW, the artifact's input shape), already normalised
       as the model was trained ((pixel/255 - mean)/std per channel; Fashion-MNIST:
       mean 0.2860, std 0.3530); LABEL is then -1 and no accuracy is printed
export: the artifact's weights and its predict program (blocks, aux heads, vote) as
       an ONNX model (opset 17, batch dimension "N" where the program allows),
       checked with the ONNX checker and written atomically; -o and --output agree
train: --epochs (default 3), --lr (default 1e-3), --schedule (default constant; step
       divides by 10 at 50% and 75% of the epochs; cosine decays to 0), --seed (default 0),
       --subset=N (first N training images), --test-subset=N (first N test images),
       --ckpt=DIR (DIR/last.ffx and DIR/state.txt after every epoch, written
       atomically), --ckpt-every=STEPS (also every STEPS training steps, mid-epoch),
       --resume (continue from DIR exactly where its checkpoint was written: params,
       optimizer state, data order, dropout RNG, LR position, epoch metrics so far),
       --stop-after-steps=K (testing: quit without a final checkpoint once K steps of
       the whole run are done, as if killed), --metrics=FILE (one JSON object per
       epoch), --threads (default 2), --quiet
)";

int fail(const std::string &message) {
  std::cerr << "ff-run: error: " << message << "\n";
  return 1;
}

struct Args {
  std::string command, artifact;
  std::map<std::string, std::string> options;
  bool has(const std::string &k) const { return options.count(k) != 0; }
  std::string get(const std::string &k, const std::string &dflt = "") const {
    auto it = options.find(k);
    return it == options.end() ? dflt : it->second;
  }
};

bool parseArgs(int argc, char **argv, Args &args, std::string &error) {
  static const std::map<std::string, bool> known = {
      {"data", true},    {"epochs", true},  {"lr", true},      {"schedule", true},
      {"seed", true},    {"subset", true},  {"ckpt", true},    {"resume", false},
      {"metrics", true}, {"threads", true}, {"quiet", false}, {"test-subset", true},
      {"output", true}, {"split", true}, {"ckpt-every", true},
      {"stop-after-steps", true}, {"input", true}, {"program", true}};
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-o") {
      if (i + 1 >= argc) {
        error = "option '-o' needs a value";
        return false;
      }
      args.options["output"] = argv[++i];
      continue;
    }
    if (a.rfind("--", 0) != 0) {
      positional.push_back(a);
      continue;
    }
    std::string key = a.substr(2), value;
    if (auto eq = key.find('='); eq != std::string::npos) {
      value = key.substr(eq + 1);
      key = key.substr(0, eq);
    }
    auto it = known.find(key);
    if (it == known.end()) {
      error = "unknown option '--" + key + "' (see ff-run --help)";
      return false;
    }
    if (it->second && value.empty()) {
      if (i + 1 >= argc) {
        error = "option '--" + key + "' needs a value";
        return false;
      }
      value = argv[++i];
    }
    args.options[key] = value;
  }
  if (positional.size() < 2) {
    error = "expected a command and an artifact (see ff-run --help)";
    return false;
  }
  if (positional.size() > 2) {
    error = "unexpected argument '" + positional[2] + "'";
    return false;
  }
  args.command = positional[0];
  args.artifact = positional[1];
  return true;
}

bool parseInt(const std::string &s, int64_t &out) {
  char *end = nullptr;
  out = std::strtoll(s.c_str(), &end, 10);
  return !s.empty() && end && *end == '\0';
}

bool parseDouble(const std::string &s, double &out) {
  char *end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return !s.empty() && end && *end == '\0' && std::isfinite(out);
}

int64_t peakRssMiB() {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}


struct ModelInfo {
  int64_t batch = 0, classes = 0, c = 0, h = 0, w = 0;
  std::vector<std::string> blocks;
};

ModelInfo modelInfo(const Artifact &art) {
  const ffx::Metadata *meta = art.model()->metadata();
  ModelInfo info;
  info.batch = meta->batch();
  info.classes = meta->classes();
  info.c = meta->input_shape()->Get(0);
  info.h = meta->input_shape()->Get(1);
  info.w = meta->input_shape()->Get(2);
  if (meta->blocks())
    for (const auto *b : *meta->blocks())
      info.blocks.push_back(b->str());
  return info;
}

bool checkData(const ModelInfo &info, const Dataset &data, std::string &error) {
  if (data.channels != info.c || data.height != info.h || data.width != info.w) {
    error = "the artifact takes " + std::to_string(info.c) + "x" + std::to_string(info.h) +
            "x" + std::to_string(info.w) + " inputs but '" + data.name + "' has " +
            std::to_string(data.channels) + "x" + std::to_string(data.height) + "x" +
            std::to_string(data.width) + " images; recompile with a matching --input-shape";
    return false;
  }
  if (data.classes > info.classes) {
    error = "'" + data.name + "' has " + std::to_string(data.classes) +
            " classes but the artifact predicts " + std::to_string(info.classes);
    return false;
  }
  return true;
}

/// Test accuracy with both votes: all blocks, and the last block.
bool evaluate(Executor &exec, const ModelInfo &info, const Dataset &test, double &accAll,
              double &accLast, std::string &error) {
  Batcher batcher(test, info.batch, /*shuffle=*/false, /*dropLast=*/false, 0);
  batcher.startEpoch(0);
  std::vector<HostTensor> inputs(2), outputs;
  inputs[0].shape = {info.batch, info.c, info.h, info.w};
  inputs[1].shape = {info.batch};
  int64_t valid = 0, all = 0, last = 0;
  while (batcher.next(inputs[0].f32, inputs[1].i32, valid)) {
    if (!exec.run("eval_step", inputs, outputs, error))
      return false;
    all += outputs[0].i32[0];
    last += outputs[1].i32[0];
  }
  accAll = 100.0 * all / test.count();
  accLast = 100.0 * last / test.count();
  return true;
}

double learningRate(const std::string &schedule, double base, int64_t step,
                    int64_t totalSteps, int64_t epoch, int64_t epochs) {
  if (schedule == "step")
    return base * (epoch >= (3 * epochs) / 4 ? 0.01 : epoch >= epochs / 2 ? 0.1 : 1.0);
  if (schedule == "cosine")
    return 0.5 * base * (1.0 + std::cos(M_PI * double(step) / double(totalSteps)));
  return base;
}

std::string formatList(const std::vector<double> &v, int precision) {
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(precision);
  for (size_t i = 0; i < v.size(); ++i)
    os << (i ? " " : "") << v[i];
  return os.str();
}

bool readFile(const std::string &path, std::string &out, std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open '" + path + "'";
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

uint64_t fnv1a(const std::string &bytes) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

/// A checkpoint is DIR/last.ffx (parameters and optimizer state) plus
/// DIR/state.txt: where training stands and what an exact continuation needs
/// besides the parameters. Doubles are written as hex floats, so they come
/// back bit for bit; `params_fnv1a` ties the state to its last.ffx (the two
/// files are each written atomically, one after the other: a run stopped
/// between the two leaves a mismatch that --resume reports).
struct TrainState {
  int64_t epochsDone = 0;  // complete epochs
  int64_t step = 0;        // steps done in the next epoch (0: at an epoch boundary)
  int64_t seed = 0, stepsPerEpoch = 0, batch = 0;
  double lr = 0;
  std::string schedule;
  std::array<uint64_t, 4> rng{};
  std::vector<double> lossSum, correct; // per block, this epoch so far
  int64_t seen = 0;                     // images of this epoch so far
  uint64_t paramsHash = 0;
};

constexpr const char *kStateMagic = "ff-run-state";
constexpr int kStateVersion = 1;

std::string hexDouble(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", v);
  return buf;
}

std::string formatState(const TrainState &st) {
  std::ostringstream os;
  os << kStateMagic << " " << kStateVersion << "\n"
     << "epochs_done " << st.epochsDone << "\n"
     << "step " << st.step << "\n"
     << "seed " << st.seed << "\n"
     << "steps_per_epoch " << st.stepsPerEpoch << "\n"
     << "batch " << st.batch << "\n"
     << "lr " << hexDouble(st.lr) << "\n"
     << "schedule " << st.schedule << "\n"
     << "rng";
  for (uint64_t w : st.rng) {
    char buf[32];
    std::snprintf(buf, sizeof buf, " %016llx", (unsigned long long)w);
    os << buf;
  }
  os << "\nloss_sum";
  for (double v : st.lossSum)
    os << " " << hexDouble(v);
  os << "\ncorrect";
  for (double v : st.correct)
    os << " " << hexDouble(v);
  char hash[32];
  std::snprintf(hash, sizeof hash, "%016llx", (unsigned long long)st.paramsHash);
  os << "\nseen " << st.seen << "\nparams_fnv1a " << hash << "\n";
  return os.str();
}

/// Parses state.txt strictly: every key once, every value well-formed.
bool parseState(const std::string &text, TrainState &st, std::string &error) {
  std::istringstream in(text);
  std::string line;
  std::map<std::string, std::vector<std::string>> fields;
  int lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    std::istringstream ls(line);
    std::string key, tok;
    if (!(ls >> key))
      continue;
    std::vector<std::string> values;
    while (ls >> tok)
      values.push_back(tok);
    if (lineNo == 1) {
      if (key != kStateMagic || values.size() != 1) {
        error = "not an ff-run state file (first line '" + line + "')";
        return false;
      }
      if (values[0] != std::to_string(kStateVersion)) {
        error = "state format version " + values[0] + ", this ff-run reads version " +
                std::to_string(kStateVersion);
        return false;
      }
      continue;
    }
    if (fields.count(key)) {
      error = "line " + std::to_string(lineNo) + ": '" + key + "' appears twice";
      return false;
    }
    fields[key] = values;
  }
  if (lineNo == 0) {
    error = "the file is empty";
    return false;
  }
  auto get = [&](const char *key, size_t n, std::vector<std::string> &v) {
    auto it = fields.find(key);
    if (it == fields.end()) {
      error = "'" + std::string(key) + "' is missing";
      return false;
    }
    if (n != size_t(-1) && it->second.size() != n) {
      error = "'" + std::string(key) + "' has " + std::to_string(it->second.size()) +
              " values, expected " + std::to_string(n);
      return false;
    }
    v = it->second;
    return true;
  };
  auto integer = [&](const char *key, int64_t &out) {
    std::vector<std::string> v;
    if (!get(key, 1, v))
      return false;
    if (!parseInt(v[0], out) || out < 0) {
      error = "'" + std::string(key) + "' is not a non-negative integer: '" + v[0] + "'";
      return false;
    }
    return true;
  };
  auto reals = [&](const char *key, std::vector<double> &out) {
    std::vector<std::string> v;
    if (!get(key, size_t(-1), v))
      return false;
    out.clear();
    for (const auto &t : v) {
      double d;
      if (!parseDouble(t, d)) {
        error = "'" + std::string(key) + "' holds a bad number '" + t + "'";
        return false;
      }
      out.push_back(d);
    }
    return true;
  };
  auto hex = [&](const std::string &t, uint64_t &out) {
    char *end = nullptr;
    out = std::strtoull(t.c_str(), &end, 16);
    return t.size() == 16 && end && *end == '\0';
  };
  std::vector<std::string> v;
  std::vector<double> lr;
  if (!integer("epochs_done", st.epochsDone) || !integer("step", st.step) ||
      !integer("seed", st.seed) || !integer("steps_per_epoch", st.stepsPerEpoch) ||
      !integer("batch", st.batch) || !integer("seen", st.seen) || !reals("lr", lr) ||
      !reals("loss_sum", st.lossSum) || !reals("correct", st.correct))
    return false;
  if (lr.size() != 1) {
    error = "'lr' needs one value";
    return false;
  }
  st.lr = lr[0];
  if (!get("schedule", 1, v))
    return false;
  st.schedule = v[0];
  if (!get("rng", 4, v))
    return false;
  for (int i = 0; i < 4; ++i)
    if (!hex(v[i], st.rng[i])) {
      error = "'rng' holds a bad word '" + v[i] + "'";
      return false;
    }
  if (!get("params_fnv1a", 1, v))
    return false;
  if (!hex(v[0], st.paramsHash)) {
    error = "'params_fnv1a' is not a 64-bit hex hash: '" + v[0] + "'";
    return false;
  }
  if (st.stepsPerEpoch < 1 || st.step >= st.stepsPerEpoch) {
    error = "step " + std::to_string(st.step) + " is outside an epoch of " +
            std::to_string(st.stepsPerEpoch) + " steps";
    return false;
  }
  if (st.lossSum.size() != st.correct.size()) {
    error = "'loss_sum' and 'correct' have different block counts";
    return false;
  }
  if (fields.size() != 12) {
    for (const auto &f : fields)
      if (f.first != "epochs_done" && f.first != "step" && f.first != "seed" &&
          f.first != "steps_per_epoch" && f.first != "batch" && f.first != "lr" &&
          f.first != "schedule" && f.first != "rng" && f.first != "loss_sum" &&
          f.first != "correct" && f.first != "seen" && f.first != "params_fnv1a") {
        error = "unknown key '" + f.first + "'";
        return false;
      }
  }
  return true;
}

/// Writes DIR/last.ffx, then DIR/state.txt naming its hash; each atomically.
bool writeCheckpoint(const std::string &dir, const Artifact &art, Executor &exec,
                     TrainState st, std::string &error) {
  std::string path = dir + "/last.ffx", bytes;
  if (!saveArtifactWithParams(art, exec.params(), path, error) ||
      !readFile(path, bytes, error))
    return false;
  st.paramsHash = fnv1a(bytes);
  st.rng = exec.rngState();
  std::string text = formatState(st);
  return writeFileAtomically(dir + "/state.txt", text.data(), text.size(), error);
}

int train(const Args &args, const Artifact &art) {
  ModelInfo info = modelInfo(art);
  std::string error;
  int64_t epochs = 3, seed = 0, subset = 0, ckptEvery = 0, stopAfter = 0;
  double lr = 1e-3;
  if (args.has("epochs") && (!parseInt(args.get("epochs"), epochs) || epochs < 1))
    return fail("--epochs must be a positive integer, got '" + args.get("epochs") + "'");
  if (args.has("seed") && (!parseInt(args.get("seed"), seed) || seed < 0))
    return fail("--seed must be a non-negative integer, got '" + args.get("seed") + "'");
  if (args.has("subset") && (!parseInt(args.get("subset"), subset) || subset < 1))
    return fail("--subset must be a positive integer, got '" + args.get("subset") + "'");
  if (args.has("lr") && (!parseDouble(args.get("lr"), lr) || lr <= 0))
    return fail("--lr must be a positive number, got '" + args.get("lr") + "'");
  if (args.has("ckpt-every") && (!parseInt(args.get("ckpt-every"), ckptEvery) || ckptEvery < 1))
    return fail("--ckpt-every must be a positive number of steps, got '" +
                args.get("ckpt-every") + "'");
  if (args.has("stop-after-steps") &&
      (!parseInt(args.get("stop-after-steps"), stopAfter) || stopAfter < 1))
    return fail("--stop-after-steps must be a positive integer, got '" +
                args.get("stop-after-steps") + "'");
  std::string schedule = args.get("schedule", "constant");
  if (schedule != "constant" && schedule != "step" && schedule != "cosine")
    return fail("--schedule must be constant, step or cosine, got '" + schedule + "'");
  if (!args.has("data"))
    return fail("train needs --data=SPEC (for example --data=fashion-mnist)");
  std::string ckpt = args.get("ckpt");
  if (args.has("resume") && ckpt.empty())
    return fail("--resume needs --ckpt=DIR");
  if (ckptEvery && ckpt.empty())
    return fail("--ckpt-every needs --ckpt=DIR");

  Dataset trainSet, testSet;
  if (!loadDataset(args.get("data"), true, trainSet, error) ||
      !loadDataset(args.get("data"), false, testSet, error))
    return fail(error);
  takeSubset(trainSet, subset);
  int64_t testSubset = 0;
  if (args.has("test-subset") &&
      (!parseInt(args.get("test-subset"), testSubset) || testSubset < 1))
    return fail("--test-subset must be a positive integer, got '" +
                args.get("test-subset") + "'");
  takeSubset(testSet, testSubset);
  if (!checkData(info, trainSet, error))
    return fail(error);
  if (trainSet.count() < info.batch)
    return fail("the training set has " + std::to_string(trainSet.count()) +
                " images, fewer than one batch of " + std::to_string(info.batch));

  size_t numBlocks = info.blocks.size();
  Batcher batcher(trainSet, info.batch, /*shuffle=*/true, /*dropLast=*/true, uint64_t(seed));
  int64_t steps = batcher.batchesPerEpoch();
  Executor exec(art, uint64_t(seed));
  TrainState resumed;
  resumed.lossSum.assign(numBlocks, 0.0);
  resumed.correct.assign(numBlocks, 0.0);
  if (!ckpt.empty()) {
    mkdir(ckpt.c_str(), 0755);
    struct stat st;
    if (stat(ckpt.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      return fail("cannot create the checkpoint directory '" + ckpt + "'");
    if (access(ckpt.c_str(), W_OK) != 0)
      return fail("the checkpoint directory '" + ckpt + "' is not writable");
  }
  if (args.has("resume")) {
    std::string statePath = ckpt + "/state.txt", text;
    if (!readFile(statePath, text, error))
      return fail("--resume: no checkpoint in '" + ckpt + "' (state.txt is missing)");
    if (!parseState(text, resumed, error))
      return fail("--resume: '" + statePath + "' is corrupt: " + error);
    if (resumed.lossSum.size() != numBlocks)
      return fail("--resume: '" + statePath + "' holds metrics of " +
                  std::to_string(resumed.lossSum.size()) + " blocks; the artifact has " +
                  std::to_string(numBlocks));
    if (resumed.seed != seed)
      return fail("--resume: the checkpoint was written with --seed=" +
                  std::to_string(resumed.seed) + "; resume with the same seed");
    if (resumed.stepsPerEpoch != steps || resumed.batch != info.batch)
      return fail("--resume: the checkpoint has " + std::to_string(resumed.stepsPerEpoch) +
                  " steps of " + std::to_string(resumed.batch) + " per epoch, this run " +
                  std::to_string(steps) + " of " + std::to_string(info.batch) +
                  "; resume with the same data, --subset and artifact");
    if (resumed.lr != lr || resumed.schedule != schedule)
      std::cerr << "ff-run: warning: the checkpoint was trained with --lr=" << resumed.lr
                << " --schedule=" << resumed.schedule
                << "; continuing with this run's --lr and --schedule\n";
    std::string ffxPath = ckpt + "/last.ffx", bytes;
    if (!readFile(ffxPath, bytes, error))
      return fail("--resume: " + error);
    if (fnv1a(bytes) != resumed.paramsHash)
      return fail("--resume: '" + ffxPath + "' does not match '" + statePath +
                  "' (a run stopped while writing its checkpoint?)");
    auto saved = Artifact::fromBytes(bytes.data(), bytes.size(), error);
    if (!saved)
      return fail("--resume: '" + ffxPath + "': " + error);
    auto *params = saved->model()->params();
    if (params->size() != exec.params().size())
      return fail("--resume: the checkpoint holds a different model");
    for (size_t i = 0; i < params->size(); ++i) {
      if (params->Get(i)->data()->size() != exec.params()[i].size())
        return fail("--resume: the checkpoint holds a different model");
      exec.params()[i].assign(params->Get(i)->data()->begin(), params->Get(i)->data()->end());
    }
    exec.setRngState(resumed.rng);
    if (resumed.step)
      std::cout << "resuming at epoch " << resumed.epochsDone + 1 << ", step "
                << resumed.step << " from " << ckpt << "\n";
    else
      std::cout << "resuming after epoch " << resumed.epochsDone << " from " << ckpt << "\n";
    if (resumed.epochsDone >= epochs) {
      std::cout << "nothing to do: " << resumed.epochsDone << " of " << epochs
                << " epochs are done\n";
      return 0;
    }
  }
  int64_t firstEpoch = resumed.epochsDone;
  std::ofstream metrics;
  if (args.has("metrics")) {
    std::string path = args.get("metrics");
    if (args.has("resume")) {
      // Keep the lines of the epochs the checkpoint has done: a run killed
      // after a later epoch's line must not leave it twice.
      std::ifstream old(path);
      std::string line, kept;
      for (int64_t n = 0; n < firstEpoch && std::getline(old, line); ++n)
        kept += line + "\n";
      old.close();
      if (!writeFileAtomically(path, kept.data(), kept.size(), error))
        return fail("cannot write --metrics file: " + error);
    }
    metrics.open(path, args.has("resume") ? std::ios::app : std::ios::trunc);
    if (!metrics)
      return fail("cannot write --metrics file '" + path + "'");
  }

  bool tty = isatty(STDERR_FILENO) && !args.has("quiet");
  std::cout << "training " << args.artifact << " on " << trainSet.name << " ("
            << trainSet.count() << " images, " << steps << " steps of " << info.batch
            << " per epoch, " << numBlocks << " blocks), test on " << testSet.count()
            << " images\n";
  std::vector<HostTensor> inputs(3), outputs;
  inputs[0].shape = {info.batch, info.c, info.h, info.w};
  inputs[1].shape = {info.batch};
  inputs[2].shape = {};
  inputs[2].f32 = {0.0f};
  TrainState state;
  state.seed = seed;
  state.stepsPerEpoch = steps;
  state.batch = info.batch;
  state.lr = lr;
  state.schedule = schedule;
  for (int64_t epoch = firstEpoch; epoch < epochs; ++epoch) {
    bool partial = epoch == firstEpoch && resumed.step > 0;
    int64_t step = partial ? resumed.step : 0;
    batcher.startEpoch(epoch, step);
    std::vector<double> lossSum(numBlocks, 0.0), correct(numBlocks, 0.0);
    int64_t valid = 0, seen = 0;
    if (partial) {
      lossSum = resumed.lossSum;
      correct = resumed.correct;
      seen = resumed.seen;
    }
    int64_t seenAtStart = seen;
    auto start = std::chrono::steady_clock::now();
    while (batcher.next(inputs[0].f32, inputs[1].i32, valid)) {
      inputs[2].f32[0] = float(learningRate(schedule, lr, epoch * steps + step,
                                            epochs * steps, epoch, epochs));
      if (!exec.run("train_step", inputs, outputs, error))
        return fail("epoch " + std::to_string(epoch + 1) + ", step " +
                    std::to_string(step + 1) + ": " + error);
      for (size_t b = 0; b < numBlocks; ++b) {
        double l = outputs[b].f32[0];
        if (!std::isfinite(l))
          return fail("the loss of " + info.blocks[b] + " is " + (std::isnan(l) ? "NaN" : "infinite") +
                      " at epoch " + std::to_string(epoch + 1) + ", step " +
                      std::to_string(step + 1) + "; lower the learning rate (--lr)");
        lossSum[b] += l;
        correct[b] += outputs[numBlocks + b].i32[0];
      }
      ++step;
      seen += valid;
      int64_t globalStep = epoch * steps + step;
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      bool report = tty || step == steps || step % std::max<int64_t>(1, steps / 10) == 0;
      if (report && !args.has("quiet")) {
        std::ostringstream line;
        line.setf(std::ios::fixed);
        line.precision(3);
        line << "epoch " << epoch + 1 << "/" << epochs << " step " << step << "/" << steps
             << "  loss " << lossSum.back() / step << "  acc ";
        line.precision(1);
        line << 100.0 * correct.back() / seen << "%  "
             << int64_t((seen - seenAtStart) / std::max(secs, 1e-9)) << " img/s";
        if (tty) {
          int width = 24, filled = int(width * step / steps);
          std::cerr << "\r[" << std::string(filled, '=') << std::string(width - filled, ' ')
                    << "] " << line.str() << "   " << std::flush;
        } else {
          std::cerr << line.str() << "\n";
        }
      }
      if (step < steps) {
        // Mid-epoch: a checkpoint every --ckpt-every steps (the epoch's last
        // step is checkpointed after its evaluation, below).
        if (ckptEvery && globalStep % ckptEvery == 0) {
          state.epochsDone = epoch;
          state.step = step;
          state.lossSum = lossSum;
          state.correct = correct;
          state.seen = seen;
          if (!writeCheckpoint(ckpt, art, exec, state, error))
            return fail("checkpoint: " + error);
        }
        if (stopAfter && globalStep >= stopAfter) {
          if (tty)
            std::cerr << "\n";
          std::cout << "stopped after step " << globalStep << " (--stop-after-steps)\n";
          return 0;
        }
      }
    }
    if (tty)
      std::cerr << "\n";
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double accAll = 0, accLast = 0;
    if (!evaluate(exec, info, testSet, accAll, accLast, error))
      return fail("evaluation after epoch " + std::to_string(epoch + 1) + ": " + error);
    std::vector<double> meanLoss(numBlocks), trainAcc(numBlocks);
    for (size_t b = 0; b < numBlocks; ++b) {
      meanLoss[b] = lossSum[b] / steps;
      trainAcc[b] = 100.0 * correct[b] / seen;
    }
    double imagesPerSec = (seen - seenAtStart) / secs;
    std::printf("epoch %lld/%lld: train loss [%s] train acc [%s]%% | test acc: all blocks %.2f%%, "
                "last block %.2f%% | %.0f img/s, %.1f s, peak RSS %lld MiB\n",
                (long long)epoch + 1, (long long)epochs, formatList(meanLoss, 3).c_str(),
                formatList(trainAcc, 1).c_str(), accAll, accLast, imagesPerSec, secs,
                (long long)peakRssMiB());
    std::fflush(stdout);
    if (metrics) {
      metrics << "{\"epoch\": " << epoch + 1 << ", \"train_loss\": [";
      for (size_t b = 0; b < numBlocks; ++b)
        metrics << (b ? ", " : "") << meanLoss[b];
      metrics << "], \"train_accuracy\": [";
      for (size_t b = 0; b < numBlocks; ++b)
        metrics << (b ? ", " : "") << trainAcc[b] / 100.0;
      metrics << "], \"test_accuracy_all_blocks\": " << accAll / 100.0
              << ", \"test_accuracy_last_block\": " << accLast / 100.0
              << ", \"images_per_second\": " << imagesPerSec
              << ", \"peak_rss_mib\": " << peakRssMiB() << "}\n";
      metrics.flush();
    }
    if (!ckpt.empty()) {
      state.epochsDone = epoch + 1;
      state.step = 0;
      state.lossSum.assign(numBlocks, 0.0);
      state.correct.assign(numBlocks, 0.0);
      state.seen = 0;
      if (!writeCheckpoint(ckpt, art, exec, state, error))
        return fail("checkpoint: " + error);
    }
    if (stopAfter && (epoch + 1) * steps >= stopAfter && epoch + 1 < epochs) {
      std::cout << "stopped after step " << (epoch + 1) * steps << " (--stop-after-steps)\n";
      return 0;
    }
  }
  return 0;
}

int evalCommand(const Args &args, const Artifact &art) {
  ModelInfo info = modelInfo(art);
  std::string error;
  if (!args.has("data"))
    return fail("eval needs --data=SPEC");
  Dataset testSet;
  if (!loadDataset(args.get("data"), false, testSet, error))
    return fail(error);
  int64_t subset = 0;
  if (args.has("subset") && (!parseInt(args.get("subset"), subset) || subset < 1))
    return fail("--subset must be a positive integer");
  takeSubset(testSet, subset);
  if (!checkData(info, testSet, error))
    return fail(error);
  Executor exec(art, 0);
  double accAll = 0, accLast = 0;
  if (!evaluate(exec, info, testSet, accAll, accLast, error))
    return fail(error);
  std::printf("%s on %s (%lld images): all blocks %.2f%%, last block %.2f%%\n",
              args.artifact.c_str(), testSet.name.c_str(), (long long)testSet.count(), accAll,
              accLast);
  return 0;
}

/// Raw samples for `predict --input`: little-endian float32, C*H*W per sample.
bool loadRawSamples(const std::string &path, const ModelInfo &info, std::vector<float> &out,
                    int64_t &count, std::string &error) {
  std::string bytes;
  if (!readFile(path, bytes, error)) {
    error = "--input: " + error;
    return false;
  }
  int64_t sampleBytes = 4 * info.c * info.h * info.w;
  if (bytes.empty() || int64_t(bytes.size()) % sampleBytes != 0) {
    error = "--input: '" + path + "' has " + std::to_string(bytes.size()) +
            " bytes, not a positive multiple of one " + std::to_string(info.c) + "x" +
            std::to_string(info.h) + "x" + std::to_string(info.w) +
            " float32 sample (" + std::to_string(sampleBytes) + " bytes)";
    return false;
  }
  count = int64_t(bytes.size()) / sampleBytes;
  out.resize(bytes.size() / 4);
  for (size_t i = 0; i < out.size(); ++i) {
    const unsigned char *p = reinterpret_cast<const unsigned char *>(bytes.data()) + 4 * i;
    uint32_t word = uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 |
                    uint32_t(p[3]) << 24; // little-endian on any host
    std::memcpy(&out[i], &word, 4);
  }
  return true;
}

int predictCommand(const Args &args, const Artifact &art) {
  ModelInfo info = modelInfo(art);
  std::string error;
  bool raw = args.has("input");
  if (raw && args.has("data"))
    return fail("predict takes --data=SPEC or --input=FILE, not both");
  if (!raw && !args.has("data"))
    return fail("predict needs --data=SPEC or --input=FILE");
  std::string split = args.get("split", "test");
  if (split != "test" && split != "train")
    return fail("--split must be test or train, got '" + split + "'");
  if (raw && args.has("split"))
    return fail("--split applies to --data, not to --input");
  int64_t subset = 0;
  if (args.has("subset") && (!parseInt(args.get("subset"), subset) || subset < 1))
    return fail("--subset must be a positive integer");
  Dataset data;
  std::vector<float> samples;
  int64_t total = 0;
  if (raw) {
    if (!loadRawSamples(args.get("input"), info, samples, total, error))
      return fail(error);
    if (subset > 0 && subset < total)
      total = subset;
  } else {
    if (!loadDataset(args.get("data"), split == "train", data, error))
      return fail(error);
    takeSubset(data, subset);
    if (!checkData(info, data, error))
      return fail(error);
    total = data.count();
  }
  Executor exec(art, 0);
  std::unique_ptr<Batcher> batcher;
  if (!raw) {
    batcher = std::make_unique<Batcher>(data, info.batch, /*shuffle=*/false,
                                        /*dropLast=*/false, 0);
    batcher->startEpoch(0);
  }
  int64_t sample = info.c * info.h * info.w;
  std::vector<HostTensor> inputs(1), outputs;
  inputs[0].shape = {info.batch, info.c, info.h, info.w};
  std::vector<int32_t> labels;
  int64_t valid = 0, index = 0, correct = 0;
  std::ostringstream lines;
  // The next batch: from the dataset's batcher, or the raw samples padded
  // with zeros (labels -1: unknown).
  auto nextBatch = [&]() -> bool {
    if (!raw)
      return batcher->next(inputs[0].f32, labels, valid);
    if (index >= total)
      return false;
    valid = std::min(info.batch, total - index);
    inputs[0].f32.assign(info.batch * sample, 0.0f);
    std::copy(samples.begin() + index * sample, samples.begin() + (index + valid) * sample,
              inputs[0].f32.begin());
    labels.assign(info.batch, -1);
    return true;
  };
  while (nextBatch()) {
    if (!exec.run("predict", inputs, outputs, error))
      return fail(error);
    const std::vector<float> &votes = outputs[0].f32;
    for (int64_t i = 0; i < valid; ++i, ++index) {
      const float *row = votes.data() + i * info.classes;
      int64_t best = std::max_element(row, row + info.classes) - row;
      correct += best == labels[i];
      lines << index << " " << best << " " << labels[i] << "\n";
    }
  }
  std::string text = lines.str();
  if (args.has("output")) {
    if (!writeFileAtomically(args.get("output"), text.data(), text.size(), error))
      return fail(error);
  } else {
    std::cout << text;
  }
  if (raw)
    std::fprintf(stderr, "%lld predictions\n", (long long)index);
  else
    std::fprintf(stderr, "%lld predictions, accuracy %.2f%%\n", (long long)index,
                 index ? 100.0 * correct / index : 0.0);
  return 0;
}

int exportCommand(const Args &args, const Artifact &art) {
  if (!args.has("output"))
    return fail("export needs -o MODEL.onnx");
  OnnxExportOptions options;
  options.program = args.get("program", "predict");
  std::string error;
  bool symbolic = false;
  if (!exportOnnxFile(art, options, args.get("output"), symbolic, error))
    return fail("export of '" + args.artifact + "': " + error);
  std::printf("wrote %s: program '%s' of %s as ONNX (opset 17, batch %s)\n",
              args.get("output").c_str(), options.program.c_str(), args.artifact.c_str(),
              symbolic ? "symbolic 'N'"
                       : ("fixed at " + std::to_string(art.metadata()->batch())).c_str());
  return 0;
}

int infoCommand(const Artifact &art) {
  const ffx::Metadata *meta = art.model()->metadata();
  ModelInfo info = modelInfo(art);
  auto str = [](const flatbuffers::String *s) { return s ? s->str() : std::string(); };
  std::printf("source %s, produced by %s, target %s\n", str(meta->source()).c_str(),
              str(meta->producer()).c_str(), str(meta->target()).c_str());
  std::printf("input %lldx%lldx%lld, batch %lld, %lld classes\n", (long long)info.c,
              (long long)info.h, (long long)info.w, (long long)info.batch,
              (long long)info.classes);
  std::printf("mode %s, partition %s, loss %s, optimizer %s, %zu blocks\n",
              str(meta->mode()).c_str(), str(meta->partition()).c_str(),
              str(meta->loss()).c_str(), str(meta->optimizer()).c_str(), info.blocks.size());
  int64_t trainable = 0, state = 0;
  for (const ffx::Param *p : *art.model()->params())
    (p->buffer() ? state : trainable) += p->data()->size();
  std::printf("%lld trainable parameters, %lld state values\n", (long long)trainable,
              (long long)state);
  auto mib = [](int64_t bytes) { return double(bytes) / (1 << 20); };
  for (const ffx::Program *p : *art.model()->programs()) {
    ffrt::MemoryPlan plan = ffrt::planMemory(*p);
    std::printf("program %s: %u ops, %u tensors, activations %.1f MiB (at most %.1f MiB "
                "live at once)\n",
                p->name()->c_str(), p->ops()->size(), p->tensors()->size(),
                mib(plan.arenaBytes), mib(plan.peakLiveBytes));
  }
  if (const ffx::KernelLibrary *k = art.model()->kernels())
    std::printf("%u generated kernels for CPU %s (%u bytes of native code)\n",
                k->symbols() ? k->symbols()->size() : 0u, str(k->cpu()).c_str(),
                k->code() ? k->code()->size() : 0u);
  else
    std::printf("no generated kernels\n");
  return 0;
}

} // namespace

int main(int argc, char **argv) {
#ifdef _OPENMP
  // libgomp reads its wait policy when it is loaded, before main. Its default
  // (busy-waiting between parallel regions) halves throughput when another
  // process shares the cores, so default to passive waiting by re-executing
  // once with OMP_WAIT_POLICY set; a user's OMP_WAIT_POLICY / GOMP_SPINCOUNT
  // wins, and if the exec fails we simply go on.
  if (!std::getenv("OMP_WAIT_POLICY") && !std::getenv("GOMP_SPINCOUNT") &&
      setenv("OMP_WAIT_POLICY", "passive", 1) == 0)
    execv("/proc/self/exe", argv);
#endif
  if (argc >= 2 && (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h"))) {
    std::cout << kUsage;
    return 0;
  }
  Args args;
  std::string error;
  if (!parseArgs(argc, argv, args, error))
    return fail(error);
  if (args.command != "train" && args.command != "eval" && args.command != "info" &&
      args.command != "predict" && args.command != "export")
    return fail("unknown command '" + args.command +
                "'; commands: train, eval, predict, export, info");
  int64_t threads = 2;
  if (args.has("threads") && (!parseInt(args.get("threads"), threads) || threads < 1))
    return fail("--threads must be a positive integer");
  // The kernels parallelise across OpenMP threads, each calling single-threaded
  // OpenBLAS: OpenBLAS's own workers would only spin-yield against them.
#ifdef _OPENMP
  omp_set_num_threads(int(threads));
  openblas_set_num_threads(1);
#else
  openblas_set_num_threads(int(threads));
#endif
  auto art = Artifact::load(args.artifact, error);
  if (!art)
    return fail("'" + args.artifact + "': " + error);
  if (args.command == "train")
    return train(args, *art);
  if (args.command == "eval")
    return evalCommand(args, *art);
  if (args.command == "predict")
    return predictCommand(args, *art);
  if (args.command == "export")
    return exportCommand(args, *art);
  return infoCommand(*art);
}
