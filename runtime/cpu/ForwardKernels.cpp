//===- ForwardKernels.cpp - CPU reference kernels: forward, losses, optimizers -===//
//
// See ForwardKernels.h. Matrix products go to OpenBLAS (cblas); everything
// else is plain loops written so that the compiler can vectorise the inner
// ones. Large kernels split their work into one contiguous range per OpenMP
// thread (each thread calling BLAS itself; the caller runs OpenBLAS
// single-threaded); small ones stay serial.
//
//===----------------------------------------------------------------------===//
#include "runtime/cpu/ForwardKernels.h"
#include "runtime/cpu/DnnlConv.h"
#include "runtime/cpu/Parallel.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace ffrt {
namespace cpu {
namespace {

//===----------------------------------------------------------------------===//
// Small helpers
//===----------------------------------------------------------------------===//

int64_t normalizeAxis(int64_t axis, int64_t rank) {
  return axis < 0 ? axis + rank : axis;
}

int64_t product(const Shape &shape, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end && i < shape.size(); ++i)
    p *= shape[i];
  return p;
}

/// C = alpha op(A) op(B) + beta C, row-major.
void gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha,
          const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
          float *c, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
              transB ? CblasTrans : CblasNoTrans, static_cast<blasint>(m),
              static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
              static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c,
              static_cast<blasint>(ldc));
}

void gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
          double alpha, const double *a, int64_t lda, const double *b,
          int64_t ldb, double beta, double *c, int64_t ldc) {
  cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
              transB ? CblasTrans : CblasNoTrans, static_cast<blasint>(m),
              static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
              static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c,
              static_cast<blasint>(ldc));
}

using detail::scratch;

using detail::forRanges;
using detail::maxThreads;

/// The outputs o in [lo, hi) of [0, out) whose input o * stride + offset lies
/// in [0, len).
void validRange(int64_t offset, int64_t stride, int64_t len, int64_t out,
                int64_t &lo, int64_t &hi) {
  lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  hi = len - offset - 1 >= 0 ? (len - offset - 1) / stride + 1 : 0;
  hi = std::min(hi, out);
  lo = std::min(lo, hi);
}

//===----------------------------------------------------------------------===//
// Broadcast iteration
//===----------------------------------------------------------------------===//

/// An iteration space (the output shape with size-1 dimensions dropped and
/// contiguous runs merged) and, per operand, the element stride along each of
/// its dimensions (0 where the operand is broadcast).
struct BroadcastPlan {
  std::vector<int64_t> sizes;
  std::vector<std::vector<int64_t>> strides; // [operand][dim]
};

BroadcastPlan makeBroadcastPlan(const Shape &outShape,
                                const std::vector<const Shape *> &operands) {
  const size_t rank = outShape.size();
  const size_t numOps = operands.size();
  std::vector<std::vector<int64_t>> full(numOps, std::vector<int64_t>(rank, 0));
  for (size_t o = 0; o < numOps; ++o) {
    const Shape &s = *operands[o];
    std::vector<int64_t> st = stridesOf(s);
    const size_t lead = rank - s.size();
    for (size_t d = lead; d < rank; ++d)
      if (s[d - lead] != 1)
        full[o][d] = st[d - lead];
  }
  BroadcastPlan plan;
  plan.strides.assign(numOps, {});
  for (size_t d = 0; d < rank; ++d) {
    if (outShape[d] == 1)
      continue;
    bool merge = !plan.sizes.empty();
    for (size_t o = 0; o < numOps && merge; ++o)
      merge = plan.strides[o].back() == full[o][d] * outShape[d];
    if (merge) {
      plan.sizes.back() *= outShape[d];
      for (size_t o = 0; o < numOps; ++o)
        plan.strides[o].back() = full[o][d];
    } else {
      plan.sizes.push_back(outShape[d]);
      for (size_t o = 0; o < numOps; ++o)
        plan.strides[o].push_back(full[o][d]);
    }
  }
  if (plan.sizes.empty()) {
    plan.sizes.push_back(1);
    for (size_t o = 0; o < numOps; ++o)
      plan.strides[o].push_back(0);
  }
  return plan;
}

/// Calls body(offsets, count) for each run of the innermost plan dimension,
/// offsets[o] being operand o's element offset at the run's start and out
/// the output's (contiguous) offset.
template <typename Body>
void forEachRun(const BroadcastPlan &plan, size_t numOps, Body &&body) {
  const size_t dims = plan.sizes.size();
  const int64_t inner = plan.sizes[dims - 1];
  int64_t outer = 1;
  for (size_t d = 0; d + 1 < dims; ++d)
    outer *= plan.sizes[d];
  std::vector<int64_t> idx(dims, 0);
  std::vector<int64_t> off(numOps, 0);
  for (int64_t r = 0; r < outer; ++r) {
    body(off.data(), r * inner, inner);
    // Advance the odometer over dims [0, dims - 1).
    for (int64_t d = static_cast<int64_t>(dims) - 2; d >= 0; --d) {
      ++idx[d];
      for (size_t o = 0; o < numOps; ++o)
        off[o] += plan.strides[o][d];
      if (idx[d] < plan.sizes[d])
        break;
      for (size_t o = 0; o < numOps; ++o)
        off[o] -= plan.strides[o][d] * plan.sizes[d];
      idx[d] = 0;
    }
  }
}

struct AddOp {
  template <typename T> static T apply(T a, T b) { return a + b; }
};
struct SubOp {
  template <typename T> static T apply(T a, T b) { return a - b; }
};
struct MulOp {
  template <typename T> static T apply(T a, T b) { return a * b; }
};
struct DivOp {
  template <typename T> static T apply(T a, T b) { return a / b; }
};

template <typename Op, typename T>
void binaryImpl(const T *a, const Shape &aShape, const T *b, const Shape &bShape,
                T *y, const Shape &yShape) {
  BroadcastPlan plan = makeBroadcastPlan(yShape, {&aShape, &bShape});
  const size_t last = plan.sizes.size() - 1;
  const int64_t sa = plan.strides[0][last], sb = plan.strides[1][last];
  forEachRun(plan, 2, [&](const int64_t *off, int64_t out, int64_t count) {
    const T *pa = a + off[0];
    const T *pb = b + off[1];
    T *py = y + out;
    if (sa == 1 && sb == 1) {
      for (int64_t i = 0; i < count; ++i)
        py[i] = Op::apply(pa[i], pb[i]);
    } else if (sa == 1 && sb == 0) {
      const T vb = *pb;
      for (int64_t i = 0; i < count; ++i)
        py[i] = Op::apply(pa[i], vb);
    } else if (sa == 0 && sb == 1) {
      const T va = *pa;
      for (int64_t i = 0; i < count; ++i)
        py[i] = Op::apply(va, pb[i]);
    } else {
      for (int64_t i = 0; i < count; ++i)
        py[i] = Op::apply(pa[i * sa], pb[i * sb]);
    }
  });
}

/// Softmax of one row of `len` elements at stride `stride`.
template <typename T>
void softmaxRow(const T *x, int64_t len, int64_t stride, T *y) {
  double mx = -std::numeric_limits<double>::infinity();
  for (int64_t i = 0; i < len; ++i)
    mx = std::max(mx, static_cast<double>(x[i * stride]));
  double sum = 0;
  for (int64_t i = 0; i < len; ++i)
    sum += std::exp(static_cast<double>(x[i * stride]) - mx);
  for (int64_t i = 0; i < len; ++i)
    y[i * stride] =
        static_cast<T>(std::exp(static_cast<double>(x[i * stride]) - mx) / sum);
}

/// log(1 + exp(v)) without overflow.
double softplus(double v) {
  return std::max(v, 0.0) + std::log1p(std::exp(-std::fabs(v)));
}

uint64_t rotl(uint64_t v, int k) { return (v << k) | (v >> (64 - k)); }

} // namespace

//===----------------------------------------------------------------------===//
// Rng
//===----------------------------------------------------------------------===//

Rng::Rng(uint64_t seed) {
  // splitmix64 expands the seed; it never yields an all-zero xoshiro state
  // in practice (four consecutive outputs are distinct).
  uint64_t x = seed;
  for (uint64_t &word : s) {
    x += 0x9e3779b97f4a7c15ULL;
    uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    word = z ^ (z >> 31);
  }
}

uint64_t Rng::next() {
  const uint64_t result = rotl(s[1] * 5, 7) * 9;
  const uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double Rng::uniform() {
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

uint64_t Rng::below(uint64_t bound) {
  // Reject the lowest 2^64 mod bound values so that every residue is equally
  // likely.
  const uint64_t threshold = (0 - bound) % bound;
  for (;;) {
    const uint64_t r = next();
    if (r >= threshold)
      return r % bound;
  }
}

//===----------------------------------------------------------------------===//
// Shape helpers
//===----------------------------------------------------------------------===//

int64_t windowOutputSize(int64_t in, int64_t kernel, int64_t stride,
                         int64_t padBefore, int64_t padAfter, int64_t dilation,
                         bool ceilMode) {
  const int64_t span = dilation * (kernel - 1) + 1;
  const int64_t room = in + padBefore + padAfter - span;
  if (room < 0 || stride <= 0)
    return 0;
  int64_t out = (ceilMode ? (room + stride - 1) / stride : room / stride) + 1;
  if (ceilMode && (out - 1) * stride >= in + padBefore)
    --out;
  return out;
}

bool broadcastShapes(const Shape &a, const Shape &b, Shape &out) {
  const size_t rank = std::max(a.size(), b.size());
  Shape result(rank, 1);
  for (size_t d = 0; d < rank; ++d) {
    const int64_t da = d < rank - a.size() ? 1 : a[d - (rank - a.size())];
    const int64_t db = d < rank - b.size() ? 1 : b[d - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return false;
    result[d] = da == 1 ? db : da;
  }
  out = std::move(result);
  return true;
}

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

namespace {

/// Writes rows [(c*KH + i)*KW + j] of the im2col matrix for one sample and
/// one group: row length OH*OW, placed at column `colOffset` of a matrix
/// with leading dimension `ld`.
template <typename T>
void im2col(const T *x, int64_t channels, int64_t H, int64_t W, int64_t KH,
            int64_t KW, const Window2D &win, int64_t OH, int64_t OW, T *col,
            int64_t ld, int64_t colOffset) {
  for (int64_t c = 0; c < channels; ++c) {
    const T *plane = x + c * H * W;
    for (int64_t i = 0; i < KH; ++i) {
      const int64_t offY = i * win.dilationH - win.padTop;
      int64_t oy0, oy1;
      validRange(offY, win.strideH, H, OH, oy0, oy1);
      for (int64_t j = 0; j < KW; ++j) {
        const int64_t offX = j * win.dilationW - win.padLeft;
        int64_t ox0, ox1;
        validRange(offX, win.strideW, W, OW, ox0, ox1);
        T *row = col + ((c * KH + i) * KW + j) * ld + colOffset;
        for (int64_t oy = 0; oy < OH; ++oy) {
          T *dst = row + oy * OW;
          if (oy < oy0 || oy >= oy1) {
            std::fill(dst, dst + OW, T(0));
            continue;
          }
          const T *src = plane + (oy * win.strideH + offY) * W + offX;
          std::fill(dst, dst + ox0, T(0));
          if (win.strideW == 1) {
            std::copy(src + ox0, src + ox1, dst + ox0);
          } else {
            for (int64_t ox = ox0; ox < ox1; ++ox)
              dst[ox] = src[ox * win.strideW];
          }
          std::fill(dst + ox1, dst + OW, T(0));
        }
      }
    }
  }
}

/// Convolution where each output channel reads one input channel (depthwise,
/// or any convolution with C / groups = 1): direct loops.
template <typename T>
void conv2dSingleInputChannel(const T *x, int64_t N, int64_t C, int64_t H,
                              int64_t W, const T *w, int64_t O, int64_t KH,
                              int64_t KW, const T *bias, const Window2D &win,
                              int64_t groups, T *y, int64_t OH, int64_t OW,
                              bool relu) {
  const int64_t outPerGroup = O / groups;
  forRanges(N * O, N * O * OH * OW * KH * KW, [&](int64_t lo, int64_t hi) {
    for (int64_t no = lo; no < hi; ++no) {
      const int64_t n = no / O, o = no % O;
      const T *plane = x + (n * C + o / outPerGroup) * H * W;
      T *out = y + (n * O + o) * OH * OW;
      std::fill(out, out + OH * OW, bias ? bias[o] : T(0));
      for (int64_t i = 0; i < KH; ++i) {
        const int64_t offY = i * win.dilationH - win.padTop;
        int64_t oy0, oy1;
        validRange(offY, win.strideH, H, OH, oy0, oy1);
        for (int64_t j = 0; j < KW; ++j) {
          const T wv = w[(o * KH + i) * KW + j];
          const int64_t offX = j * win.dilationW - win.padLeft;
          int64_t ox0, ox1;
          validRange(offX, win.strideW, W, OW, ox0, ox1);
          for (int64_t oy = oy0; oy < oy1; ++oy) {
            const T *src = plane + (oy * win.strideH + offY) * W + offX;
            T *dst = out + oy * OW;
            if (win.strideW == 1) {
              for (int64_t ox = ox0; ox < ox1; ++ox)
                dst[ox] += wv * src[ox];
            } else {
              for (int64_t ox = ox0; ox < ox1; ++ox)
                dst[ox] += wv * src[ox * win.strideW];
            }
          }
        }
      }
      if (relu) // the epilogue, while the plane is in cache
        for (int64_t p = 0; p < OH * OW; ++p)
          out[p] = out[p] > T(0) ? out[p] : T(0);
    }
  });
}

} // namespace

template <typename T>
void conv2d(const T *x, const Shape &xShape, const T *w, const Shape &wShape,
            OptIn<T> bias, const Window2D &win, int64_t groups, T *y,
            const Shape &yShape, bool relu) {
  const int64_t N = xShape[0], C = xShape[1], H = xShape[2], W = xShape[3];
  const int64_t O = wShape[0], Cg = wShape[1], KH = wShape[2], KW = wShape[3];
  const int64_t OH = yShape[2], OW = yShape[3];
  const int64_t G = groups, Og = O / G;
  const int64_t plane = OH * OW;
  if (N == 0 || O == 0 || plane == 0)
    return;
  if constexpr (std::is_same_v<T, float>)
    if (dnnl_conv::conv2d(x, xShape, w, wShape, bias, win, groups, y, yShape, relu))
      return;
  if (Cg == 1) {
    conv2dSingleInputChannel(x, N, C, H, W, w, O, KH, KW, bias, win, G, y, OH,
                             OW, relu);
    return;
  }
  const int64_t K = Cg * KH * KW;
  // Samples per GEMM: enough columns to keep the GEMM efficient on small
  // feature maps, bounded so that the im2col matrix stays modest.
  constexpr int64_t kTargetColumns = 512;
  constexpr int64_t kMaxColElements = int64_t{1} << 24;
  int64_t batch = std::max<int64_t>(1, kTargetColumns / plane);
  batch = std::min(batch, std::max<int64_t>(1, kMaxColElements / (K * plane)));
  batch = std::min(batch, N);
  const bool pointwise = KH == 1 && KW == 1 && win.strideH == 1 &&
                         win.strideW == 1 && win.padTop == 0 &&
                         win.padLeft == 0 && OH == H && OW == W;
  const bool direct = batch == 1; // GEMM writes straight into y

  const int64_t cols = batch * plane;
  // Chunks of `batch` samples are independent: threads take them in turn,
  // each with its own (thread-local) im2col and product buffers.
  const int64_t chunks = (N + batch - 1) / batch;
  forRanges(chunks, N * (K + O) * plane, [&](int64_t lo, int64_t hi) {
    T *col = (pointwise && direct) ? nullptr : scratch<T>(0, size_t(K * cols));
    T *tmp = direct ? nullptr : scratch<T>(1, size_t(Og * cols));
    for (int64_t n0 = lo * batch; n0 < std::min(N, hi * batch); n0 += batch) {
      const int64_t nb = std::min(batch, N - n0);
      const int64_t ncols = nb * plane;
      for (int64_t g = 0; g < G; ++g) {
        const T *wg = w + g * Og * K;
        const T *b = col;
        int64_t ldb = ncols;
        if (pointwise && direct) {
          b = x + (n0 * C + g * Cg) * H * W;
          ldb = plane;
        } else {
          for (int64_t s = 0; s < nb; ++s)
            im2col(x + ((n0 + s) * C + g * Cg) * H * W, Cg, H, W, KH, KW, win,
                   OH, OW, col, ncols, s * plane);
        }
        if (direct) {
          T *out = y + (n0 * O + g * Og) * plane;
          gemm(false, false, Og, plane, K, T(1), wg, K, b, ldb, T(0), out,
               plane);
          // Bias and the relu epilogue while the rows are in cache.
          if (bias || relu)
            for (int64_t o = 0; o < Og; ++o) {
              const T bv = bias ? bias[g * Og + o] : T(0);
              T *row = out + o * plane;
              for (int64_t p = 0; p < plane; ++p) {
                const T v = row[p] + bv;
                row[p] = relu && !(v > T(0)) ? T(0) : v;
              }
            }
        } else {
          gemm(false, false, Og, ncols, K, T(1), wg, K, b, ldb, T(0), tmp,
               ncols);
          for (int64_t s = 0; s < nb; ++s)
            for (int64_t o = 0; o < Og; ++o) {
              const T bv = bias ? bias[g * Og + o] : T(0);
              const T *src = tmp + o * ncols + s * plane;
              T *dst = y + ((n0 + s) * O + g * Og + o) * plane;
              for (int64_t p = 0; p < plane; ++p) {
                const T v = src[p] + bv;
                dst[p] = relu && !(v > T(0)) ? T(0) : v;
              }
            }
        }
      }
    }
  });
}

template <typename T>
void linear(const T *x, const Shape &xShape, const T *w, const Shape &wShape,
            OptIn<T> bias, T *y, const Shape &yShape, bool relu) {
  (void)yShape;
  const int64_t in = xShape.back();
  const int64_t rows = in == 0 ? 0 : numElements(xShape) / in;
  const int64_t out = wShape[0];
  if (rows == 0 || out == 0)
    return;
  if (in == 0) {
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t o = 0; o < out; ++o)
        y[r * out + o] = bias ? bias[o] : T(0);
    return;
  }
  gemm(false, true, rows, out, in, T(1), x, in, w, in, T(0), y, out);
  if (bias || relu) // bias and the relu epilogue, one pass over the result
    forRanges(rows, rows * out, [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; ++r)
        for (int64_t o = 0; o < out; ++o) {
          const T v = y[r * out + o] + (bias ? bias[o] : T(0));
          y[r * out + o] = relu && !(v > T(0)) ? T(0) : v;
        }
    });
}

template <typename T>
void matmul(const T *a, const Shape &aShape, const T *b, const Shape &bShape,
            T *y, const Shape &yShape) {
  const size_t ra = aShape.size(), rb = bShape.size(), ry = yShape.size();
  const int64_t M = aShape[ra - 2], K = aShape[ra - 1], N = bShape[rb - 1];
  const Shape aBatch(aShape.begin(), aShape.end() - 2);
  const Shape bBatch(bShape.begin(), bShape.end() - 2);
  const Shape yBatch(yShape.begin(), yShape.end() - 2);
  const int64_t batches = numElements(yBatch);
  if (batches == 0 || M == 0 || N == 0)
    return;
  if (K == 0) {
    std::fill(y, y + batches * M * N, T(0));
    return;
  }
  // A shared right operand with a full left batch: one GEMM over all rows.
  if (numElements(bBatch) == 1 && numElements(aBatch) == batches) {
    gemm(false, false, batches * M, N, K, T(1), a, K, b, N, T(0), y, N);
    return;
  }
  // Broadcast strides (in matrices) of each operand's batch dims.
  const size_t rank = ry - 2;
  auto batchStrides = [&](const Shape &s) {
    std::vector<int64_t> st(rank, 0);
    const std::vector<int64_t> own = stridesOf(s);
    const size_t lead = rank - s.size();
    for (size_t d = lead; d < rank; ++d)
      if (s[d - lead] != 1)
        st[d] = own[d - lead];
    return st;
  };
  const std::vector<int64_t> sa = batchStrides(aBatch), sb = batchStrides(bBatch);
  std::vector<int64_t> idx(rank, 0);
  for (int64_t bi = 0; bi < batches; ++bi) {
    int64_t rem = bi, oa = 0, ob = 0;
    for (int64_t d = static_cast<int64_t>(rank) - 1; d >= 0; --d) {
      const int64_t i = rem % yBatch[d];
      rem /= yBatch[d];
      oa += i * sa[d];
      ob += i * sb[d];
    }
    gemm(false, false, M, N, K, T(1), a + oa * M * K, K, b + ob * K * N, N, T(0),
         y + bi * M * N, N);
  }
}

//===----------------------------------------------------------------------===//
// Normalisation
//===----------------------------------------------------------------------===//

namespace {
/// Sums of d = x - shift and of d * d over one channel's N rows of S elements
/// (row stride rowStride). Chunks of at most 1024 elements are summed in T
/// (full-width vectors), the chunk sums in double, as in batchNormGrad.
/// Shifting by one of the channel's own values keeps the one-pass variance
/// accurate.
template <typename T>
void channelMoments(const T *x, int64_t N, int64_t S, int64_t rowStride,
                    double shift, double &sum, double &sumSq) {
  constexpr int64_t kChunk = 1024;
  const T shiftT = static_cast<T>(shift);
  double s1 = 0, s2 = 0;
  for (int64_t n = 0; n < N; ++n) {
    const T *p = x + n * rowStride;
    for (int64_t s0 = 0; s0 < S; s0 += kChunk) {
      const int64_t s1End = std::min(S, s0 + kChunk);
      T c1 = 0, c2 = 0;
#pragma omp simd reduction(+ : c1, c2)
      for (int64_t s = s0; s < s1End; ++s) {
        const T d = p[s] - shiftT;
        c1 += d;
        c2 += d * d;
      }
      s1 += c1;
      s2 += c2;
    }
  }
  sum = s1;
  sumSq = s2;
}
} // namespace

template <typename T>
void batchStatistics(const T *x, const Shape &xShape, bool unbiased, T *mean,
                     T *var) {
  const int64_t N = xShape[0], C = xShape[1];
  const int64_t S = product(xShape, 2, xShape.size());
  const int64_t count = N * S;
  forRanges(C, N * C * S, [&](int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c) {
      const double shift = count ? static_cast<double>(x[c * S]) : 0.0;
      double s1, s2;
      channelMoments(x + c * S, N, S, C * S, shift, s1, s2);
      const double dm = count ? s1 / count : 0.0;
      const double sq = std::max(0.0, s2 - s1 * dm);
      const int64_t div = unbiased ? count - 1 : count;
      mean[c] = static_cast<T>(shift + dm);
      var[c] = static_cast<T>(div > 0 ? sq / div : 0.0);
    }
  });
}

namespace {
template <typename T>
void batchNormApply(const T *x, const Shape &xShape, const T *scale,
                    const T *bias, const T *mean, const T *var, double epsilon,
                    T *y, bool relu) {
  const int64_t N = xShape[0], C = xShape[1];
  const int64_t S = product(xShape, 2, xShape.size());
  std::vector<T> mul(C), add(C);
  for (int64_t c = 0; c < C; ++c) {
    const double inv = 1.0 / std::sqrt(static_cast<double>(var[c]) + epsilon);
    mul[c] = static_cast<T>(scale[c] * inv);
    add[c] = static_cast<T>(bias[c] - mean[c] * (scale[c] * inv));
  }
  forRanges(N * C, N * C * S, [&](int64_t lo, int64_t hi) {
    for (int64_t nc = lo; nc < hi; ++nc) {
      const int64_t c = nc % C;
      const T m = mul[c], a = add[c];
      const T *p = x + nc * S;
      T *q = y + nc * S;
      if (relu)
        for (int64_t s = 0; s < S; ++s) {
          const T v = p[s] * m + a;
          q[s] = v > T(0) ? v : T(0);
        }
      else
        for (int64_t s = 0; s < S; ++s)
          q[s] = p[s] * m + a;
    }
  });
}
} // namespace

template <typename T>
void batchNormInference(const T *x, const Shape &xShape, const T *scale,
                        const T *bias, const T *mean, const T *var,
                        double epsilon, T *y, bool relu) {
  batchNormApply(x, xShape, scale, bias, mean, var, epsilon, y, relu);
}

template <typename T>
void batchNormTraining(const T *x, const Shape &xShape, const T *scale,
                       const T *bias, double epsilon, T *y, OptOut<T> batchMean,
                       OptOut<T> batchVar, bool relu) {
  const int64_t C = xShape[1];
  std::vector<T> mean(C), var(C);
  batchStatistics(x, xShape, /*unbiased=*/false, mean.data(), var.data());
  batchNormApply(x, xShape, scale, bias, mean.data(), var.data(), epsilon, y, relu);
  if (batchMean)
    std::copy(mean.begin(), mean.end(), batchMean);
  if (batchVar)
    std::copy(var.begin(), var.end(), batchVar);
}

template <typename T>
void batchNormStatsUpdate(const T *x, const Shape &xShape, const T *runningMean,
                          const T *runningVar, double momentum, T *newMean,
                          T *newVar) {
  const int64_t C = xShape[1];
  std::vector<T> mean(C), var(C);
  batchStatistics(x, xShape, /*unbiased=*/true, mean.data(), var.data());
  for (int64_t c = 0; c < C; ++c) {
    const double m = momentum * runningMean[c] + (1 - momentum) * mean[c];
    const double v = momentum * runningVar[c] + (1 - momentum) * var[c];
    newMean[c] = static_cast<T>(m);
    newVar[c] = static_cast<T>(v);
  }
}

template <typename T>
void batchNormTrainingWithUpdate(const T *x, const Shape &xShape, const T *scale,
                                 const T *bias, const T *runningMean,
                                 const T *runningVar, double epsilon, double momentum,
                                 T *y, T *newMean, T *newVar, bool relu) {
  const int64_t C = xShape[1];
  const int64_t count = numElements(xShape) / std::max<int64_t>(C, 1);
  std::vector<T> mean(C), var(C);
  batchNormTraining(x, xShape, scale, bias, epsilon, y, mean.data(), var.data(), relu);
  // The running variance takes the unbiased batch variance (0 for one element).
  const double unbias = count > 1 ? double(count) / double(count - 1) : 0.0;
  for (int64_t c = 0; c < C; ++c) {
    newMean[c] = static_cast<T>(momentum * runningMean[c] + (1 - momentum) * mean[c]);
    newVar[c] = static_cast<T>(momentum * runningVar[c] + (1 - momentum) * (var[c] * unbias));
  }
}

template <typename T>
void layerNorm(const T *x, const Shape &xShape, OptIn<T> scale, OptIn<T> bias,
               int64_t axis, double epsilon, T *y) {
  const int64_t rank = static_cast<int64_t>(xShape.size());
  axis = normalizeAxis(axis, rank);
  const int64_t outer = product(xShape, 0, size_t(axis));
  const int64_t inner = product(xShape, size_t(axis), xShape.size());
  if (inner == 0)
    return;
  // Rows split across threads; sums in chunks of 1024 in T (vectorised),
  // chunk sums in double.
  constexpr int64_t kChunk = 1024;
  forRanges(outer, outer * inner, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const T *p = x + r * inner;
      T *q = y + r * inner;
      double sum = 0;
      for (int64_t i0 = 0; i0 < inner; i0 += kChunk) {
        const int64_t i1 = std::min(inner, i0 + kChunk);
        T part = 0;
#pragma omp simd reduction(+ : part)
        for (int64_t i = i0; i < i1; ++i)
          part += p[i];
        sum += part;
      }
      const double mean = sum / inner;
      const T sub = static_cast<T>(mean);
      double sq = 0;
      for (int64_t i0 = 0; i0 < inner; i0 += kChunk) {
        const int64_t i1 = std::min(inner, i0 + kChunk);
        T part = 0;
#pragma omp simd reduction(+ : part)
        for (int64_t i = i0; i < i1; ++i) {
          const T d = p[i] - sub;
          part += d * d;
        }
        sq += part;
      }
      const T mul = static_cast<T>(1.0 / std::sqrt(sq / inner + epsilon));
      if (scale && bias) {
#pragma omp simd
        for (int64_t i = 0; i < inner; ++i)
          q[i] = (p[i] - sub) * mul * scale[i] + bias[i];
      } else if (scale) {
#pragma omp simd
        for (int64_t i = 0; i < inner; ++i)
          q[i] = (p[i] - sub) * mul * scale[i];
      } else if (bias) {
#pragma omp simd
        for (int64_t i = 0; i < inner; ++i)
          q[i] = (p[i] - sub) * mul + bias[i];
      } else {
#pragma omp simd
        for (int64_t i = 0; i < inner; ++i)
          q[i] = (p[i] - sub) * mul;
      }
    }
  });
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

template <typename T> void unary(UnaryKind kind, const T *x, T *y, int64_t n) {
  switch (kind) {
  case UnaryKind::Relu:
    forRanges(n, n, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i)
        y[i] = x[i] > T(0) ? x[i] : T(0);
    });
    return;
  case UnaryKind::Sigmoid:
    // exp(-x) overflows to inf for very negative x, giving exactly 0.
    for (int64_t i = 0; i < n; ++i)
      y[i] = T(1) / (T(1) + std::exp(-x[i]));
    return;
  case UnaryKind::HardSwish:
    for (int64_t i = 0; i < n; ++i) {
      const T v = x[i];
      y[i] = v * std::min(std::max(v + T(3), T(0)), T(6)) / T(6);
    }
    return;
  }
}

template <typename T>
void hardsigmoid(const T *x, T *y, int64_t n, double alpha, double beta) {
  const T a = static_cast<T>(alpha), b = static_cast<T>(beta);
  for (int64_t i = 0; i < n; ++i)
    y[i] = std::max(T(0), std::min(T(1), a * x[i] + b));
}

template <typename T> void clip(const T *x, T *y, int64_t n, double lo, double hi) {
  const T l = static_cast<T>(lo), h = static_cast<T>(hi);
  for (int64_t i = 0; i < n; ++i)
    y[i] = std::min(std::max(x[i], l), h);
}

template <typename T>
void binary(BinaryKind kind, const T *a, const Shape &aShape, const T *b,
            const Shape &bShape, T *y, const Shape &yShape) {
  if (numElements(yShape) == 0)
    return;
  switch (kind) {
  case BinaryKind::Add:
    return binaryImpl<AddOp>(a, aShape, b, bShape, y, yShape);
  case BinaryKind::Sub:
    return binaryImpl<SubOp>(a, aShape, b, bShape, y, yShape);
  case BinaryKind::Mul:
    return binaryImpl<MulOp>(a, aShape, b, bShape, y, yShape);
  case BinaryKind::Div:
    return binaryImpl<DivOp>(a, aShape, b, bShape, y, yShape);
  }
}

template <typename T>
void softmax(const T *x, const Shape &xShape, int64_t axis, T *y) {
  const int64_t rank = static_cast<int64_t>(xShape.size());
  axis = normalizeAxis(axis, rank);
  const int64_t outer = product(xShape, 0, size_t(axis));
  const int64_t len = xShape[axis];
  const int64_t inner = product(xShape, size_t(axis) + 1, xShape.size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t base = o * len * inner + i;
      softmaxRow(x + base, len, inner, y + base);
    }
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

template <typename T>
void maxPool2d(const T *x, const Shape &xShape, const Window2D &win, T *y,
               const Shape &yShape) {
  const int64_t NC = xShape[0] * xShape[1], H = xShape[2], W = xShape[3];
  const int64_t OH = yShape[2], OW = yShape[3];
  const T lowest = -std::numeric_limits<T>::infinity();
  // The common 2x2 / stride 2 window inside the input: no bounds to clip.
  const bool twoByTwo = win.kernelH == 2 && win.kernelW == 2 &&
                        win.strideH == 2 && win.strideW == 2 &&
                        win.padTop == 0 && win.padLeft == 0 &&
                        win.dilationH == 1 && win.dilationW == 1 &&
                        2 * OH <= H && 2 * OW <= W;
  auto pick = [](T best, T v) { return (v > best || std::isnan(v)) ? v : best; };
  forRanges(NC, NC * H * W, [&](int64_t plo, int64_t phi) {
  for (int64_t p = plo; p < phi; ++p) {
    const T *plane = x + p * H * W;
    T *out = y + p * OH * OW;
    if (twoByTwo) {
      for (int64_t oy = 0; oy < OH; ++oy) {
        const T *r0 = plane + 2 * oy * W, *r1 = r0 + W;
        T *o = out + oy * OW;
        for (int64_t ox = 0; ox < OW; ++ox) {
          T best = pick(lowest, r0[2 * ox]);
          best = pick(best, r0[2 * ox + 1]);
          best = pick(best, r1[2 * ox]);
          o[ox] = pick(best, r1[2 * ox + 1]);
        }
      }
      continue;
    }
    for (int64_t oy = 0; oy < OH; ++oy) {
      const int64_t y0 = oy * win.strideH - win.padTop;
      int64_t i0, i1; // kernel rows inside the input
      validRange(y0, win.dilationH, H, win.kernelH, i0, i1);
      for (int64_t ox = 0; ox < OW; ++ox) {
        const int64_t x0 = ox * win.strideW - win.padLeft;
        int64_t j0, j1;
        validRange(x0, win.dilationW, W, win.kernelW, j0, j1);
        T best = lowest;
        for (int64_t i = i0; i < i1; ++i) {
          const T *row = plane + (y0 + i * win.dilationH) * W + x0;
          for (int64_t j = j0; j < j1; ++j) {
            const T v = row[j * win.dilationW];
            if (v > best || std::isnan(v))
              best = v;
          }
        }
        out[oy * OW + ox] = best;
      }
    }
  }
  });
}

template <typename T>
void avgPool2d(const T *x, const Shape &xShape, const Window2D &win,
               bool countIncludePad, T *y, const Shape &yShape) {
  const int64_t NC = xShape[0] * xShape[1], H = xShape[2], W = xShape[3];
  const int64_t OH = yShape[2], OW = yShape[3];
  for (int64_t p = 0; p < NC; ++p) {
    const T *plane = x + p * H * W;
    T *out = y + p * OH * OW;
    for (int64_t oy = 0; oy < OH; ++oy) {
      const int64_t y0 = oy * win.strideH - win.padTop;
      int64_t i0, i1, pi0, pi1;
      validRange(y0, win.dilationH, H, win.kernelH, i0, i1);
      // Kernel rows inside the padded input [-padTop, H + padBottom).
      validRange(y0 + win.padTop, win.dilationH, H + win.padTop + win.padBottom,
                 win.kernelH, pi0, pi1);
      for (int64_t ox = 0; ox < OW; ++ox) {
        const int64_t x0 = ox * win.strideW - win.padLeft;
        int64_t j0, j1, pj0, pj1;
        validRange(x0, win.dilationW, W, win.kernelW, j0, j1);
        validRange(x0 + win.padLeft, win.dilationW,
                   W + win.padLeft + win.padRight, win.kernelW, pj0, pj1);
        double sum = 0;
        for (int64_t i = i0; i < i1; ++i) {
          const T *row = plane + (y0 + i * win.dilationH) * W + x0;
          for (int64_t j = j0; j < j1; ++j)
            sum += row[j * win.dilationW];
        }
        const int64_t count = countIncludePad ? (pi1 - pi0) * (pj1 - pj0)
                                              : (i1 - i0) * (j1 - j0);
        out[oy * OW + ox] = static_cast<T>(count > 0 ? sum / count : 0.0);
      }
    }
  }
}

template <typename T>
void globalAvgPool(const T *x, const Shape &xShape, T *y) {
  const int64_t NC = xShape[0] * xShape[1];
  const int64_t S = product(xShape, 2, xShape.size());
  for (int64_t p = 0; p < NC; ++p) {
    double sum = 0;
    const T *plane = x + p * S;
    for (int64_t s = 0; s < S; ++s)
      sum += plane[s];
    y[p] = static_cast<T>(S ? sum / S : 0.0);
  }
}

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

template <typename T>
void concat(const std::vector<const T *> &inputs,
            const std::vector<Shape> &shapes, int64_t axis, T *y,
            const Shape &yShape) {
  const int64_t rank = static_cast<int64_t>(yShape.size());
  axis = normalizeAxis(axis, rank);
  const int64_t outer = product(yShape, 0, size_t(axis));
  const int64_t inner = product(yShape, size_t(axis) + 1, yShape.size());
  T *dst = y;
  for (int64_t o = 0; o < outer; ++o)
    for (size_t k = 0; k < inputs.size(); ++k) {
      const int64_t chunk = shapes[k][axis] * inner;
      std::copy(inputs[k] + o * chunk, inputs[k] + (o + 1) * chunk, dst);
      dst += chunk;
    }
}

template <typename T>
void slice(const T *x, const Shape &xShape, const std::vector<int64_t> &offsets,
           T *y, const Shape &yShape) {
  const size_t rank = yShape.size();
  if (numElements(yShape) == 0)
    return;
  if (rank == 0) {
    y[0] = x[0];
    return;
  }
  const std::vector<int64_t> xs = stridesOf(xShape);
  const int64_t row = yShape[rank - 1];
  const int64_t rows = numElements(yShape) / row;
  std::vector<int64_t> idx(rank, 0);
  int64_t base = 0;
  for (size_t d = 0; d < rank; ++d)
    base += offsets[d] * xs[d];
  int64_t off = base;
  for (int64_t r = 0; r < rows; ++r) {
    std::copy(x + off, x + off + row, y + r * row);
    for (int64_t d = static_cast<int64_t>(rank) - 2; d >= 0; --d) {
      ++idx[d];
      off += xs[d];
      if (idx[d] < yShape[d])
        break;
      off -= xs[d] * yShape[d];
      idx[d] = 0;
    }
  }
}

template <typename T>
void transpose(const T *x, const Shape &xShape, const std::vector<int64_t> &perm,
               T *y) {
  const size_t rank = xShape.size();
  const int64_t total = numElements(xShape);
  if (total == 0)
    return;
  if (rank == 0) {
    y[0] = x[0];
    return;
  }
  const std::vector<int64_t> xs = stridesOf(xShape);
  Shape yShape(rank);
  std::vector<int64_t> st(rank); // x stride along each y dim
  for (size_t i = 0; i < rank; ++i) {
    yShape[i] = xShape[perm[i]];
    st[i] = xs[perm[i]];
  }
  const int64_t row = yShape[rank - 1], inStride = st[rank - 1];
  const int64_t rows = total / row;
  std::vector<int64_t> idx(rank, 0);
  int64_t off = 0;
  for (int64_t r = 0; r < rows; ++r) {
    T *dst = y + r * row;
    for (int64_t i = 0; i < row; ++i)
      dst[i] = x[off + i * inStride];
    for (int64_t d = static_cast<int64_t>(rank) - 2; d >= 0; --d) {
      ++idx[d];
      off += st[d];
      if (idx[d] < yShape[d])
        break;
      off -= st[d] * yShape[d];
      idx[d] = 0;
    }
  }
}

template <typename T>
void broadcastTo(const T *x, const Shape &xShape, T *y, const Shape &yShape) {
  if (numElements(yShape) == 0)
    return;
  BroadcastPlan plan = makeBroadcastPlan(yShape, {&xShape});
  const int64_t sx = plan.strides[0].back();
  forEachRun(plan, 1, [&](const int64_t *off, int64_t out, int64_t count) {
    const T *src = x + off[0];
    T *dst = y + out;
    if (sx == 0)
      std::fill(dst, dst + count, *src);
    else
      std::copy(src, src + count, dst);
  });
}

template <typename T>
bool reduceSum(const T *x, const Shape &xShape, const std::vector<int64_t> *axes,
               T *y, const Shape &yShape) {
  const size_t rank = xShape.size();
  // The result as a same-rank shape whose summed dims are 1.
  Shape kept(rank, 1);
  if (axes) {
    std::vector<bool> summed(rank, false);
    for (int64_t a : *axes) {
      const int64_t d = normalizeAxis(a, static_cast<int64_t>(rank));
      if (d < 0 || d >= static_cast<int64_t>(rank) || summed[d])
        return false;
      summed[d] = true;
    }
    Shape dropped;
    for (size_t d = 0; d < rank; ++d) {
      kept[d] = summed[d] ? 1 : xShape[d];
      if (!summed[d])
        dropped.push_back(xShape[d]);
    }
    if (yShape != dropped && yShape != kept)
      return false;
  } else {
    if (yShape.size() > rank)
      return false;
    const size_t lead = rank - yShape.size();
    for (size_t d = lead; d < rank; ++d) {
      const int64_t s = yShape[d - lead];
      if (s != 1 && s != xShape[d])
        return false;
      kept[d] = s;
    }
  }
  const int64_t ny = numElements(kept);
  std::vector<double> acc(size_t(ny), 0.0);
  if (numElements(xShape) > 0) {
    // Iterate over x (contiguous) with y's broadcast strides.
    BroadcastPlan plan = makeBroadcastPlan(xShape, {&kept});
    const int64_t sy = plan.strides[0].back();
    forEachRun(plan, 1, [&](const int64_t *off, int64_t in, int64_t count) {
      const T *src = x + in;
      double *dst = acc.data() + off[0];
      if (sy == 0) {
        double s = 0;
        for (int64_t i = 0; i < count; ++i)
          s += src[i];
        *dst += s;
      } else {
        for (int64_t i = 0; i < count; ++i)
          dst[i] += src[i];
      }
    });
  }
  for (int64_t i = 0; i < ny; ++i)
    y[i] = static_cast<T>(acc[size_t(i)]);
  return true;
}

//===----------------------------------------------------------------------===//
// Local losses, votes, metrics
//===----------------------------------------------------------------------===//

template <typename T>
void goodness(const T *x, const Shape &xShape, int64_t groups, T *y) {
  const int64_t N = xShape[0], C = xShape[1];
  const int64_t S = product(xShape, 2, xShape.size());
  const int64_t block = C / groups * S;
  forRanges(N * groups, N * C * S, [&](int64_t lo, int64_t hi) {
    for (int64_t nk = lo; nk < hi; ++nk) {
      const T *p = x + nk * block;
      double sum = 0;
#pragma omp simd reduction(+ : sum)
      for (int64_t i = 0; i < block; ++i)
        sum += static_cast<double>(p[i]) * p[i];
      y[nk] = static_cast<T>(block ? sum / block : 0.0);
    }
  });
}

template <typename T>
bool marginCrossEntropy(const T *scores, const int32_t *labels, int64_t n,
                        int64_t k, double margin, T *loss) {
  for (int64_t s = 0; s < n; ++s)
    if (labels[s] < 0 || labels[s] >= k)
      return false;
  double total = 0;
  for (int64_t s = 0; s < n; ++s) {
    const T *row = scores + s * k;
    const int64_t label = labels[s];
    double mx = -std::numeric_limits<double>::infinity();
    for (int64_t j = 0; j < k; ++j)
      mx = std::max(mx, row[j] + (j == label ? 0.0 : margin));
    double sum = 0;
    for (int64_t j = 0; j < k; ++j)
      sum += std::exp(row[j] + (j == label ? 0.0 : margin) - mx);
    total += mx + std::log(sum) - row[label];
  }
  *loss = static_cast<T>(n ? total / n : 0.0);
  return true;
}

template <typename T>
void thresholdLoss(const T *pos, const T *neg, int64_t n, double theta, T *loss) {
  double total = 0;
  for (int64_t i = 0; i < n; ++i)
    total += softplus(theta - pos[i]) + softplus(neg[i] - theta);
  *loss = static_cast<T>(n ? total / n : 0.0);
}

template <typename T>
void vote(const std::vector<const T *> &scores, int64_t n, int64_t k, bool last,
          bool softmax, T *y) {
  const int64_t total = n * k;
  std::vector<double> acc(size_t(total), 0.0);
  std::vector<T> row(static_cast<size_t>(k));
  const size_t first = last && !scores.empty() ? scores.size() - 1 : 0;
  const size_t count = scores.size() - first;
  for (size_t v = first; v < scores.size(); ++v) {
    const T *s = scores[v];
    for (int64_t r = 0; r < n; ++r) {
      const T *src = s + r * k;
      if (softmax) {
        softmaxRow(src, k, 1, row.data());
        src = row.data();
      }
      for (int64_t j = 0; j < k; ++j)
        acc[size_t(r * k + j)] += src[j];
    }
  }
  for (int64_t i = 0; i < total; ++i)
    y[i] = static_cast<T>(count ? acc[size_t(i)] / count : 0.0);
}

template <typename T>
int64_t countCorrect(const T *scores, const int32_t *labels, int64_t n,
                     int64_t k) {
  int64_t correct = 0;
  for (int64_t s = 0; s < n; ++s) {
    const T *row = scores + s * k;
    int64_t best = 0;
    for (int64_t j = 1; j < k; ++j)
      if (row[j] > row[best])
        best = j;
    if (k > 0 && labels[s] == best)
      ++correct;
  }
  return correct;
}

template <typename T>
bool embedLabel(const T *x, const Shape &xShape, const int32_t *labels,
                const int32_t *shift, int64_t classes, double scale, T *y) {
  const int64_t N = xShape.empty() ? 1 : xShape[0];
  const int64_t total = numElements(xShape);
  const int64_t per = N ? total / N : 0;
  if (classes < 1 || per < classes)
    return false;
  for (int64_t s = 0; s < N; ++s)
    if (labels[s] < 0 || labels[s] >= classes)
      return false;
  if (x != y)
    std::copy(x, x + total, y);
  const T on = static_cast<T>(scale);
  for (int64_t s = 0; s < N; ++s) {
    int64_t label = int64_t{labels[s]} + (shift ? int64_t{shift[s]} : 0);
    label %= classes;
    if (label < 0)
      label += classes;
    T *row = y + s * per;
    for (int64_t j = 0; j < classes; ++j)
      row[j] = j == label ? on : T(0);
  }
  return true;
}

template <typename T>
bool embedAllLabels(const T *x, const Shape &xShape, int64_t classes, double scale, T *y) {
  const int64_t N = xShape.empty() ? 1 : xShape[0];
  const int64_t total = numElements(xShape);
  const int64_t per = N ? total / N : 0;
  if (classes < 1 || per < classes)
    return false;
  const T on = static_cast<T>(scale);
  for (int64_t k = 0; k < classes; ++k) {
    T *copy = y + k * total;
    std::copy(x, x + total, copy);
    for (int64_t s = 0; s < N; ++s) {
      T *row = copy + s * per;
      for (int64_t j = 0; j < classes; ++j)
        row[j] = j == k ? on : T(0);
    }
  }
  return true;
}

bool randomLabelShift(int32_t *shift, int64_t n, int64_t classes, Rng &rng) {
  if (classes < 2)
    return false;
  for (int64_t i = 0; i < n; ++i)
    shift[i] = static_cast<int32_t>(1 + rng.below(uint64_t(classes - 1)));
  return true;
}

template <typename T>
void dropoutMask(T *mask, int64_t n, double ratio, Rng &rng) {
  const T keep = ratio < 1 ? static_cast<T>(1.0 / (1.0 - ratio)) : T(0);
  for (int64_t i = 0; i < n; ++i)
    mask[i] = rng.uniform() < ratio ? T(0) : keep;
}

//===----------------------------------------------------------------------===//
// Optimizer updates
//===----------------------------------------------------------------------===//

template <typename T>
void sgdStep(const T *param, const T *grad, OptIn<T> buffer, int64_t n,
             double lr, double momentum, bool nesterov, double weightDecay,
             T *newParam, OptOut<T> newBuffer) {
  for (int64_t i = 0; i < n; ++i) {
    const double p = param[i];
    const double g = grad[i] + weightDecay * p;
    double dir = g;
    if (newBuffer) {
      const double b = momentum * (buffer ? static_cast<double>(buffer[i]) : 0.0) + g;
      dir = nesterov ? g + momentum * b : b;
      newBuffer[i] = static_cast<T>(b);
    }
    newParam[i] = static_cast<T>(p - lr * dir);
  }
}

template <typename T>
void adamStep(const T *param, const T *grad, const T *moment1, const T *moment2,
              int64_t n, double lr, double step, double beta1, double beta2,
              double epsilon, double weightDecay, bool decoupled, T *newParam,
              T *newMoment1, T *newMoment2) {
  // The bias corrections and constants in double, the per-element update in
  // T (as PyTorch's float Adam), vectorised and split across threads.
  const double bc1 = 1 - std::pow(beta1, step);
  const double bc2Sqrt = std::sqrt(1 - std::pow(beta2, step));
  const T stepSize = static_cast<T>(lr / bc1);
  const T shrink = static_cast<T>(decoupled ? 1 - lr * weightDecay : 1.0);
  const T decay = static_cast<T>(decoupled ? 0.0 : weightDecay);
  const T b1 = static_cast<T>(beta1), b2 = static_cast<T>(beta2);
  const T c1 = static_cast<T>(1 - beta1), c2 = static_cast<T>(1 - beta2);
  const T invBc2Sqrt = static_cast<T>(1.0 / bc2Sqrt), eps = static_cast<T>(epsilon);
  forRanges(n, 4 * n, [&](int64_t lo, int64_t hi) {
#pragma omp simd
    for (int64_t i = lo; i < hi; ++i) {
      T p = param[i];
      const T g = grad[i] + decay * p;
      p *= shrink;
      const T m = b1 * moment1[i] + c1 * g;
      const T v = b2 * moment2[i] + c2 * g * g;
      p -= stepSize * m / (std::sqrt(v) * invBc2Sqrt + eps);
      newParam[i] = p;
      newMoment1[i] = m;
      newMoment2[i] = v;
    }
  });
}

//===----------------------------------------------------------------------===//
// Explicit instantiations
//===----------------------------------------------------------------------===//

#define FFRT_INSTANTIATE(T)                                                    \
  template void conv2d<T>(const T *, const Shape &, const T *, const Shape &,  \
                          const T *, const Window2D &, int64_t, T *,           \
                          const Shape &, bool);                                \
  template void linear<T>(const T *, const Shape &, const T *, const Shape &,  \
                          const T *, T *, const Shape &, bool);                \
  template void matmul<T>(const T *, const Shape &, const T *, const Shape &,  \
                          T *, const Shape &);                                 \
  template void batchNormInference<T>(const T *, const Shape &, const T *,     \
                                      const T *, const T *, const T *, double, \
                                      T *, bool);                              \
  template void batchNormTraining<T>(const T *, const Shape &, const T *,      \
                                     const T *, double, T *, T *, T *, bool);  \
  template void batchStatistics<T>(const T *, const Shape &, bool, T *, T *);  \
  template void batchNormStatsUpdate<T>(const T *, const Shape &, const T *,   \
                                        const T *, double, T *, T *);          \
  template void batchNormTrainingWithUpdate<T>(                               \
      const T *, const Shape &, const T *, const T *, const T *, const T *,    \
      double, double, T *, T *, T *, bool);                                    \
  template void layerNorm<T>(const T *, const Shape &, const T *, const T *,   \
                             int64_t, double, T *);                            \
  template void unary<T>(UnaryKind, const T *, T *, int64_t);                  \
  template void hardsigmoid<T>(const T *, T *, int64_t, double, double);       \
  template void clip<T>(const T *, T *, int64_t, double, double);              \
  template void binary<T>(BinaryKind, const T *, const Shape &, const T *,     \
                          const Shape &, T *, const Shape &);                  \
  template void softmax<T>(const T *, const Shape &, int64_t, T *);            \
  template void maxPool2d<T>(const T *, const Shape &, const Window2D &, T *,  \
                             const Shape &);                                   \
  template void avgPool2d<T>(const T *, const Shape &, const Window2D &, bool, \
                             T *, const Shape &);                              \
  template void globalAvgPool<T>(const T *, const Shape &, T *);               \
  template void concat<T>(const std::vector<const T *> &,                      \
                          const std::vector<Shape> &, int64_t, T *,            \
                          const Shape &);                                      \
  template void slice<T>(const T *, const Shape &,                             \
                         const std::vector<int64_t> &, T *, const Shape &);    \
  template void transpose<T>(const T *, const Shape &,                         \
                             const std::vector<int64_t> &, T *);               \
  template void broadcastTo<T>(const T *, const Shape &, T *, const Shape &);  \
  template bool reduceSum<T>(const T *, const Shape &,                         \
                             const std::vector<int64_t> *, T *,                \
                             const Shape &);                                   \
  template void goodness<T>(const T *, const Shape &, int64_t, T *);           \
  template bool marginCrossEntropy<T>(const T *, const int32_t *, int64_t,     \
                                      int64_t, double, T *);                   \
  template void thresholdLoss<T>(const T *, const T *, int64_t, double, T *);  \
  template void vote<T>(const std::vector<const T *> &, int64_t, int64_t,      \
                        bool, bool, T *);                                      \
  template int64_t countCorrect<T>(const T *, const int32_t *, int64_t,        \
                                   int64_t);                                   \
  template bool embedLabel<T>(const T *, const Shape &, const int32_t *,       \
                              const int32_t *, int64_t, double, T *);          \
  template bool embedAllLabels<T>(const T *, const Shape &, int64_t, double,    \
                                  T *);                                        \
  template void dropoutMask<T>(T *, int64_t, double, Rng &);                   \
  template void sgdStep<T>(const T *, const T *, const T *, int64_t, double,   \
                           double, bool, double, T *, T *);                    \
  template void adamStep<T>(const T *, const T *, const T *, const T *,        \
                            int64_t, double, double, double, double, double,   \
                            double, bool, T *, T *, T *);

FFRT_INSTANTIATE(float)
FFRT_INSTANTIATE(double)
#undef FFRT_INSTANTIATE

} // namespace cpu
} // namespace ffrt
