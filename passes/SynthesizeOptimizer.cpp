//===- SynthesizeOptimizer.cpp ---------------------------------------------------------===//
// PLACEHOLDER: being written; must be replaced before commit.
#include "passes/Passes.h"

namespace ffc {
#define GEN_PASS_DEF_SYNTHESIZEOPTIMIZER
#include "passes/Passes.h.inc"
} // namespace ffc

namespace {
struct SynthesizeOptimizerPass : ffc::impl::SynthesizeOptimizerBase<SynthesizeOptimizerPass> {
  using SynthesizeOptimizerBase::SynthesizeOptimizerBase;
  void runOnOperation() override {
    getOperation()->emitError("SynthesizeOptimizer is not written yet");
    signalPassFailure();
  }
};
} // namespace
