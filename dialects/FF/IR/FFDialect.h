//===- FFDialect.h - the ff dialect -----------------------------*- C++ -*-===//
#ifndef FFC_DIALECTS_FF_IR_FFDIALECT_H
#define FFC_DIALECTS_FF_IR_FFDIALECT_H

#include "mlir/IR/Dialect.h"

#include "dialects/FF/IR/FFDialect.h.inc"

#endif
