//===- MemoryReport.cpp - live activation memory of a step program --------===//
#include "passes/MemoryReport.h"

#include "dialects/FF/IR/FFOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/Format.h"

using namespace mlir;
using namespace ffc::ff;

namespace ffc {
namespace {

struct Simulator {
  int64_t batch = 0;
  int64_t position = 0;
  DenseMap<Value, Value> aliasOf;         // value -> the buffer it shares
  DenseMap<Value, int64_t> start, end;    // per buffer
  DenseMap<Value, int64_t> bytes;
  // Position ranges of the blocks, for the per-block breakdown.
  std::vector<std::tuple<std::string, int64_t, int64_t>> blockRanges;

  Value root(Value v) {
    while (aliasOf.count(v))
      v = aliasOf.lookup(v);
    return v;
  }
  void define(Value v) {
    auto type = dyn_cast<RankedTensorType>(v.getType());
    if (!type || type.getRank() == 0 || type.getDimSize(0) != batch)
      return;
    int64_t size = type.getNumElements() *
                   std::max<int64_t>(1, type.getElementTypeBitWidth() / 8);
    bytes[v] = size;
    start[v] = end[v] = position;
  }
  void use(Value v) {
    Value r = root(v);
    if (end.count(r))
      end[r] = std::max(end[r], position);
  }
  void run(Block &block) {
    for (Operation &op : block) {
      ++position;
      for (Value operand : op.getOperands())
        use(operand);
      if (auto blockOp = dyn_cast<BlockOp>(op)) {
        for (auto [arg, in] : llvm::zip(blockOp.getBodyBlock().getArguments(),
                                        blockOp.getInputs()))
          aliasOf[arg] = in;
        int64_t first = position;
        run(blockOp.getBodyBlock());
        blockRanges.emplace_back(blockOp.getName().str(), first, position);
        for (auto [res, yielded] :
             llvm::zip(blockOp.getResults(), blockOp.getYield().getValues()))
          aliasOf[res] = yielded;
        continue;
      }
      if (isa<StopGradientOp, ReshapeOp, FlattenOp>(op)) {
        aliasOf[op.getResult(0)] = op.getOperand(0);
        continue;
      }
      if (isa<ParamRefOp, ConstantOp>(op))
        continue;
      for (Value result : op.getResults())
        define(result);
    }
  }
};

} // namespace

MemoryReport analyzeActivationMemory(func::FuncOp step) {
  Simulator sim;
  sim.batch = cast<RankedTensorType>(step.getArgumentTypes()[0]).getDimSize(0);
  for (BlockArgument arg : step.getArguments())
    sim.define(arg);
  sim.run(step.getBody().front());
  // Sweep: add each buffer at its start, remove it after its end.
  std::vector<int64_t> live(sim.position + 2, 0);
  for (auto &[v, size] : sim.bytes) {
    live[sim.start[v]] += size;
    live[sim.end[v] + 1] -= size;
  }
  for (size_t p = 1; p < live.size(); ++p)
    live[p] += live[p - 1];
  MemoryReport report;
  int64_t peakAt = 0;
  for (size_t p = 0; p < live.size(); ++p)
    if (live[p] > report.peakBytes) {
      report.peakBytes = live[p];
      peakAt = p;
    }
  for (auto &[name, first, last] : sim.blockRanges) {
    BlockMemory block{name, 0};
    for (int64_t p = first; p <= last; ++p)
      block.peakBytes = std::max(block.peakBytes, live[p]);
    if (peakAt >= first && peakAt <= last)
      report.peakBlock = name;
    report.blocks.push_back(block);
  }
  return report;
}

void printMemoryReport(const MemoryReport &report, llvm::StringRef program,
                       llvm::raw_ostream &os) {
  auto mib = [](int64_t b) { return double(b) / (1024.0 * 1024.0); };
  os << "live activation high-water mark of " << program << ": "
     << report.peakBytes << " bytes (" << llvm::format("%.1f", mib(report.peakBytes))
     << " MiB)";
  if (!report.peakBlock.empty())
    os << " in " << report.peakBlock;
  os << "\n";
  for (const BlockMemory &b : report.blocks)
    os << "  " << b.name << ": " << b.peakBytes << " bytes ("
       << llvm::format("%.1f", mib(b.peakBytes)) << " MiB)\n";
}

} // namespace ffc
