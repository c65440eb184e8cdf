//===- MemoryPlanTest.cpp - placement of activations in the arena --------===//
#include "runtime/MemoryPlan.h"
#include "runtime/tests/ArtifactBuilders.h"

#include <gtest/gtest.h>

#include <random>

using namespace ffrt;
using namespace ffrt::artifact_builders;

namespace {

/// Serializes `program` and plans it.
MemoryPlan plan(const ffx::ProgramT &program, flatbuffers::FlatBufferBuilder &fbb) {
  fbb.Finish(ffx::Program::Pack(fbb, &program));
  return planMemory(*flatbuffers::GetRoot<ffx::Program>(fbb.GetBufferPointer()));
}

/// Tensors live at the same time never share bytes, and offsets are aligned.
void expectNoOverlap(const MemoryPlan &p) {
  for (size_t a = 0; a < p.offset.size(); ++a) {
    if (p.offset[a] < 0)
      continue;
    EXPECT_EQ(p.offset[a] % MemoryPlan::kAlignment, 0) << "tensor " << a;
    EXPECT_LE(p.offset[a] + p.bytes[a], p.arenaBytes) << "tensor " << a;
    for (size_t b = a + 1; b < p.offset.size(); ++b) {
      if (p.offset[b] < 0)
        continue;
      bool liveTogether = p.firstOp[a] <= p.lastOp[b] && p.firstOp[b] <= p.lastOp[a];
      bool shareBytes = p.offset[a] < p.offset[b] + p.bytes[b] &&
                        p.offset[b] < p.offset[a] + p.bytes[a];
      EXPECT_FALSE(liveTogether && shareBytes)
          << "tensors " << a << " [ops " << p.firstOp[a] << ".." << p.lastOp[a] << ", bytes "
          << p.offset[a] << "+" << p.bytes[a] << ") and " << b << " [ops " << p.firstOp[b]
          << ".." << p.lastOp[b] << ", bytes " << p.offset[b] << "+" << p.bytes[b] << ")";
    }
  }
}

} // namespace

// x -> a -> b -> c -> d, each freed after its reader: two buffers suffice,
// and the output d (never freed) lives to the end.
TEST(MemoryPlan, ChainReusesTwoBuffers) {
  ffx::ProgramT prog;
  prog.tensors.push_back(tensor({4, 16}, ffx::TensorKind::Input)); // 0: x
  for (int i = 0; i < 4; ++i)
    prog.tensors.push_back(tensor({4, 16})); // 1..4: a, b, c, d (256 bytes each)
  prog.ops.push_back(op("relu", {0}, {1}));
  prog.ops.push_back(op("relu", {1}, {2}, 0, {1}));
  prog.ops.push_back(op("relu", {2}, {3}, 0, {2}));
  prog.ops.push_back(op("relu", {3}, {4}, 0, {3}));
  flatbuffers::FlatBufferBuilder fbb;
  MemoryPlan p = plan(prog, fbb);
  EXPECT_EQ(p.offset[0], -1); // inputs are not placed
  EXPECT_EQ(p.peakLiveBytes, 512);
  EXPECT_EQ(p.arenaBytes, 512);
  EXPECT_EQ(p.lastOp[4], 3);
  EXPECT_NE(p.offset[1], p.offset[2]);
  EXPECT_EQ(p.offset[1], p.offset[3]);
  EXPECT_EQ(p.offset[2], p.offset[4]);
  expectNoOverlap(p);
}

// A result nobody frees (a program output) keeps its bytes to the end of the
// program, so later tensors cannot take them.
TEST(MemoryPlan, UnfreedTensorsLiveToTheEnd) {
  ffx::ProgramT prog;
  prog.tensors.push_back(tensor({16}, ffx::TensorKind::Input)); // 0
  prog.tensors.push_back(tensor({16}));                         // 1: output
  prog.tensors.push_back(tensor({16}));                         // 2
  prog.tensors.push_back(tensor({16}));                         // 3
  prog.ops.push_back(op("relu", {0}, {1}));
  prog.ops.push_back(op("relu", {0}, {2}));
  prog.ops.push_back(op("relu", {2}, {3}, 0, {2}));
  flatbuffers::FlatBufferBuilder fbb;
  MemoryPlan p = plan(prog, fbb);
  EXPECT_EQ(p.lastOp[1], 2);
  EXPECT_EQ(p.lastOp[3], 2);
  EXPECT_EQ(p.arenaBytes, 3 * 64);
  expectNoOverlap(p);
}

// Random programs: any mix of sizes and lifetimes is placed without overlap,
// within the bounds [peak live bytes, sum of all tensors].
TEST(MemoryPlan, RandomProgramsNeverOverlap) {
  std::mt19937 gen(7);
  for (int trial = 0; trial < 50; ++trial) {
    ffx::ProgramT prog;
    prog.tensors.push_back(tensor({1}, ffx::TensorKind::Input));
    const int numOps = 40;
    std::vector<std::vector<int32_t>> frees(numOps);
    int64_t sum = 0;
    for (int k = 0; k < numOps; ++k) {
      int32_t id = int32_t(prog.tensors.size());
      int64_t elems = 1 + int64_t(gen() % 300);
      sum += (4 * elems + 63) / 64 * 64;
      prog.tensors.push_back(tensor({elems}));
      int last = k + int(gen() % 12);
      if (last < numOps)
        frees[last].push_back(id);
      prog.ops.push_back(op("relu", {0}, {id}));
    }
    for (int k = 0; k < numOps; ++k)
      prog.ops[k]->free_after = frees[k];
    flatbuffers::FlatBufferBuilder fbb;
    MemoryPlan p = plan(prog, fbb);
    expectNoOverlap(p);
    EXPECT_GE(p.arenaBytes, p.peakLiveBytes);
    EXPECT_LE(p.arenaBytes, sum);
  }
}
