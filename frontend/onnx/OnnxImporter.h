//===- OnnxImporter.h - ONNX models into the ff dialect ---------*- C++ -*-===//
#ifndef FFC_FRONTEND_ONNX_ONNXIMPORTER_H
#define FFC_FRONTEND_ONNX_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace onnx {
class ModelProto;
} // namespace onnx

namespace ffc::frontend {

struct OnnxImportOptions {
  /// Size of dimension 0 of every graph input and output. 0 keeps the file's
  /// static batch size, or uses 1 where the file leaves it dynamic.
  int64_t batch = 0;
};

/// The ONNX opsets the importer accepts (default domain).
constexpr int64_t kMinOnnxOpset = 11;
constexpr int64_t kMaxOnnxOpset = 17;

/// Imports an ONNX file into a module of `ff` ops: one `ff.param` per float
/// initializer and a `func.func @forward`. Problems are reported through the
/// context's diagnostic handler; returns null on failure.
mlir::OwningOpRef<mlir::ModuleOp> importOnnxFile(llvm::StringRef path,
                                                 mlir::MLIRContext &context,
                                                 const OnnxImportOptions &options);

/// Same, from a parsed model (the zoo builds its models in memory);
/// `sourceName` names the model in diagnostics.
mlir::OwningOpRef<mlir::ModuleOp> importOnnxModel(const onnx::ModelProto &model,
                                                  llvm::StringRef sourceName,
                                                  mlir::MLIRContext &context,
                                                  const OnnxImportOptions &options);

/// The ONNX op types the importer converts, sorted.
std::vector<std::string> supportedOnnxOps();

} // namespace ffc::frontend

#endif
