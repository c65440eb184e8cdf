//===- MemoryPlan.h - static placement of a program's activations -*- C++ -*-===//
//
// Turns a program's buffer plan (which op computes each activation, after which
// op it dies: Op.free_after) into byte offsets in one arena, so that a step
// allocates nothing: tensors whose lifetimes do not overlap share memory, and
// the arena's pages are touched once, on the first step, instead of being
// mapped, zero-filled by the kernel and unmapped again for every tensor of
// every step.
//
// Lifetimes are inclusive op-index intervals [computed by op i, freed after op
// j]; a tensor never freed (a program output, an unread result) lives to the
// end. Two tensors whose intervals meet never overlap in the arena. Placement
// is greedy best-fit, largest first, at 64-byte alignment.
//
//===----------------------------------------------------------------------===//
#ifndef FFRT_MEMORYPLAN_H
#define FFRT_MEMORYPLAN_H

#include "runtime/schema/ffx_generated.h"

#include <cstdint>
#include <vector>

namespace ffrt {

struct MemoryPlan {
  static constexpr int64_t kAlignment = 64;
  /// Byte offset of each tensor of the program in the arena, or -1 for tensors
  /// that are not activations computed by an op (inputs, params, constants,
  /// aliases, never-computed results).
  std::vector<int64_t> offset;
  /// First and last op index during which each placed tensor is live.
  std::vector<int32_t> firstOp, lastOp;
  /// Bytes of each placed tensor (before alignment).
  std::vector<int64_t> bytes;
  /// Size of the arena.
  int64_t arenaBytes = 0;
  /// The most bytes live at once (the lower bound of any placement).
  int64_t peakLiveBytes = 0;
};

/// Plans `program`, which the artifact loader has verified (every result is an
/// Activation computed once, freed at most once, after its computation).
MemoryPlan planMemory(const ffx::Program &program);

} // namespace ffrt

#endif
