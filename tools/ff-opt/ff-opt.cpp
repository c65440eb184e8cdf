//===- ff-opt.cpp - mlir-opt with the ff dialect and ffc's passes ---------===//
#include "dialects/FF/IR/FFDialect.h"
#include "passes/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::registerTransformsPasses();
  ffc::registerFFCPasses();
  mlir::DialectRegistry registry;
  registry.insert<ffc::ff::FFDialect, mlir::func::FuncDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "ffc optimizer driver\n", registry));
}
