//===- Passes.h - ffc's training passes -------------------------*- C++ -*-===//
#ifndef FFC_PASSES_PASSES_H
#define FFC_PASSES_PASSES_H

#include "dialects/FF/IR/FFDialect.h"
#include "dialects/FF/IR/FFOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

#include <memory>

namespace ffc {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

} // namespace ffc

#endif
