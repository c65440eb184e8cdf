//===- conv_bench.cpp - ffc's conv kernels against oneDNN, per shape ------===//
//
// Times forward convolution, grad-input and grad-weight for the convolution
// shapes of cnn4 (batch 128, 1x28x28) and resnet18 with the CIFAR stem
// (batch 64, 3x32x32), on T threads (default 2), for:
//   ffc     the runtime's kernels (runtime/cpu: im2col + OpenBLAS sgemm, OpenMP
//           over the batch);
//   plain   oneDNN primitives on NCHW / OIHW memory, nothing reordered (what
//           the runtime can call on its own tensors);
//   any+r   oneDNN primitives on the formats it prefers (format_tag::any),
//           with the reorders from and to NCHW counted in the time;
//   any     the same primitives without the reorders (a lower bound that only
//           a runtime keeping blocked layouts end to end could reach).
// The variants run interleaved (A B C D A B C D ...), `--reps` rounds after
// one warm-up, and the median of each is printed in ms per call, with the
// ratio ffc / best oneDNN variant that works on NCHW tensors (plain, any+r).
//
//   build/bin/ffrt-conv-bench [--threads=2] [--reps=9] [--only=REGEX]
//
//===----------------------------------------------------------------------===//
#include "runtime/cpu/ForwardKernels.h"
#include "runtime/cpu/GradientKernels.h"

#include <dnnl.hpp>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <regex>
#include <string>
#include <vector>

extern "C" void openblas_set_num_threads(int);

namespace {

using ffrt::Shape;
using ffrt::Window2D;
using Clock = std::chrono::steady_clock;

struct Case {
  const char *name;
  int64_t n, c, h, w, o, k, stride, pad;
  int64_t oh() const { return (h + 2 * pad - k) / stride + 1; }
  int64_t ow() const { return (w + 2 * pad - k) / stride + 1; }
};

const Case kCases[] = {
    // cnn4, batch 128: conv3x3 pad 1 at 28/28/14/7, SFF heads 1x1 -> 10.
    {"cnn4.c1 1->32 28", 128, 1, 28, 28, 32, 3, 1, 1},
    {"cnn4.c2 32->64 28", 128, 32, 28, 28, 64, 3, 1, 1},
    {"cnn4.c3 64->128 14", 128, 64, 14, 14, 128, 3, 1, 1},
    {"cnn4.c4 128->256 7", 128, 128, 7, 7, 256, 3, 1, 1},
    {"cnn4.h1 32->10 28 1x1", 128, 32, 28, 28, 10, 1, 1, 0},
    {"cnn4.h2 64->10 14 1x1", 128, 64, 14, 14, 10, 1, 1, 0},
    // resnet18, CIFAR stem, batch 64.
    {"r18.stem 3->64 32", 64, 3, 32, 32, 64, 3, 1, 1},
    {"r18.l1 64->64 32", 64, 64, 32, 32, 64, 3, 1, 1},
    {"r18.l2a 64->128 s2", 64, 64, 32, 32, 128, 3, 2, 1},
    {"r18.l2 128->128 16", 64, 128, 16, 16, 128, 3, 1, 1},
    {"r18.l2ds 64->128 1x1s2", 64, 64, 32, 32, 128, 1, 2, 0},
    {"r18.l3a 128->256 s2", 64, 128, 16, 16, 256, 3, 2, 1},
    {"r18.l3 256->256 8", 64, 256, 8, 8, 256, 3, 1, 1},
    {"r18.l4a 256->512 s2", 64, 256, 8, 8, 512, 3, 2, 1},
    {"r18.l4 512->512 4", 64, 512, 4, 4, 512, 3, 1, 1},
    {"r18.h1 64->10 32 1x1", 64, 64, 32, 32, 10, 1, 1, 0},
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double maxRelDiff(const std::vector<float> &a, const std::vector<float> &b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num = std::max(num, double(std::fabs(a[i] - b[i])));
    den = std::max(den, double(std::fabs(b[i])));
  }
  return den > 0 ? num / den : num;
}

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

/// oneDNN forward / backward-data / backward-weights primitives for one case,
/// either on plain (nchw / oihw) memory or on the formats oneDNN prefers.
struct DnnlConv {
  engine eng{engine::kind::cpu, 0};
  stream strm{eng};
  bool plain;
  memory::desc xUser, wUser, yUser;
  convolution_forward::primitive_desc fwdPd;
  convolution_backward_data::primitive_desc bwdDPd;
  convolution_backward_weights::primitive_desc bwdWPd;
  convolution_forward fwd;
  convolution_backward_data bwdD;
  convolution_backward_weights bwdW;
  // Primitive-side memories (the user ones when plain or when formats agree).
  memory fx, fw, fy, dDy, dW, dDx, wX, wDy, wDw;

  DnnlConv(const Case &cs, bool plainFormats) : plain(plainFormats) {
    memory::dims xd{cs.n, cs.c, cs.h, cs.w}, wd{cs.o, cs.c, cs.k, cs.k},
        yd{cs.n, cs.o, cs.oh(), cs.ow()};
    memory::dims strides{cs.stride, cs.stride}, dil{0, 0}, pad{cs.pad, cs.pad};
    xUser = memory::desc(xd, dt::f32, tag::nchw);
    wUser = memory::desc(wd, dt::f32, tag::oihw);
    yUser = memory::desc(yd, dt::f32, tag::nchw);
    memory::desc x = plain ? xUser : memory::desc(xd, dt::f32, tag::any);
    memory::desc w = plain ? wUser : memory::desc(wd, dt::f32, tag::any);
    memory::desc y = plain ? yUser : memory::desc(yd, dt::f32, tag::any);
    fwdPd = convolution_forward::primitive_desc(
        convolution_forward::desc(prop_kind::forward_training,
                                  algorithm::convolution_direct, x, w, y,
                                  strides, dil, pad, pad),
        eng);
    bwdDPd = convolution_backward_data::primitive_desc(
        convolution_backward_data::desc(algorithm::convolution_direct, x, w, y,
                                        strides, dil, pad, pad),
        eng, fwdPd);
    bwdWPd = convolution_backward_weights::primitive_desc(
        convolution_backward_weights::desc(algorithm::convolution_direct, x, w,
                                           y, strides, dil, pad, pad),
        eng, fwdPd);
    fwd = convolution_forward(fwdPd);
    bwdD = convolution_backward_data(bwdDPd);
    bwdW = convolution_backward_weights(bwdWPd);
    fx = memory(fwdPd.src_desc(), eng);
    fw = memory(fwdPd.weights_desc(), eng);
    fy = memory(fwdPd.dst_desc(), eng);
    dDy = memory(bwdDPd.diff_dst_desc(), eng);
    dW = memory(bwdDPd.weights_desc(), eng);
    dDx = memory(bwdDPd.diff_src_desc(), eng);
    wX = memory(bwdWPd.src_desc(), eng);
    wDy = memory(bwdWPd.diff_dst_desc(), eng);
    wDw = memory(bwdWPd.diff_weights_desc(), eng);
  }

  std::string impls() const {
    return std::string(fwdPd.impl_info_str()) + " | " +
           bwdDPd.impl_info_str() + " | " + bwdWPd.impl_info_str();
  }

  /// Makes primitive memory `m` hold the user (plain) data: the user pointer
  /// itself when the formats agree, else a reorder into m's own buffer.
  void in(const memory::desc &userMd, float *user, memory &m) {
    if (userMd == m.get_desc()) {
      m.set_data_handle(user);
      return;
    }
    memory u(userMd, eng, user);
    reorder(u, m).execute(strm, u, m);
  }
  /// Before the primitive: a result whose format is the user's is written in
  /// place. Returns whether a reorder is needed afterwards.
  bool bindOut(const memory::desc &userMd, float *user, memory &m) {
    if (userMd == m.get_desc()) {
      m.set_data_handle(user);
      return false;
    }
    return true;
  }
  void out(memory &m, const memory::desc &userMd, float *user) {
    memory u(userMd, eng, user);
    reorder(m, u).execute(strm, m, u);
  }

  // withReorders: user NCHW in, user NCHW out (plain: straight on the user
  // pointers). Otherwise: only the primitive, on its own memories.
  void forward(float *x, float *w, float *y, bool withReorders) {
    if (plain) {
      memory mx(xUser, eng, x), mw(wUser, eng, w), my(yUser, eng, y);
      fwd.execute(strm, {{DNNL_ARG_SRC, mx}, {DNNL_ARG_WEIGHTS, mw},
                         {DNNL_ARG_DST, my}});
    } else {
      if (withReorders) {
        in(xUser, x, fx);
        in(wUser, w, fw);
      }
      bool reorderOut = withReorders && bindOut(yUser, y, fy);
      fwd.execute(strm, {{DNNL_ARG_SRC, fx}, {DNNL_ARG_WEIGHTS, fw},
                         {DNNL_ARG_DST, fy}});
      if (withReorders && reorderOut)
        out(fy, yUser, y);
    }
    strm.wait();
  }
  void gradInput(float *dy, float *w, float *dx, bool withReorders) {
    if (plain) {
      memory mdy(yUser, eng, dy), mw(wUser, eng, w), mdx(xUser, eng, dx);
      bwdD.execute(strm, {{DNNL_ARG_DIFF_DST, mdy}, {DNNL_ARG_WEIGHTS, mw},
                          {DNNL_ARG_DIFF_SRC, mdx}});
    } else {
      if (withReorders) {
        in(yUser, dy, dDy);
        in(wUser, w, dW);
      }
      bool reorderOut = withReorders && bindOut(xUser, dx, dDx);
      bwdD.execute(strm, {{DNNL_ARG_DIFF_DST, dDy}, {DNNL_ARG_WEIGHTS, dW},
                          {DNNL_ARG_DIFF_SRC, dDx}});
      if (withReorders && reorderOut)
        out(dDx, xUser, dx);
    }
    strm.wait();
  }
  void gradWeight(float *x, float *dy, float *dw, bool withReorders) {
    if (plain) {
      memory mx(xUser, eng, x), mdy(yUser, eng, dy), mdw(wUser, eng, dw);
      bwdW.execute(strm, {{DNNL_ARG_SRC, mx}, {DNNL_ARG_DIFF_DST, mdy},
                          {DNNL_ARG_DIFF_WEIGHTS, mdw}});
    } else {
      if (withReorders) {
        in(xUser, x, wX);
        in(yUser, dy, wDy);
      }
      bool reorderOut = withReorders && bindOut(wUser, dw, wDw);
      bwdW.execute(strm, {{DNNL_ARG_SRC, wX}, {DNNL_ARG_DIFF_DST, wDy},
                          {DNNL_ARG_DIFF_WEIGHTS, wDw}});
      if (withReorders && reorderOut)
        out(wDw, wUser, dw);
    }
    strm.wait();
  }
};

} // namespace

int main(int argc, char **argv) {
  int threads = 2, reps = 9;
  std::string only = ".";
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--threads=", 0) == 0)
      threads = std::atoi(a.c_str() + 10);
    else if (a.rfind("--reps=", 0) == 0)
      reps = std::atoi(a.c_str() + 7);
    else if (a.rfind("--only=", 0) == 0)
      only = a.substr(7);
    else if (a == "-v")
      verbose = true;
    else {
      std::fprintf(stderr,
                   "usage: %s [--threads=2] [--reps=9] [--only=REGEX] [-v]\n",
                   argv[0]);
      return 2;
    }
  }
  // The "ffc" column is the runtime's own kernels, whatever the build's
  // default (DnnlConv.h).
  setenv("FFRT_CONV", "blas", 1);
  omp_set_num_threads(threads);
  openblas_set_num_threads(1);
  std::regex filter(only);

  std::printf("threads=%d reps=%d (median ms per call; ratio = ffc / best of "
              "oneDNN plain and any+reorders; >1: oneDNN faster)\n",
              threads, reps);
  std::printf("| case | op | ffc | dnnl plain | dnnl any+r | dnnl any | ratio |\n"
              "|---|---|---|---|---|---|---|\n");
  std::mt19937 gen(1);
  std::uniform_real_distribution<float> uni(-1.f, 1.f);
  for (const Case &cs : kCases) {
    if (!std::regex_search(cs.name, filter))
      continue;
    Shape xs{cs.n, cs.c, cs.h, cs.w}, ws{cs.o, cs.c, cs.k, cs.k},
        ys{cs.n, cs.o, cs.oh(), cs.ow()};
    Window2D win;
    win.kernelH = win.kernelW = cs.k;
    win.strideH = win.strideW = cs.stride;
    win.padTop = win.padLeft = win.padBottom = win.padRight = cs.pad;
    auto fill = [&](std::vector<float> &v, const Shape &s) {
      v.resize(size_t(ffrt::numElements(s)));
      for (float &e : v)
        e = uni(gen);
    };
    std::vector<float> x, w, dy, y0, y1, dx0, dx1, dw0, dw1;
    fill(x, xs);
    fill(w, ws);
    fill(dy, ys);
    y0.resize(dy.size());
    y1.resize(dy.size());
    dx0.resize(x.size());
    dx1.resize(x.size());
    dw0.resize(w.size());
    dw1.resize(w.size());
    DnnlConv plainConv(cs, true), anyConv(cs, false);
    if (verbose)
      std::printf("  %s plain: %s\n  %s any: %s\n", cs.name,
                  plainConv.impls().c_str(), cs.name, anyConv.impls().c_str());

    struct Op {
      const char *name;
      std::function<void()> ffc, plain, anyR, any;
      std::vector<float> *ref, *got;
    };
    Op ops[] = {
        {"fwd",
         [&] {
           ffrt::cpu::conv2d<float>(x.data(), xs, w.data(), ws, nullptr, win, 1,
                                    y0.data(), ys);
         },
         [&] { plainConv.forward(x.data(), w.data(), y1.data(), true); },
         [&] { anyConv.forward(x.data(), w.data(), y1.data(), true); },
         [&] { anyConv.forward(x.data(), w.data(), y1.data(), false); }, &y0,
         &y1},
        {"grad_in",
         [&] {
           ffrt::cpu::conv2dGradInput<float>(dy.data(), ys, w.data(), ws, win,
                                             1, dx0.data(), xs);
         },
         [&] { plainConv.gradInput(dy.data(), w.data(), dx1.data(), true); },
         [&] { anyConv.gradInput(dy.data(), w.data(), dx1.data(), true); },
         [&] { anyConv.gradInput(dy.data(), w.data(), dx1.data(), false); },
         &dx0, &dx1},
        {"grad_w",
         [&] {
           ffrt::cpu::conv2dGradWeight<float>(x.data(), xs, dy.data(), ys, win,
                                              1, dw0.data(), ws);
         },
         [&] { plainConv.gradWeight(x.data(), dy.data(), dw1.data(), true); },
         [&] { anyConv.gradWeight(x.data(), dy.data(), dw1.data(), true); },
         [&] { anyConv.gradWeight(x.data(), dy.data(), dw1.data(), false); },
         &dw0, &dw1},
    };
    for (Op &op : ops) {
      // Correctness first (both oneDNN variants against ffc).
      op.ffc();
      op.plain();
      double errPlain = maxRelDiff(*op.got, *op.ref);
      op.anyR();
      double errAny = maxRelDiff(*op.got, *op.ref);
      op.any();
      std::vector<double> t[4];
      std::function<void()> *fns[4] = {&op.ffc, &op.plain, &op.anyR, &op.any};
      for (int r = 0; r < reps; ++r)
        for (int v = 0; v < 4; ++v) {
          auto t0 = Clock::now();
          (*fns[v])();
          t[v].push_back(
              std::chrono::duration<double, std::milli>(Clock::now() - t0)
                  .count());
        }
      double m[4];
      for (int v = 0; v < 4; ++v)
        m[v] = median(t[v]);
      std::printf("| %s | %s | %.3f | %.3f | %.3f | %.3f | %.2f |%s\n", cs.name,
                  op.name, m[0], m[1], m[2], m[3], m[0] / std::min(m[1], m[2]),
                  (errPlain > 1e-4 || errAny > 1e-4) ? " MISMATCH" : "");
      std::fflush(stdout);
    }
  }
  return 0;
}
