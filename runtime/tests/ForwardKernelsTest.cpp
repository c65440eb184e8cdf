//===- ForwardKernelsTest.cpp - tests of the CPU forward kernels ----------===//
//
// Every kernel against a naive reference loop written here (in double), or
// against values computed by hand from the op's formula.
//
//===----------------------------------------------------------------------===//
#include "runtime/cpu/ForwardKernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

using namespace ffrt;
using namespace ffrt::cpu;

namespace {

using Vec = std::vector<double>;

Vec randomVec(int64_t n, uint64_t seed, double lo = -1.0, double hi = 1.0) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  Vec v(static_cast<size_t>(n));
  for (double &x : v)
    x = dist(gen);
  return v;
}

template <typename A, typename B>
void expectAllNear(const A &actual, const B &expected, double tol) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i)
    ASSERT_NEAR(double(actual[i]), double(expected[i]),
                tol * (1 + std::fabs(double(expected[i]))))
        << "at element " << i;
}

std::vector<int64_t> unravel(int64_t i, const Shape &shape) {
  std::vector<int64_t> idx(shape.size());
  for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
    idx[d] = i % shape[d];
    i /= shape[d];
  }
  return idx;
}

/// Offset in `src` of the element that broadcasts to index `idx` of a larger
/// shape (right-aligned, size-1 dims read index 0).
int64_t broadcastOffset(const std::vector<int64_t> &idx, const Shape &src) {
  int64_t off = 0;
  const size_t lead = idx.size() - src.size();
  for (size_t d = 0; d < src.size(); ++d)
    off = off * src[d] + (src[d] == 1 ? 0 : idx[d + lead]);
  return off;
}

//===----------------------------------------------------------------------===//
// Naive references
//===----------------------------------------------------------------------===//

Vec refConv(const Vec &x, const Shape &xs, const Vec &w, const Shape &ws,
            const Vec *bias, const Window2D &win, int64_t groups,
            const Shape &ys) {
  const int64_t N = xs[0], C = xs[1], H = xs[2], W = xs[3];
  const int64_t O = ws[0], Cg = ws[1], KH = ws[2], KW = ws[3];
  const int64_t OH = ys[2], OW = ys[3], Og = O / groups;
  (void)C;
  Vec y(size_t(N * O * OH * OW));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < O; ++o)
      for (int64_t oy = 0; oy < OH; ++oy)
        for (int64_t ox = 0; ox < OW; ++ox) {
          double s = bias ? (*bias)[o] : 0.0;
          const int64_t g = o / Og;
          for (int64_t c = 0; c < Cg; ++c)
            for (int64_t i = 0; i < KH; ++i)
              for (int64_t j = 0; j < KW; ++j) {
                const int64_t iy = oy * win.strideH - win.padTop + i * win.dilationH;
                const int64_t ix = ox * win.strideW - win.padLeft + j * win.dilationW;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                  continue;
                s += x[((n * xs[1] + g * Cg + c) * H + iy) * W + ix] *
                     w[((o * Cg + c) * KH + i) * KW + j];
              }
          y[((n * O + o) * OH + oy) * OW + ox] = s;
        }
  return y;
}

Vec refPool(const Vec &x, const Shape &xs, const Window2D &win, bool isMax,
            bool includePad, const Shape &ys) {
  const int64_t NC = xs[0] * xs[1], H = xs[2], W = xs[3];
  const int64_t OH = ys[2], OW = ys[3];
  Vec y(size_t(NC * OH * OW));
  for (int64_t p = 0; p < NC; ++p)
    for (int64_t oy = 0; oy < OH; ++oy)
      for (int64_t ox = 0; ox < OW; ++ox) {
        double best = -INFINITY, sum = 0;
        int64_t valid = 0, padded = 0;
        for (int64_t i = 0; i < win.kernelH; ++i)
          for (int64_t j = 0; j < win.kernelW; ++j) {
            const int64_t iy = oy * win.strideH - win.padTop + i * win.dilationH;
            const int64_t ix = ox * win.strideW - win.padLeft + j * win.dilationW;
            if (iy >= -win.padTop && iy < H + win.padBottom &&
                ix >= -win.padLeft && ix < W + win.padRight)
              ++padded;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W)
              continue;
            const double v = x[(p * H + iy) * W + ix];
            best = std::max(best, v);
            sum += v;
            ++valid;
          }
        y[(p * OH + oy) * OW + ox] =
            isMax ? best : sum / double(includePad ? padded : valid);
      }
  return y;
}

Vec refBinary(BinaryKind k, const Vec &a, const Shape &as, const Vec &b,
              const Shape &bs, const Shape &ys) {
  Vec y(size_t(numElements(ys)));
  for (int64_t i = 0; i < int64_t(y.size()); ++i) {
    const auto idx = unravel(i, ys);
    const double va = a[broadcastOffset(idx, as)];
    const double vb = b[broadcastOffset(idx, bs)];
    switch (k) {
    case BinaryKind::Add: y[i] = va + vb; break;
    case BinaryKind::Sub: y[i] = va - vb; break;
    case BinaryKind::Mul: y[i] = va * vb; break;
    case BinaryKind::Div: y[i] = va / vb; break;
    }
  }
  return y;
}

Vec refMatmul(const Vec &a, const Shape &as, const Vec &b, const Shape &bs,
              const Shape &ys) {
  const size_t r = ys.size();
  const int64_t M = ys[r - 2], N = ys[r - 1], K = as.back();
  Shape ab(as.begin(), as.end() - 2), bb(bs.begin(), bs.end() - 2),
      yb(ys.begin(), ys.end() - 2);
  Vec y(size_t(numElements(ys)));
  for (int64_t bi = 0; bi < numElements(yb); ++bi) {
    const auto idx = unravel(bi, yb);
    const int64_t oa = broadcastOffset(idx, ab), ob = broadcastOffset(idx, bb);
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) {
        double s = 0;
        for (int64_t k = 0; k < K; ++k)
          s += a[(oa * M + m) * K + k] * b[(ob * K + k) * N + n];
        y[(bi * M + m) * N + n] = s;
      }
  }
  return y;
}

Vec refSoftmax(const Vec &x, const Shape &xs, int64_t axis) {
  if (axis < 0)
    axis += int64_t(xs.size());
  Vec y(x.size());
  for (int64_t i = 0; i < int64_t(x.size()); ++i) {
    auto idx = unravel(i, xs);
    double mx = -INFINITY;
    for (int64_t j = 0; j < xs[axis]; ++j) {
      idx[axis] = j;
      int64_t off = 0;
      for (size_t d = 0; d < xs.size(); ++d)
        off = off * xs[d] + idx[d];
      mx = std::max(mx, x[off]);
    }
    double sum = 0;
    for (int64_t j = 0; j < xs[axis]; ++j) {
      idx[axis] = j;
      int64_t off = 0;
      for (size_t d = 0; d < xs.size(); ++d)
        off = off * xs[d] + idx[d];
      sum += std::exp(x[off] - mx);
    }
    y[i] = std::exp(x[i] - mx) / sum;
  }
  return y;
}

//===----------------------------------------------------------------------===//
// Convolution, linear, matmul
//===----------------------------------------------------------------------===//

struct ConvCase {
  const char *name;
  int64_t N, C, H, W, O, KH, KW, groups;
  Window2D win;
  bool bias;
};

Window2D window(int64_t sh, int64_t sw, int64_t pt, int64_t pl, int64_t pb,
                int64_t pr, int64_t dh, int64_t dw) {
  Window2D w;
  w.strideH = sh;
  w.strideW = sw;
  w.padTop = pt;
  w.padLeft = pl;
  w.padBottom = pb;
  w.padRight = pr;
  w.dilationH = dh;
  w.dilationW = dw;
  return w;
}

Shape convOutShape(const ConvCase &c) {
  return {c.N, c.O,
          windowOutputSize(c.H, c.KH, c.win.strideH, c.win.padTop,
                           c.win.padBottom, c.win.dilationH, false),
          windowOutputSize(c.W, c.KW, c.win.strideW, c.win.padLeft,
                           c.win.padRight, c.win.dilationW, false)};
}

const ConvCase kConvCases[] = {
    {"basic_pad1_bias", 2, 3, 7, 6, 4, 3, 3, 1, window(1, 1, 1, 1, 1, 1, 1, 1), true},
    {"groups2_stride2_asym", 2, 4, 9, 8, 6, 3, 3, 2, window(2, 2, 0, 1, 2, 1, 1, 1), false},
    {"depthwise_bias", 2, 4, 6, 7, 4, 3, 3, 4, window(1, 1, 1, 1, 1, 1, 1, 1), true},
    {"depthwise_mult2_stride2_dil", 1, 3, 9, 9, 6, 3, 3, 3, window(2, 2, 1, 2, 0, 1, 2, 1), true},
    {"single_input_channel", 3, 1, 8, 8, 4, 3, 3, 1, window(1, 1, 1, 1, 1, 1, 1, 1), false},
    {"dilation2_stride21_asym", 2, 3, 10, 9, 5, 3, 2, 1, window(2, 1, 2, 1, 0, 2, 2, 2), true},
    {"pointwise_direct", 2, 5, 24, 24, 3, 1, 1, 1, window(1, 1, 0, 0, 0, 0, 1, 1), true},
    {"pointwise_batched", 5, 6, 4, 3, 7, 1, 1, 1, window(1, 1, 0, 0, 0, 0, 1, 1), false},
    {"direct_3x3", 2, 3, 24, 24, 4, 3, 3, 1, window(1, 1, 1, 1, 1, 1, 1, 1), true},
    {"batched_chunks", 40, 3, 4, 4, 5, 3, 3, 1, window(1, 1, 1, 1, 1, 1, 1, 1), true},
    {"groups3_batched_kernel_rect", 7, 6, 5, 6, 9, 2, 3, 3, window(1, 2, 1, 0, 1, 1, 1, 1), true},
    // >= 16 channels on both sides: oneDNN's blocked layouts (DnnlConv.cpp).
    {"wide_blocked_stride2_asym_dil", 2, 16, 7, 6, 32, 3, 3, 1, window(2, 1, 1, 0, 0, 1, 1, 2), true},
    {"wide_blocked_pad1", 3, 32, 5, 5, 16, 3, 3, 1, window(1, 1, 1, 1, 1, 1, 1, 1), false},
};

TEST(ForwardKernels, Conv2dMatchesNaive) {
  uint64_t seed = 1;
  for (const ConvCase &c : kConvCases) {
    SCOPED_TRACE(c.name);
    const Shape xs{c.N, c.C, c.H, c.W}, ws{c.O, c.C / c.groups, c.KH, c.KW};
    const Shape ys = convOutShape(c);
    ASSERT_GT(numElements(ys), 0);
    Vec x = randomVec(numElements(xs), seed++), w = randomVec(numElements(ws), seed++);
    Vec b = randomVec(c.O, seed++);
    Vec y(size_t(numElements(ys)), 12345.0);
    conv2d(x.data(), xs, w.data(), ws, c.bias ? b.data() : nullptr, c.win,
           c.groups, y.data(), ys);
    expectAllNear(y, refConv(x, xs, w, ws, c.bias ? &b : nullptr, c.win, c.groups, ys),
                  1e-12);
  }
}

// Every case in float as well: the float convolutions take oneDNN's path
// when the runtime has it (ctest runs these tests again with FFRT_CONV=blas).
TEST(ForwardKernels, Conv2dFloat) {
  for (const ConvCase &c : kConvCases) {
    SCOPED_TRACE(c.name);
    const Shape xs{c.N, c.C, c.H, c.W}, ws{c.O, c.C / c.groups, c.KH, c.KW};
    const Shape ys = convOutShape(c);
    Vec x = randomVec(numElements(xs), 7), w = randomVec(numElements(ws), 8);
    Vec b = randomVec(c.O, 9);
    std::vector<float> xf(x.begin(), x.end()), wf(w.begin(), w.end()),
        bf(b.begin(), b.end()), yf(size_t(numElements(ys)));
    conv2d(xf.data(), xs, wf.data(), ws, c.bias ? bf.data() : nullptr, c.win,
           c.groups, yf.data(), ys);
    expectAllNear(yf, refConv(x, xs, w, ws, c.bias ? &b : nullptr, c.win, c.groups, ys),
                  1e-5);
  }
}

// The relu epilogue (ff-fuse folds a following ReLU into the convolution):
// max(conv, 0) on every path, double (our loops) and float (oneDNN's post-op,
// or our loops under FFRT_CONV=blas).
TEST(ForwardKernels, Conv2dReluEpilogue) {
  auto relu = [](Vec v) {
    for (double &e : v)
      e = e > 0 ? e : 0;
    return v;
  };
  uint64_t seed = 40;
  for (const ConvCase &c : kConvCases) {
    SCOPED_TRACE(c.name);
    const Shape xs{c.N, c.C, c.H, c.W}, ws{c.O, c.C / c.groups, c.KH, c.KW};
    const Shape ys = convOutShape(c);
    Vec x = randomVec(numElements(xs), seed++), w = randomVec(numElements(ws), seed++);
    Vec b = randomVec(c.O, seed++);
    const Vec ref = relu(refConv(x, xs, w, ws, c.bias ? &b : nullptr, c.win, c.groups, ys));
    Vec y(size_t(numElements(ys)), 12345.0);
    conv2d(x.data(), xs, w.data(), ws, c.bias ? b.data() : nullptr, c.win, c.groups, y.data(),
           ys, /*relu=*/true);
    expectAllNear(y, ref, 1e-12);
    std::vector<float> xf(x.begin(), x.end()), wf(w.begin(), w.end()), bf(b.begin(), b.end()),
        yf(size_t(numElements(ys)), 12345.0f);
    conv2d(xf.data(), xs, wf.data(), ws, c.bias ? bf.data() : nullptr, c.win, c.groups,
           yf.data(), ys, /*relu=*/true);
    expectAllNear(yf, ref, 1e-5);
  }
}

TEST(ForwardKernels, Conv2dHandValues) {
  // 1x1x3x3 input 1..9, one 2x2 kernel of ones, padding 1 on top/left only,
  // stride 2, bias 0.5: windows at rows/cols {-1,0} and {1,2}.
  const Shape xs{1, 1, 3, 3}, ws{1, 1, 2, 2}, ys{1, 1, 2, 2};
  Vec x{1, 2, 3, 4, 5, 6, 7, 8, 9}, w{1, 1, 1, 1}, b{0.5}, y(4);
  conv2d(x.data(), xs, w.data(), ws, b.data(), window(2, 2, 1, 1, 0, 0, 1, 1), 1,
         y.data(), ys);
  expectAllNear(y, Vec{1.5, 2 + 3 + 0.5, 4 + 7 + 0.5, 5 + 6 + 8 + 9 + 0.5}, 1e-15);
}

TEST(ForwardKernels, Linear) {
  const Shape xs{5, 7}, ws{3, 7}, ys{5, 3};
  Vec x = randomVec(35, 11), w = randomVec(21, 12), b = randomVec(3, 13);
  for (bool withBias : {true, false}) {
    Vec y(15, 99.0), ref(15);
    linear(x.data(), xs, w.data(), ws, withBias ? b.data() : nullptr, y.data(), ys);
    for (int n = 0; n < 5; ++n)
      for (int o = 0; o < 3; ++o) {
        double s = withBias ? b[o] : 0.0;
        for (int i = 0; i < 7; ++i)
          s += x[n * 7 + i] * w[o * 7 + i];
        ref[n * 3 + o] = s;
      }
    expectAllNear(y, ref, 1e-12);
  }
  // The relu epilogue: max(linear, 0), with and without a bias.
  for (bool withBias : {true, false}) {
    Vec y(15, 99.0), plain(15);
    linear(x.data(), xs, w.data(), ws, withBias ? b.data() : nullptr, plain.data(), ys);
    linear(x.data(), xs, w.data(), ws, withBias ? b.data() : nullptr, y.data(), ys,
           /*relu=*/true);
    int zeros = 0;
    for (int k = 0; k < 15; ++k) {
      EXPECT_EQ(y[k], plain[k] > 0 ? plain[k] : 0.0) << "element " << k;
      zeros += y[k] == 0;
    }
    EXPECT_GT(zeros, 0); // the random case has negative outputs to clamp
  }
  // A plain nullptr bias compiles and means no bias.
  Vec yNo(15), yRef(15);
  linear(x.data(), xs, w.data(), ws, nullptr, yNo.data(), ys);
  linear(x.data(), xs, w.data(), ws, static_cast<const double *>(nullptr),
         yRef.data(), ys);
  expectAllNear(yNo, yRef, 0);
  // Leading dims fold into rows.
  Vec y3(15), y2(15);
  linear(x.data(), Shape{5, 1, 7}, w.data(), ws, b.data(), y3.data(), Shape{5, 1, 3});
  linear(x.data(), xs, w.data(), ws, b.data(), y2.data(), ys);
  expectAllNear(y3, y2, 0);
}

TEST(ForwardKernels, MatmulBroadcast) {
  struct Case {
    Shape a, b, y;
  };
  const Case cases[] = {
      {{3, 4}, {4, 5}, {3, 5}},
      {{2, 3, 4}, {4, 5}, {2, 3, 5}},
      {{3, 4}, {2, 4, 5}, {2, 3, 5}},
      {{2, 3, 4}, {2, 4, 5}, {2, 3, 5}},
      {{2, 1, 3, 4}, {5, 4, 6}, {2, 5, 3, 6}},
      {{1, 3, 4}, {2, 1, 4, 2}, {2, 1, 3, 2}},
  };
  uint64_t seed = 20;
  for (const Case &c : cases) {
    Vec a = randomVec(numElements(c.a), seed++), b = randomVec(numElements(c.b), seed++);
    Vec y(size_t(numElements(c.y)), 7.0);
    matmul(a.data(), c.a, b.data(), c.b, y.data(), c.y);
    expectAllNear(y, refMatmul(a, c.a, b, c.b, c.y), 1e-12);
  }
}

//===----------------------------------------------------------------------===//
// Normalisation
//===----------------------------------------------------------------------===//

void refBatchStats(const Vec &x, const Shape &xs, Vec &mean, Vec &biased,
                   Vec &unbiased) {
  const int64_t N = xs[0], C = xs[1], S = numElements(xs) / (N * C);
  mean.assign(C, 0);
  biased.assign(C, 0);
  unbiased.assign(C, 0);
  for (int64_t c = 0; c < C; ++c) {
    double s = 0;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t i = 0; i < S; ++i)
        s += x[(n * C + c) * S + i];
    mean[c] = s / (N * S);
    double q = 0;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t i = 0; i < S; ++i)
        q += std::pow(x[(n * C + c) * S + i] - mean[c], 2);
    biased[c] = q / (N * S);
    unbiased[c] = q / (N * S - 1);
  }
}

Vec refBatchNorm(const Vec &x, const Shape &xs, const Vec &scale, const Vec &bias,
                 const Vec &mean, const Vec &var, double eps) {
  const int64_t N = xs[0], C = xs[1], S = numElements(xs) / (N * C);
  Vec y(x.size());
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < S; ++i) {
        const int64_t k = (n * C + c) * S + i;
        y[k] = scale[c] * (x[k] - mean[c]) / std::sqrt(var[c] + eps) + bias[c];
      }
  return y;
}

TEST(ForwardKernels, BatchNorm) {
  for (const Shape &xs : {Shape{4, 3, 5, 2}, Shape{6, 5}}) {
    const int64_t C = xs[1];
    Vec x = randomVec(numElements(xs), 30, -2, 3);
    Vec scale = randomVec(C, 31), bias = randomVec(C, 32);
    Vec rm = randomVec(C, 33), rv = randomVec(C, 34, 0.5, 2);
    Vec y(x.size());
    batchNormInference(x.data(), xs, scale.data(), bias.data(), rm.data(),
                       rv.data(), 1e-3, y.data());
    expectAllNear(y, refBatchNorm(x, xs, scale, bias, rm, rv, 1e-3), 1e-12);

    Vec mean, biased, unbiased;
    refBatchStats(x, xs, mean, biased, unbiased);
    Vec bm(C), bv(C);
    batchNormTraining(x.data(), xs, scale.data(), bias.data(), 1e-5, y.data(),
                      bm.data(), bv.data());
    expectAllNear(y, refBatchNorm(x, xs, scale, bias, mean, biased, 1e-5), 1e-12);
    expectAllNear(bm, mean, 1e-12);
    expectAllNear(bv, biased, 1e-12);
    batchNormTraining(x.data(), xs, scale.data(), bias.data(), 1e-5, y.data());
    expectAllNear(y, refBatchNorm(x, xs, scale, bias, mean, biased, 1e-5), 1e-12);

    // The fused relu epilogue: max(batch_norm, 0), in both modes.
    auto relu = [](Vec v) {
      for (double &e : v)
        e = e > 0 ? e : 0;
      return v;
    };
    batchNormTraining(x.data(), xs, scale.data(), bias.data(), 1e-5, y.data(), nullptr,
                      nullptr, /*relu=*/true);
    expectAllNear(y, relu(refBatchNorm(x, xs, scale, bias, mean, biased, 1e-5)), 1e-12);
    EXPECT_GT(std::count(y.begin(), y.end(), 0.0), 0);
    batchNormInference(x.data(), xs, scale.data(), bias.data(), rm.data(), rv.data(), 1e-3,
                       y.data(), /*relu=*/true);
    expectAllNear(y, relu(refBatchNorm(x, xs, scale, bias, rm, rv, 1e-3)), 1e-12);

    Vec um(C), uv(C);
    batchStatistics(x.data(), xs, true, um.data(), uv.data());
    expectAllNear(um, mean, 1e-12);
    expectAllNear(uv, unbiased, 1e-12);

    // ONNX momentum, unbiased variance; outputs alias the running stats.
    Vec expMean(C), expVar(C);
    for (int64_t c = 0; c < C; ++c) {
      expMean[c] = 0.9 * rm[c] + 0.1 * mean[c];
      expVar[c] = 0.9 * rv[c] + 0.1 * unbiased[c];
    }
    // ff.batch_norm_with_update (ff-fuse's merge of the two): the training
    // output, with and without its relu, and the same running statistics.
    for (bool withRelu : {false, true}) {
      Vec yu(x.size()), nm(C), nv(C);
      batchNormTrainingWithUpdate(x.data(), xs, scale.data(), bias.data(), rm.data(),
                                  rv.data(), 1e-5, 0.9, yu.data(), nm.data(), nv.data(),
                                  withRelu);
      Vec ref = refBatchNorm(x, xs, scale, bias, mean, biased, 1e-5);
      expectAllNear(yu, withRelu ? relu(ref) : ref, 1e-12);
      expectAllNear(nm, expMean, 1e-12);
      expectAllNear(nv, expVar, 1e-12);
    }
    batchNormStatsUpdate(x.data(), xs, rm.data(), rv.data(), 0.9, rm.data(),
                         rv.data());
    expectAllNear(rm, expMean, 1e-12);
    expectAllNear(rv, expVar, 1e-12);
  }
}

TEST(ForwardKernels, BatchNormHandValues) {
  // One channel, values 1, 2, 3, 6: mean 3, biased var 3.5, unbiased 14/3.
  const Shape xs{2, 1, 2};
  Vec x{1, 2, 3, 6}, scale{2}, bias{1}, y(4), m(1), v(1);
  batchNormTraining(x.data(), xs, scale.data(), bias.data(), 0.0, y.data(),
                    m.data(), v.data());
  const double sd = std::sqrt(3.5);
  expectAllNear(y, Vec{1 - 4 / sd, 1 - 2 / sd, 1, 1 + 6 / sd}, 1e-14);
  Vec rm{1}, rv{1}, nm(1), nv(1);
  batchNormStatsUpdate(x.data(), xs, rm.data(), rv.data(), 0.9, nm.data(), nv.data());
  EXPECT_NEAR(nm[0], 0.9 + 0.1 * 3, 1e-14);
  EXPECT_NEAR(nv[0], 0.9 + 0.1 * 14.0 / 3.0, 1e-14);
}

// ff.batch_norm_with_update (formed by ff-fuse) on one element per channel:
// the unbiased variance is 0 there, as in the stats update. (Larger shapes:
// ForwardKernels.BatchNorm.)
TEST(ForwardKernels, BatchNormWithUpdateOneElement) {
  const Shape one{1, 2};
  Vec x{3, -1}, scale{1, 1}, bias{0, 0}, rm{1, 1}, rv{2, 2}, y(2), nm(2), nv(2);
  batchNormTrainingWithUpdate(x.data(), one, scale.data(), bias.data(), rm.data(), rv.data(),
                              1e-5, 0.9, y.data(), nm.data(), nv.data());
  expectAllNear(nm, Vec{0.9 + 0.1 * 3, 0.9 - 0.1}, 1e-14);
  expectAllNear(nv, Vec{1.8, 1.8}, 1e-14);
}

TEST(ForwardKernels, LayerNorm) {
  const Shape xs{3, 4, 2, 2};
  Vec x = randomVec(numElements(xs), 40, -3, 3);
  struct Case {
    int64_t axis;
    bool scale, bias;
  };
  for (Case c : {Case{1, false, false}, Case{2, true, true}, Case{-1, true, false},
                 Case{3, false, true}, Case{0, true, true}}) {
    const int64_t axis = c.axis < 0 ? c.axis + 4 : c.axis;
    int64_t inner = 1;
    for (int64_t d = axis; d < 4; ++d)
      inner *= xs[d];
    Vec s = randomVec(inner, 41), b = randomVec(inner, 42), y(x.size()), ref(x.size());
    layerNorm(x.data(), xs, c.scale ? s.data() : nullptr, c.bias ? b.data() : nullptr,
              c.axis, 1e-5, y.data());
    for (int64_t r = 0; r < int64_t(x.size()) / inner; ++r) {
      double mean = 0, var = 0;
      for (int64_t i = 0; i < inner; ++i)
        mean += x[r * inner + i] / inner;
      for (int64_t i = 0; i < inner; ++i)
        var += std::pow(x[r * inner + i] - mean, 2) / inner;
      for (int64_t i = 0; i < inner; ++i) {
        double v = (x[r * inner + i] - mean) / std::sqrt(var + 1e-5);
        if (c.scale)
          v *= s[i];
        if (c.bias)
          v += b[i];
        ref[r * inner + i] = v;
      }
    }
    expectAllNear(y, ref, 1e-12);
  }
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

TEST(ForwardKernels, UnaryOps) {
  Vec x = randomVec(200, 50, -8, 8);
  x.push_back(-800.0); // sigmoid must not overflow
  x.push_back(800.0);
  x.push_back(-3.0);
  x.push_back(3.0);
  x.push_back(0.0);
  const int64_t n = int64_t(x.size());
  Vec y(x.size());
  unary(UnaryKind::Relu, x.data(), y.data(), n);
  for (int64_t i = 0; i < n; ++i)
    ASSERT_EQ(y[i], x[i] > 0 ? x[i] : 0.0);
  unary(UnaryKind::Sigmoid, x.data(), y.data(), n);
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_TRUE(std::isfinite(y[i]));
    ASSERT_NEAR(y[i], 1 / (1 + std::exp(-x[i])), 1e-15);
  }
  unary(UnaryKind::HardSwish, x.data(), y.data(), n);
  for (int64_t i = 0; i < n; ++i)
    ASSERT_NEAR(y[i], x[i] * std::min(std::max(x[i] + 3, 0.0), 6.0) / 6, 1e-12);
  hardsigmoid(x.data(), y.data(), n, 1.0 / 6, 0.5);
  for (int64_t i = 0; i < n; ++i)
    ASSERT_NEAR(y[i], std::max(0.0, std::min(1.0, x[i] / 6 + 0.5)), 1e-15);
  hardsigmoid(x.data(), y.data(), n, 0.2, 0.5);
  for (int64_t i = 0; i < n; ++i)
    ASSERT_NEAR(y[i], std::max(0.0, std::min(1.0, 0.2 * x[i] + 0.5)), 1e-15);
  clip(x.data(), y.data(), n, 0, 6);
  for (int64_t i = 0; i < n; ++i)
    ASSERT_EQ(y[i], std::min(std::max(x[i], 0.0), 6.0));
  // In place.
  Vec z = x;
  unary(UnaryKind::Relu, z.data(), z.data(), n);
  for (int64_t i = 0; i < n; ++i)
    ASSERT_EQ(z[i], std::max(x[i], 0.0));
}

TEST(ForwardKernels, BinaryBroadcasting) {
  struct Case {
    Shape a, b;
  };
  const Case cases[] = {
      {{2, 3, 4, 5}, {2, 3, 4, 5}}, {{2, 3, 4, 5}, {2, 3, 1, 1}},
      {{2, 3, 1, 1}, {2, 3, 4, 5}}, {{2, 3, 4}, {}},
      {{}, {2, 3, 4}},              {{1}, {3, 4}},
      {{3, 1, 5}, {4, 1}},          {{2, 1, 4}, {1, 3, 1}},
      {{4, 5}, {5}},                {{2, 3, 4, 5}, {3, 1, 5}},
      {{}, {}},
  };
  uint64_t seed = 60;
  for (const Case &c : cases) {
    Shape ys;
    ASSERT_TRUE(broadcastShapes(c.a, c.b, ys));
    Vec a = randomVec(numElements(c.a), seed++, -2, 2);
    Vec b = randomVec(numElements(c.b), seed++, 0.5, 2);
    for (BinaryKind k :
         {BinaryKind::Add, BinaryKind::Sub, BinaryKind::Mul, BinaryKind::Div}) {
      Vec y(size_t(numElements(ys)), 1e30);
      binary(k, a.data(), c.a, b.data(), c.b, y.data(), ys);
      expectAllNear(y, refBinary(k, a, c.a, b, c.b, ys), 1e-15);
    }
  }
  Shape out;
  EXPECT_FALSE(broadcastShapes({2, 3}, {4, 3}, out));
  ASSERT_TRUE(broadcastShapes({8, 1, 6, 1}, {7, 1, 5}, out));
  EXPECT_EQ(out, (Shape{8, 7, 6, 5}));
}

TEST(ForwardKernels, BinaryInPlaceAndFloat) {
  const Shape as{2, 3, 4, 4}, bs{2, 3, 1, 1};
  Vec a = randomVec(numElements(as), 70), b = randomVec(numElements(bs), 71);
  Vec ref = refBinary(BinaryKind::Mul, a, as, b, bs, as);
  std::vector<float> af(a.begin(), a.end()), bf(b.begin(), b.end());
  binary(BinaryKind::Mul, af.data(), as, bf.data(), bs, af.data(), as);
  expectAllNear(af, ref, 1e-6);
}

TEST(ForwardKernels, Softmax) {
  const Shape xs{2, 3, 4};
  Vec x = randomVec(24, 80, -5, 5);
  for (int64_t axis : {0, 1, 2, -1, -2}) {
    Vec y(24);
    softmax(x.data(), xs, axis, y.data());
    expectAllNear(y, refSoftmax(x, xs, axis), 1e-14);
  }
  Vec big{1000, 1001, 999}, y(3);
  softmax(big.data(), Shape{1, 3}, -1, y.data());
  const double s = std::exp(-1.0) + 1 + std::exp(-2.0);
  expectAllNear(y, Vec{std::exp(-1.0) / s, 1 / s, std::exp(-2.0) / s}, 1e-14);
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

TEST(ForwardKernels, WindowOutputSize) {
  EXPECT_EQ(windowOutputSize(7, 2, 2, 0, 0, 1, false), 3);
  EXPECT_EQ(windowOutputSize(7, 2, 2, 0, 0, 1, true), 4);
  EXPECT_EQ(windowOutputSize(6, 2, 2, 0, 0, 1, true), 3);
  // ceil_mode's extra window would start in the trailing padding: dropped.
  EXPECT_EQ(windowOutputSize(5, 2, 2, 1, 1, 1, true), 3);
  EXPECT_EQ(windowOutputSize(28, 3, 1, 1, 1, 1, false), 28);
  EXPECT_EQ(windowOutputSize(28, 3, 2, 1, 1, 1, false), 14);
  EXPECT_EQ(windowOutputSize(10, 3, 1, 0, 0, 2, false), 6);
  EXPECT_EQ(windowOutputSize(8, 3, 2, 1, 1, 1, true), 5);
  EXPECT_EQ(windowOutputSize(8, 3, 2, 1, 1, 1, false), 4);
  EXPECT_EQ(windowOutputSize(2, 5, 1, 0, 0, 1, false), 0);
}

struct PoolCase {
  const char *name;
  int64_t kh, kw;
  Window2D win;
  bool ceil;
};

TEST(ForwardKernels, PoolsMatchNaive) {
  const PoolCase cases[] = {
      {"k2s2", 2, 2, window(2, 2, 0, 0, 0, 0, 1, 1), false},
      {"k2s2_ceil", 2, 2, window(2, 2, 0, 0, 0, 0, 1, 1), true},
      {"k3s2_pad1", 3, 3, window(2, 2, 1, 1, 1, 1, 1, 1), false},
      {"k3s2_pad1_ceil", 3, 3, window(2, 2, 1, 1, 1, 1, 1, 1), true},
      {"k3s1_asym_pad", 3, 2, window(1, 1, 1, 0, 0, 1, 1, 1), false},
      {"k2_dil2_ceil", 2, 2, window(2, 1, 1, 0, 1, 0, 2, 2), true},
      {"k3s3_ceil_pad", 3, 3, window(3, 3, 1, 1, 1, 1, 1, 1), true},
  };
  const Shape xs{2, 3, 8, 7};
  Vec x = randomVec(numElements(xs), 90, -4, 4);
  for (const PoolCase &c : cases) {
    SCOPED_TRACE(c.name);
    Window2D win = c.win;
    win.kernelH = c.kh;
    win.kernelW = c.kw;
    const Shape ys{2, 3,
                   windowOutputSize(8, c.kh, win.strideH, win.padTop,
                                    win.padBottom, win.dilationH, c.ceil),
                   windowOutputSize(7, c.kw, win.strideW, win.padLeft,
                                    win.padRight, win.dilationW, c.ceil)};
    Vec y(size_t(numElements(ys)));
    maxPool2d(x.data(), xs, win, y.data(), ys);
    expectAllNear(y, refPool(x, xs, win, true, false, ys), 0);
    for (bool include : {false, true}) {
      avgPool2d(x.data(), xs, win, include, y.data(), ys);
      expectAllNear(y, refPool(x, xs, win, false, include, ys), 1e-14);
    }
  }
}

TEST(ForwardKernels, PoolsHandValues) {
  const Shape xs{1, 1, 3, 3};
  Vec x{1, 2, 3, 4, 5, 6, 7, 8, 9}, y(4);
  // kernel 2 stride 2 ceil_mode, no padding: partial windows at the edge.
  Window2D win = window(2, 2, 0, 0, 0, 0, 1, 1);
  win.kernelH = win.kernelW = 2;
  const Shape ys{1, 1, 2, 2};
  maxPool2d(x.data(), xs, win, y.data(), ys);
  expectAllNear(y, Vec{5, 6, 8, 9}, 0);
  for (bool include : {false, true}) {
    avgPool2d(x.data(), xs, win, include, y.data(), ys);
    expectAllNear(y, Vec{3, 4.5, 7.5, 9}, 1e-15);
  }
  // padding 1, kernel 2, stride 2: the first window holds one real element.
  win.padTop = win.padLeft = win.padBottom = win.padRight = 1;
  avgPool2d(x.data(), xs, win, true, y.data(), ys);
  expectAllNear(y, Vec{0.25, 5.0 / 4, 11.0 / 4, 28.0 / 4}, 1e-15);
  avgPool2d(x.data(), xs, win, false, y.data(), ys);
  expectAllNear(y, Vec{1, 2.5, 5.5, 7}, 1e-15);
  // Negative inputs: padding must not win the max.
  Vec neg{-1, -2, -3, -4, -5, -6, -7, -8, -9};
  maxPool2d(neg.data(), xs, win, y.data(), ys);
  expectAllNear(y, Vec{-1, -2, -4, -5}, 0);
}

TEST(ForwardKernels, GlobalAvgPool) {
  const Shape xs{2, 3, 4, 5};
  Vec x = randomVec(numElements(xs), 100), y(6, 0.0), ref(6, 0.0);
  globalAvgPool(x.data(), xs, y.data());
  for (int p = 0; p < 6; ++p) {
    for (int i = 0; i < 20; ++i)
      ref[p] += x[p * 20 + i];
    ref[p] /= 20;
  }
  expectAllNear(y, ref, 1e-14);
}

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

TEST(ForwardKernels, Concat) {
  struct Case {
    std::vector<Shape> shapes;
    int64_t axis;
  };
  const Case cases[] = {
      {{{2, 1, 3}, {2, 4, 3}, {2, 2, 3}}, 1},
      {{{1, 2, 3}, {3, 2, 3}}, 0},
      {{{2, 3, 1}, {2, 3, 2}}, -1},
      {{{4}, {2}, {1}}, 0},
  };
  uint64_t seed = 110;
  for (const Case &c : cases) {
    const int64_t rank = int64_t(c.shapes[0].size());
    const int64_t axis = c.axis < 0 ? c.axis + rank : c.axis;
    Shape ys = c.shapes[0];
    ys[axis] = 0;
    std::vector<Vec> data;
    std::vector<const double *> ptrs;
    for (const Shape &s : c.shapes) {
      ys[axis] += s[axis];
      data.push_back(randomVec(numElements(s), seed++));
    }
    for (const Vec &d : data)
      ptrs.push_back(d.data());
    Vec y(size_t(numElements(ys)));
    concat(ptrs, c.shapes, c.axis, y.data(), ys);
    Vec ref(y.size());
    for (int64_t i = 0; i < int64_t(y.size()); ++i) {
      auto idx = unravel(i, ys);
      size_t k = 0;
      while (idx[axis] >= c.shapes[k][axis])
        idx[axis] -= c.shapes[k++][axis];
      int64_t off = 0;
      for (int64_t d = 0; d < rank; ++d)
        off = off * c.shapes[k][d] + idx[d];
      ref[i] = data[k][off];
    }
    expectAllNear(y, ref, 0);
  }
}

TEST(ForwardKernels, Slice) {
  struct Case {
    Shape x;
    std::vector<int64_t> offsets;
    Shape y;
  };
  const Case cases[] = {
      {{3, 5, 4}, {1, 2, 1}, {2, 2, 3}},
      {{1, 12, 4, 4}, {0, 8, 0, 0}, {1, 4, 4, 4}},
      {{10}, {3}, {5}},
      {{4, 6}, {0, 0}, {4, 6}},
  };
  uint64_t seed = 120;
  for (const Case &c : cases) {
    Vec x = randomVec(numElements(c.x), seed++), y(size_t(numElements(c.y)));
    slice(x.data(), c.x, c.offsets, y.data(), c.y);
    Vec ref(y.size());
    for (int64_t i = 0; i < int64_t(y.size()); ++i) {
      auto idx = unravel(i, c.y);
      int64_t off = 0;
      for (size_t d = 0; d < c.x.size(); ++d)
        off = off * c.x[d] + idx[d] + c.offsets[d];
      ref[i] = x[off];
    }
    expectAllNear(y, ref, 0);
  }
}

TEST(ForwardKernels, Transpose) {
  struct Case {
    Shape x;
    std::vector<int64_t> perm;
  };
  const Case cases[] = {
      {{2, 3, 4}, {2, 0, 1}},
      {{8, 16}, {1, 0}},
      {{2, 3, 4, 5}, {0, 2, 3, 1}},
      {{2, 3, 4, 5}, {3, 2, 1, 0}},
      {{3, 4}, {0, 1}},
  };
  uint64_t seed = 130;
  for (const Case &c : cases) {
    const size_t rank = c.x.size();
    Shape ys(rank);
    for (size_t i = 0; i < rank; ++i)
      ys[i] = c.x[c.perm[i]];
    Vec x = randomVec(numElements(c.x), seed++), y(x.size()), ref(x.size());
    transpose(x.data(), c.x, c.perm, y.data());
    for (int64_t i = 0; i < int64_t(y.size()); ++i) {
      auto yi = unravel(i, ys);
      std::vector<int64_t> xi(rank);
      for (size_t d = 0; d < rank; ++d)
        xi[c.perm[d]] = yi[d];
      int64_t off = 0;
      for (size_t d = 0; d < rank; ++d)
        off = off * c.x[d] + xi[d];
      ref[i] = x[off];
    }
    expectAllNear(y, ref, 0);
  }
}

TEST(ForwardKernels, BroadcastTo) {
  struct Case {
    Shape x, y;
  };
  const Case cases[] = {
      {{3, 1}, {2, 3, 4}}, {{}, {2, 2}},          {{1, 4}, {3, 4}},
      {{2, 3, 1, 1}, {2, 3, 4, 5}}, {{5}, {2, 3, 5}}, {{2, 1, 3}, {2, 4, 3}},
  };
  uint64_t seed = 140;
  for (const Case &c : cases) {
    Vec x = randomVec(numElements(c.x), seed++), y(size_t(numElements(c.y)));
    broadcastTo(x.data(), c.x, y.data(), c.y);
    Vec ref(y.size());
    for (int64_t i = 0; i < int64_t(y.size()); ++i)
      ref[i] = x[broadcastOffset(unravel(i, c.y), c.x)];
    expectAllNear(y, ref, 0);
  }
}

TEST(ForwardKernels, ReduceSum) {
  const Shape xs{2, 3, 4, 5};
  Vec x = randomVec(numElements(xs), 150);
  // Reference: sum x into a same-rank shape `kept` (summed dims 1).
  auto ref = [&](const Shape &kept) {
    Vec r(size_t(numElements(kept)), 0.0);
    for (int64_t i = 0; i < int64_t(x.size()); ++i)
      r[broadcastOffset(unravel(i, xs), kept)] += x[i];
    return r;
  };
  struct Case {
    std::vector<int64_t> axes;
    bool useAxes;
    Shape y, kept;
  };
  const Case cases[] = {
      {{0, 2, 3}, true, {3}, {1, 3, 1, 1}},
      {{1}, true, {2, 1, 4, 5}, {2, 1, 4, 5}},
      {{-1}, true, {2, 3, 4}, {2, 3, 4, 1}},
      {{0, 1, 2, 3}, true, {}, {1, 1, 1, 1}},
      {{}, true, {2, 3, 4, 5}, {2, 3, 4, 5}},
      {{}, false, {2, 3, 1, 1}, {2, 3, 1, 1}},
      {{}, false, {1, 3, 1, 1}, {1, 3, 1, 1}},
      {{}, false, {4, 1}, {1, 1, 4, 1}},
      {{}, false, {5}, {1, 1, 1, 5}},
      {{}, false, {3, 1, 5}, {1, 3, 1, 5}},
      {{}, false, {}, {1, 1, 1, 1}},
      {{}, false, {2, 3, 4, 5}, {2, 3, 4, 5}},
  };
  for (const Case &c : cases) {
    Vec y(size_t(numElements(c.y)), 1e30);
    ASSERT_TRUE(reduceSum(x.data(), xs, c.useAxes ? &c.axes : nullptr, y.data(), c.y));
    expectAllNear(y, ref(c.kept), 1e-13);
  }
  // Shapes that fit neither form.
  Vec y(8);
  const std::vector<int64_t> axes{1};
  EXPECT_FALSE(reduceSum(x.data(), xs, nullptr, y.data(), Shape{3}));
  EXPECT_FALSE(reduceSum(x.data(), xs, nullptr, y.data(), Shape{1, 2, 3, 4, 5}));
  EXPECT_FALSE(reduceSum(x.data(), xs, &axes, y.data(), Shape{2, 3, 4}));
  const std::vector<int64_t> bad{4};
  EXPECT_FALSE(reduceSum(x.data(), xs, &bad, y.data(), Shape{2, 3, 4, 5}));
}

//===----------------------------------------------------------------------===//
// Losses, votes, metrics
//===----------------------------------------------------------------------===//

TEST(ForwardKernels, GoodnessHandValues) {
  // Channels: c0 = [1, 2], c1 = [3, 0], c2 = [1, 1], c3 = [2, 2].
  const Shape xs{1, 4, 1, 2};
  Vec x{1, 2, 3, 0, 1, 1, 2, 2};
  Vec g4(4), g2(2), g1(1);
  goodness(x.data(), xs, 4, g4.data());
  expectAllNear(g4, Vec{2.5, 4.5, 1, 4}, 1e-15);
  goodness(x.data(), xs, 2, g2.data());
  expectAllNear(g2, Vec{3.5, 2.5}, 1e-15);
  goodness(x.data(), xs, 1, g1.data());
  expectAllNear(g1, Vec{3.0}, 1e-15);
}

TEST(ForwardKernels, GoodnessMatchesNaive) {
  const Shape xs{3, 6, 4, 5};
  Vec x = randomVec(numElements(xs), 160);
  for (int64_t K : {6, 3, 2}) {
    Vec y(size_t(3 * K)), ref(size_t(3 * K), 0.0);
    goodness(x.data(), xs, K, y.data());
    const int64_t per = 6 / K;
    for (int64_t n = 0; n < 3; ++n)
      for (int64_t c = 0; c < 6; ++c)
        for (int64_t s = 0; s < 20; ++s)
          ref[n * K + c / per] += std::pow(x[(n * 6 + c) * 20 + s], 2) / (per * 20);
    expectAllNear(y, ref, 1e-14);
  }
  // Rank 2 (no trailing dims).
  Vec x2{1, -2, 3, 4}, y2(4);
  goodness(x2.data(), Shape{2, 2}, 2, y2.data());
  expectAllNear(y2, Vec{1, 4, 9, 16}, 0);
}

TEST(ForwardKernels, MarginCrossEntropyHandValues) {
  const Vec scores{1, 2, 3, 0.5, 0.5, -1};
  const std::vector<int32_t> labels{2, 0};
  double loss = 0;
  // margin 0: plain cross-entropy.
  ASSERT_TRUE(marginCrossEntropy(scores.data(), labels.data(), 2, 3, 0.0, &loss));
  const double l0 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 3.0;
  const double l1 = std::log(std::exp(0.5) + std::exp(0.5) + std::exp(-1.0)) - 0.5;
  EXPECT_NEAR(loss, (l0 + l1) / 2, 1e-14);
  // margin 1: wrong classes get +1.
  ASSERT_TRUE(marginCrossEntropy(scores.data(), labels.data(), 2, 3, 1.0, &loss));
  const double m0 = std::log(std::exp(2.0) + std::exp(3.0) + std::exp(3.0)) - 3.0;
  const double m1 = std::log(std::exp(0.5) + std::exp(1.5) + std::exp(0.0)) - 0.5;
  EXPECT_NEAR(loss, (m0 + m1) / 2, 1e-14);
  // Large scores stay finite.
  const Vec big{1000, 0, -1000};
  const std::vector<int32_t> one{1};
  ASSERT_TRUE(marginCrossEntropy(big.data(), one.data(), 1, 3, 0.0, &loss));
  EXPECT_NEAR(loss, 1000.0, 1e-9);
  // Float instantiation.
  const std::vector<float> sf(scores.begin(), scores.end());
  float lf = 0;
  ASSERT_TRUE(marginCrossEntropy(sf.data(), labels.data(), 2, 3, 0.0, &lf));
  EXPECT_NEAR(lf, (l0 + l1) / 2, 1e-6);
}

TEST(ForwardKernels, MarginCrossEntropyBadLabel) {
  const Vec scores{1, 2, 3, 0.5, 0.5, -1};
  double loss = 42;
  for (std::vector<int32_t> labels : {std::vector<int32_t>{2, 3},
                                      std::vector<int32_t>{-1, 0}}) {
    EXPECT_FALSE(marginCrossEntropy(scores.data(), labels.data(), 2, 3, 0.0, &loss));
    EXPECT_EQ(loss, 42);
  }
}

TEST(ForwardKernels, ThresholdLoss) {
  const Vec pos{3, 1}, neg{0, 2.5};
  double loss = 0;
  thresholdLoss(pos.data(), neg.data(), 2, 2.0, &loss);
  const double sp = [] {
    auto f = [](double v) { return std::log(1 + std::exp(v)); };
    return (f(2 - 3.0) + f(0 - 2.0) + f(2 - 1.0) + f(2.5 - 2)) / 2;
  }();
  EXPECT_NEAR(loss, sp, 1e-14);
  // Stable for extreme goodness.
  const Vec p2{-1000}, n2{-1000};
  thresholdLoss(p2.data(), n2.data(), 1, 2.0, &loss);
  EXPECT_NEAR(loss, 1002.0, 1e-9);
  const Vec p3{1000}, n3{1000};
  thresholdLoss(p3.data(), n3.data(), 1, 2.0, &loss);
  EXPECT_NEAR(loss, 998.0, 1e-9);
}

TEST(ForwardKernels, Vote) {
  const int64_t N = 4, K = 5;
  std::vector<Vec> votes{randomVec(N * K, 170, 0, 3), randomVec(N * K, 171, 0, 3),
                         randomVec(N * K, 172, 0, 3)};
  std::vector<const double *> ptrs{votes[0].data(), votes[1].data(), votes[2].data()};
  auto soft = [&](const Vec &v) { return refSoftmax(v, Shape{N, K}, 1); };
  for (bool last : {false, true})
    for (bool sm : {false, true}) {
      Vec y(N * K), ref(N * K, 0.0);
      vote(ptrs, N, K, last, sm, y.data());
      const size_t first = last ? 2 : 0;
      for (size_t v = first; v < 3; ++v) {
        Vec s = sm ? soft(votes[v]) : votes[v];
        for (int64_t i = 0; i < N * K; ++i)
          ref[i] += s[i] / double(3 - first);
      }
      expectAllNear(y, ref, 1e-14);
    }
}

TEST(ForwardKernels, CountCorrectTies) {
  const Vec scores{1, 3, 3,  // argmax 1 (first of the tie)
                   2, 2, 0,  // argmax 0
                   0, 0, 0,  // argmax 0
                   5, 1, 5,  // argmax 0
                   0, 1, 2}; // argmax 2
  const std::vector<int32_t> labels{1, 1, 0, 2, 2};
  EXPECT_EQ(countCorrect(scores.data(), labels.data(), 5, 3), 3);
  const std::vector<int32_t> none{2, 2, 1, 1, 0};
  EXPECT_EQ(countCorrect(scores.data(), none.data(), 5, 3), 0);
  const std::vector<int32_t> bad{-1, 3, 0, 0, 2};
  EXPECT_EQ(countCorrect(scores.data(), bad.data(), 5, 3), 3);
}

TEST(ForwardKernels, EmbedLabel) {
  const Shape xs{2, 1, 2, 3}; // 6 elements per sample
  Vec x = randomVec(12, 180);
  const std::vector<int32_t> labels{1, 3}, shift{2, 1};
  Vec y(12);
  ASSERT_TRUE(embedLabel(x.data(), xs, labels.data(), nullptr, 4, 1.0, y.data()));
  Vec ref = x;
  for (int j = 0; j < 4; ++j) {
    ref[j] = j == 1 ? 1 : 0;
    ref[6 + j] = j == 3 ? 1 : 0;
  }
  expectAllNear(y, ref, 0);
  // Shifted labels (1 + 2) mod 4 = 3 and (3 + 1) mod 4 = 0, scale 2, in place.
  Vec z = x;
  ASSERT_TRUE(embedLabel(z.data(), xs, labels.data(), shift.data(), 4, 2.0, z.data()));
  ref = x;
  for (int j = 0; j < 4; ++j) {
    ref[j] = j == 3 ? 2 : 0;
    ref[6 + j] = j == 0 ? 2 : 0;
  }
  expectAllNear(z, ref, 0);
  // A negative shift wraps around: (0 - 1) mod 4 = 3, (3 - 5) mod 4 = 2.
  const std::vector<int32_t> zeroThree{0, 3}, negShift{-1, -5};
  ASSERT_TRUE(embedLabel(x.data(), xs, zeroThree.data(), negShift.data(), 4, 1.0,
                         y.data()));
  for (int j = 0; j < 4; ++j) {
    EXPECT_EQ(y[j], j == 3 ? 1 : 0);
    EXPECT_EQ(y[6 + j], j == 2 ? 1 : 0);
  }
  // Bad label, and more classes than elements per sample.
  const std::vector<int32_t> badLabels{1, 4};
  EXPECT_FALSE(embedLabel(x.data(), xs, badLabels.data(), nullptr, 4, 1.0, y.data()));
  EXPECT_FALSE(embedLabel(x.data(), xs, labels.data(), nullptr, 7, 1.0, y.data()));
}

TEST(ForwardKernels, EmbedAllLabels) {
  // Against embedLabel with the constant label k, hypothesis-major.
  const Shape xs{3, 1, 2, 3}; // 3 samples of 6 elements
  Vec x = randomVec(18, 181);
  const int64_t K = 4;
  Vec y(K * 18);
  ASSERT_TRUE(embedAllLabels(x.data(), xs, K, 0.5, y.data()));
  for (int32_t k = 0; k < K; ++k) {
    const std::vector<int32_t> labels(3, k);
    Vec ref(18);
    ASSERT_TRUE(embedLabel(x.data(), xs, labels.data(), nullptr, K, 0.5, ref.data()));
    expectAllNear(Vec(y.begin() + k * 18, y.begin() + (k + 1) * 18), ref, 0);
  }
  EXPECT_EQ(y[2 * 18 + 6 + 2], 0.5f); // hypothesis 2, sample 1, element 2
  EXPECT_EQ(y[2 * 18 + 6 + 4], x[6 + 4]); // past the label: the input's
  EXPECT_FALSE(embedAllLabels(x.data(), xs, 7, 1.0, y.data()));
}

//===----------------------------------------------------------------------===//
// Optimizers
//===----------------------------------------------------------------------===//

TEST(ForwardKernels, SgdPlain) {
  // param 1, grads 0.5 then 0.25, lr 0.1, no momentum, no decay.
  Vec p{1.0}, g{0.5};
  sgdStep(p.data(), g.data(), nullptr, 1, 0.1, 0.0,
          false, 0.0, p.data(), nullptr);
  EXPECT_NEAR(p[0], 0.95, 1e-15);
  g[0] = 0.25;
  sgdStep(p.data(), g.data(), nullptr, 1, 0.1, 0.0,
          false, 0.0, p.data(), nullptr);
  EXPECT_NEAR(p[0], 0.925, 1e-15);
  // Weight decay 0.1: g = 0.5 + 0.1 * 1 = 0.6 -> 0.94; then g = 0.5 + 0.094.
  Vec q{1.0}, h{0.5};
  for (int s = 0; s < 2; ++s)
    sgdStep(q.data(), h.data(), nullptr, 1, 0.1, 0.0,
            false, 0.1, q.data(), nullptr);
  EXPECT_NEAR(q[0], 0.94 - 0.1 * 0.594, 1e-15);
}

TEST(ForwardKernels, SgdMomentumAndNesterov) {
  // param 1, grad 0.5 twice, lr 0.1, momentum 0.9, weight decay 0.1.
  // Step 1: g = 0.6, buf = 0.6; step 2 uses the new param.
  {
    Vec p{1.0}, g{0.5}, buf{0.0};
    sgdStep(p.data(), g.data(), buf.data(), 1, 0.1, 0.9, false, 0.1, p.data(), buf.data());
    EXPECT_NEAR(buf[0], 0.6, 1e-15);
    EXPECT_NEAR(p[0], 0.94, 1e-15);
    sgdStep(p.data(), g.data(), buf.data(), 1, 0.1, 0.9, false, 0.1, p.data(), buf.data());
    // g = 0.5 + 0.094 = 0.594; buf = 0.54 + 0.594 = 1.134; p = 0.94 - 0.1134.
    EXPECT_NEAR(buf[0], 1.134, 1e-14);
    EXPECT_NEAR(p[0], 0.8266, 1e-14);
  }
  {
    // Nesterov; the first step reads no buffer (a zero buffer).
    Vec p{1.0}, g{0.5}, buf(1, 123.0);
    sgdStep(p.data(), g.data(), nullptr, 1, 0.1, 0.9,
            true, 0.1, p.data(), buf.data());
    // buf = 0.6, dir = 0.6 + 0.54 = 1.14, p = 1 - 0.114.
    EXPECT_NEAR(buf[0], 0.6, 1e-15);
    EXPECT_NEAR(p[0], 0.886, 1e-15);
    sgdStep(p.data(), g.data(), buf.data(), 1, 0.1, 0.9, true, 0.1, p.data(), buf.data());
    // g = 0.5 + 0.0886 = 0.5886; buf = 0.54 + 0.5886 = 1.1286;
    // dir = 0.5886 + 0.9 * 1.1286 = 1.60434; p = 0.886 - 0.160434.
    EXPECT_NEAR(buf[0], 1.1286, 1e-14);
    EXPECT_NEAR(p[0], 0.725566, 1e-14);
  }
  {
    // Separate outputs leave the inputs alone; float instantiation.
    std::vector<float> p{1.0f, -2.0f}, g{0.5f, 1.0f}, b{0.0f, 1.0f}, np(2), nb(2);
    sgdStep(p.data(), g.data(), b.data(), 2, 0.1, 0.9, false, 0.0, np.data(), nb.data());
    EXPECT_FLOAT_EQ(nb[0], 0.5f);
    EXPECT_FLOAT_EQ(nb[1], 0.9f + 1.0f);
    EXPECT_FLOAT_EQ(np[0], 0.95f);
    EXPECT_FLOAT_EQ(np[1], -2.0f - 0.19f);
    EXPECT_EQ(p[0], 1.0f);
    EXPECT_EQ(b[1], 1.0f);
  }
}

TEST(ForwardKernels, AdamTwoSteps) {
  // param 1, grads 0.5 then 0.25, lr 0.1, beta1 0.9, beta2 0.999, eps 1e-8.
  Vec p{1.0}, g{0.5}, m{0.0}, v{0.0};
  adamStep(p.data(), g.data(), m.data(), v.data(), 1, 0.1, 1.0, 0.9, 0.999, 1e-8,
           0.0, false, p.data(), m.data(), v.data());
  // m = 0.05, v = 0.00025; m^ = 0.5, v^ = 0.25.
  EXPECT_NEAR(m[0], 0.05, 1e-16);
  EXPECT_NEAR(v[0], 0.00025, 1e-18);
  const double p1 = 1 - 0.1 * 0.5 / (0.5 + 1e-8);
  EXPECT_NEAR(p[0], p1, 1e-15);
  g[0] = 0.25;
  adamStep(p.data(), g.data(), m.data(), v.data(), 1, 0.1, 2.0, 0.9, 0.999, 1e-8,
           0.0, false, p.data(), m.data(), v.data());
  // m = 0.045 + 0.025 = 0.07; v = 0.00024975 + 0.0000625 = 0.00031225;
  // bias corrections 1 - 0.81 = 0.19 and 1 - 0.998001 = 0.001999.
  EXPECT_NEAR(m[0], 0.07, 1e-16);
  EXPECT_NEAR(v[0], 0.00031225, 1e-17);
  const double p2 = p1 - 0.1 * (0.07 / 0.19) / (std::sqrt(0.00031225 / 0.001999) + 1e-8);
  EXPECT_NEAR(p[0], p2, 1e-14);
  EXPECT_NEAR(p[0], 0.80678204, 1e-8); // the same number, written out
}

TEST(ForwardKernels, AdamCoupledWeightDecay) {
  // Adam: g = grad + 0.01 * param.
  Vec p{1.0}, g{0.5}, m{0.0}, v{0.0};
  adamStep(p.data(), g.data(), m.data(), v.data(), 1, 0.1, 1.0, 0.9, 0.999, 1e-8,
           0.01, false, p.data(), m.data(), v.data());
  // g = 0.51: m = 0.051, v = 0.0002601, m^ = 0.51, v^ = 0.2601.
  EXPECT_NEAR(m[0], 0.051, 1e-16);
  EXPECT_NEAR(v[0], 0.0002601, 1e-18);
  const double p1 = 1 - 0.1 * 0.51 / (0.51 + 1e-8);
  EXPECT_NEAR(p[0], p1, 1e-15);
  g[0] = 0.25;
  adamStep(p.data(), g.data(), m.data(), v.data(), 1, 0.1, 2.0, 0.9, 0.999, 1e-8,
           0.01, false, p.data(), m.data(), v.data());
  const double g2 = 0.25 + 0.01 * p1;
  const double m2 = 0.9 * 0.051 + 0.1 * g2;
  const double v2 = 0.999 * 0.0002601 + 0.001 * g2 * g2;
  EXPECT_NEAR(m[0], m2, 1e-16);
  EXPECT_NEAR(v[0], v2, 1e-17);
  EXPECT_NEAR(p[0], p1 - 0.1 * (m2 / 0.19) / (std::sqrt(v2 / 0.001999) + 1e-8), 1e-14);
}

TEST(ForwardKernels, AdamWDecoupled) {
  // AdamW: param *= 1 - lr * wd first; the moments see the raw gradient.
  Vec p{1.0}, g{0.5}, m{0.0}, v{0.0};
  adamStep(p.data(), g.data(), m.data(), v.data(), 1, 0.1, 1.0, 0.9, 0.999, 1e-8,
           0.01, true, p.data(), m.data(), v.data());
  EXPECT_NEAR(m[0], 0.05, 1e-16);
  EXPECT_NEAR(v[0], 0.00025, 1e-18);
  const double p1 = 1 * (1 - 0.1 * 0.01) - 0.1 * 0.5 / (0.5 + 1e-8);
  EXPECT_NEAR(p[0], p1, 1e-15);
  EXPECT_NEAR(p[0], 0.899, 1e-8);
  g[0] = 0.25;
  adamStep(p.data(), g.data(), m.data(), v.data(), 1, 0.1, 2.0, 0.9, 0.999, 1e-8,
           0.01, true, p.data(), m.data(), v.data());
  const double p2 =
      p1 * (1 - 0.1 * 0.01) - 0.1 * (0.07 / 0.19) / (std::sqrt(0.00031225 / 0.001999) + 1e-8);
  EXPECT_NEAR(m[0], 0.07, 1e-16);
  EXPECT_NEAR(v[0], 0.00031225, 1e-17);
  EXPECT_NEAR(p[0], p2, 1e-14);
}

TEST(ForwardKernels, AdamSeparateOutputsFloat) {
  std::vector<float> p{1.0f, 2.0f}, g{0.5f, -1.0f}, m{0.0f, 0.0f}, v{0.0f, 0.0f};
  std::vector<float> np(2), nm(2), nv(2);
  adamStep(p.data(), g.data(), m.data(), v.data(), 2, 0.1, 1.0, 0.9, 0.999, 1e-8,
           0.0, false, np.data(), nm.data(), nv.data());
  // First step: every element moves by about lr * sign(g).
  EXPECT_NEAR(np[0], 0.9f, 1e-6);
  EXPECT_NEAR(np[1], 2.1f, 1e-6);
  EXPECT_FLOAT_EQ(nm[1], -0.1f);
  EXPECT_FLOAT_EQ(nv[1], 0.001f);
  EXPECT_EQ(p[0], 1.0f);
  EXPECT_EQ(m[1], 0.0f);
}

//===----------------------------------------------------------------------===//
// Random draws
//===----------------------------------------------------------------------===//

TEST(ForwardKernels, RngDeterministic) {
  Rng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const uint64_t va = a.next();
    EXPECT_EQ(va, b.next());
    differs |= va != c.next();
  }
  EXPECT_TRUE(differs);
  Rng u(7);
  double sum = 0;
  for (int i = 0; i < 10000; ++i) {
    const double x = u.uniform();
    ASSERT_GE(x, 0.0);
    ASSERT_LT(x, 1.0);
    sum += x;
  }
  EXPECT_NEAR(sum / 10000, 0.5, 0.02);
  // Copying the state replays the stream.
  Rng saved = u;
  const uint64_t next = u.next();
  EXPECT_EQ(saved.next(), next);
}

TEST(ForwardKernels, DropoutMaskStatistics) {
  const int64_t n = 100000;
  const double ratio = 0.3;
  const float keep = static_cast<float>(1.0 / (1.0 - ratio));
  std::vector<float> mask(n), again(n), other(n);
  Rng rng(2024);
  dropoutMask(mask.data(), n, ratio, rng);
  int64_t zeros = 0;
  double sum = 0;
  for (float v : mask) {
    ASSERT_TRUE(v == 0.0f || v == keep) << v;
    zeros += v == 0.0f;
    sum += v;
  }
  EXPECT_NEAR(double(zeros) / n, ratio, 0.01); // ~7 standard deviations
  EXPECT_NEAR(sum / n, 1.0, 0.02);
  Rng same(2024);
  dropoutMask(again.data(), n, ratio, same);
  EXPECT_EQ(mask, again);
  // The generator advanced: the next mask differs.
  dropoutMask(other.data(), n, ratio, rng);
  EXPECT_NE(mask, other);
  // Ratios 0 and 1.
  Vec ones(100), zerosMask(100);
  Rng r2(1);
  dropoutMask(ones.data(), 100, 0.0, r2);
  dropoutMask(zerosMask.data(), 100, 1.0, r2);
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(ones[i], 1.0);
    ASSERT_EQ(zerosMask[i], 0.0);
  }
}

TEST(ForwardKernels, RandomLabelShift) {
  const int64_t n = 20000, classes = 10;
  std::vector<int32_t> s(n), again(n);
  Rng rng(5);
  ASSERT_TRUE(randomLabelShift(s.data(), n, classes, rng));
  std::vector<int64_t> counts(classes, 0);
  for (int32_t v : s) {
    ASSERT_GE(v, 1);
    ASSERT_LT(v, classes);
    ++counts[v];
  }
  EXPECT_EQ(counts[0], 0);
  for (int64_t c = 1; c < classes; ++c)
    EXPECT_NEAR(double(counts[c]), n / 9.0, 200.0) << c; // ~5 sd
  Rng same(5);
  ASSERT_TRUE(randomLabelShift(again.data(), n, classes, same));
  EXPECT_EQ(s, again);
  // Two classes: always 1.
  ASSERT_TRUE(randomLabelShift(s.data(), 100, 2, rng));
  for (int i = 0; i < 100; ++i)
    ASSERT_EQ(s[i], 1);
  EXPECT_FALSE(randomLabelShift(s.data(), 10, 1, rng));
}

} // namespace
