//===- DnnlConv.h - float convolutions through oneDNN ----------*- C++ -*-===//
//
// The CPU device's float convolutions (forward, grad-input, grad-weight) go
// to oneDNN when the runtime is built with it (libdnnl-dev found) and the
// environment does not say otherwise:
//   FFRT_CONV=dnnl   oneDNN (the default when built with it)
//   FFRT_CONV=blas   ffc's own im2col + OpenBLAS kernels (ForwardKernels.cpp,
//                    GradientKernels.cpp), kept for comparison.
// bench/conv_bench.cpp measured the choice (bench/README.md has the table).
//
// Each function returns false when it did not do the work (oneDNN absent or
// disabled, a zero-sized tensor, a shape oneDNN rejects or would run only
// with its slow reference implementation, or a call from inside a parallel
// region); the caller then runs its own kernel. Primitives are created once
// per shape (creation costs far more than a call) and cached; tensors stay
// NCHW / OIHW at the interface, with reorders to oneDNN's blocked formats
// inside the call where those are faster. oneDNN (Debian's build uses
// OpenMP) runs on omp_get_max_threads() threads, like the other kernels.
//
//===----------------------------------------------------------------------===//
#ifndef FFRT_CPU_DNNLCONV_H
#define FFRT_CPU_DNNLCONV_H

#include "runtime/cpu/Shape.h"

namespace ffrt::cpu::dnnl_conv {

/// Whether convolutions go to oneDNN (built with it and FFRT_CONV != blas).
bool enabled();

/// The forward convolution; with `relu`, max(y, 0) as a oneDNN post-op.
bool conv2d(const float *x, const Shape &xShape, const float *w,
            const Shape &wShape, const float *bias, const Window2D &win,
            int64_t groups, float *y, const Shape &yShape, bool relu = false);

bool conv2dGradInput(const float *dy, const Shape &dyShape, const float *w,
                     const Shape &wShape, const Window2D &win, int64_t groups,
                     float *dx, const Shape &dxShape);

bool conv2dGradWeight(const float *x, const Shape &xShape, const float *dy,
                      const Shape &dyShape, const Window2D &win,
                      int64_t groups, float *dw, const Shape &dwShape);

} // namespace ffrt::cpu::dnnl_conv

#endif
