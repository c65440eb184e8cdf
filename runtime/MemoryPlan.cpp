//===- MemoryPlan.cpp - static placement of a program's activations -------===//
#include "runtime/MemoryPlan.h"

#include <algorithm>

namespace ffrt {
namespace {

int64_t elementBytes(const ffx::Tensor &t) {
  int64_t n = 1;
  if (t.shape())
    for (int64_t d : *t.shape())
      n *= d;
  return 4 * n; // f32 and i32
}

int64_t alignUp(int64_t v) {
  const int64_t a = MemoryPlan::kAlignment;
  return (v + a - 1) / a * a;
}

} // namespace

MemoryPlan planMemory(const ffx::Program &program) {
  MemoryPlan plan;
  const size_t numTensors = program.tensors() ? program.tensors()->size() : 0;
  const int32_t numOps = program.ops() ? int32_t(program.ops()->size()) : 0;
  plan.offset.assign(numTensors, -1);
  plan.firstOp.assign(numTensors, -1);
  plan.lastOp.assign(numTensors, -1);
  plan.bytes.assign(numTensors, 0);

  // Lifetimes from the buffer plan.
  for (int32_t k = 0; k < numOps; ++k) {
    const ffx::Op *op = program.ops()->Get(k);
    if (op->results())
      for (int32_t id : *op->results())
        if (id >= 0) {
          plan.firstOp[id] = k;
          plan.lastOp[id] = numOps - 1;
          plan.bytes[id] = elementBytes(*program.tensors()->Get(id));
        }
    if (op->free_after())
      for (int32_t id : *op->free_after())
        plan.lastOp[id] = k;
  }

  std::vector<int32_t> order;
  for (size_t id = 0; id < numTensors; ++id)
    if (plan.firstOp[id] >= 0)
      order.push_back(int32_t(id));

  // The lower bound: bytes live during each op.
  std::vector<int64_t> live(size_t(numOps) + 1, 0);
  for (int32_t id : order) {
    live[plan.firstOp[id]] += plan.bytes[id];
    live[plan.lastOp[id] + 1] -= plan.bytes[id];
  }
  int64_t running = 0;
  for (int32_t k = 0; k < numOps; ++k)
    plan.peakLiveBytes = std::max(plan.peakLiveBytes, running += live[k]);

  // Largest first; among equals, the earlier one first (a stable layout).
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return plan.bytes[a] > plan.bytes[b]; });
  // Bytes each tensor takes in the arena (aligned; an empty tensor still
  // gets a distinct address).
  std::vector<int64_t> footprint(numTensors, 0);
  for (int32_t id : order)
    footprint[id] = alignUp(std::max<int64_t>(plan.bytes[id], 1));
  std::vector<int32_t> placed;
  std::vector<std::pair<int64_t, int64_t>> taken; // [begin, end) of overlapping tensors
  for (int32_t id : order) {
    const int64_t need = footprint[id];
    taken.clear();
    for (int32_t other : placed)
      if (plan.firstOp[other] <= plan.lastOp[id] && plan.firstOp[id] <= plan.lastOp[other])
        taken.emplace_back(plan.offset[other], plan.offset[other] + footprint[other]);
    std::sort(taken.begin(), taken.end());
    // Best fit: the smallest gap between live neighbours that holds the tensor,
    // else the end of the highest one.
    int64_t best = -1, bestGap = 0, cursor = 0;
    for (const auto &[begin, end] : taken) {
      if (begin - cursor >= need && (best < 0 || begin - cursor < bestGap))
        best = cursor, bestGap = begin - cursor;
      cursor = std::max(cursor, end);
    }
    plan.offset[id] = best >= 0 ? best : cursor;
    plan.arenaBytes = std::max(plan.arenaBytes, plan.offset[id] + need);
    placed.push_back(id);
  }
  return plan;
}

} // namespace ffrt
