//===- DnnlConv.cpp - float convolutions through oneDNN -------------------===//
//
// See DnnlConv.h. One cache entry per (op, shapes, window, groups, bias,
// threads): the primitive, the reorders between the user's plain layout and
// the primitive's, and the sizes of the intermediate buffers. Those buffers
// (reordered operands, oneDNN's scratchpad) are shared by all entries and only
// grow, so that the memory held is that of the largest convolution, not the
// sum over shapes. Calls are serialised by one mutex (the executor runs one
// op at a time; the kernels themselves are parallel).
//
// Layout choice (bench/conv_bench.cpp, bench/README.md): oneDNN's blocked
// formats with reorders in the call beat its plain-NCHW (gemm) kernels on
// every 3x3 convolution with >= 16 channels on both sides, by 1.2-2x; the
// plain kernels win where a side is narrow (1 or 3 input channels, the SFF
// heads' 10 outputs) for the forward and grad-input, and for 1x1 grad-input.
// Grouped convolutions use the blocked formats (oneDNN's depthwise kernels).
//
//===----------------------------------------------------------------------===//
#include "runtime/cpu/DnnlConv.h"

#include <cstdlib>
#include <cstring>

#ifdef FFRT_HAVE_DNNL

#include <oneapi/dnnl/dnnl.hpp>

#include <array>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace ffrt::cpu::dnnl_conv {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

enum class Kind { Forward, GradInput, GradWeight };

/// One operand of a cached call: its plain (user) description, the
/// primitive's, and the reorder between them when they differ.
struct Arg {
  int id = 0;
  memory::desc user, prim;
  bool reorder = false;
  dnnl::reorder r;
  size_t bytes() const { return reorder ? prim.get_size() : 0; }
};

struct Entry {
  bool usable = false;
  dnnl::primitive prim;
  Arg in0, in1, out; // out is written by the primitive
  bool hasBias = false;
  memory::desc biasMd;
  memory::desc scratchMd;
};

/// A 64-byte aligned buffer that only grows (contents undefined).
struct Buffer {
  std::unique_ptr<char, decltype(&std::free)> p{nullptr, &std::free};
  size_t size = 0;
  void *get(size_t n) {
    if (n > size) {
      p.reset();
      size_t rounded = (n + 63) / 64 * 64;
      p.reset(static_cast<char *>(std::aligned_alloc(64, rounded)));
      size = p ? rounded : 0;
    }
    return p.get();
  }
};

using Key = std::array<int64_t, 24>;

struct State {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream strm{eng};
  std::mutex mu;
  std::map<Key, std::unique_ptr<Entry>> cache;
  Buffer in0Buf, in1Buf, outBuf, scratchBuf;
  bool verbose = false;
};

State &state() {
  static State *s = [] {
    auto *st = new State;
    const char *v = std::getenv("FFRT_CONV_VERBOSE");
    st->verbose = v && *v && std::strcmp(v, "0") != 0;
    return st;
  }();
  return *s;
}

int threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

bool insideParallel() {
#ifdef _OPENMP
  return omp_in_parallel();
#else
  return false;
#endif
}

/// Whether to keep oneDNN on the plain layout (see the file comment).
bool preferPlain(Kind kind, int64_t c, int64_t o, int64_t kh, int64_t kw,
                 int64_t groups) {
  if (groups > 1)
    return false;
  const bool narrow = c < 16 || o < 16;
  switch (kind) {
  case Kind::Forward:
    return narrow;
  case Kind::GradInput:
    return narrow || (kh == 1 && kw == 1);
  case Kind::GradWeight:
    return o < 16;
  }
  return false;
}

Arg makeArg(State &st, int id, const memory::desc &user,
            const memory::desc &prim, bool isOutput) {
  Arg a;
  a.id = id;
  a.user = user;
  a.prim = prim;
  a.reorder = !(user == prim);
  if (a.reorder)
    a.r = isOutput ? dnnl::reorder(dnnl::reorder::primitive_desc(
                         st.eng, prim, st.eng, user))
                   : dnnl::reorder(dnnl::reorder::primitive_desc(
                         st.eng, user, st.eng, prim));
  return a;
}

bool isReference(const char *impl) {
  return impl && std::strncmp(impl, "ref", 3) == 0;
}

/// Builds the entry for one layout choice; usable = false when oneDNN
/// rejects the shape or offers only a reference implementation.
std::unique_ptr<Entry> build(State &st, Kind kind, const Shape &xs,
                             const Shape &ws, const Shape &ys,
                             const Window2D &win, int64_t groups,
                             bool hasBias, bool relu, bool plain, std::string &impl) {
  auto e = std::make_unique<Entry>();
  const int64_t g = groups;
  memory::dims xd{xs[0], xs[1], xs[2], xs[3]};
  memory::dims yd{ys[0], ys[1], ys[2], ys[3]};
  memory::dims wd = g == 1
                        ? memory::dims{ws[0], ws[1], ws[2], ws[3]}
                        : memory::dims{g, ws[0] / g, ws[1], ws[2], ws[3]};
  memory::desc xUser(xd, dt::f32, tag::nchw), yUser(yd, dt::f32, tag::nchw);
  memory::desc wUser(wd, dt::f32, g == 1 ? tag::oihw : tag::goihw);
  memory::desc x = plain ? xUser : memory::desc(xd, dt::f32, tag::any);
  memory::desc y = plain ? yUser : memory::desc(yd, dt::f32, tag::any);
  memory::desc w = plain ? wUser : memory::desc(wd, dt::f32, tag::any);
  memory::desc b = hasBias ? memory::desc({ws[0]}, dt::f32, tag::x)
                           : memory::desc();
  memory::dims strides{win.strideH, win.strideW};
  memory::dims dil{win.dilationH - 1, win.dilationW - 1};
  memory::dims padL{win.padTop, win.padLeft}, padR{win.padBottom, win.padRight};
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  dnnl::primitive_attr fwdAttr = attr;
  if (relu) { // the epilogue ff-fuse folded in, as a post-op
    dnnl::post_ops ops;
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
    fwdAttr.set_post_ops(ops);
  }
  try {
    dnnl::convolution_forward::primitive_desc fwd(
        dnnl::convolution_forward::desc(
            dnnl::prop_kind::forward_training,
            dnnl::algorithm::convolution_direct, x, w, b, y, strides, dil,
            padL, padR),
        kind == Kind::Forward ? fwdAttr : attr, st.eng);
    switch (kind) {
    case Kind::Forward:
      impl = fwd.impl_info_str();
      e->prim = dnnl::convolution_forward(fwd);
      e->in0 = makeArg(st, DNNL_ARG_SRC, xUser, fwd.src_desc(), false);
      e->in1 = makeArg(st, DNNL_ARG_WEIGHTS, wUser, fwd.weights_desc(), false);
      e->out = makeArg(st, DNNL_ARG_DST, yUser, fwd.dst_desc(), true);
      e->hasBias = hasBias;
      e->biasMd = hasBias ? fwd.bias_desc() : memory::desc();
      e->scratchMd = fwd.scratchpad_desc();
      break;
    case Kind::GradInput: {
      dnnl::convolution_backward_data::primitive_desc pd(
          dnnl::convolution_backward_data::desc(
              dnnl::algorithm::convolution_direct, x, w, y, strides, dil, padL,
              padR),
          attr, st.eng, fwd);
      impl = pd.impl_info_str();
      e->prim = dnnl::convolution_backward_data(pd);
      e->in0 = makeArg(st, DNNL_ARG_DIFF_DST, yUser, pd.diff_dst_desc(), false);
      e->in1 = makeArg(st, DNNL_ARG_WEIGHTS, wUser, pd.weights_desc(), false);
      e->out = makeArg(st, DNNL_ARG_DIFF_SRC, xUser, pd.diff_src_desc(), true);
      e->scratchMd = pd.scratchpad_desc();
      break;
    }
    case Kind::GradWeight: {
      dnnl::convolution_backward_weights::primitive_desc pd(
          dnnl::convolution_backward_weights::desc(
              dnnl::algorithm::convolution_direct, x, w, y, strides, dil, padL,
              padR),
          attr, st.eng, fwd);
      impl = pd.impl_info_str();
      e->prim = dnnl::convolution_backward_weights(pd);
      e->in0 = makeArg(st, DNNL_ARG_SRC, xUser, pd.src_desc(), false);
      e->in1 = makeArg(st, DNNL_ARG_DIFF_DST, yUser, pd.diff_dst_desc(), false);
      e->out =
          makeArg(st, DNNL_ARG_DIFF_WEIGHTS, wUser, pd.diff_weights_desc(), true);
      e->scratchMd = pd.scratchpad_desc();
      break;
    }
    }
    e->usable = !isReference(impl.c_str());
  } catch (const dnnl::error &) {
    e->usable = false;
    impl = "rejected";
  }
  return e;
}

const char *kindName(Kind k) {
  return k == Kind::Forward ? "conv2d"
         : k == Kind::GradInput ? "conv2d_grad_input"
                                : "conv2d_grad_weight";
}

/// Runs one convolution op; a0 and a1 are the inputs in the order of the
/// entry's in0 / in1, out the result (all plain layout).
bool run(Kind kind, const Shape &xs, const Shape &ws, const Shape &ys,
         const Window2D &win, int64_t groups, const float *a0,
         const float *a1, const float *bias, float *out, bool relu = false) {
  if (!enabled() || insideParallel())
    return false;
  if (xs.size() != 4 || ws.size() != 4 || ys.size() != 4 || groups < 1)
    return false;
  for (const Shape *s : {&xs, &ws, &ys})
    for (int64_t d : *s)
      if (d <= 0)
        return false;
  State &st = state();
  const int nthr = threads();
  Key key{int64_t(kind), xs[0], xs[1], xs[2], xs[3], ws[0], ws[1], ws[2],
          ws[3], ys[2], ys[3], win.strideH, win.strideW, win.dilationH,
          win.dilationW, win.padTop, win.padLeft, win.padBottom,
          win.padRight, groups, bias != nullptr, nthr, relu, 0};
  std::lock_guard<std::mutex> lock(st.mu);
  auto it = st.cache.find(key);
  if (it == st.cache.end()) {
    const bool plain =
        preferPlain(kind, xs[1], ws[0], ws[2], ws[3], groups);
    std::string impl;
    auto e = build(st, kind, xs, ws, ys, win, groups, bias != nullptr, relu, plain,
                   impl);
    if (!e->usable) {
      std::string other;
      auto alt = build(st, kind, xs, ws, ys, win, groups, bias != nullptr, relu,
                       !plain, other);
      if (alt->usable) {
        e = std::move(alt);
        impl = other;
      }
    }
    if (st.verbose)
      std::fprintf(stderr,
                   "ffrt: %s x=%ldx%ldx%ldx%ld w=%ldx%ldx%ldx%ld groups=%ld "
                   "threads=%d: %s%s\n",
                   kindName(kind), long(xs[0]), long(xs[1]), long(xs[2]),
                   long(xs[3]), long(ws[0]), long(ws[1]), long(ws[2]),
                   long(ws[3]), long(groups), nthr,
                   e->usable ? "oneDNN " : "own kernel (oneDNN: ",
                   (impl + (e->usable ? "" : ")")).c_str());
    it = st.cache.emplace(key, std::move(e)).first;
  }
  Entry &e = *it->second;
  if (!e.usable)
    return false;

  const dnnl::engine &eng = st.eng;
  dnnl::stream &strm = st.strm;
  std::unordered_map<int, memory> args;
  auto input = [&](const Arg &a, const float *p, Buffer &buf) {
    memory user(a.user, eng, const_cast<float *>(p));
    if (!a.reorder) {
      args.emplace(a.id, user);
      return;
    }
    memory prim(a.prim, eng, buf.get(a.prim.get_size()));
    a.r.execute(strm, user, prim);
    args.emplace(a.id, prim);
  };
  input(e.in0, a0, st.in0Buf);
  input(e.in1, a1, st.in1Buf);
  if (e.hasBias)
    args.emplace(DNNL_ARG_BIAS,
                 memory(e.biasMd, eng, const_cast<float *>(bias)));
  memory outUser(e.out.user, eng, out);
  memory outPrim = e.out.reorder
                       ? memory(e.out.prim, eng,
                                st.outBuf.get(e.out.prim.get_size()))
                       : outUser;
  args.emplace(e.out.id, outPrim);
  const size_t scratch = e.scratchMd.get_size();
  if (scratch > 0)
    args.emplace(DNNL_ARG_SCRATCHPAD,
                 memory(e.scratchMd, eng, st.scratchBuf.get(scratch)));
  e.prim.execute(strm, args);
  if (e.out.reorder)
    e.out.r.execute(strm, outPrim, outUser);
  strm.wait();
  return true;
}

} // namespace

bool enabled() {
  static const bool on = [] {
    const char *v = std::getenv("FFRT_CONV");
    return !(v && std::strcmp(v, "blas") == 0);
  }();
  return on;
}

bool conv2d(const float *x, const Shape &xShape, const float *w,
            const Shape &wShape, const float *bias, const Window2D &win,
            int64_t groups, float *y, const Shape &yShape, bool relu) {
  return run(Kind::Forward, xShape, wShape, yShape, win, groups, x, w, bias,
             y, relu);
}

bool conv2dGradInput(const float *dy, const Shape &dyShape, const float *w,
                     const Shape &wShape, const Window2D &win, int64_t groups,
                     float *dx, const Shape &dxShape) {
  return run(Kind::GradInput, dxShape, wShape, dyShape, win, groups, dy, w,
             nullptr, dx);
}

bool conv2dGradWeight(const float *x, const Shape &xShape, const float *dy,
                      const Shape &dyShape, const Window2D &win,
                      int64_t groups, float *dw, const Shape &dwShape) {
  return run(Kind::GradWeight, xShape, dwShape, dyShape, win, groups, x, dy,
             nullptr, dw);
}

} // namespace ffrt::cpu::dnnl_conv

#else // !FFRT_HAVE_DNNL

namespace ffrt::cpu::dnnl_conv {

bool enabled() { return false; }

bool conv2d(const float *, const Shape &, const float *, const Shape &,
            const float *, const Window2D &, int64_t, float *, const Shape &, bool) {
  return false;
}

bool conv2dGradInput(const float *, const Shape &, const float *,
                     const Shape &, const Window2D &, int64_t, float *,
                     const Shape &) {
  return false;
}

bool conv2dGradWeight(const float *, const Shape &, const float *,
                      const Shape &, const Window2D &, int64_t, float *,
                      const Shape &) {
  return false;
}

} // namespace ffrt::cpu::dnnl_conv

#endif
