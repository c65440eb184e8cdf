//===- PassUtils.h - helpers shared by ffc's passes -------------*- C++ -*-===//
#ifndef FFC_PASSES_PASSUTILS_H
#define FFC_PASSES_PASSUTILS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Operation.h"

#include <string>
#include <vector>

namespace ffc {

/// The model-file node an op came from (its NameLoc, set by the importer),
/// or the op's name when it has none.
std::string nodeName(mlir::Operation *op);

/// The module path of an op's ONNX node name: "/layer1/layer1.0/conv1/Conv"
/// gives {"layer1", "layer1.0", "conv1"} (the last component is the op type).
std::vector<std::string> modulePath(mlir::Operation *op);

/// Erases side-effect-free ops whose results are unused, in reverse order.
void removeDeadOps(mlir::func::FuncOp func);

} // namespace ffc

#endif
