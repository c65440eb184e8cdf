//===- ArtifactWriter.h - serializes scheduled ff modules into .ffx ---*- C++ -*-===//
//
// The last phase of ffc for the CPU target: a module after `ff-schedule` (its
// `ff.param`s and the step functions `train_step`, `eval_step`, `predict`) is
// written as an `.ffx` artifact (runtime/schema/ffx.fbs) that the runtime loads
// without LLVM or MLIR.
//
// Every SSA value of a step function becomes a tensor of the program. Values
// that only rename storage become Alias tensors and no op: `ff.block` region
// arguments (of the block operands), `ff.block` results (of the yielded
// values), `ff.stop_gradient`, `ff.reshape` and `ff.flatten`. `ff.param_ref`
// results are Param tensors, `ff.constant` results Constant tensors; every
// other op is an Op whose operand and result lists keep the slots of its ODS
// definition (-1 for an absent optional value) and whose attributes include
// the default-valued ones. After each op, `free_after` names the activations
// whose storage is dead from then on.
//
//===----------------------------------------------------------------------===//
#ifndef FFC_TARGETS_CPU_ARTIFACTWRITER_H
#define FFC_TARGETS_CPU_ARTIFACTWRITER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"

#include "targets/cpu/KernelCodegen.h"

#include "flatbuffers/flatbuffers.h"

#include <string>

namespace ffc {
namespace cpu {

/// What the artifact records that the module's attributes do not say. Empty
/// override fields take the module's value (`ff.partition`, `ff.loss`'s
/// `loss`, `ff.optimizer`'s `name`, `ff.source`).
struct ArtifactInfo {
  std::string mode;     ///< the training mode ffc compiled for, e.g. "sff-block"
  std::string producer; ///< "ffc <revision>"
  std::string target = "cpu";
  std::string targetCpu = "native"; ///< the CPU the kernels are generated for
  std::string partition; ///< override of `ff.partition`
  std::string loss;      ///< override of `ff.loss`.loss
  std::string optimizer; ///< override of `ff.optimizer`.name
  std::string source;    ///< override of `ff.source`
};

/// Builds the artifact in memory and checks it with the runtime's loader
/// checks (a writer bug is reported here, not by ff-run). Errors are emitted
/// as diagnostics at the offending op.
mlir::FailureOr<flatbuffers::DetachedBuffer> serializeArtifact(mlir::ModuleOp module,
                                                               const ArtifactInfo &info);

/// Serializes `module` and writes it to `path` ("-": stdout) atomically: to
/// `path`.tmp, then renamed onto `path`; the temporary file is removed on
/// failure, so `path` never holds a partial artifact.
mlir::LogicalResult writeArtifact(mlir::ModuleOp module, llvm::StringRef path,
                                  const ArtifactInfo &info);

} // namespace cpu
} // namespace ffc

#endif // FFC_TARGETS_CPU_ARTIFACTWRITER_H
