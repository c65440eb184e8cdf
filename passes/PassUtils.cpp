//===- PassUtils.cpp - helpers shared by ffc's passes ---------------------===//
#include "passes/PassUtils.h"

#include "mlir/IR/Location.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringRef.h"

using namespace mlir;

namespace ffc {

static std::optional<std::string> findName(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations())
      if (auto found = findName(inner))
        return found;
  return std::nullopt;
}

std::string nodeName(Operation *op) {
  if (auto name = findName(op->getLoc()))
    return *name;
  return op->getName().getStringRef().str();
}

std::vector<std::string> modulePath(Operation *op) {
  auto name = findName(op->getLoc());
  if (!name)
    return {};
  llvm::SmallVector<llvm::StringRef> parts;
  llvm::StringRef(*name).split(parts, '/', -1, /*KeepEmpty=*/false);
  std::vector<std::string> path;
  for (size_t i = 0; i + 1 < parts.size(); ++i)
    path.push_back(parts[i].str());
  return path;
}

void removeDeadOps(func::FuncOp func) {
  for (Block &block : func.getBody())
    for (Operation &op : llvm::make_early_inc_range(llvm::reverse(block)))
      if (op.use_empty() && !op.hasTrait<OpTrait::IsTerminator>() &&
          isMemoryEffectFree(&op))
        op.erase();
}

} // namespace ffc
