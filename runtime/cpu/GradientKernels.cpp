//===- GradientKernels.cpp - CPU reference kernels for ff gradient ops ----===//
//
// See GradientKernels.h for the conventions. The convolution gradients are
// im2col + gemm (weight) and gemm + col2im (input) over chunks of samples so
// that one gemm covers several images; depthwise-like convolutions (one input
// channel per group, several groups) take a direct path, where per-group gemms
// would be degenerate. Large kernels split their work into one contiguous
// range per OpenMP thread (each thread calling BLAS itself).
//
//===----------------------------------------------------------------------===//

#include "runtime/cpu/GradientKernels.h"
#include "runtime/cpu/ForwardKernels.h"
#include "runtime/cpu/DnnlConv.h"
#include "runtime/cpu/Parallel.h"

#include <cblas.h>
#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace ffrt::cpu {
namespace {

//===--- BLAS -------------------------------------------------------------===//

void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n,
          int64_t k, float alpha, const float *a, int64_t lda, const float *b,
          int64_t ldb, float beta, float *c, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, ta, tb, static_cast<blasint>(m),
              static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
              static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c,
              static_cast<blasint>(ldc));
}

void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n,
          int64_t k, double alpha, const double *a, int64_t lda,
          const double *b, int64_t ldb, double beta, double *c, int64_t ldc) {
  cblas_dgemm(CblasRowMajor, ta, tb, static_cast<blasint>(m),
              static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
              static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c,
              static_cast<blasint>(ldc));
}

//===--- Threads ----------------------------------------------------------===//

using detail::forRanges;

using detail::scratch;

//===--- Window geometry --------------------------------------------------===//

/// The output positions t in [0, count) whose input coordinate
/// t * stride + offset lies in [0, extent), as the half-open range [lo, hi).
struct Range {
  int64_t lo, hi;
};

Range validRange(int64_t count, int64_t stride, int64_t offset,
                 int64_t extent) {
  int64_t lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  int64_t last = extent - 1 - offset; // t * stride <= last
  int64_t hi = last < 0 ? 0 : last / stride + 1;
  lo = std::min(lo, count);
  hi = std::min(hi, count);
  return {lo, std::max(lo, hi)};
}

/// The kernel taps i in [0, kernel) whose coordinate base + i * dilation lies
/// in [0, extent).
Range validTaps(int64_t kernel, int64_t dilation, int64_t base,
                int64_t extent) {
  return validRange(kernel, dilation, base, extent);
}


/// Sizes of a grouped 2-D convolution.
struct ConvDims {
  int64_t n, c, h, w;    // input
  int64_t o, oh, ow;     // output
  int64_t kh, kw;        // kernel
  int64_t groups, cg, og; // channels per group (input, output)
  int64_t p() const { return oh * ow; }
  int64_t kk() const { return kh * kw; }
};

ConvDims convDims(const Shape &xShape, const Shape &wShape,
                  const Shape &yShape, int64_t groups) {
  assert(xShape.size() == 4 && wShape.size() == 4 && yShape.size() == 4);
  ConvDims d;
  d.n = xShape[0];
  d.c = xShape[1];
  d.h = xShape[2];
  d.w = xShape[3];
  d.o = wShape[0];
  d.kh = wShape[2];
  d.kw = wShape[3];
  d.oh = yShape[2];
  d.ow = yShape[3];
  d.groups = groups;
  d.cg = d.c / groups;
  d.og = d.o / groups;
  assert(groups >= 1 && d.c % groups == 0 && d.o % groups == 0);
  assert(wShape[1] == d.cg && yShape[0] == d.n && yShape[1] == d.o);
  return d;
}

/// Unfolds the cg channels at `src` (cg x h x w) into col rows
/// (c, i, j) x p with row stride ld: col[(c,i,j), oy*ow+ox] =
/// src[c, oy*sy - pt + i*dh, ox*sx - pl + j*dw] (zero outside).
template <typename T>
void im2col(const T *src, const ConvDims &d, const Window2D &win, T *col,
            int64_t ld) {
  const int64_t ow = d.ow;
  for (int64_t c = 0; c < d.cg; ++c) {
    const T *plane = src + c * d.h * d.w;
    for (int64_t i = 0; i < d.kh; ++i) {
      int64_t offH = i * win.dilationH - win.padTop;
      Range ry = validRange(d.oh, win.strideH, offH, d.h);
      for (int64_t j = 0; j < d.kw; ++j) {
        int64_t offW = j * win.dilationW - win.padLeft;
        Range rx = validRange(ow, win.strideW, offW, d.w);
        T *row = col + ((c * d.kh + i) * d.kw + j) * ld;
        std::fill(row, row + ry.lo * ow, T(0));
        for (int64_t oy = ry.lo; oy < ry.hi; ++oy) {
          T *r = row + oy * ow;
          const T *s = plane + (oy * win.strideH + offH) * d.w + offW;
          std::fill(r, r + rx.lo, T(0));
          if (win.strideW == 1) {
            for (int64_t ox = rx.lo; ox < rx.hi; ++ox)
              r[ox] = s[ox];
          } else {
            for (int64_t ox = rx.lo; ox < rx.hi; ++ox)
              r[ox] = s[ox * win.strideW];
          }
          std::fill(r + rx.hi, r + ow, T(0));
        }
        std::fill(row + ry.hi * ow, row + d.oh * ow, T(0));
      }
    }
  }
}

/// The adjoint of im2col: adds col rows back into dst (cg x h x w).
template <typename T>
void col2imAdd(const T *col, int64_t ld, const ConvDims &d,
               const Window2D &win, T *dst) {
  const int64_t ow = d.ow;
  for (int64_t c = 0; c < d.cg; ++c) {
    T *plane = dst + c * d.h * d.w;
    for (int64_t i = 0; i < d.kh; ++i) {
      int64_t offH = i * win.dilationH - win.padTop;
      Range ry = validRange(d.oh, win.strideH, offH, d.h);
      for (int64_t j = 0; j < d.kw; ++j) {
        int64_t offW = j * win.dilationW - win.padLeft;
        Range rx = validRange(ow, win.strideW, offW, d.w);
        const T *row = col + ((c * d.kh + i) * d.kw + j) * ld;
        for (int64_t oy = ry.lo; oy < ry.hi; ++oy) {
          const T *r = row + oy * ow;
          T *s = plane + (oy * win.strideH + offH) * d.w + offW;
          if (win.strideW == 1) {
            for (int64_t ox = rx.lo; ox < rx.hi; ++ox)
              s[ox] += r[ox];
          } else {
            for (int64_t ox = rx.lo; ox < rx.hi; ++ox)
              s[ox * win.strideW] += r[ox];
          }
        }
      }
    }
  }
}

/// Samples per gemm: enough columns for an efficient product while the
/// unfolded chunk stays around 16 MiB of doubles at most.
int64_t chunkSamples(const ConvDims &d) {
  const int64_t budget = int64_t{1} << 21; // elements
  int64_t perSample = std::max<int64_t>(1, d.cg * d.kk() * d.p());
  // At least 8 chunks (when there are samples enough) to share out.
  const int64_t cap = std::max<int64_t>(1, (d.n + 7) / 8);
  return std::clamp<int64_t>(budget / perSample, 1, cap);
}

/// Copies group g's output-gradient rows of samples [n0, n0 + nb) into a
/// og x (nb * p) matrix.
template <typename T>
void gatherGroupRows(const T *dy, const ConvDims &d, int64_t g, int64_t n0,
                     int64_t nb, T *buf) {
  const int64_t p = d.p(), ld = nb * p;
  for (int64_t b = 0; b < nb; ++b)
    for (int64_t o = 0; o < d.og; ++o)
      std::memcpy(buf + o * ld + b * p,
                  dy + ((n0 + b) * d.o + g * d.og + o) * p, sizeof(T) * p);
}

// Direct depthwise-like paths (one input channel per group, several groups),
// where per-group gemms would be degenerate. A single-group convolution of one
// input channel (a first layer on grey images) stays on the gemm path.
bool useDirectPath(const ConvDims &d) { return d.cg == 1 && d.groups > 1; }

template <typename T>
void depthwiseGradInput(const T *dy, const T *w, const ConvDims &d,
                        const Window2D &win, T *dx) {
  std::fill(dx, dx + d.n * d.c * d.h * d.w, T(0));
  const int64_t p = d.p();
  for (int64_t n = 0; n < d.n; ++n)
    for (int64_t o = 0; o < d.o; ++o) {
      const int64_t ch = o / d.og;
      T *plane = dx + (n * d.c + ch) * d.h * d.w;
      const T *g = dy + (n * d.o + o) * p;
      for (int64_t i = 0; i < d.kh; ++i) {
        int64_t offH = i * win.dilationH - win.padTop;
        Range ry = validRange(d.oh, win.strideH, offH, d.h);
        for (int64_t j = 0; j < d.kw; ++j) {
          int64_t offW = j * win.dilationW - win.padLeft;
          Range rx = validRange(d.ow, win.strideW, offW, d.w);
          const T wv = w[(o * d.kh + i) * d.kw + j];
          for (int64_t oy = ry.lo; oy < ry.hi; ++oy) {
            const T *r = g + oy * d.ow;
            T *s = plane + (oy * win.strideH + offH) * d.w + offW;
            for (int64_t ox = rx.lo; ox < rx.hi; ++ox)
              s[ox * win.strideW] += wv * r[ox];
          }
        }
      }
    }
}

template <typename T>
void depthwiseGradWeight(const T *x, const T *dy, const ConvDims &d,
                         const Window2D &win, T *dw) {
  const int64_t p = d.p();
  std::vector<T> lane(d.ow);
  for (int64_t o = 0; o < d.o; ++o) {
    const int64_t ch = o / d.og;
    for (int64_t i = 0; i < d.kh; ++i) {
      int64_t offH = i * win.dilationH - win.padTop;
      Range ry = validRange(d.oh, win.strideH, offH, d.h);
      for (int64_t j = 0; j < d.kw; ++j) {
        int64_t offW = j * win.dilationW - win.padLeft;
        Range rx = validRange(d.ow, win.strideW, offW, d.w);
        // Per-column partial sums (a vectorisable update, unlike a scalar
        // reduction), folded in double at the end of each sample.
        double acc = 0;
        for (int64_t n = 0; n < d.n; ++n) {
          const T *plane = x + (n * d.c + ch) * d.h * d.w;
          const T *g = dy + (n * d.o + o) * p;
          std::fill(lane.begin(), lane.end(), T(0));
          for (int64_t oy = ry.lo; oy < ry.hi; ++oy) {
            const T *r = g + oy * d.ow;
            const T *s = plane + (oy * win.strideH + offH) * d.w + offW;
            if (win.strideW == 1) {
              for (int64_t ox = rx.lo; ox < rx.hi; ++ox)
                lane[ox] += r[ox] * s[ox];
            } else {
              for (int64_t ox = rx.lo; ox < rx.hi; ++ox)
                lane[ox] += r[ox] * s[ox * win.strideW];
            }
          }
          for (int64_t ox = rx.lo; ox < rx.hi; ++ox)
            acc += lane[ox];
        }
        dw[(o * d.kh + i) * d.kw + j] = static_cast<T>(acc);
      }
    }
  }
}

template <typename T> T sigmoidOf(T z) {
  if (z >= 0)
    return T(1) / (T(1) + std::exp(-z));
  T e = std::exp(z);
  return e / (T(1) + e);
}

double sigmoidD(double z) { return sigmoidOf<double>(z); }

/// Normalises a possibly negative axis of a rank-r shape.
int64_t normaliseAxis(int64_t axis, int64_t rank) {
  if (axis < 0)
    axis += rank;
  assert(axis >= 0 && axis <= rank);
  return axis;
}

int64_t product(const Shape &shape, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i)
    p *= shape[i];
  return p;
}

} // namespace

//===--- Convolution ------------------------------------------------------===//

template <typename T>
void conv2dGradInput(const T *dy, const Shape &dyShape, const T *w,
                     const Shape &wShape, const Window2D &win, int64_t groups,
                     T *dx, const Shape &dxShape) {
  ConvDims d = convDims(dxShape, wShape, dyShape, groups);
  if constexpr (std::is_same_v<T, float>)
    if (dnnl_conv::conv2dGradInput(dy, dyShape, w, wShape, win, groups, dx,
                                   dxShape))
      return;
  if (useDirectPath(d)) {
    depthwiseGradInput(dy, w, d, win, dx);
    return;
  }
  if (d.n == 0 || d.p() == 0) {
    std::fill(dx, dx + numElements(dxShape), T(0));
    return;
  }
  const int64_t p = d.p(), rows = d.cg * d.kk();
  const int64_t chunk = chunkSamples(d);
  const int64_t sampleSize = d.c * d.h * d.w;
  // Chunks of samples are independent: threads take them in turn.
  const int64_t chunks = (d.n + chunk - 1) / chunk;
  forRanges(chunks, d.n * (rows + d.og) * p, [&](int64_t clo, int64_t chi) {
    T *dyBuf = scratch<T>(0, size_t(d.og * chunk * p));
    T *col = scratch<T>(1, size_t(rows * chunk * p));
    for (int64_t ci = clo; ci < chi; ++ci) {
      const int64_t n0 = ci * chunk;
      const int64_t nb = std::min(chunk, d.n - n0), ld = nb * p;
      std::fill(dx + n0 * sampleSize, dx + (n0 + nb) * sampleSize, T(0));
      for (int64_t g = 0; g < groups; ++g) {
        gatherGroupRows(dy, d, g, n0, nb, dyBuf);
        // col (rows x nb*p) = w_g^T (rows x og) * dyBuf (og x nb*p).
        gemm(CblasTrans, CblasNoTrans, rows, ld, d.og, T(1),
             w + g * d.og * rows, rows, dyBuf, ld, T(0), col, ld);
        for (int64_t b = 0; b < nb; ++b)
          col2imAdd(col + b * p, ld, d, win,
                    dx + ((n0 + b) * d.c + g * d.cg) * d.h * d.w);
      }
    }
  }, 1);
}

template <typename T>
void conv2dGradWeight(const T *x, const Shape &xShape, const T *dy,
                      const Shape &dyShape, const Window2D &win, int64_t groups,
                      T *dw, const Shape &dwShape) {
  ConvDims d = convDims(xShape, dwShape, dyShape, groups);
  if constexpr (std::is_same_v<T, float>)
    if (dnnl_conv::conv2dGradWeight(x, xShape, dy, dyShape, win, groups, dw,
                                    dwShape))
      return;
  if (useDirectPath(d)) {
    depthwiseGradWeight(x, dy, d, win, dw);
    return;
  }
  const int64_t total = numElements(dwShape);
  if (d.n == 0 || d.p() == 0) {
    std::fill(dw, dw + total, T(0));
    return;
  }
  const int64_t p = d.p(), rows = d.cg * d.kk();
  const int64_t chunk = chunkSamples(d);
  const int64_t chunks = (d.n + chunk - 1) / chunk;
  // Each chunk of samples writes its own partial (chunk 0 straight into dw),
  // whichever thread takes it; the partials are then added in chunk order,
  // so the result does not depend on the thread count.
  std::unique_ptr<T[]> partial(new T[size_t((chunks - 1) * total)]);
  forRanges(chunks, d.n * (rows + d.og) * p, [&](int64_t clo, int64_t chi) {
    T *dyBuf = scratch<T>(0, size_t(d.og * chunk * p));
    T *col = scratch<T>(1, size_t(rows * chunk * p));
    for (int64_t ci = clo; ci < chi; ++ci) {
      T *acc = ci == 0 ? dw : partial.get() + (ci - 1) * total;
      const int64_t n0 = ci * chunk;
      const int64_t nb = std::min(chunk, d.n - n0), ld = nb * p;
      for (int64_t g = 0; g < groups; ++g) {
        gatherGroupRows(dy, d, g, n0, nb, dyBuf);
        for (int64_t b = 0; b < nb; ++b)
          im2col(x + ((n0 + b) * d.c + g * d.cg) * d.h * d.w, d, win,
                 col + b * p, ld);
        // acc_g (og x rows) = dyBuf (og x nb*p) * col^T (nb*p x rows).
        gemm(CblasNoTrans, CblasTrans, d.og, rows, ld, T(1), dyBuf, ld, col,
             ld, T(0), acc + g * d.og * rows, rows);
      }
    }
  }, 1);
  forRanges(total, total * chunks, [&](int64_t lo, int64_t hi) {
    for (int64_t ci = 1; ci < chunks; ++ci) {
      const T *src = partial.get() + (ci - 1) * total;
      for (int64_t i = lo; i < hi; ++i)
        dw[i] += src[i];
    }
  });
}

//===--- Elementwise ------------------------------------------------------===//

template <typename T>
void reluGrad(const T *x, const T *dy, const Shape &shape, T *dx) {
  const int64_t n = numElements(shape);
  forRanges(n, n, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i)
      dx[i] = x[i] > T(0) ? dy[i] : T(0);
  });
}

template <typename T>
void sigmoidGrad(const T *x, const T *dy, const Shape &shape, T *dx) {
  const int64_t n = numElements(shape);
  for (int64_t i = 0; i < n; ++i) {
    T s = sigmoidOf(x[i]);
    dx[i] = dy[i] * s * (T(1) - s);
  }
}

template <typename T>
void hardSwishGrad(const T *x, const T *dy, const Shape &shape, T *dx) {
  const int64_t n = numElements(shape);
  for (int64_t i = 0; i < n; ++i) {
    T v = x[i];
    dx[i] = v < T(-3)  ? T(0)
            : v <= T(3) ? dy[i] * (T(2) * v + T(3)) / T(6)
                        : dy[i];
  }
}

template <typename T>
void hardSigmoidGrad(const T *x, const T *dy, const Shape &shape, double alpha,
                     double beta, T *dx) {
  const int64_t n = numElements(shape);
  const T a = static_cast<T>(alpha), b = static_cast<T>(beta);
  for (int64_t i = 0; i < n; ++i) {
    T z = a * x[i] + b;
    dx[i] = (z > T(0) && z < T(1)) ? dy[i] * a : T(0);
  }
}

template <typename T>
void clipGrad(const T *x, const T *dy, const Shape &shape, double min,
              double max, T *dx) {
  const int64_t n = numElements(shape);
  const T lo = static_cast<T>(min), hi = static_cast<T>(max);
  for (int64_t i = 0; i < n; ++i)
    dx[i] = (x[i] > lo && x[i] < hi) ? dy[i] : T(0);
}

template <typename T>
void softmaxGrad(const T *y, const T *dy, const Shape &shape, int64_t axis,
                 T *dx) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  axis = normaliseAxis(axis, rank);
  assert(axis < rank);
  const int64_t outer = product(shape, 0, axis), len = shape[axis],
                inner = product(shape, axis + 1, shape.size());
  std::vector<double> dot(inner);
  for (int64_t o = 0; o < outer; ++o) {
    const int64_t base = o * len * inner;
    std::fill(dot.begin(), dot.end(), 0.0);
    for (int64_t l = 0; l < len; ++l)
      for (int64_t k = 0; k < inner; ++k) {
        int64_t idx = base + l * inner + k;
        dot[k] += static_cast<double>(dy[idx]) * y[idx];
      }
    for (int64_t l = 0; l < len; ++l)
      for (int64_t k = 0; k < inner; ++k) {
        int64_t idx = base + l * inner + k;
        dx[idx] = static_cast<T>(y[idx] * (dy[idx] - dot[k]));
      }
  }
}

//===--- Pooling ----------------------------------------------------------===//

namespace {
/// Windows [0, n) of one row pair of a 2x2 / stride-2 max pool's gradient,
/// where n is the largest multiple of 4 that fits; returns n (the caller does
/// the rest). Each input element gets its window's gradient when it is the
/// window's first maximum in row-major order (a, b / c, d): a when a >= b, c,
/// d; b when b > a and b >= c, d; c when c > a, b and c >= d; d when d > a, b,
/// c. That is the sequential rule below, written for 8 adjacent columns at
/// once: each column's horizontal partner is the neighbouring lane.
int64_t maxPool2x2GradRows(const float *x0, const float *x1, const float *g, float *d0,
                           float *d1, int64_t ow) {
#if defined(__AVX2__)
  const __m256i duplicate = _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3);
  const __m256 even = _mm256_castsi256_ps(_mm256_setr_epi32(-1, 0, -1, 0, -1, 0, -1, 0));
  int64_t ox = 0;
  for (; ox + 4 <= ow; ox += 4) {
    const __m256 r0 = _mm256_loadu_ps(x0 + 2 * ox), r1 = _mm256_loadu_ps(x1 + 2 * ox);
    const __m256 p0 = _mm256_permute_ps(r0, 0xB1), p1 = _mm256_permute_ps(r1, 0xB1);
    const __m256 gv =
        _mm256_permutevar8x32_ps(_mm256_castps128_ps256(_mm_loadu_ps(g + ox)), duplicate);
    // Top row: beats its partner (ties: the left one wins) and ties or beats
    // both of the bottom row.
    const __m256 top = _mm256_and_ps(
        _mm256_blendv_ps(_mm256_cmp_ps(r0, p0, _CMP_GT_OQ), _mm256_cmp_ps(r0, p0, _CMP_GE_OQ),
                         even),
        _mm256_and_ps(_mm256_cmp_ps(r0, r1, _CMP_GE_OQ), _mm256_cmp_ps(r0, p1, _CMP_GE_OQ)));
    // Bottom row: strictly beats both of the top row, and its partner as above.
    const __m256 bottom = _mm256_and_ps(
        _mm256_blendv_ps(_mm256_cmp_ps(r1, p1, _CMP_GT_OQ), _mm256_cmp_ps(r1, p1, _CMP_GE_OQ),
                         even),
        _mm256_and_ps(_mm256_cmp_ps(r1, r0, _CMP_GT_OQ), _mm256_cmp_ps(r1, p0, _CMP_GT_OQ)));
    _mm256_storeu_ps(d0 + 2 * ox, _mm256_and_ps(top, gv));
    _mm256_storeu_ps(d1 + 2 * ox, _mm256_and_ps(bottom, gv));
  }
  return ox;
#else
  (void)x0, (void)x1, (void)g, (void)d0, (void)d1, (void)ow;
  return 0;
#endif
}
} // namespace

template <typename T>
void maxPool2dGrad(const T *x, const Shape &xShape, const T *dy,
                   const Shape &dyShape, const Window2D &win, bool ceilMode,
                   T *dx) {
  assert(xShape.size() == 4 && dyShape.size() == 4);
  const int64_t n = xShape[0], c = xShape[1], h = xShape[2], w = xShape[3];
  const int64_t oh = dyShape[2], ow = dyShape[3];
  assert(dyShape[0] == n && dyShape[1] == c);
  assert(oh == windowOutputSize(h, win.kernelH, win.strideH, win.padTop,
                                win.padBottom, win.dilationH, ceilMode));
  assert(ow == windowOutputSize(w, win.kernelW, win.strideW, win.padLeft,
                                win.padRight, win.dilationW, ceilMode));
  (void)ceilMode;
  // The common 2x2 / stride 2 window inside the input: windows are disjoint,
  // so each element of dx is written once.
  const bool twoByTwo = win.kernelH == 2 && win.kernelW == 2 &&
                        win.strideH == 2 && win.strideW == 2 &&
                        win.padTop == 0 && win.padLeft == 0 &&
                        win.dilationH == 1 && win.dilationW == 1 &&
                        2 * oh <= h && 2 * ow <= w;
  const int64_t planes = n * c;
  forRanges(planes, planes * h * w,
            [&](int64_t plo, int64_t phi) {
  for (int64_t plane = plo; plane < phi; ++plane) {
    const T *xp = x + plane * h * w;
    const T *g = dy + plane * oh * ow;
    T *dp = dx + plane * h * w;
    if (twoByTwo) {
      for (int64_t oy = 0; oy < oh; ++oy) {
        const T *x0 = xp + 2 * oy * w, *x1 = x0 + w;
        T *d0 = dp + 2 * oy * w, *d1 = d0 + w;
        int64_t start = 0;
        if constexpr (std::is_same_v<T, float>)
          start = maxPool2x2GradRows(x0, x1, g + oy * ow, d0, d1, ow);
        for (int64_t ox = start; ox < ow; ++ox) {
          // The first maximum in row-major window order, as below.
          const T v[4] = {x0[2 * ox], x0[2 * ox + 1], x1[2 * ox],
                          x1[2 * ox + 1]};
          int best = 0;
          for (int k = 1; k < 4; ++k)
            if (v[k] > v[best])
              best = k;
          const T gv = g[oy * ow + ox];
          d0[2 * ox] = best == 0 ? gv : T(0);
          d0[2 * ox + 1] = best == 1 ? gv : T(0);
          d1[2 * ox] = best == 2 ? gv : T(0);
          d1[2 * ox + 1] = best == 3 ? gv : T(0);
        }
        std::fill(d0 + 2 * ow, d0 + w, T(0));
        std::fill(d1 + 2 * ow, d1 + w, T(0));
      }
      std::fill(dp + 2 * oh * w, dp + h * w, T(0));
      continue;
    }
    std::fill(dp, dp + h * w, T(0));
    for (int64_t oy = 0; oy < oh; ++oy) {
      const int64_t y0 = oy * win.strideH - win.padTop;
      Range ri = validTaps(win.kernelH, win.dilationH, y0, h);
      for (int64_t ox = 0; ox < ow; ++ox) {
        const int64_t x0 = ox * win.strideW - win.padLeft;
        Range rj = validTaps(win.kernelW, win.dilationW, x0, w);
        int64_t best = -1;
        T bestValue = T(0);
        for (int64_t i = ri.lo; i < ri.hi; ++i) {
          const int64_t rowBase = (y0 + i * win.dilationH) * w + x0;
          for (int64_t j = rj.lo; j < rj.hi; ++j) {
            const int64_t idx = rowBase + j * win.dilationW;
            if (best < 0 || xp[idx] > bestValue) {
              best = idx;
              bestValue = xp[idx];
            }
          }
        }
        if (best >= 0) // a window entirely in the padding routes nothing
          dp[best] += g[oy * ow + ox];
      }
    }
  }
  });
}

template <typename T>
void avgPool2dGrad(const T *dy, const Shape &dyShape, const Window2D &win,
                   bool ceilMode, bool countIncludePad, T *dx,
                   const Shape &dxShape) {
  assert(dxShape.size() == 4 && dyShape.size() == 4);
  assert(win.dilationH == 1 && win.dilationW == 1);
  const int64_t n = dxShape[0], c = dxShape[1], h = dxShape[2], w = dxShape[3];
  const int64_t oh = dyShape[2], ow = dyShape[3];
  assert(dyShape[0] == n && dyShape[1] == c);
  assert(oh == windowOutputSize(h, win.kernelH, win.strideH, win.padTop,
                                win.padBottom, 1, ceilMode));
  assert(ow == windowOutputSize(w, win.kernelW, win.strideW, win.padLeft,
                                win.padRight, 1, ceilMode));
  (void)ceilMode;
  std::fill(dx, dx + numElements(dxShape), T(0));
  // Per-output-column window geometry, shared by every row and plane.
  std::vector<int64_t> colLo(ow), colHi(ow), colPadded(ow);
  for (int64_t ox = 0; ox < ow; ++ox) {
    int64_t start = ox * win.strideW - win.padLeft;
    int64_t end = std::min(start + win.kernelW, w + win.padRight);
    colPadded[ox] = end - start;
    colLo[ox] = std::max<int64_t>(start, 0);
    colHi[ox] = std::min(end, w);
  }
  for (int64_t oy = 0; oy < oh; ++oy) {
    int64_t start = oy * win.strideH - win.padTop;
    int64_t end = std::min(start + win.kernelH, h + win.padBottom);
    const int64_t rowPadded = end - start;
    const int64_t lo = std::max<int64_t>(start, 0), hi = std::min(end, h);
    for (int64_t ox = 0; ox < ow; ++ox) {
      const int64_t count =
          countIncludePad ? rowPadded * colPadded[ox]
                          : (hi - lo) * (colHi[ox] - colLo[ox]);
      if (count <= 0 || hi <= lo || colHi[ox] <= colLo[ox])
        continue;
      const T inv = T(1) / static_cast<T>(count);
      for (int64_t plane = 0; plane < n * c; ++plane) {
        const T v = dy[(plane * oh + oy) * ow + ox] * inv;
        T *dp = dx + plane * h * w;
        for (int64_t y = lo; y < hi; ++y)
          for (int64_t xx = colLo[ox]; xx < colHi[ox]; ++xx)
            dp[y * w + xx] += v;
      }
    }
  }
}

//===--- Normalisation ----------------------------------------------------===//

namespace {
/// batchNormGrad, with the relu mask compiled in or out (Masked), so that
/// both variants vectorise.
template <bool Masked, typename T>
void batchNormGradImpl(const T *x, const Shape &xShape, const T *dy, const T *scale,
                       const T *runningMean, const T *runningVar, double epsilon,
                       bool training, T *dx, T *dscale, T *dbias, const T *reluOutput) {
  assert(xShape.size() >= 2);
  // The incoming gradient, masked by a fused relu's output where there is one.
  // (Both loads are unconditional, so that the select vectorises.)
  auto grad = [](const T *g, const T *mask, int64_t k) -> T {
    const T gk = g[k];
    if constexpr (Masked)
      return mask[k] > T(0) ? gk : T(0);
    else
      return gk;
  };
  const int64_t n = xShape[0], c = xShape[1],
                s = product(xShape, 2, xShape.size());
  const double m = static_cast<double>(n * s);
  forRanges(c, n * c * s, [&](int64_t lo, int64_t hi) {
  for (int64_t ch = lo; ch < hi; ++ch) {
    auto row = [&](const T *base, int64_t i) { return base + (i * c + ch) * s; };
    // One pass over x and dy, shifted by one of the channel's values (which
    // keeps the one-pass variance accurate): sums of d = x - shift, d * d,
    // dy and dy * d, all in double.
    const double shift = n * s > 0 ? static_cast<double>(x[ch * s]) : 0.0;
    double sumD = 0, sumDD = 0, sumDy = 0, sumDyD = 0;
    // Chunks of at most kChunk elements are summed in T (full-width vectors),
    // the chunk sums in double: the error stays that of a kChunk-term sum.
    constexpr int64_t kChunk = 1024;
    const T shiftT = static_cast<T>(shift);
    for (int64_t i = 0; i < n; ++i) {
      const T *r = row(x, i), *g = row(dy, i);
      const T *mk = reluOutput ? row(reluOutput, i) : nullptr;
      for (int64_t k0 = 0; k0 < s; k0 += kChunk) {
        const int64_t k1 = std::min(s, k0 + kChunk);
        T cD = 0, cDD = 0, cDy = 0, cDyD = 0;
        if (training) {
#pragma omp simd reduction(+ : cD, cDD, cDy, cDyD)
          for (int64_t k = k0; k < k1; ++k) {
            const T dv = r[k] - shiftT;
            const T gv = grad(g, mk, k);
            cD += dv;
            cDD += dv * dv;
            cDy += gv;
            cDyD += gv * dv;
          }
        } else {
#pragma omp simd reduction(+ : cDy, cDyD)
          for (int64_t k = k0; k < k1; ++k) {
            const T gv = grad(g, mk, k);
            cDy += gv;
            cDyD += gv * (r[k] - shiftT);
          }
        }
        sumD += cD;
        sumDD += cDD;
        sumDy += cDy;
        sumDyD += cDyD;
      }
    }
    double mean, var;
    if (training) {
      const double dm = m > 0 ? sumD / m : 0.0;
      mean = shift + dm;
      var = m > 0 ? std::max(0.0, sumDD - sumD * dm) / m : 0.0;
    } else {
      assert(runningMean && runningVar);
      mean = runningMean[ch];
      var = runningVar[ch];
    }
    const double invStd = 1.0 / std::sqrt(var + epsilon);
    // sum dy * xhat = invStd * (sum dy * (x - shift) - (mean - shift) sum dy).
    const double sumDyXhat = invStd * (sumDyD - (mean - shift) * sumDy);
    if (dbias)
      dbias[ch] = static_cast<T>(sumDy);
    if (dscale)
      dscale[ch] = static_cast<T>(sumDyXhat);
    if (!dx)
      continue;
    const double gamma = scale[ch];
    if (training) {
      // dx = gamma * invStd * (dy - mean(dy) - xhat * mean(dy * xhat))
      //    = a * dy + b * (x - mean) + c0, computed in T.
      const double meanDy = sumDy / m, meanDyXhat = sumDyXhat / m;
      const double k1 = gamma * invStd;
      const T ca = static_cast<T>(k1);
      const T cb = static_cast<T>(-k1 * invStd * meanDyXhat);
      const T c0 = static_cast<T>(-k1 * meanDy);
      const T mu = static_cast<T>(mean);
      for (int64_t i = 0; i < n; ++i) {
        const T *r = row(x, i), *g = row(dy, i);
        const T *mk = reluOutput ? row(reluOutput, i) : nullptr;
        T *o = dx + (i * c + ch) * s;
#pragma omp simd
        for (int64_t k = 0; k < s; ++k)
          o[k] = ca * grad(g, mk, k) + cb * (r[k] - mu) + c0;
      }
    } else {
      const T k1 = static_cast<T>(gamma * invStd);
      for (int64_t i = 0; i < n; ++i) {
        const T *g = row(dy, i);
        const T *mk = reluOutput ? row(reluOutput, i) : nullptr;
        T *o = dx + (i * c + ch) * s;
#pragma omp simd
        for (int64_t k = 0; k < s; ++k)
          o[k] = grad(g, mk, k) * k1;
      }
    }
  }
  });
}
} // namespace

template <typename T>
void batchNormGrad(const T *x, const Shape &xShape, const T *dy, const T *scale,
                   const NoDeduce<T> *runningMean,
                   const NoDeduce<T> *runningVar, double epsilon, bool training,
                   NoDeduce<T> *dx, NoDeduce<T> *dscale, NoDeduce<T> *dbias,
                   const NoDeduce<T> *reluOutput) {
  if (reluOutput)
    batchNormGradImpl<true>(x, xShape, dy, scale, runningMean, runningVar, epsilon, training,
                            dx, dscale, dbias, reluOutput);
  else
    batchNormGradImpl<false>(x, xShape, dy, scale, runningMean, runningVar, epsilon, training,
                             dx, dscale, dbias, reluOutput);
}

template <typename T>
void layerNormGrad(const T *x, const Shape &xShape, const T *dy,
                   const NoDeduce<T> *scale, int64_t axis, double epsilon,
                   NoDeduce<T> *dx, NoDeduce<T> *dscale, NoDeduce<T> *dbias) {
  const int64_t rank = static_cast<int64_t>(xShape.size());
  axis = normaliseAxis(axis, rank);
  const int64_t rows = product(xShape, 0, axis),
                d = product(xShape, axis, xShape.size());
  std::vector<double> accScale(dscale ? d : 0, 0.0), accBias(dbias ? d : 0, 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    const T *xr = x + r * d, *gr = dy + r * d;
    double sum = 0;
    for (int64_t k = 0; k < d; ++k)
      sum += xr[k];
    const double mean = d > 0 ? sum / d : 0.0;
    double sq = 0;
    for (int64_t k = 0; k < d; ++k) {
      double v = xr[k] - mean;
      sq += v * v;
    }
    const double invStd = 1.0 / std::sqrt((d > 0 ? sq / d : 0.0) + epsilon);
    if (dscale)
      for (int64_t k = 0; k < d; ++k)
        accScale[k] += gr[k] * ((xr[k] - mean) * invStd);
    if (dbias)
      for (int64_t k = 0; k < d; ++k)
        accBias[k] += gr[k];
    if (!dx)
      continue;
    // With g = dy * scale: dx = invStd * (g - mean(g) - xhat * mean(g * xhat)).
    double sumG = 0, sumGXhat = 0;
    for (int64_t k = 0; k < d; ++k) {
      double g = scale ? static_cast<double>(gr[k]) * scale[k] : gr[k];
      sumG += g;
      sumGXhat += g * ((xr[k] - mean) * invStd);
    }
    const double meanG = sumG / d, meanGXhat = sumGXhat / d;
    T *o = dx + r * d;
    for (int64_t k = 0; k < d; ++k) {
      double g = scale ? static_cast<double>(gr[k]) * scale[k] : gr[k];
      double xhat = (xr[k] - mean) * invStd;
      o[k] = static_cast<T>(invStd * (g - meanG - xhat * meanGXhat));
    }
  }
  if (dscale)
    for (int64_t k = 0; k < d; ++k)
      dscale[k] = static_cast<T>(accScale[k]);
  if (dbias)
    for (int64_t k = 0; k < d; ++k)
      dbias[k] = static_cast<T>(accBias[k]);
}

//===--- Local losses -----------------------------------------------------===//

template <typename T>
void goodnessGrad(const T *x, const Shape &xShape, const T *dg, int64_t groups,
                  T *dx) {
  assert(xShape.size() >= 2 && groups >= 1 && xShape[1] % groups == 0);
  const int64_t n = xShape[0], c = xShape[1],
                s = product(xShape, 2, xShape.size());
  const int64_t cg = c / groups;
  const double perGroup = static_cast<double>(cg * s);
  const int64_t rowsN = n * groups, block = cg * s;
  forRanges(rowsN, rowsN * block,
            [&](int64_t lo, int64_t hi) {
              for (int64_t ik = lo; ik < hi; ++ik) {
                const T f = static_cast<T>(2.0 * dg[ik] / perGroup);
                const int64_t base = ik * block;
                for (int64_t e = 0; e < block; ++e)
                  dx[base + e] = f * x[base + e];
              }
            });
}

template <typename T>
bool marginCrossEntropyGrad(const T *scores, const Shape &scoresShape,
                            const int32_t *labels, double margin, T *dscores) {
  assert(scoresShape.size() == 2);
  const int64_t n = scoresShape[0], k = scoresShape[1];
  for (int64_t i = 0; i < n; ++i)
    if (labels[i] < 0 || labels[i] >= k)
      return false;
  std::vector<double> e(k);
  for (int64_t i = 0; i < n; ++i) {
    const T *s = scores + i * k;
    const int64_t y = labels[i];
    double mx = -INFINITY;
    for (int64_t j = 0; j < k; ++j) {
      e[j] = static_cast<double>(s[j]) + (j == y ? 0.0 : margin);
      mx = std::max(mx, e[j]);
    }
    double sum = 0;
    for (int64_t j = 0; j < k; ++j) {
      e[j] = std::exp(e[j] - mx);
      sum += e[j];
    }
    for (int64_t j = 0; j < k; ++j)
      dscores[i * k + j] =
          static_cast<T>((e[j] / sum - (j == y ? 1.0 : 0.0)) / n);
  }
  return true;
}

template <typename T>
void thresholdLossGrad(const T *pos, const T *neg, const Shape &shape,
                       double theta, NoDeduce<T> *dpos, NoDeduce<T> *dneg) {
  const int64_t n = numElements(shape);
  const double invN = 1.0 / static_cast<double>(n);
  for (int64_t i = 0; i < n; ++i) {
    if (dpos)
      dpos[i] = static_cast<T>(-sigmoidD(theta - pos[i]) * invN);
    if (dneg)
      dneg[i] = static_cast<T>(sigmoidD(neg[i] - theta) * invN);
  }
}

//===--- Instantiations ---------------------------------------------------===//

#define FFRT_INSTANTIATE_GRADIENT_KERNELS(T)                                   \
  template void conv2dGradInput<T>(const T *, const Shape &, const T *,        \
                                   const Shape &, const Window2D &, int64_t,   \
                                   T *, const Shape &);                        \
  template void conv2dGradWeight<T>(const T *, const Shape &, const T *,       \
                                    const Shape &, const Window2D &, int64_t,  \
                                    T *, const Shape &);                       \
  template void reluGrad<T>(const T *, const T *, const Shape &, T *);         \
  template void sigmoidGrad<T>(const T *, const T *, const Shape &, T *);      \
  template void hardSwishGrad<T>(const T *, const T *, const Shape &, T *);    \
  template void hardSigmoidGrad<T>(const T *, const T *, const Shape &,        \
                                   double, double, T *);                       \
  template void clipGrad<T>(const T *, const T *, const Shape &, double,       \
                            double, T *);                                      \
  template void softmaxGrad<T>(const T *, const T *, const Shape &, int64_t,   \
                               T *);                                           \
  template void maxPool2dGrad<T>(const T *, const Shape &, const T *,          \
                                 const Shape &, const Window2D &, bool, T *);  \
  template void avgPool2dGrad<T>(const T *, const Shape &, const Window2D &,   \
                                 bool, bool, T *, const Shape &);              \
  template void batchNormGrad<T>(const T *, const Shape &, const T *,          \
                                 const T *, const T *, const T *, double,      \
                                 bool, T *, T *, T *, const T *);              \
  template void layerNormGrad<T>(const T *, const Shape &, const T *,          \
                                 const T *, int64_t, double, T *, T *, T *);   \
  template void goodnessGrad<T>(const T *, const Shape &, const T *, int64_t,  \
                                T *);                                          \
  template bool marginCrossEntropyGrad<T>(const T *, const Shape &,            \
                                          const int32_t *, double, T *);       \
  template void thresholdLossGrad<T>(const T *, const T *, const Shape &,      \
                                     double, T *, T *);

FFRT_INSTANTIATE_GRADIENT_KERNELS(float)
FFRT_INSTANTIATE_GRADIENT_KERNELS(double)

#undef FFRT_INSTANTIATE_GRADIENT_KERNELS

} // namespace ffrt::cpu
