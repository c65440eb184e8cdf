//===- FFDialect.cpp - registration of the ff dialect ---------------------===//
#include "dialects/FF/IR/FFDialect.h"
#include "dialects/FF/IR/FFOps.h"

using namespace mlir;
using namespace ffc::ff;

#include "dialects/FF/IR/FFDialect.cpp.inc"

void FFDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/FF/IR/FFOps.cpp.inc"
      >();
}
