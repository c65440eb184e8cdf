//===- Driver.h - the ffc compiler driver -----------------------*- C++ -*-===//
//
// Loads a model (ONNX file, `.mlir` file or built-in zoo model) and runs the
// compilation phases up to the one requested. `ffc`'s main is a thin wrapper.
//
//===----------------------------------------------------------------------===//
#ifndef FFC_TOOLS_FFC_DRIVER_H
#define FFC_TOOLS_FFC_DRIVER_H

namespace ffc {
/// Parses the command line, compiles, and returns the process exit code.
int runFfcMain(int argc, char **argv);

/// The source revision this ffc was built from (`git describe --dirty`, taken
/// at build time; "unknown" outside a git checkout).
const char *revision();
} // namespace ffc

#endif
