//===- Pipeline.cpp - ffc's compilation pipeline --------------------------===//
#include "passes/Pipeline.h"
#include "passes/Passes.h"

#include "llvm/ADT/StringExtras.h"

namespace ffc {

const std::vector<PhaseInfo> &phases() {
  static const std::vector<PhaseInfo> list = {
      {Phase::Import, "import", "the model in the ff dialect, as the frontend produces it"},
      {Phase::Partition, "partition", "gradient-isolated ff.block regions"},
      {Phase::LocalLoss, "local-loss", "@train and @infer with each block's objective"},
      {Phase::Autodiff, "autodiff", "each block's backward pass, ending in ff.param_grad"},
      {Phase::Optimizer, "optimizer", "parameter updates and optimizer state"},
      {Phase::Schedule, "schedule", "the step programs train_step, eval_step, predict"},
      {Phase::Fuse, "fuse", "elementwise chains grouped into ff.fused kernels"},
      {Phase::Kernels, "kernels", "the CPU target's kernels in upstream MLIR (linalg on memrefs)"},
      {Phase::KernelsLLVM, "kernels-llvm", "the CPU target's kernels as optimised LLVM IR"},
      {Phase::Artifact, "artifact", "the .ffx artifact that ff-run loads (CPU device)"},
  };
  return list;
}

bool addPhasePasses(mlir::OpPassManager &pm, Phase phase,
                    const TrainingOptions &o, std::string &error) {
  std::string partition = o.partition, loss = o.loss;
  bool dropClassifier = true;
  if (o.mode == "sff-block") {
    partition = partition.empty() ? "residual" : partition;
    loss = loss.empty() ? "sff" : loss;
  } else if (o.mode == "sff-layer") {
    partition = partition.empty() ? "layer" : partition;
    loss = loss.empty() ? "sff" : loss;
  } else if (o.mode == "bp") {
    partition = partition.empty() ? "whole" : partition;
    loss = loss.empty() ? "bp" : loss;
    // Backpropagation trains the model as it is, classifier included.
    dropClassifier = false;
  } else {
    error = "unknown mode '" + o.mode + "'; modes: sff-block, sff-layer, bp";
    return false;
  }
  switch (phase) {
  case Phase::Import:
    return true;
  case Phase::Partition: {
    PartitionBlocksOptions p;
    p.policy = partition;
    p.scopeDepth = o.scopeDepth;
    p.boundaries.assign(o.boundaries.begin(), o.boundaries.end());
    p.dropClassifier = dropClassifier || o.keepClassifier;
    p.keepClassifier = o.keepClassifier;
    pm.addPass(createPartitionBlocks(p));
    return true;
  }
  case Phase::LocalLoss: {
    SynthesizeLocalLossOptions l;
    l.loss = loss;
    l.classes = o.classes;
    l.margin = o.margin;
    l.auxKernel = o.auxKernel;
    l.norm = o.norm;
    l.normEpsilon = o.normEpsilon;
    l.auxInput = o.auxInput;
    l.vote = o.vote;
    l.voteSoftmax = o.voteSoftmax;
    l.threshold = o.theta;
    l.goodness = o.goodness;
    l.labelScale = o.labelScale;
    l.seed = o.seed;
    pm.addPass(createSynthesizeLocalLoss(l));
    return true;
  }
  case Phase::Autodiff:
    pm.addPass(createDifferentiateBlocks());
    return true;
  case Phase::Optimizer: {
    SynthesizeOptimizerOptions s;
    s.optimizer = o.optimizer;
    s.momentum = o.momentum;
    s.nesterov = o.nesterov;
    s.weightDecay = o.weightDecay;
    s.beta1 = o.beta1;
    s.beta2 = o.beta2;
    s.epsilon = o.epsilon;
    pm.addPass(createSynthesizeOptimizer(s));
    return true;
  }
  case Phase::Schedule:
    pm.addPass(createSchedule());
    return true;
  case Phase::Fuse:
    if (o.fuse)
      pm.addPass(createFuse());
    return true;
  case Phase::Kernels:
  case Phase::KernelsLLVM:
  case Phase::Artifact:
    return true; // the target's codegen and serializer (targets/cpu), not passes
  }
  return true;
}

} // namespace ffc
