//===- ff-run.cpp - trains and evaluates ffc artifacts --------------------===//
//
// ff-run train ART.ffx --data=SPEC [options]   trains, evaluating every epoch
// ff-run eval  ART.ffx --data=SPEC              test accuracy of both votes
// ff-run info  ART.ffx                          what the artifact holds
//
// No LLVM or MLIR: this links only the runtime.
//
//===----------------------------------------------------------------------===//
#include "runtime/Artifact.h"
#include "runtime/Executor.h"
#include "runtime/data/Dataset.h"

#include <cblas.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <algorithm>
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
                       [--metrics=FILE] [--threads=N] [--quiet]
  ff-run eval  ART.ffx --data=SPEC [--subset=N] [--threads=N]
  ff-run predict ART.ffx --data=SPEC [--split=test|train] [--subset=N] [--output=FILE]
  ff-run info  ART.ffx

SPEC: fashion-mnist (Debian's dataset-fashion-mnist), fashion-mnist:DIR, mnist:DIR,
      cifar10:DIR, cifar100:DIR (standard IDX / CIFAR binary files)
predict: one line per image, "INDEX PREDICTED LABEL" (the configured vote), to
       --output=FILE (written atomically) or stdout; then the accuracy on stderr
train: --epochs (default 3), --lr (default 1e-3), --schedule (default constant; step
       divides by 10 at 50% and 75% of the epochs; cosine decays to 0), --seed (default 0),
       --subset=N (first N training images), --test-subset=N (first N test images),
       --ckpt=DIR (DIR/last.ffx and DIR/state.txt
       after every epoch, written atomically), --resume (continue from DIR),
       --metrics=FILE (one JSON object per epoch), --threads (default 2), --quiet
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
      {"output", true}, {"split", true}};
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
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

std::string stateText(int64_t epochsDone) {
  return "epochs_done " + std::to_string(epochsDone) + "\n";
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

int train(const Args &args, const Artifact &art) {
  ModelInfo info = modelInfo(art);
  std::string error;
  int64_t epochs = 3, seed = 0, subset = 0;
  double lr = 1e-3;
  if (args.has("epochs") && (!parseInt(args.get("epochs"), epochs) || epochs < 1))
    return fail("--epochs must be a positive integer, got '" + args.get("epochs") + "'");
  if (args.has("seed") && (!parseInt(args.get("seed"), seed) || seed < 0))
    return fail("--seed must be a non-negative integer, got '" + args.get("seed") + "'");
  if (args.has("subset") && (!parseInt(args.get("subset"), subset) || subset < 1))
    return fail("--subset must be a positive integer, got '" + args.get("subset") + "'");
  if (args.has("lr") && (!parseDouble(args.get("lr"), lr) || lr <= 0))
    return fail("--lr must be a positive number, got '" + args.get("lr") + "'");
  std::string schedule = args.get("schedule", "constant");
  if (schedule != "constant" && schedule != "step" && schedule != "cosine")
    return fail("--schedule must be constant, step or cosine, got '" + schedule + "'");
  if (!args.has("data"))
    return fail("train needs --data=SPEC (for example --data=fashion-mnist)");
  std::string ckpt = args.get("ckpt");
  if (args.has("resume") && ckpt.empty())
    return fail("--resume needs --ckpt=DIR");

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

  Executor exec(art, uint64_t(seed));
  int64_t firstEpoch = 0;
  if (!ckpt.empty()) {
    mkdir(ckpt.c_str(), 0755);
    struct stat st;
    if (stat(ckpt.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      return fail("cannot create the checkpoint directory '" + ckpt + "'");
  }
  if (args.has("resume")) {
    std::ifstream state(ckpt + "/state.txt");
    if (!state)
      return fail("--resume: no checkpoint in '" + ckpt + "' (state.txt is missing)");
    std::string key;
    int64_t done = -1;
    state >> key >> done;
    if (key != "epochs_done" || done < 1)
      return fail("--resume: '" + ckpt + "/state.txt' is corrupt");
    auto saved = Artifact::load(ckpt + "/last.ffx", error);
    if (!saved)
      return fail("--resume: '" + ckpt + "/last.ffx': " + error);
    auto *params = saved->model()->params();
    if (params->size() != exec.params().size())
      return fail("--resume: the checkpoint holds a different model");
    for (size_t i = 0; i < params->size(); ++i) {
      if (params->Get(i)->data()->size() != exec.params()[i].size())
        return fail("--resume: the checkpoint holds a different model");
      exec.params()[i].assign(params->Get(i)->data()->begin(), params->Get(i)->data()->end());
    }
    firstEpoch = done;
    std::cout << "resuming after epoch " << done << " from " << ckpt << "\n";
    if (firstEpoch >= epochs) {
      std::cout << "nothing to do: " << done << " of " << epochs << " epochs are done\n";
      return 0;
    }
  }
  std::ofstream metrics;
  if (args.has("metrics")) {
    metrics.open(args.get("metrics"), firstEpoch ? std::ios::app : std::ios::trunc);
    if (!metrics)
      return fail("cannot write --metrics file '" + args.get("metrics") + "'");
  }

  size_t numBlocks = info.blocks.size();
  Batcher batcher(trainSet, info.batch, /*shuffle=*/true, /*dropLast=*/true, uint64_t(seed));
  int64_t steps = batcher.batchesPerEpoch();
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
  for (int64_t epoch = firstEpoch; epoch < epochs; ++epoch) {
    batcher.startEpoch(epoch);
    std::vector<double> lossSum(numBlocks, 0.0), correct(numBlocks, 0.0);
    int64_t valid = 0, step = 0, seen = 0;
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
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      bool report = tty || step == steps || step % std::max<int64_t>(1, steps / 10) == 0;
      if (report && !args.has("quiet")) {
        std::ostringstream line;
        line.setf(std::ios::fixed);
        line.precision(3);
        line << "epoch " << epoch + 1 << "/" << epochs << " step " << step << "/" << steps
             << "  loss " << lossSum.back() / step << "  acc ";
        line.precision(1);
        line << 100.0 * correct.back() / seen << "%  " << int64_t(seen / std::max(secs, 1e-9))
             << " img/s";
        if (tty) {
          int width = 24, filled = int(width * step / steps);
          std::cerr << "\r[" << std::string(filled, '=') << std::string(width - filled, ' ')
                    << "] " << line.str() << "   " << std::flush;
        } else {
          std::cerr << line.str() << "\n";
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
    double imagesPerSec = seen / secs;
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
      if (!saveArtifactWithParams(art, exec.params(), ckpt + "/last.ffx", error) ||
          !writeFileAtomically(ckpt + "/state.txt", stateText(epoch + 1).data(),
                               stateText(epoch + 1).size(), error))
        return fail("checkpoint: " + error);
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

int predictCommand(const Args &args, const Artifact &art) {
  ModelInfo info = modelInfo(art);
  std::string error;
  if (!args.has("data"))
    return fail("predict needs --data=SPEC");
  std::string split = args.get("split", "test");
  if (split != "test" && split != "train")
    return fail("--split must be test or train, got '" + split + "'");
  Dataset data;
  if (!loadDataset(args.get("data"), split == "train", data, error))
    return fail(error);
  int64_t subset = 0;
  if (args.has("subset") && (!parseInt(args.get("subset"), subset) || subset < 1))
    return fail("--subset must be a positive integer");
  takeSubset(data, subset);
  if (!checkData(info, data, error))
    return fail(error);
  Executor exec(art, 0);
  Batcher batcher(data, info.batch, /*shuffle=*/false, /*dropLast=*/false, 0);
  batcher.startEpoch(0);
  std::vector<HostTensor> inputs(1), outputs;
  inputs[0].shape = {info.batch, info.c, info.h, info.w};
  std::vector<int32_t> labels;
  int64_t valid = 0, index = 0, correct = 0;
  std::ostringstream lines;
  while (batcher.next(inputs[0].f32, labels, valid)) {
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
  std::fprintf(stderr, "%lld predictions, accuracy %.2f%%\n", (long long)index,
               index ? 100.0 * correct / index : 0.0);
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
  for (const ffx::Program *p : *art.model()->programs())
    std::printf("program %s: %u ops, %u tensors\n", p->name()->c_str(), p->ops()->size(),
                p->tensors()->size());
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
      args.command != "predict")
    return fail("unknown command '" + args.command +
                "'; commands: train, eval, predict, info");
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
  return infoCommand(*art);
}
