//===- KernelCodegen.h - native kernels for ff.fused groups ---*- C++ -*-===//
//
// The CPU target's codegen: every `ff.fused` kernel group of a module left by
// `ff-fuse` becomes a function in upstream MLIR (a `linalg.generic` over
// memrefs), which the standard conversions lower to the LLVM dialect; LLVM
// optimises it for the host CPU (vectorisation included) and emits an object
// file, which the system linker turns into a shared object. The artifact
// carries that shared object; the runtime loads it without LLVM or MLIR.
//
// Kernel ABI (runtime/cpu/KernelLibrary.h): `void NAME(void **buffers,
// int64_t begin, int64_t end)`, where `buffers` holds the group's inputs then
// its results (f32, dense, row-major) and [begin, end) is a range of the
// iteration space's dimension 0, so the runtime can split the work across
// threads. Inputs broadcast to the iteration shape with NumPy rules.
//
//===----------------------------------------------------------------------===//
#ifndef FFC_TARGETS_CPU_KERNELCODEGEN_H
#define FFC_TARGETS_CPU_KERNELCODEGEN_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringMap.h"

#include <memory>
#include <string>
#include <vector>

namespace llvm {
class LLVMContext;
class Module;
} // namespace llvm

namespace ffc {
namespace cpu {

/// The kernels of a module: one per distinct `ff.fused` body (identical groups
/// in train_step, eval_step and predict share one).
struct KernelTable {
  std::vector<std::string> symbols;   ///< entry symbol of kernel i
  std::vector<mlir::Operation *> groups; ///< an `ff.fused` op kernel i implements
  llvm::StringMap<int32_t> indexOf;   ///< `ff.fused` kernel name -> kernel index
  std::string sharedObject;           ///< ELF shared object defining the symbols
  std::string cpu;                    ///< the CPU the code was generated for
  std::vector<std::string> features;  ///< ISA extensions the code may use
};

/// The kernel module in upstream MLIR dialects (func, memref, linalg, arith,
/// math): one function per distinct kernel. Fills `table.symbols` and
/// `table.indexOf`.
mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>> buildKernelModule(mlir::ModuleOp module,
                                                                     KernelTable &table);

/// Lowers a kernel module to LLVM IR with the ABI entries and optimises it for
/// `cpu` ("native": the host). Fills `table.cpu` and `table.features`.
mlir::FailureOr<std::unique_ptr<llvm::Module>>
lowerKernelModule(mlir::ModuleOp kernels, llvm::LLVMContext &llvmContext, llvm::StringRef cpu,
                  KernelTable &table);

/// Everything: builds, lowers and compiles the kernels of `module` and links
/// them into `table.sharedObject` (empty when the module has no kernels).
mlir::LogicalResult compileKernels(mlir::ModuleOp module, llvm::StringRef cpu, KernelTable &table);

} // namespace cpu
} // namespace ffc

#endif // FFC_TARGETS_CPU_KERNELCODEGEN_H
