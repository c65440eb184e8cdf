//===- KernelLibraryTest.cpp - loading generated kernels from an artifact -===//
//
// KernelLibrary::load on hand-built libraries: a real shared object (the C
// math library stands in for ffc's kernels), code the dynamic loader refuses,
// a missing symbol, a CPU feature this machine lacks, another target.
//
//===----------------------------------------------------------------------===//
#include "runtime/cpu/KernelLibrary.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

namespace ffrt::cpu {
namespace {

std::vector<uint8_t> readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

/// The C math library's bytes: any ELF shared object the loader accepts.
std::vector<uint8_t> someSharedObject() {
  for (const char *path : {"/lib/x86_64-linux-gnu/libm.so.6", "/usr/lib/x86_64-linux-gnu/libm.so.6"}) {
    std::vector<uint8_t> bytes = readFile(path);
    if (!bytes.empty())
      return bytes;
  }
  return {};
}

/// Packs a library and loads it; returns the error ("" on success).
std::string load(const ffx::KernelLibraryT &lib, KernelLibrary &out) {
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(ffx::KernelLibrary::Pack(fbb, &lib));
  const auto *table = flatbuffers::GetRoot<ffx::KernelLibrary>(fbb.GetBufferPointer());
  std::string error;
  if (out.load(table, error))
    return "";
  EXPECT_FALSE(error.empty());
  return error;
}

ffx::KernelLibraryT library(std::vector<uint8_t> code, std::vector<std::string> symbols) {
  ffx::KernelLibraryT lib;
  lib.target = "cpu";
  lib.cpu = "x86-64";
  lib.symbols = std::move(symbols);
  lib.code = std::move(code);
  return lib;
}

TEST(KernelLibrary, LoadsASharedObjectFromMemory) {
  std::vector<uint8_t> so = someSharedObject();
  if (so.empty())
    GTEST_SKIP() << "no libm.so.6 to load";
  KernelLibrary kernels;
  EXPECT_EQ(load(library(so, {"cos", "sin"}), kernels), "");
  ASSERT_EQ(kernels.size(), 2u);
  EXPECT_NE(kernels.kernel(0), nullptr);
  EXPECT_NE(kernels.kernel(0), kernels.kernel(1));
}

TEST(KernelLibrary, NoLibraryIsNoKernels) {
  KernelLibrary kernels;
  std::string error;
  EXPECT_TRUE(kernels.load(nullptr, error));
  EXPECT_EQ(kernels.size(), 0u);
}

TEST(KernelLibrary, Errors) {
  std::vector<uint8_t> so = someSharedObject();
  if (so.empty())
    GTEST_SKIP() << "no libm.so.6 to load";
  {
    KernelLibrary kernels;
    EXPECT_EQ(load(library(so, {"cos", "ffc_kernel_7"}), kernels),
              "the artifact's kernel library lacks kernel 'ffc_kernel_7'");
  }
  {
    KernelLibrary kernels;
    std::string error = load(library({'n', 'o', 't', ' ', 'E', 'L', 'F'}, {"k"}), kernels);
    EXPECT_EQ(error.rfind("the dynamic loader refuses the artifact's kernels: ", 0), 0u) << error;
  }
  {
    KernelLibrary kernels;
    ffx::KernelLibraryT lib = library(so, {"cos"});
    lib.features = {"avx2", "quantum-fpu"};
    EXPECT_EQ(load(lib, kernels),
              "the artifact's kernels were generated for CPU 'x86-64' and use quantum-fpu, "
              "which this CPU lacks; recompile the model on this machine (or with ffc "
              "--target-cpu=x86-64)");
  }
  {
    KernelLibrary kernels;
    ffx::KernelLibraryT lib = library(so, {"cos"});
    lib.target = "cuda";
    EXPECT_EQ(load(lib, kernels), "the artifact's kernels are for target 'cuda', not the CPU");
  }
}

} // namespace
} // namespace ffrt::cpu
