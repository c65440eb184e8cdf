//===- Artifact.h - loads, verifies and rewrites .ffx artifacts ----*- C++ -*-===//
//
// An `.ffx` file (runtime/schema/ffx.fbs) is checked in three steps before the
// runtime touches it: its identifier and format version, the FlatBuffers
// verifier (every offset and length inside the file), then semantic checks
// (every tensor id in range, aliases and parameters of matching sizes, the
// three step programs present). A file that passes can be executed without
// further bounds checks on ids. No LLVM or MLIR here.
//
//===----------------------------------------------------------------------===//
#ifndef FFRT_ARTIFACT_H
#define FFRT_ARTIFACT_H

#include "runtime/schema/ffx_generated.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ffrt {

/// The .ffx format version this runtime reads and ffc writes. Bump it on any
/// schema change that an older reader would misread.
constexpr uint32_t kFormatVersion = 2;

/// The alignment the schema promises for parameter data (`force_align: 64`),
/// and that the loader gives the file's bytes in memory.
constexpr size_t kArtifactAlignment = 64;
static_assert(FLATBUFFERS_MAX_ALIGNMENT >= kArtifactAlignment,
              "link the ffx_schema target: it raises FLATBUFFERS_MAX_ALIGNMENT to 64");

/// A loaded, verified artifact. It owns the file's bytes (64-byte aligned), and
/// every accessor points into them.
class Artifact {
public:
  /// Reads and verifies `path`. On failure returns null and sets `error` to a
  /// message that names the file's problem (not the path: callers add it).
  static std::unique_ptr<Artifact> load(const std::string &path, std::string &error);

  /// Verifies a copy of `size` bytes at `data`, as `load` does for a file.
  static std::unique_ptr<Artifact> fromBytes(const void *data, size_t size, std::string &error);

  /// Runs every check of `load` on bytes in place, without copying them
  /// (ffc checks what it is about to write). `data` must be at least 8-byte
  /// aligned; the 64-byte alignment of parameter data is checked relative to
  /// `data`.
  static bool verify(const uint8_t *data, size_t size, std::string &error);

  ~Artifact();
  Artifact(const Artifact &) = delete;
  Artifact &operator=(const Artifact &) = delete;

  /// The root table; never null. Its metadata and programs are checked present.
  const ffx::Model *model() const { return model_; }
  const ffx::Metadata *metadata() const { return model_->metadata(); }
  /// The program named `name`, or null.
  const ffx::Program *program(const std::string &name) const;
  /// The index of the parameter named `name`, or -1.
  int paramIndex(const std::string &name) const;
  size_t numParams() const;

  const uint8_t *data() const { return bytes_; }
  size_t size() const { return size_; }

private:
  Artifact() = default;
  /// Takes `bytes` (aligned_alloc'ed), verifies them, and owns them either way.
  static std::unique_ptr<Artifact> adopt(uint8_t *bytes, size_t size, std::string &error);
  uint8_t *bytes_ = nullptr; // aligned_alloc'ed, kArtifactAlignment
  size_t size_ = 0;
  const ffx::Model *model_ = nullptr;
};

/// FNV-1a, 64 bits: the checksum of a kernel library's code.
uint64_t fnv1a64(const uint8_t *data, size_t size);

/// Builds a KernelLibrary table (code 64-byte aligned, with its checksum).
flatbuffers::Offset<ffx::KernelLibrary>
buildKernelLibrary(flatbuffers::FlatBufferBuilder &fbb, const std::string &target,
                   const std::string &cpu, const std::vector<std::string> &features,
                   const std::vector<std::string> &symbols,
                   flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<ffx::Program>>> bodies,
                   const uint8_t *code, size_t size);

/// Writes a copy of `artifact` whose parameters hold `paramData` (one vector
/// per parameter, in the artifact's order, each of the parameter's element
/// count): a checkpoint. Written to `path`.tmp and renamed onto `path`, so
/// `path` holds either the old file or the complete new one; the temporary file
/// is removed on failure. Returns false and sets `error` on failure.
bool saveArtifactWithParams(const Artifact &artifact,
                            const std::vector<std::vector<float>> &paramData,
                            const std::string &path, std::string &error);

/// Writes `size` bytes to `path` atomically (`path`.tmp, then rename), removing
/// the temporary file on failure.
bool writeFileAtomically(const std::string &path, const void *data, size_t size,
                         std::string &error);

} // namespace ffrt

#endif // FFRT_ARTIFACT_H
