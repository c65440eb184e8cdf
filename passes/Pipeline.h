//===- Pipeline.h - ffc's compilation pipeline ------------------*- C++ -*-===//
//
// The ordered phases of ffc and the pass pipeline that implements each one.
// `ffc` and library users run the same code.
//
//===----------------------------------------------------------------------===//
#ifndef FFC_PASSES_PIPELINE_H
#define FFC_PASSES_PIPELINE_H

#include "mlir/Pass/PassManager.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ffc {

/// The phases after import, in order.
enum class Phase {
  Import,
  Partition,
  LocalLoss,
  Autodiff,
  Optimizer,
  Schedule,
  Fuse,
  Kernels,
  KernelsLLVM,
  Artifact
};

struct PhaseInfo {
  Phase phase;
  const char *name;
  const char *description;
};
/// Every phase with its `--compile-to` name.
const std::vector<PhaseInfo> &phases();

struct TrainingOptions {
  /// sff-block (residual blocks + SFF loss), sff-layer (layers + SFF loss) or
  /// bp (one block, backpropagation). The fields below override its defaults;
  /// empty strings mean "the mode's default".
  std::string mode = "sff-block";
  std::string partition;
  unsigned scopeDepth = 2;
  std::vector<std::string> boundaries;
  bool keepClassifier = false;

  std::string loss;
  int64_t classes = 0;
  double margin = 0.0;
  int64_t auxKernel = 1;
  std::string norm = "layer";
  double normEpsilon = 1e-5;
  std::string auxInput = "pre";
  std::string vote = "all";
  bool voteSoftmax = false;
  double theta = 2.0;           ///< loss 'ff': goodness threshold
  std::string goodness = "mean"; ///< loss 'ff': mean or sum of squares
  double labelScale = 1.0;      ///< loss 'ff': value of the label pixel
  uint64_t seed = 0;

  std::string optimizer = "adam";
  double momentum = 0.0;
  bool nesterov = false;
  double weightDecay = -1.0;
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;

  /// Group elementwise ops into generated kernels (ff-fuse); without it every
  /// op runs as the runtime's reference kernel.
  bool fuse = true;
};

/// Adds the passes of one phase to `pm`. Fails with `error` set on options
/// that contradict each other (an unknown mode, for example).
bool addPhasePasses(mlir::OpPassManager &pm, Phase phase,
                    const TrainingOptions &options, std::string &error);

} // namespace ffc

#endif
