//===- Executor.h - runs an artifact's programs on the CPU ------*- C++ -*-===//
//
// The CPU reference device: executes a program op by op with the kernels of
// runtime/cpu. Activations live in one arena, at offsets planned from the
// artifact's buffer plan (runtime/MemoryPlan.h): tensors that are not live at
// the same time share bytes, so a block's activations make room for the next
// block's, and a step allocates and page-faults nothing once the arena is
// warm. Kernels write every element of their results (the arena is not
// zeroed; FFRT_ARENA_FILL=nan fills results with NaN first, to check that).
// Parameters and optimizer state live in the executor across steps;
// `param_store` ops update them.
//
//===----------------------------------------------------------------------===//
#ifndef FFRT_EXECUTOR_H
#define FFRT_EXECUTOR_H

#include "runtime/Artifact.h"
#include "runtime/cpu/Shape.h"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ffrt {

/// A program input or output on the host: f32 data, or i32 for labels and
/// counts (scalars have an empty shape).
struct HostTensor {
  Shape shape;
  std::vector<float> f32;
  std::vector<int32_t> i32;
};

class Executor {
public:
  Executor(const Artifact &artifact, uint64_t seed);
  ~Executor();

  /// Runs `program` on `inputs` (in the program's input order). Errors name
  /// the op (kind and model node) and the block.
  bool run(const std::string &program, const std::vector<HostTensor> &inputs,
           std::vector<HostTensor> &outputs, std::string &error);

  /// Parameter storage (initial values from the artifact, then trained).
  std::vector<std::vector<float>> &params() { return paramData; }
  /// The most live activation bytes seen so far in a run.
  int64_t peakActivationBytes() const { return peakBytes; }
  /// The random generator's state (dropout masks, label shifts), so that a
  /// checkpoint can restore it and a resumed run draws the same numbers.
  std::array<uint64_t, 4> rngState() const;
  void setRngState(const std::array<uint64_t, 4> &state);

private:
  struct Impl;
  std::unique_ptr<Impl> impl;
  std::vector<std::vector<float>> paramData;
  int64_t peakBytes = 0;
};

} // namespace ffrt

#endif
