//===- KernelLibrary.h - loads the generated CPU kernels --------*- C++ -*-===//
//
// The native code of an artifact's "fused" ops (see KernelLibrary in
// runtime/schema/ffx.fbs): an ELF shared object that ffc generated and linked.
// It is loaded from memory (a memfd, then dlopen), so nothing is written to
// disk and no LLVM is needed.
//
//===----------------------------------------------------------------------===//
#ifndef FFRT_CPU_KERNELLIBRARY_H
#define FFRT_CPU_KERNELLIBRARY_H

#include "runtime/schema/ffx_generated.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ffrt {
namespace cpu {

/// The ISA extensions ffc records for the code it generates (those the target
/// CPU has) and the loader checks on this CPU.
inline constexpr const char *kCpuFeatures[] = {"sse4.2", "avx", "avx2", "fma", "f16c", "avx512f"};

/// `void kernel(void **buffers, int64_t begin, int64_t end)`: buffers are the
/// op's operands then its results; [begin, end) rows of dimension 0.
using KernelFn = void (*)(void **, int64_t, int64_t);

class KernelLibrary {
public:
  KernelLibrary() = default;
  ~KernelLibrary();
  KernelLibrary(const KernelLibrary &) = delete;
  KernelLibrary &operator=(const KernelLibrary &) = delete;

  /// Loads `library` (null: an artifact without kernels). Fails with `error`
  /// naming the problem: a CPU feature this machine lacks, a library the
  /// dynamic loader refuses, a missing symbol.
  bool load(const ffx::KernelLibrary *library, std::string &error);

  size_t size() const { return kernels_.size(); }
  KernelFn kernel(size_t i) const { return kernels_[i]; }

private:
  void *handle_ = nullptr;
  std::vector<KernelFn> kernels_;
};

} // namespace cpu
} // namespace ffrt

#endif
