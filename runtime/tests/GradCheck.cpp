//===- GradCheck.cpp - autodiff rules against finite differences ----------===//
//
// ffrt-gradcheck ART.ffx [--samples=N] [--step=H] [--min-agree=F]
//
// Checks the gradients that ffc's autodiff produced for a compiled model
// against central finite differences of the loss, by running the artifact's
// own train_step on the CPU device: it must be compiled with
// `--optimizer=sgd` (no momentum, no weight decay) and have ONE block, so that
// a step with lr = 1 moves every trainable parameter by exactly its gradient
// (g = theta - theta') and a step with lr = 0 evaluates the loss. Inputs and
// labels are random (seeded). Prints one line per checked element and a
// summary; exits 1 if fewer than the fraction F (default 1) of them agree.
//
// Tolerance: the executor computes in float32. With a central difference of
// step h = 1e-3 on a loss of order 1, rounding contributes about
// 1e-7 * |L| / h ~ 1e-4 to the estimate and truncation O(h^2) less; the
// check allows |g - fd| <= 3e-2 * max(|g|, |fd|) + 5e-4.
//
//===----------------------------------------------------------------------===//
#include "runtime/Artifact.h"
#include "runtime/Executor.h"
#include "runtime/cpu/ForwardKernels.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

using namespace ffrt;

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: ffrt-gradcheck ART.ffx [--samples=N] [--step=H] [--min-agree=F]\n");
    return 2;
  }
  int samples = 4;
  double h = 1e-3;
  // Fraction of checked elements that must agree: below 1 for networks whose
  // ReLUs, max pools and small-batch batch norms make the loss non-smooth at
  // the scale of the step.
  double minAgree = 1.0;
  for (int i = 2; i < argc; ++i) {
    if (!std::strncmp(argv[i], "--samples=", 10))
      samples = std::atoi(argv[i] + 10);
    if (!std::strncmp(argv[i], "--step=", 7))
      h = std::atof(argv[i] + 7);
    if (!std::strncmp(argv[i], "--min-agree=", 12))
      minAgree = std::atof(argv[i] + 12);
  }
  std::string error;
  auto art = Artifact::load(argv[1], error);
  if (!art) {
    std::fprintf(stderr, "ffrt-gradcheck: '%s': %s\n", argv[1], error.c_str());
    return 2;
  }
  const ffx::Metadata *meta = art->metadata();
  if (std::string(meta->optimizer()->str()) != "sgd" || !meta->blocks() ||
      meta->blocks()->size() != 1) {
    std::fprintf(stderr, "ffrt-gradcheck: the artifact must be compiled with "
                         "--optimizer=sgd and have one block\n");
    return 2;
  }
  int64_t batch = meta->batch(), classes = meta->classes();
  Shape input = {batch};
  for (int64_t d : *meta->input_shape())
    input.push_back(d);

  cpu::Rng rng(1234);
  std::vector<HostTensor> inputs(3), outputs;
  inputs[0].shape = input;
  for (int64_t i = 0; i < numElements(input); ++i)
    inputs[0].f32.push_back(float(2.0 * rng.uniform() - 1.0));
  inputs[1].shape = {batch};
  for (int64_t i = 0; i < batch; ++i)
    inputs[1].i32.push_back(int32_t(rng.below(classes)));
  inputs[2].shape = {};
  inputs[2].f32 = {0.0f};

  // Every evaluation starts from a fresh executor with the same seed, so
  // random ops (dropout masks) draw the same values each time.
  const std::vector<std::vector<float>> theta = Executor(*art, 0).params();
  std::vector<std::vector<float>> moved;
  auto loss = [&](const std::vector<std::vector<float>> &params, double lr) -> double {
    Executor exec(*art, 0);
    exec.params() = params;
    inputs[2].f32[0] = float(lr);
    if (!exec.run("train_step", inputs, outputs, error)) {
      std::fprintf(stderr, "ffrt-gradcheck: %s\n", error.c_str());
      std::exit(2);
    }
    moved = exec.params();
    return outputs[0].f32[0];
  };
  loss(theta, 1.0);
  const std::vector<std::vector<float>> stepped = moved;

  int checked = 0, bad = 0;
  auto *params = art->model()->params();
  for (size_t p = 0; p < params->size(); ++p) {
    if (params->Get(p)->buffer())
      continue;
    int64_t n = theta[p].size();
    for (int s = 0; s < samples && s < n; ++s) {
      int64_t idx = s == 0 ? 0 : int64_t(rng.below(n));
      double g = double(theta[p][idx]) - double(stepped[p][idx]);
      std::vector<std::vector<float>> probe = theta;
      probe[p][idx] = float(theta[p][idx] + h);
      double up = loss(probe, 0.0);
      probe[p][idx] = float(theta[p][idx] - h);
      double down = loss(probe, 0.0);
      double fd = (up - down) / (2 * h);
      bool ok = std::fabs(g - fd) <= 3e-2 * std::max(std::fabs(g), std::fabs(fd)) + 5e-4;
      ++checked;
      bad += !ok;
      std::printf("%s %s[%lld]: autodiff %.6g, finite difference %.6g\n", ok ? "ok " : "BAD",
                  params->Get(p)->name()->c_str(), (long long)idx, g, fd);
    }
  }
  std::printf("%d gradient elements checked, %d disagree\n", checked, bad);
  return checked > 0 && double(checked - bad) >= minAgree * checked ? 0 : 1;
}
