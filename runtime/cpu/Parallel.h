//===- Parallel.h - how the CPU kernels share work and scratch memory -*- C++ -*-===//
#ifndef FFRT_CPU_PARALLEL_H
#define FFRT_CPU_PARALLEL_H

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace ffrt::cpu::detail {

/// Below this many elements touched a kernel runs serially: a parallel region
/// costs a few microseconds.
constexpr int64_t kParallelMin = int64_t{1} << 15;

/// Threads available to a kernel (1 inside an enclosing parallel region).
inline int maxThreads() {
#ifdef _OPENMP
  return omp_in_parallel() ? 1 : omp_get_max_threads();
#else
  return 1;
#endif
}

/// Runs body(lo, hi) over consecutive pieces of [0, n), in parallel when
/// `work` (elements touched) is worth it. Pieces (of `grain` items, default
/// about n/16) are handed out dynamically, several per thread, so that a
/// thread that loses its core to another process delays the kernel by one
/// piece, not by its whole share; the pieces, hence the results, do not
/// depend on the thread count.
template <typename Body>
void forRanges(int64_t n, int64_t work, Body &&body, int64_t grain = 0) {
  if (n <= 0)
    return;
#ifdef _OPENMP
  if (work >= kParallelMin && n > 1 && maxThreads() > 1) {
    if (grain <= 0)
      grain = std::max<int64_t>(1, (n + 15) / 16);
    const int64_t pieces = (n + grain - 1) / grain;
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t i = 0; i < pieces; ++i)
      body(i * grain, std::min(n, (i + 1) * grain));
    return;
  }
#endif
  (void)work;
  (void)grain;
  body(int64_t{0}, n);
}

/// A per-thread scratch buffer that only grows (contents undefined), for
/// the conv kernels' unfolded (im2col) matrices.
template <typename T> T *scratch(size_t slot, size_t n) {
  thread_local std::vector<T> buffers[2];
  std::vector<T> &buf = buffers[slot];
  if (buf.size() < n)
    buf.resize(n);
  return buf.data();
}

} // namespace ffrt::cpu::detail

#endif
