//===- KernelLibrary.cpp - loads the generated CPU kernels ----------------===//
#include "runtime/cpu/KernelLibrary.h"

#include <cerrno>
#include <cstring>
#include <iterator>

#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

namespace ffrt {
namespace cpu {
namespace {

/// Whether this CPU has `feature` (unknown names: false).
bool cpuHas(const std::string &feature) {
  __builtin_cpu_init();
  // `__builtin_cpu_supports` takes literals only: kCpuFeatures, in its order.
  const bool present[] = {__builtin_cpu_supports("sse4.2"), __builtin_cpu_supports("avx"),
                          __builtin_cpu_supports("avx2"),   __builtin_cpu_supports("fma"),
                          __builtin_cpu_supports("f16c"),   __builtin_cpu_supports("avx512f")};
  static_assert(sizeof(present) / sizeof(bool) == std::size(kCpuFeatures));
  for (size_t i = 0; i < std::size(kCpuFeatures); ++i)
    if (feature == kCpuFeatures[i])
      return present[i];
  return false;
}

} // namespace

KernelLibrary::~KernelLibrary() {
  if (handle_)
    dlclose(handle_);
}

bool KernelLibrary::load(const ffx::KernelLibrary *library, std::string &error) {
  if (!library || !library->symbols() || library->symbols()->size() == 0)
    return true;
  std::string cpu = library->cpu() ? library->cpu()->str() : "?";
  if (library->target() && library->target()->str() != "cpu") {
    error = "the artifact's kernels are for target '" + library->target()->str() +
            "', not the CPU";
    return false;
  }
  if (library->features())
    for (const auto *feature : *library->features())
      if (!cpuHas(feature->str())) {
        error = "the artifact's kernels were generated for CPU '" + cpu + "' and use " +
                feature->str() +
                ", which this CPU lacks; recompile the model on this machine (or with "
                "ffc --target-cpu=x86-64)";
        return false;
      }
  int fd = memfd_create("ffx-kernels", MFD_CLOEXEC);
  if (fd < 0) {
    error = std::string("cannot create memory for the kernels: ") + std::strerror(errno);
    return false;
  }
  const uint8_t *code = library->code()->data();
  size_t size = library->code()->size(), done = 0;
  while (done < size) {
    ssize_t n = ::write(fd, code + done, size - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      error = std::string("cannot stage the kernels: ") + std::strerror(errno);
      ::close(fd);
      return false;
    }
    done += size_t(n);
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  ::close(fd);
  if (!handle_) {
    const char *why = dlerror();
    error = std::string("the dynamic loader refuses the artifact's kernels: ") +
            (why ? why : "unknown error");
    return false;
  }
  for (const auto *symbol : *library->symbols()) {
    void *address = dlsym(handle_, symbol->c_str());
    if (!address) {
      error = "the artifact's kernel library lacks kernel '" + symbol->str() + "'";
      return false;
    }
    kernels_.push_back(reinterpret_cast<KernelFn>(address));
  }
  return true;
}

} // namespace cpu
} // namespace ffrt
