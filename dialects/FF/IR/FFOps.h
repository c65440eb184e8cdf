//===- FFOps.h - the ff dialect's operations --------------------*- C++ -*-===//
#ifndef FFC_DIALECTS_FF_IR_FFOPS_H
#define FFC_DIALECTS_FF_IR_FFOPS_H

#include "dialects/FF/IR/FFDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "dialects/FF/IR/FFOps.h.inc"

#endif
