//===- GradientKernelsTest.cpp - finite-difference tests of the gradients -===//
//
// Every gradient kernel is checked against central finite differences of a
// naive double-precision forward written here (independently of the forward
// kernels): for a random projection L = sum(R * f(inputs)) with R random, the
// kernel fed dy = R must return dL/dinput. (For the losses, L is the loss.)
//
// Tolerance. Central differences with step h = 1e-5 have a truncation error of
// about h^2/6 * |f'''| ~ 2e-11 for the smooth functions here on O(1) inputs
// (zero for the linear ones: convolution, pooling) and a rounding error of
// about eps * |L| / h ~ 1e-16 * 100 / 1e-5 = 1e-9 for |L| up to ~100. We accept
// |analytic - fd| <= 1e-6 * (|fd| + 0.1 * max|fd|): at least 100x above that
// noise, and orders of magnitude below the error of any wrong term (a missing
// mean or variance term, a wrong divisor or index shifts entries by O(0.01..1)).
// Inputs are kept away from kinks (relu, clip, hardswish, hardsigmoid) and max
// pooling uses distinct values (gaps 100x the step) so that L is smooth there.
//
//===----------------------------------------------------------------------===//

#include "runtime/cpu/GradientKernels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

using namespace ffrt;
using namespace ffrt::cpu;

namespace {

using Vec = std::vector<double>;

constexpr double kStep = 1e-5;
constexpr double kRelTol = 1e-6;

Vec randomVec(int64_t n, std::mt19937 &rng, double lo = -1.0, double hi = 1.0) {
  std::uniform_real_distribution<double> dist(lo, hi);
  Vec v(n);
  for (double &e : v)
    e = dist(rng);
  return v;
}

/// Random values in [lo, hi) at least `gap` away from every kink.
Vec randomAwayFrom(int64_t n, std::mt19937 &rng, double lo, double hi,
                   const std::vector<double> &kinks, double gap = 0.02) {
  std::uniform_real_distribution<double> dist(lo, hi);
  Vec v(n);
  for (double &e : v) {
    do
      e = dist(rng);
    while (std::any_of(kinks.begin(), kinks.end(),
                       [&](double k) { return std::abs(e - k) < gap; }));
  }
  return v;
}

/// A preallocated output full of NaN: a kernel must overwrite all of it.
template <typename T = double> std::vector<T> poisoned(int64_t n) {
  return std::vector<T>(n, std::numeric_limits<T>::quiet_NaN());
}

double dot(const Vec &a, const Vec &b) {
  EXPECT_EQ(a.size(), b.size());
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i)
    s += a[i] * b[i];
  return s;
}

/// Central differences of `loss` with respect to every element of `v`.
Vec centralDiff(Vec &v, const std::function<double()> &loss) {
  Vec g(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    const double old = v[i];
    const double up = old + kStep, down = old - kStep;
    v[i] = up;
    const double lp = loss();
    v[i] = down;
    const double lm = loss();
    v[i] = old;
    g[i] = (lp - lm) / (up - down);
  }
  return g;
}

/// Checks an analytic gradient against a finite-difference one.
/// The float kernels' `f` against the double kernels' `d`: within 1e-4 of
/// the larger of 1 and d's largest magnitude.
void expectFloatMatchesDouble(const Vec &d, const std::vector<float> &f, const char *what) {
  ASSERT_EQ(d.size(), f.size()) << what;
  double maxAbs = 0;
  for (double v : d)
    maxAbs = std::max(maxAbs, std::abs(v));
  for (size_t i = 0; i < d.size(); ++i)
    ASSERT_LE(std::abs(d[i] - f[i]), 1e-4 * std::max(1.0, maxAbs))
        << what << "[" << i << "] (float)";
}

void expectGradNear(const std::vector<double> &analytic, const Vec &fd,
                    const char *what) {
  ASSERT_EQ(analytic.size(), fd.size()) << what;
  double maxAbs = 0;
  for (double g : fd)
    maxAbs = std::max(maxAbs, std::abs(g));
  EXPECT_GT(maxAbs, 1e-3) << what << ": the gradient is trivially small";
  int reported = 0;
  for (size_t i = 0; i < fd.size(); ++i) {
    const double tol = kRelTol * (std::abs(fd[i]) + 0.1 * maxAbs);
    if (!(std::abs(analytic[i] - fd[i]) <= tol) && reported++ < 8)
      ADD_FAILURE() << what << "[" << i << "]: analytic " << analytic[i]
                    << " vs finite difference " << fd[i] << " (tol " << tol
                    << ")";
  }
}

Window2D window(int64_t kh, int64_t kw, int64_t sh = 1, int64_t sw = 1,
                int64_t pt = 0, int64_t pl = 0, int64_t pb = 0, int64_t pr = 0,
                int64_t dh = 1, int64_t dw = 1) {
  Window2D w;
  w.kernelH = kh;
  w.kernelW = kw;
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

/// The ff dialect's sliding-window output size (PyTorch/ONNX rule).
int64_t outSize(int64_t in, int64_t k, int64_t s, int64_t pb, int64_t pe,
                int64_t d, bool ceilMode) {
  const int64_t span = in + pb + pe - (d * (k - 1) + 1);
  int64_t out = (ceilMode ? (span + s - 1) / s : span / s) + 1;
  if (ceilMode && (out - 1) * s >= in + pb)
    --out;
  return out;
}

Shape windowedShape(const Shape &x, int64_t channels, const Window2D &w,
                    bool ceilMode) {
  return {x[0], channels,
          outSize(x[2], w.kernelH, w.strideH, w.padTop, w.padBottom,
                  w.dilationH, ceilMode),
          outSize(x[3], w.kernelW, w.strideW, w.padLeft, w.padRight,
                  w.dilationW, ceilMode)};
}

//===--- Naive double forwards --------------------------------------------===//

Vec conv2dRef(const Vec &x, const Shape &xs, const Vec &w, const Shape &ws,
              const Window2D &win, int64_t groups, const Shape &ys) {
  const int64_t n = xs[0], c = xs[1], h = xs[2], wd = xs[3];
  const int64_t o = ws[0], cg = ws[1], kh = ws[2], kw = ws[3];
  const int64_t oh = ys[2], ow = ys[3], og = o / groups;
  (void)c;
  Vec y(numElements(ys), 0.0);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t oc = 0; oc < o; ++oc) {
      const int64_t g = oc / og;
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox) {
          double s = 0;
          for (int64_t ic = 0; ic < cg; ++ic)
            for (int64_t i = 0; i < kh; ++i)
              for (int64_t j = 0; j < kw; ++j) {
                int64_t iy = oy * win.strideH - win.padTop + i * win.dilationH;
                int64_t ix = ox * win.strideW - win.padLeft + j * win.dilationW;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd)
                  continue;
                s += x[((b * xs[1] + g * cg + ic) * h + iy) * wd + ix] *
                     w[((oc * cg + ic) * kh + i) * kw + j];
              }
          y[((b * o + oc) * oh + oy) * ow + ox] = s;
        }
    }
  return y;
}

Vec maxPoolRef(const Vec &x, const Shape &xs, const Window2D &win,
               const Shape &ys) {
  Vec y(numElements(ys));
  const int64_t h = xs[2], w = xs[3], oh = ys[2], ow = ys[3];
  for (int64_t p = 0; p < xs[0] * xs[1]; ++p)
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox) {
        double m = -std::numeric_limits<double>::infinity();
        for (int64_t i = 0; i < win.kernelH; ++i)
          for (int64_t j = 0; j < win.kernelW; ++j) {
            int64_t iy = oy * win.strideH - win.padTop + i * win.dilationH;
            int64_t ix = ox * win.strideW - win.padLeft + j * win.dilationW;
            if (iy >= 0 && iy < h && ix >= 0 && ix < w) // padding never wins
              m = std::max(m, x[(p * h + iy) * w + ix]);
          }
        y[(p * oh + oy) * ow + ox] = m;
      }
  return y;
}

/// Average pooling, counting per tap: with count_include_pad the divisor
/// counts the taps inside the padded input, otherwise those inside the input.
Vec avgPoolRef(const Vec &x, const Shape &xs, const Window2D &win,
               bool countIncludePad, const Shape &ys) {
  Vec y(numElements(ys));
  const int64_t h = xs[2], w = xs[3], oh = ys[2], ow = ys[3];
  for (int64_t p = 0; p < xs[0] * xs[1]; ++p)
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox) {
        double s = 0;
        int64_t valid = 0, paddedRows = 0, paddedCols = 0;
        for (int64_t i = 0; i < win.kernelH; ++i) {
          int64_t iy = oy * win.strideH - win.padTop + i;
          paddedRows += iy >= -win.padTop && iy < h + win.padBottom;
        }
        for (int64_t j = 0; j < win.kernelW; ++j) {
          int64_t ix = ox * win.strideW - win.padLeft + j;
          paddedCols += ix >= -win.padLeft && ix < w + win.padRight;
        }
        for (int64_t i = 0; i < win.kernelH; ++i)
          for (int64_t j = 0; j < win.kernelW; ++j) {
            int64_t iy = oy * win.strideH - win.padTop + i;
            int64_t ix = ox * win.strideW - win.padLeft + j;
            if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
              s += x[(p * h + iy) * w + ix];
              ++valid;
            }
          }
        y[(p * oh + oy) * ow + ox] =
            s / static_cast<double>(countIncludePad ? paddedRows * paddedCols
                                                    : valid);
      }
  return y;
}

Vec batchNormRef(const Vec &x, const Shape &xs, const Vec &scale,
                 const Vec &bias, const Vec &rm, const Vec &rv, double eps,
                 bool training) {
  const int64_t n = xs[0], c = xs[1], s = numElements(xs) / (n * c);
  Vec y(x.size());
  for (int64_t ch = 0; ch < c; ++ch) {
    double mean = rm.empty() ? 0 : rm[ch], var = rv.empty() ? 1 : rv[ch];
    if (training) {
      mean = 0;
      for (int64_t b = 0; b < n; ++b)
        for (int64_t k = 0; k < s; ++k)
          mean += x[(b * c + ch) * s + k];
      mean /= n * s;
      var = 0;
      for (int64_t b = 0; b < n; ++b)
        for (int64_t k = 0; k < s; ++k)
          var += std::pow(x[(b * c + ch) * s + k] - mean, 2);
      var /= n * s;
    }
    for (int64_t b = 0; b < n; ++b)
      for (int64_t k = 0; k < s; ++k) {
        int64_t i = (b * c + ch) * s + k;
        y[i] = scale[ch] * (x[i] - mean) / std::sqrt(var + eps) + bias[ch];
      }
  }
  return y;
}

Vec layerNormRef(const Vec &x, const Shape &xs, int64_t axis, const Vec *scale,
                 const Vec *bias, double eps) {
  if (axis < 0)
    axis += static_cast<int64_t>(xs.size());
  int64_t d = 1;
  for (size_t i = axis; i < xs.size(); ++i)
    d *= xs[i];
  const int64_t rows = numElements(xs) / d;
  Vec y(x.size());
  for (int64_t r = 0; r < rows; ++r) {
    double mean = 0, var = 0;
    for (int64_t k = 0; k < d; ++k)
      mean += x[r * d + k];
    mean /= d;
    for (int64_t k = 0; k < d; ++k)
      var += std::pow(x[r * d + k] - mean, 2);
    var /= d;
    for (int64_t k = 0; k < d; ++k) {
      double v = (x[r * d + k] - mean) / std::sqrt(var + eps);
      if (scale)
        v *= (*scale)[k];
      if (bias)
        v += (*bias)[k];
      y[r * d + k] = v;
    }
  }
  return y;
}

Vec softmaxRef(const Vec &x, const Shape &xs, int64_t axis) {
  if (axis < 0)
    axis += static_cast<int64_t>(xs.size());
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i)
    outer *= xs[i];
  for (size_t i = axis + 1; i < xs.size(); ++i)
    inner *= xs[i];
  const int64_t len = xs[axis];
  Vec y(x.size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k = 0; k < inner; ++k) {
      auto at = [&](int64_t l) { return (o * len + l) * inner + k; };
      double m = -std::numeric_limits<double>::infinity(), sum = 0;
      for (int64_t l = 0; l < len; ++l)
        m = std::max(m, x[at(l)]);
      for (int64_t l = 0; l < len; ++l)
        sum += std::exp(x[at(l)] - m);
      for (int64_t l = 0; l < len; ++l)
        y[at(l)] = std::exp(x[at(l)] - m) / sum;
    }
  return y;
}

Vec goodnessRef(const Vec &x, const Shape &xs, int64_t groups) {
  const int64_t n = xs[0], c = xs[1], s = numElements(xs) / (n * c);
  const int64_t cg = c / groups;
  Vec g(n * groups, 0.0);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t k = 0; k < s; ++k)
        g[b * groups + ch / cg] += std::pow(x[(b * c + ch) * s + k], 2);
  for (double &v : g)
    v /= static_cast<double>(cg * s);
  return g;
}

double marginCrossEntropyRef(const Vec &scores, int64_t n, int64_t k,
                             const std::vector<int32_t> &labels,
                             double margin) {
  double loss = 0;
  for (int64_t i = 0; i < n; ++i) {
    double m = -std::numeric_limits<double>::infinity(), sum = 0;
    auto logit = [&](int64_t j) {
      return scores[i * k + j] + (j == labels[i] ? 0.0 : margin);
    };
    for (int64_t j = 0; j < k; ++j)
      m = std::max(m, logit(j));
    for (int64_t j = 0; j < k; ++j)
      sum += std::exp(logit(j) - m);
    loss += m + std::log(sum) - logit(labels[i]);
  }
  return loss / n;
}

double softplus(double z) { return std::log1p(std::exp(-std::abs(z))) + std::max(z, 0.0); }

//===--- Convolution ------------------------------------------------------===//

struct ConvCase {
  Shape x;
  int64_t outChannels, kh, kw, groups;
  Window2D win;
};

void checkConv(const ConvCase &cc, unsigned seed) {
  std::mt19937 rng(seed);
  const Shape ws = {cc.outChannels, cc.x[1] / cc.groups, cc.kh, cc.kw};
  Window2D win = cc.win;
  win.kernelH = cc.kh;
  win.kernelW = cc.kw;
  const Shape ys = windowedShape(cc.x, cc.outChannels, win, false);
  Vec x = randomVec(numElements(cc.x), rng), w = randomVec(numElements(ws), rng);
  const Vec r = randomVec(numElements(ys), rng);

  auto dx = poisoned(x.size());
  auto dw = poisoned(w.size());
  conv2dGradInput(r.data(), ys, w.data(), ws, win, cc.groups, dx.data(), cc.x);
  conv2dGradWeight(x.data(), cc.x, r.data(), ys, win, cc.groups, dw.data(), ws);

  auto loss = [&] { return dot(r, conv2dRef(x, cc.x, w, ws, win, cc.groups, ys)); };
  expectGradNear(dx, centralDiff(x, loss), "dx");
  expectGradNear(dw, centralDiff(w, loss), "dw");

  // The float kernels (oneDNN's path when the runtime has it, see
  // DnnlConv.h) against the double ones just checked.
  std::vector<float> xf(x.begin(), x.end()), wf(w.begin(), w.end()),
      rf(r.begin(), r.end());
  auto dxf = poisoned<float>(x.size());
  auto dwf = poisoned<float>(w.size());
  for (int call = 0; call < 2; ++call) { // the second call reuses the cache
    conv2dGradInput(rf.data(), ys, wf.data(), ws, win, cc.groups, dxf.data(), cc.x);
    conv2dGradWeight(xf.data(), cc.x, rf.data(), ys, win, cc.groups, dwf.data(), ws);
  }
  expectFloatMatchesDouble(dx, dxf, "dx");
  expectFloatMatchesDouble(dw, dwf, "dw");
}

TEST(ConvGrad, WideChannelsStrideDilationAsymmetric) {
  // >= 16 channels on both sides: oneDNN's blocked layouts with reorders.
  checkConv({{2, 16, 6, 5}, 16, 3, 3, 1, window(3, 3, 2, 1, 1, 0, 0, 1, 1, 2)}, 12);
}

TEST(ConvGrad, Plain3x3Padded) {
  checkConv({{2, 3, 6, 5}, 4, 3, 3, 1, window(3, 3, 1, 1, 1, 1, 1, 1)}, 1);
}

TEST(ConvGrad, GroupsStride2AsymmetricPaddingDilation) {
  checkConv({{2, 4, 7, 8}, 6, 3, 2, 2, window(3, 2, 2, 2, 0, 1, 2, 1, 2, 1)}, 2);
}

TEST(ConvGrad, StrideAndDilationOnBothAxes) {
  checkConv({{1, 3, 9, 8}, 2, 2, 3, 1, window(2, 3, 2, 3, 1, 2, 0, 1, 3, 2)}, 3);
}

TEST(ConvGrad, SingleInputChannelStride2) {
  // A first layer on grey images (one input channel, one group).
  checkConv({{2, 1, 7, 6}, 5, 3, 3, 1, window(3, 3, 2, 2, 1, 1, 1, 0)}, 10);
}

TEST(ConvGrad, DepthwiseWithMultiplierStride2) {
  // groups = C = 4, two output channels per input channel.
  checkConv({{2, 4, 7, 6}, 8, 3, 3, 4, window(3, 3, 2, 2, 1, 0, 2, 1, 2, 1)}, 4);
}

TEST(ConvGrad, DepthwiseAsymmetricPadding) {
  checkConv({{2, 3, 5, 6}, 3, 3, 3, 3, window(3, 3, 1, 1, 1, 0, 0, 2)}, 5);
}

TEST(ConvGrad, Pointwise1x1) {
  // SFF's auxiliary head: 1x1, K outputs.
  checkConv({{3, 5, 4, 4}, 10, 1, 1, 1, window(1, 1)}, 6);
}

TEST(ConvGrad, Pointwise1x1Stride2Padded) {
  checkConv({{2, 4, 5, 5}, 6, 1, 1, 2, window(1, 1, 2, 2, 1, 1, 0, 1)}, 7);
}

TEST(ConvGrad, ManySamplesSpanSeveralChunks) {
  // Large enough that the kernels unfold the batch in several chunks (and a
  // partial last one); checked against the spec's direct sums (the gradient
  // of a linear map needs no finite differences).
  std::mt19937 rng(8);
  const Shape xs = {20, 32, 28, 28}, ws = {4, 32, 3, 3};
  const Window2D win = window(3, 3, 1, 1, 1, 1, 1, 1);
  const Shape ys = windowedShape(xs, 4, win, false);
  Vec x = randomVec(numElements(xs), rng), w = randomVec(numElements(ws), rng);
  Vec dy = randomVec(numElements(ys), rng);
  Vec dxRef(x.size(), 0.0), dwRef(w.size(), 0.0);
  const int64_t c = xs[1], h = xs[2], wd = xs[3], o = ws[0], oh = ys[2],
                ow = ys[3];
  for (int64_t b = 0; b < xs[0]; ++b)
    for (int64_t oc = 0; oc < o; ++oc)
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox) {
          const double g = dy[((b * o + oc) * oh + oy) * ow + ox];
          for (int64_t ic = 0; ic < c; ++ic)
            for (int64_t i = 0; i < 3; ++i)
              for (int64_t j = 0; j < 3; ++j) {
                int64_t iy = oy - 1 + i, ix = ox - 1 + j;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd)
                  continue;
                const int64_t xi = ((b * c + ic) * h + iy) * wd + ix;
                const int64_t wi = ((oc * c + ic) * 3 + i) * 3 + j;
                dxRef[xi] += g * w[wi];
                dwRef[wi] += g * x[xi];
              }
        }
  auto dx = poisoned(x.size());
  auto dw = poisoned(w.size());
  conv2dGradInput(dy.data(), ys, w.data(), ws, win, 1, dx.data(), xs);
  conv2dGradWeight(x.data(), xs, dy.data(), ys, win, 1, dw.data(), ws);
  for (size_t i = 0; i < dx.size(); ++i)
    ASSERT_NEAR(dx[i], dxRef[i], 1e-10 * (1 + std::abs(dxRef[i]))) << i;
  for (size_t i = 0; i < dw.size(); ++i)
    ASSERT_NEAR(dw[i], dwRef[i], 1e-10 * (1 + std::abs(dwRef[i]))) << i;
}

TEST(ConvGrad, FloatAgreesWithDouble) {
  std::mt19937 rng(9);
  const Shape xs = {3, 6, 9, 9}, ws = {8, 3, 3, 3};
  const Window2D win = window(3, 3, 2, 2, 1, 1, 2, 1);
  const Shape ys = windowedShape(xs, 8, win, false);
  const Vec x = randomVec(numElements(xs), rng),
            w = randomVec(numElements(ws), rng),
            dy = randomVec(numElements(ys), rng);
  std::vector<float> xf(x.begin(), x.end()), wf(w.begin(), w.end()),
      dyf(dy.begin(), dy.end());
  auto dx = poisoned(x.size());
  auto dw = poisoned(w.size());
  auto dxf = poisoned<float>(x.size());
  auto dwf = poisoned<float>(w.size());
  conv2dGradInput(dy.data(), ys, w.data(), ws, win, 2, dx.data(), xs);
  conv2dGradWeight(x.data(), xs, dy.data(), ys, win, 2, dw.data(), ws);
  conv2dGradInput(dyf.data(), ys, wf.data(), ws, win, 2, dxf.data(), xs);
  conv2dGradWeight(xf.data(), xs, dyf.data(), ys, win, 2, dwf.data(), ws);
  expectFloatMatchesDouble(dx, dxf, "dx");
  expectFloatMatchesDouble(dw, dwf, "dw");
}

//===--- Elementwise ------------------------------------------------------===//

using Unary = std::function<double(double)>;

/// Checks an elementwise gradient kernel (already bound to its attributes).
void checkElementwise(
    const std::function<void(const double *, const double *, const Shape &,
                             double *)> &kernel,
    const Unary &f, Vec x) {
  std::mt19937 rng(11);
  const Shape shape = {static_cast<int64_t>(x.size()) / 4, 4};
  const Vec r = randomVec(x.size(), rng);
  auto dx = poisoned(x.size());
  kernel(x.data(), r.data(), shape, dx.data());
  auto loss = [&] {
    double s = 0;
    for (size_t i = 0; i < x.size(); ++i)
      s += r[i] * f(x[i]);
    return s;
  };
  expectGradNear(dx, centralDiff(x, loss), "dx");
}

TEST(ElementwiseGrad, Relu) {
  std::mt19937 rng(12);
  checkElementwise(reluGrad<double>, [](double v) { return std::max(v, 0.0); },
                   randomAwayFrom(64, rng, -2, 2, {0.0}));
}

TEST(ElementwiseGrad, Sigmoid) {
  std::mt19937 rng(13);
  checkElementwise(sigmoidGrad<double>,
                   [](double v) { return 1.0 / (1.0 + std::exp(-v)); },
                   randomVec(64, rng, -5, 5));
}

TEST(ElementwiseGrad, HardSwish) {
  std::mt19937 rng(14);
  checkElementwise(
      hardSwishGrad<double>,
      [](double v) { return v * std::min(std::max(v + 3.0, 0.0), 6.0) / 6.0; },
      randomAwayFrom(64, rng, -5, 5, {-3.0, 3.0}));
}

TEST(ElementwiseGrad, HardSigmoidOnnxAndPyTorchSlopes) {
  std::mt19937 rng(15);
  for (auto [alpha, beta] : {std::pair{0.2, 0.5}, std::pair{1.0 / 6.0, 0.5}}) {
    SCOPED_TRACE(alpha);
    const double lo = -beta / alpha, hi = (1 - beta) / alpha;
    checkElementwise(
        [alpha = alpha, beta = beta](const double *x, const double *dy,
                                     const Shape &s, double *dx) {
          hardSigmoidGrad(x, dy, s, alpha, beta, dx);
        },
        [alpha = alpha, beta = beta](double v) {
          return std::max(0.0, std::min(1.0, alpha * v + beta));
        },
        randomAwayFrom(64, rng, lo - 2, hi + 2, {lo, hi}));
  }
}

TEST(ElementwiseGrad, ClipAndRelu6) {
  std::mt19937 rng(16);
  for (auto [mn, mx] : {std::pair{-0.5, 1.5}, std::pair{0.0, 6.0}}) {
    SCOPED_TRACE(mx);
    checkElementwise(
        [mn = mn, mx = mx](const double *x, const double *dy, const Shape &s,
                           double *dx) { clipGrad(x, dy, s, mn, mx, dx); },
        [mn = mn, mx = mx](double v) { return std::min(std::max(v, mn), mx); },
        randomAwayFrom(64, rng, mn - 2, mx + 2, {mn, mx}));
  }
}

TEST(ElementwiseGrad, ConventionsAtTheKinks) {
  const Shape s = {4};
  const double dy[4] = {2, 2, 2, 2};
  double dx[4];
  const double relu[4] = {0.0, -0.0, 1e-300, -1e-300};
  reluGrad(relu, dy, s, dx);
  EXPECT_EQ(dx[0], 0.0); // relu'(0) = 0
  EXPECT_EQ(dx[1], 0.0);
  EXPECT_EQ(dx[2], 2.0);
  EXPECT_EQ(dx[3], 0.0);
  // PyTorch's hardswish: 0 below -3, (2x+3)/6 on [-3, 3], 1 above 3.
  const double hs[4] = {-3.0, 3.0, -3.0001, 3.0001};
  hardSwishGrad(hs, dy, s, dx);
  EXPECT_DOUBLE_EQ(dx[0], 2 * -0.5);
  EXPECT_DOUBLE_EQ(dx[1], 2 * 1.5);
  EXPECT_EQ(dx[2], 0.0);
  EXPECT_EQ(dx[3], 2.0);
  // clip: zero at both bounds (and outside), dy strictly inside.
  const double cl[4] = {0.0, 6.0, 3.0, 7.0};
  clipGrad(cl, dy, s, 0.0, 6.0, dx);
  EXPECT_EQ(dx[0], 0.0);
  EXPECT_EQ(dx[1], 0.0);
  EXPECT_EQ(dx[2], 2.0);
  EXPECT_EQ(dx[3], 0.0);
  // hardsigmoid: alpha strictly inside 0 < alpha x + beta < 1.
  const double hsig[4] = {-2.5, 2.5, 0.0, 3.0};
  hardSigmoidGrad(hsig, dy, s, 0.2, 0.5, dx);
  EXPECT_EQ(dx[0], 0.0);
  EXPECT_EQ(dx[1], 0.0);
  EXPECT_DOUBLE_EQ(dx[2], 2 * 0.2);
  EXPECT_EQ(dx[3], 0.0);
}

//===--- Softmax ----------------------------------------------------------===//

void checkSoftmax(const Shape &shape, int64_t axis, unsigned seed) {
  std::mt19937 rng(seed);
  Vec x = randomVec(numElements(shape), rng, -2, 2);
  const Vec r = randomVec(x.size(), rng);
  const Vec y = softmaxRef(x, shape, axis);
  auto dx = poisoned(x.size());
  softmaxGrad(y.data(), r.data(), shape, axis, dx.data());
  expectGradNear(dx,
                 centralDiff(x, [&] { return dot(r, softmaxRef(x, shape, axis)); }),
                 "dx");
}

TEST(SoftmaxGrad, MiddleAxis) { checkSoftmax({2, 5, 3}, 1, 21); }
TEST(SoftmaxGrad, LastAxisNegative) { checkSoftmax({3, 2, 4}, -1, 22); }
TEST(SoftmaxGrad, FirstAxisOfMatrix) { checkSoftmax({6, 3}, 0, 23); }

//===--- Pooling ----------------------------------------------------------===//

/// Distinct values, 0.05 apart (5000x the step), shuffled, in [lo, ...).
Vec distinctValues(int64_t n, std::mt19937 &rng, double lo) {
  Vec v(n);
  for (int64_t i = 0; i < n; ++i)
    v[i] = lo + 0.05 * static_cast<double>(i);
  std::shuffle(v.begin(), v.end(), rng);
  return v;
}

void checkMaxPool(const Shape &xs, const Window2D &win, bool ceilMode,
                  double lo, unsigned seed) {
  std::mt19937 rng(seed);
  const Shape ys = windowedShape(xs, xs[1], win, ceilMode);
  Vec x = distinctValues(numElements(xs), rng, lo);
  const Vec r = randomVec(numElements(ys), rng);
  auto dx = poisoned(x.size());
  maxPool2dGrad(x.data(), xs, r.data(), ys, win, ceilMode, dx.data());
  expectGradNear(dx,
                 centralDiff(x, [&] { return dot(r, maxPoolRef(x, xs, win, ys)); }),
                 "dx");
}

TEST(MaxPoolGrad, Kernel2Stride2) {
  checkMaxPool({2, 3, 6, 6}, window(2, 2, 2, 2), false, -3.0, 31);
}

TEST(MaxPoolGrad, PaddedCeilModeAllNegative) {
  // Every value is negative: a zero padding that "won" would show.
  const Window2D win = window(3, 3, 2, 2, 1, 1, 1, 1);
  ASSERT_EQ(outSize(6, 3, 2, 1, 1, 1, true), 4); // ceil adds a window
  ASSERT_EQ(outSize(6, 3, 2, 1, 1, 1, false), 3);
  checkMaxPool({2, 2, 6, 7}, win, true, -20.0, 32);
}

TEST(MaxPoolGrad, AsymmetricPaddingDilationCeil) {
  checkMaxPool({1, 3, 7, 8}, window(3, 2, 2, 1, 1, 0, 1, 1, 1, 2), true, -2.0,
               33);
}

TEST(MaxPoolGrad, OverlappingWindowsRouteToFirstMaxOnTies) {
  // A constant plane: every window's gradient goes to its first element.
  const Shape xs = {1, 1, 3, 3}, ys = {1, 1, 2, 2};
  const Vec x(9, 1.0);
  const Vec dy = {1, 10, 100, 1000};
  auto dx = poisoned(9);
  maxPool2dGrad(x.data(), xs, dy.data(), ys, window(2, 2), false, dx.data());
  const Vec expected = {1, 10, 0, 100, 1000, 0, 0, 0, 0};
  for (int i = 0; i < 9; ++i)
    EXPECT_EQ(dx[i], expected[i]) << i;
}

// The float 2x2 / stride-2 path (8 columns at a time where the CPU has AVX2)
// routes exactly as the double loop does, ties included: ReLU outputs are
// mostly zeros, so whole windows tie. Widths with and without a tail of
// windows, an odd height and width (the last row and column are in no
// window and get 0).
TEST(MaxPoolGrad, FloatTwoByTwoTiesLikeDouble) {
  std::mt19937 rng(35);
  std::uniform_int_distribution<int> pick(0, 5);
  const double levels[6] = {0, 0, 0, 0, 1.5, -2};
  for (const Shape &xs : {Shape{2, 3, 8, 16}, Shape{1, 2, 7, 29}, Shape{2, 2, 28, 28}}) {
    const Shape ys = windowedShape(xs, xs[1], window(2, 2, 2, 2), false);
    Vec x(size_t(numElements(xs))), dy(size_t(numElements(ys)));
    for (double &v : x)
      v = levels[pick(rng)];
    for (size_t i = 0; i < dy.size(); ++i)
      dy[i] = 1.0 + double(i); // distinct: a misrouted value shows
    Vec dxRef(x.size(), 7.0);
    maxPool2dGrad(x.data(), xs, dy.data(), ys, window(2, 2, 2, 2), false, dxRef.data());
    std::vector<float> xf(x.begin(), x.end()), dyf(dy.begin(), dy.end()),
        dxf(x.size(), 7.0f);
    maxPool2dGrad(xf.data(), xs, dyf.data(), ys, window(2, 2, 2, 2), false, dxf.data());
    for (size_t i = 0; i < x.size(); ++i)
      ASSERT_EQ(double(dxf[i]), dxRef[i]) << "element " << i << " of a " << xs[2] << "x" << xs[3] << " plane";
  }
}

void checkAvgPool(const Shape &xs, const Window2D &win, bool ceilMode,
                  bool includePad, unsigned seed) {
  std::mt19937 rng(seed);
  const Shape ys = windowedShape(xs, xs[1], win, ceilMode);
  Vec x = randomVec(numElements(xs), rng);
  const Vec r = randomVec(numElements(ys), rng);
  auto dx = poisoned(x.size());
  avgPool2dGrad(r.data(), ys, win, ceilMode, includePad, dx.data(), xs);
  expectGradNear(
      dx,
      centralDiff(x, [&] { return dot(r, avgPoolRef(x, xs, win, includePad, ys)); }),
      "dx");
}

TEST(AvgPoolGrad, Kernel2Stride2) {
  checkAvgPool({2, 3, 6, 6}, window(2, 2, 2, 2), false, false, 41);
}

TEST(AvgPoolGrad, PaddedCeilModeExcludePad) {
  checkAvgPool({2, 2, 6, 7}, window(3, 3, 2, 2, 1, 1, 1, 1), true, false, 42);
}

TEST(AvgPoolGrad, PaddedCeilModeIncludePad) {
  // The last ceil-mode window overhangs the padded input: its divisor counts
  // only the taps inside the padded input (PyTorch's rule).
  checkAvgPool({2, 2, 6, 7}, window(3, 3, 2, 2, 1, 1, 1, 1), true, true, 43);
}

TEST(AvgPoolGrad, AsymmetricPaddingIncludePad) {
  checkAvgPool({1, 3, 5, 6}, window(3, 2, 1, 2, 0, 1, 2, 0), false, true, 44);
}

TEST(AvgPoolGrad, DivisorOfAnOverhangingCeilWindow) {
  // 1x1x4x4, kernel 3, stride 2, padding 1, ceil_mode: windows start at -1
  // and 1; 3 outputs per axis, the last starts at 3 and covers 3..5 of which
  // only 3..4 lie in the padded input [-1, 5): divisor 2 per axis with
  // count_include_pad (PyTorch gives 1/4 for the corner), 1 without.
  const Shape xs = {1, 1, 4, 4}, ys = {1, 1, 3, 3};
  ASSERT_EQ(outSize(4, 3, 2, 1, 1, 1, true), 3);
  Vec dy(9, 0.0);
  dy[8] = 1.0; // the bottom-right output only
  auto dx = poisoned(16);
  avgPool2dGrad(dy.data(), ys, window(3, 3, 2, 2, 1, 1, 1, 1), true, true,
                dx.data(), xs);
  EXPECT_DOUBLE_EQ(dx[15], 0.25);
  EXPECT_DOUBLE_EQ(dx[0], 0.0);
  avgPool2dGrad(dy.data(), ys, window(3, 3, 2, 2, 1, 1, 1, 1), true, false,
                dx.data(), xs);
  EXPECT_DOUBLE_EQ(dx[15], 1.0);
}

//===--- Batch norm -------------------------------------------------------===//

void checkBatchNorm(const Shape &xs, bool training, unsigned seed) {
  std::mt19937 rng(seed);
  const int64_t c = xs[1];
  const double eps = 1e-5;
  Vec x = randomVec(numElements(xs), rng, -2, 3);
  Vec scale = randomVec(c, rng, 0.5, 1.5), bias = randomVec(c, rng);
  const Vec rm = randomVec(c, rng), rv = randomVec(c, rng, 0.5, 2.0);
  const Vec r = randomVec(x.size(), rng);
  auto dx = poisoned(x.size());
  auto ds = poisoned(c);
  auto db = poisoned(c);
  batchNormGrad(x.data(), xs, r.data(), scale.data(),
                training ? nullptr : rm.data(), training ? nullptr : rv.data(),
                eps, training, dx.data(), ds.data(), db.data());
  auto loss = [&] {
    return dot(r, batchNormRef(x, xs, scale, bias, rm, rv, eps, training));
  };
  expectGradNear(dx, centralDiff(x, loss), "dx");
  expectGradNear(ds, centralDiff(scale, loss), "dscale");
  expectGradNear(db, centralDiff(bias, loss), "dbias");

  // Optional outputs: each alone gives the same values.
  auto dsOnly = poisoned(c);
  auto dxOnly = poisoned(x.size());
  batchNormGrad(x.data(), xs, r.data(), scale.data(), rm.data(), rv.data(), eps,
                training, nullptr, dsOnly.data(), nullptr);
  batchNormGrad(x.data(), xs, r.data(), scale.data(), rm.data(), rv.data(), eps,
                training, dxOnly.data(), nullptr, nullptr);
  EXPECT_EQ(dsOnly, ds);
  EXPECT_EQ(dxOnly, dx);

  // A fused relu mask: the same as masking the gradient first.
  const Vec mask = randomVec(x.size(), rng, -1, 1);
  Vec masked(r.size());
  for (size_t i = 0; i < r.size(); ++i)
    masked[i] = mask[i] > 0 ? r[i] : 0;
  auto dxMasked = poisoned(x.size()), dxRef = poisoned(x.size());
  auto dsMasked = poisoned(c), dsRef = poisoned(c);
  auto dbMasked = poisoned(c), dbRef = poisoned(c);
  batchNormGrad(x.data(), xs, r.data(), scale.data(), rm.data(), rv.data(), eps, training,
                dxMasked.data(), dsMasked.data(), dbMasked.data(), mask.data());
  batchNormGrad(x.data(), xs, masked.data(), scale.data(), rm.data(), rv.data(), eps,
                training, dxRef.data(), dsRef.data(), dbRef.data());
  EXPECT_EQ(dxMasked, dxRef);
  EXPECT_EQ(dsMasked, dsRef);
  EXPECT_EQ(dbMasked, dbRef);
  EXPECT_NE(dbMasked, db);
}

TEST(BatchNormGrad, TrainingSpatial) { checkBatchNorm({4, 3, 2, 3}, true, 51); }
TEST(BatchNormGrad, TrainingMatrix) { checkBatchNorm({6, 5}, true, 52); }
TEST(BatchNormGrad, InferenceSpatial) { checkBatchNorm({3, 4, 3, 2}, false, 53); }

//===--- Layer norm -------------------------------------------------------===//

void checkLayerNorm(const Shape &xs, int64_t axis, bool hasScale, bool hasBias,
                    unsigned seed) {
  std::mt19937 rng(seed);
  const double eps = 1e-5;
  const int64_t a = axis < 0 ? axis + static_cast<int64_t>(xs.size()) : axis;
  int64_t d = 1;
  for (size_t i = a; i < xs.size(); ++i)
    d *= xs[i];
  Vec x = randomVec(numElements(xs), rng, -2, 3);
  Vec scale = randomVec(d, rng, 0.5, 1.5), bias = randomVec(d, rng);
  const Vec r = randomVec(x.size(), rng);
  auto dx = poisoned(x.size());
  auto ds = poisoned(d);
  auto db = poisoned(d);
  layerNormGrad(x.data(), xs, r.data(), hasScale ? scale.data() : nullptr, axis,
                eps, dx.data(), hasScale ? ds.data() : nullptr,
                hasBias ? db.data() : nullptr);
  auto loss = [&] {
    return dot(r, layerNormRef(x, xs, axis, hasScale ? &scale : nullptr,
                               hasBias ? &bias : nullptr, eps));
  };
  expectGradNear(dx, centralDiff(x, loss), "dx");
  if (hasScale)
    expectGradNear(ds, centralDiff(scale, loss), "dscale");
  if (hasBias)
    expectGradNear(db, centralDiff(bias, loss), "dbias");
}

TEST(LayerNormGrad, SffInterBlockNoAffine) {
  checkLayerNorm({3, 4, 2, 3}, 1, false, false, 61);
}
TEST(LayerNormGrad, ScaleAndBias) {
  checkLayerNorm({3, 4, 2, 3}, 2, true, true, 62);
}
TEST(LayerNormGrad, ScaleOnlyLastAxisNegative) {
  checkLayerNorm({2, 3, 5}, -1, true, false, 63);
}
TEST(LayerNormGrad, BiasOnly) { checkLayerNorm({4, 6}, 1, false, true, 64); }

//===--- Goodness ---------------------------------------------------------===//

void checkGoodness(const Shape &xs, int64_t groups, unsigned seed) {
  std::mt19937 rng(seed);
  Vec x = randomVec(numElements(xs), rng, -2, 2);
  const Vec r = randomVec(xs[0] * groups, rng);
  auto dx = poisoned(x.size());
  goodnessGrad(x.data(), xs, r.data(), groups, dx.data());
  expectGradNear(
      dx, centralDiff(x, [&] { return dot(r, goodnessRef(x, xs, groups)); }),
      "dx");
}

TEST(GoodnessGrad, OneGroupPerChannel) { checkGoodness({3, 4, 2, 3}, 4, 71); }
TEST(GoodnessGrad, FewerGroupsThanChannels) {
  checkGoodness({3, 6, 3, 2}, 2, 72);
}
TEST(GoodnessGrad, NoSpatialDims) { checkGoodness({4, 6}, 3, 73); }

//===--- Losses -----------------------------------------------------------===//

void checkMarginCe(double margin, unsigned seed) {
  std::mt19937 rng(seed);
  const int64_t n = 5, k = 4;
  Vec s = randomVec(n * k, rng, -2, 2);
  std::vector<int32_t> labels(n);
  for (int64_t i = 0; i < n; ++i)
    labels[i] = static_cast<int32_t>(rng() % k);
  auto ds = poisoned(s.size());
  ASSERT_TRUE(marginCrossEntropyGrad(s.data(), {n, k}, labels.data(), margin,
                                     ds.data()));
  expectGradNear(
      ds,
      centralDiff(s, [&] { return marginCrossEntropyRef(s, n, k, labels, margin); }),
      "dscores");
}

TEST(MarginCrossEntropyGrad, MarginZero) { checkMarginCe(0.0, 81); }
TEST(MarginCrossEntropyGrad, MarginOne) { checkMarginCe(1.0, 82); }

TEST(MarginCrossEntropyGrad, RejectsLabelsOutOfRange) {
  const Vec s(6, 0.0);
  Vec ds(6, 7.0);
  const int32_t tooBig[2] = {0, 3}, negative[2] = {-1, 1};
  EXPECT_FALSE(marginCrossEntropyGrad(s.data(), {2, 3}, tooBig, 0.0, ds.data()));
  EXPECT_FALSE(
      marginCrossEntropyGrad(s.data(), {2, 3}, negative, 0.0, ds.data()));
  for (double v : ds)
    EXPECT_EQ(v, 7.0); // untouched
}

TEST(ThresholdLossGrad, BothSides) {
  std::mt19937 rng(91);
  const Shape shape = {6, 1};
  const double theta = 2.0;
  Vec pos = randomVec(6, rng, 0, 4), neg = randomVec(6, rng, 0, 4);
  auto dp = poisoned(6);
  auto dn = poisoned(6);
  thresholdLossGrad(pos.data(), neg.data(), shape, theta, dp.data(), dn.data());
  auto loss = [&] {
    double l = 0;
    for (int i = 0; i < 6; ++i)
      l += softplus(theta - pos[i]) + softplus(neg[i] - theta);
    return l / 6;
  };
  expectGradNear(dp, centralDiff(pos, loss), "dpositive");
  expectGradNear(dn, centralDiff(neg, loss), "dnegative");
  auto dnOnly = poisoned(6);
  thresholdLossGrad(pos.data(), neg.data(), shape, theta, nullptr,
                    dnOnly.data());
  EXPECT_EQ(dnOnly, dn);
}

} // namespace
