//===- MemoryReport.h - live activation memory of a step program -*- C++ -*-===//
#ifndef FFC_PASSES_MEMORYREPORT_H
#define FFC_PASSES_MEMORYREPORT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ffc {

struct BlockMemory {
  std::string name;
  int64_t peakBytes = 0; // high-water mark while the block runs
};

struct MemoryReport {
  int64_t peakBytes = 0;
  std::string peakBlock; // the block running at the high-water mark
  std::vector<BlockMemory> blocks;
};

/// Simulates the step program op by op and returns the high-water mark of
/// live activation bytes. A tensor counts as an activation when its first
/// dimension is the batch (activations, their gradients, scores, masks);
/// parameters, their gradients and optimizer state do not count. A tensor is
/// live from the op that defines it to its last use (uses inside a block count
/// where they run); block arguments and results, ff.stop_gradient and
/// reshapes alias their source instead of allocating.
MemoryReport analyzeActivationMemory(mlir::func::FuncOp step);

void printMemoryReport(const MemoryReport &report, llvm::StringRef program,
                       llvm::raw_ostream &os);

} // namespace ffc

#endif
