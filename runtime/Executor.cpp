//===- Executor.cpp - runs an artifact's programs on the CPU --------------===//
#include "runtime/Executor.h"
#include "runtime/MemoryPlan.h"

#include "runtime/cpu/ForwardKernels.h"
#include "runtime/cpu/GradientKernels.h"
#include "runtime/cpu/KernelLibrary.h"
#include "runtime/cpu/Parallel.h"

#include <cassert>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>
#include <unordered_map>

namespace ffrt {
namespace {

using cpu::BinaryKind;
using cpu::UnaryKind;

/// One tensor of a running program: where its data is and its shape.
struct Slot {
  Shape shape;
  float *f32 = nullptr;
  int32_t *i32 = nullptr;
  bool inArena = false; // an activation placed by the program's memory plan
};

Shape toShape(const flatbuffers::Vector<int64_t> *dims) {
  return dims ? Shape(dims->begin(), dims->end()) : Shape();
}

} // namespace

struct Executor::Impl {
  const Artifact &artifact;
  Executor &owner;
  cpu::Rng rng;
  cpu::KernelLibrary kernels; // the artifact's generated kernels, loaded on first run
  bool kernelsLoaded = false;
  // Per run.
  const ffx::Program *program = nullptr;
  std::vector<Slot> slots;
  // Activations live in one arena at the offsets of the program's memory
  // plan (planned on its first run); the arena is kept across steps and
  // shared by the programs, which run one at a time.
  std::unordered_map<const ffx::Program *, MemoryPlan> plans;
  const MemoryPlan *plan = nullptr;
  struct FreeDeleter {
    void operator()(void *p) const { std::free(p); }
  };
  std::unique_ptr<std::byte, FreeDeleter> arena;
  int64_t arenaBytes = 0;
  // FFRT_ARENA_FILL=nan fills every activation with NaN before its op runs
  // (a check that no kernel reads its outputs before writing them).
  bool fillNaN = false;
  std::vector<std::vector<float>> inputF32;
  std::vector<std::vector<int32_t>> inputI32;
  int64_t liveBytes = 0;
  std::string error;

  Impl(const Artifact &a, Executor &o, uint64_t seed) : artifact(a), owner(o), rng(seed) {
    const char *fill = std::getenv("FFRT_ARENA_FILL");
    fillNaN = fill && std::string(fill) == "nan";
  }

  /// The memory plan of `program` and an arena that holds it.
  bool prepareArena(const ffx::Program *p) {
    auto it = plans.find(p);
    if (it == plans.end())
      it = plans.emplace(p, planMemory(*p)).first;
    plan = &it->second;
    if (plan->arenaBytes > arenaBytes) {
      arena.reset();
      size_t bytes = size_t(plan->arenaBytes);
      void *mem = std::aligned_alloc(MemoryPlan::kAlignment, bytes);
      if (!mem) {
        error = "cannot allocate " + std::to_string(bytes >> 20) +
                " MiB for the activations of program '" + p->name()->str() + "'";
        return false;
      }
      arena.reset(static_cast<std::byte *>(mem));
      arenaBytes = plan->arenaBytes;
    }
    return true;
  }

  const ffx::Tensor *tensor(int32_t id) { return program->tensors()->Get(id); }

  int32_t root(int32_t id) {
    while (tensor(id)->kind() == ffx::TensorKind::Alias)
      id = tensor(id)->alias_of();
    return id;
  }

  /// Binds tensor `id` (resolving aliases; the alias keeps its own shape).
  Slot &slot(int32_t id) {
    Slot &s = slots[id];
    if (s.f32 || s.i32)
      return s;
    const ffx::Tensor *t = tensor(id);
    s.shape = toShape(t->shape());
    switch (t->kind()) {
    case ffx::TensorKind::Param:
      s.f32 = owner.paramData[t->param()].data();
      break;
    case ffx::TensorKind::Constant:
      // Constants are read-only; kernels take const pointers.
      s.f32 = const_cast<float *>(t->constant_data()->data());
      break;
    case ffx::TensorKind::Alias: {
      Slot &r = slot(t->alias_of());
      s.f32 = r.f32;
      s.i32 = r.i32;
      break;
    }
    default:
      break;
    }
    return s;
  }

  /// Allocates the result tensor `id` of the op being run.
  Slot &allocate(int32_t id) {
    Slot &s = slots[id];
    const ffx::Tensor *t = tensor(id);
    s.shape = toShape(t->shape());
    int64_t n = numElements(s.shape);
    assert(plan->offset[id] >= 0 && "results are placed by the memory plan");
    std::byte *data = arena.get() + plan->offset[id];
    if (t->element_type() == ffx::ElementType::I32)
      s.i32 = reinterpret_cast<int32_t *>(data);
    else
      s.f32 = reinterpret_cast<float *>(data);
    if (fillNaN && s.f32)
      std::fill(s.f32, s.f32 + n, std::numeric_limits<float>::quiet_NaN());
    else if (fillNaN)
      std::fill(s.i32, s.i32 + n, std::numeric_limits<int32_t>::min());
    s.inArena = true;
    liveBytes += 4 * n;
    owner.peakBytes = std::max(owner.peakBytes, liveBytes);
    return s;
  }

  void release(int32_t id) {
    Slot &s = slots[root(id)];
    if (!s.inArena)
      return;
    liveBytes -= 4 * numElements(s.shape);
    s.f32 = nullptr;
    s.i32 = nullptr;
    s.inArena = false;
  }

  // Attributes.
  const ffx::Attr *attr(const ffx::Op *op, const char *name) {
    return op->attrs() ? op->attrs()->LookupByKey(name) : nullptr;
  }
  std::vector<int64_t> ints(const ffx::Op *op, const char *name,
                            std::vector<int64_t> dflt = {}) {
    const ffx::Attr *a = attr(op, name);
    if (!a || !a->ints())
      return dflt;
    return std::vector<int64_t>(a->ints()->begin(), a->ints()->end());
  }
  int64_t integer(const ffx::Op *op, const char *name, int64_t dflt) {
    auto v = ints(op, name);
    return v.empty() ? dflt : v[0];
  }
  double real(const ffx::Op *op, const char *name, double dflt) {
    const ffx::Attr *a = attr(op, name);
    return a && a->floats() && a->floats()->size() ? a->floats()->Get(0) : dflt;
  }
  Window2D window(const ffx::Op *op, const Shape &weightOrKernel, bool fromWeight) {
    Window2D w;
    if (fromWeight) {
      w.kernelH = weightOrKernel[2];
      w.kernelW = weightOrKernel[3];
    } else {
      auto k = ints(op, "kernel", {1, 1});
      w.kernelH = k[0];
      w.kernelW = k[1];
    }
    auto s = ints(op, "strides", {1, 1});
    auto p = ints(op, "padding", {0, 0, 0, 0});
    auto d = ints(op, "dilations", {1, 1});
    w.strideH = s[0];
    w.strideW = s[1];
    w.padTop = p[0];
    w.padLeft = p[1];
    w.padBottom = p[2];
    w.padRight = p[3];
    w.dilationH = d[0];
    w.dilationW = d[1];
    return w;
  }

  bool fail(const ffx::Op *op, const std::string &message) {
    error = "op '" + op->kind()->str() + "'";
    if (op->node() && op->node()->size())
      error += " (node '" + op->node()->str() + "')";
    if (op->block() >= 0 && program->blocks() &&
        op->block() < int32_t(program->blocks()->size()))
      error += " in " + program->blocks()->Get(op->block())->str();
    error += ": " + message;
    return false;
  }

  bool runOp(const ffx::Op *op);
  bool run(const std::string &name, const std::vector<HostTensor> &inputs,
           std::vector<HostTensor> &outputs);
};

bool Executor::Impl::runOp(const ffx::Op *op) {
  const std::string kind = op->kind()->str();
  auto operandId = [&](int i) -> int32_t {
    return op->operands() && i < int(op->operands()->size()) ? op->operands()->Get(i) : -1;
  };
  auto in = [&](int i) -> Slot & { return slot(operandId(i)); };
  auto inF = [&](int i) -> const float * {
    int32_t id = operandId(i);
    return id < 0 ? nullptr : slot(id).f32;
  };
  auto resultId = [&](int i) -> int32_t {
    return op->results() && i < int(op->results()->size()) ? op->results()->Get(i) : -1;
  };
  auto out = [&](int i) -> Slot & { return allocate(resultId(i)); };
  auto outF = [&](int i) -> float * {
    int32_t id = resultId(i);
    return id < 0 ? nullptr : allocate(id).f32;
  };
  auto scalar = [&](int i) -> double { return in(i).f32[0]; };

  if (kind == "fused") {
    // A generated kernel: operands then results, split over rows of dim 0
    // (every result has the iteration space's rows; a reduction's result is
    // smaller than what it reads, so the work is the largest buffer).
    int64_t index = integer(op, "kernel", -1);
    std::vector<void *> buffers;
    int64_t work = 0;
    for (size_t i = 0; op->operands() && i < op->operands()->size(); ++i) {
      buffers.push_back(in(i).f32);
      work = std::max(work, numElements(in(i).shape));
    }
    int64_t rows = 0;
    for (size_t i = 0; i < op->results()->size(); ++i) {
      Slot &r = out(i);
      buffers.push_back(r.f32);
      rows = r.shape[0];
      work = std::max(work, numElements(r.shape));
    }
    cpu::KernelFn kernel = kernels.kernel(size_t(index));
    cpu::detail::forRanges(rows, work,
                           [&](int64_t lo, int64_t hi) { kernel(buffers.data(), lo, hi); });
  } else if (kind == "conv2d") {
    Slot &x = in(0), &w = in(1);
    Slot &y = out(0);
    cpu::conv2d(x.f32, x.shape, w.f32, w.shape, inF(2), window(op, w.shape, true),
                integer(op, "groups", 1), y.f32, y.shape, integer(op, "relu", 0) != 0);
  } else if (kind == "linear") {
    Slot &x = in(0), &w = in(1);
    Slot &y = out(0);
    cpu::linear(x.f32, x.shape, w.f32, w.shape, inF(2), y.f32, y.shape,
                integer(op, "relu", 0) != 0);
  } else if (kind == "matmul") {
    Slot &a = in(0), &b = in(1);
    Slot &y = out(0);
    cpu::matmul(a.f32, a.shape, b.f32, b.shape, y.f32, y.shape);
  } else if (kind == "batch_norm") {
    Slot &x = in(0);
    Slot &y = out(0);
    double eps = real(op, "epsilon", 1e-5);
    if (integer(op, "training", 0))
      cpu::batchNormTraining(x.f32, x.shape, inF(1), inF(2), eps, y.f32, nullptr, nullptr,
                             integer(op, "relu", 0) != 0);
    else
      cpu::batchNormInference(x.f32, x.shape, inF(1), inF(2), inF(3), inF(4), eps, y.f32,
                              integer(op, "relu", 0) != 0);
  } else if (kind == "layer_norm") {
    Slot &x = in(0);
    Slot &y = out(0);
    cpu::layerNorm(x.f32, x.shape, inF(1), inF(2), integer(op, "axis", 1),
                   real(op, "epsilon", 1e-5), y.f32);
  } else if (kind == "relu" || kind == "sigmoid" || kind == "hardswish") {
    Slot &x = in(0);
    Slot &y = out(0);
    UnaryKind k = kind == "relu" ? UnaryKind::Relu
                  : kind == "sigmoid" ? UnaryKind::Sigmoid
                                      : UnaryKind::HardSwish;
    cpu::unary(k, x.f32, y.f32, numElements(x.shape));
  } else if (kind == "hardsigmoid") {
    Slot &x = in(0);
    Slot &y = out(0);
    cpu::hardsigmoid(x.f32, y.f32, numElements(x.shape), real(op, "alpha", 0.2),
                     real(op, "beta", 0.5));
  } else if (kind == "clip") {
    Slot &x = in(0);
    Slot &y = out(0);
    cpu::clip(x.f32, y.f32, numElements(x.shape), real(op, "min", -INFINITY),
              real(op, "max", INFINITY));
  } else if (kind == "add" || kind == "sub" || kind == "mul" || kind == "div") {
    Slot &a = in(0), &b = in(1);
    Slot &y = out(0);
    BinaryKind k = kind == "add"   ? BinaryKind::Add
                   : kind == "sub" ? BinaryKind::Sub
                   : kind == "mul" ? BinaryKind::Mul
                                   : BinaryKind::Div;
    cpu::binary(k, a.f32, a.shape, b.f32, b.shape, y.f32, y.shape);
  } else if (kind == "softmax") {
    Slot &x = in(0);
    Slot &y = out(0);
    int64_t axis = integer(op, "axis", -1);
    if (axis < 0)
      axis += x.shape.size();
    cpu::softmax(x.f32, x.shape, axis, y.f32);
  } else if (kind == "max_pool2d") {
    Slot &x = in(0);
    Slot &y = out(0);
    cpu::maxPool2d(x.f32, x.shape, window(op, {}, false), y.f32, y.shape);
  } else if (kind == "avg_pool2d") {
    Slot &x = in(0);
    Slot &y = out(0);
    cpu::avgPool2d(x.f32, x.shape, window(op, {}, false),
                   integer(op, "count_include_pad", 0) != 0, y.f32, y.shape);
  } else if (kind == "global_avg_pool") {
    Slot &x = in(0);
    Slot &y = out(0);
    cpu::globalAvgPool(x.f32, x.shape, y.f32);
  } else if (kind == "concat") {
    std::vector<const float *> ptrs;
    std::vector<Shape> shapes;
    for (size_t i = 0; i < op->operands()->size(); ++i) {
      ptrs.push_back(in(i).f32);
      shapes.push_back(in(i).shape);
    }
    Slot &y = out(0);
    cpu::concat(ptrs, shapes, integer(op, "axis", 0), y.f32, y.shape);
  } else if (kind == "slice") {
    Slot &x = in(0);
    Slot &y = out(0);
    cpu::slice(x.f32, x.shape, ints(op, "offsets"), y.f32, y.shape);
  } else if (kind == "transpose") {
    Slot &x = in(0);
    Slot &y = out(0);
    cpu::transpose(x.f32, x.shape, ints(op, "permutation"), y.f32);
  } else if (kind == "broadcast") {
    Slot &x = in(0);
    Slot &y = out(0);
    cpu::broadcastTo(x.f32, x.shape, y.f32, y.shape);
  } else if (kind == "reduce_sum") {
    Slot &x = in(0);
    Slot &y = out(0);
    std::vector<int64_t> axes = ints(op, "axes");
    bool hasAxes = attr(op, "axes") && attr(op, "axes")->ints();
    if (!cpu::reduceSum(x.f32, x.shape, hasAxes ? &axes : nullptr, y.f32, y.shape))
      return fail(op, "shapes do not reduce");
  } else if (kind == "goodness") {
    Slot &x = in(0);
    Slot &y = out(0);
    cpu::goodness(x.f32, x.shape, integer(op, "groups", 1), y.f32);
  } else if (kind == "margin_cross_entropy") {
    Slot &s = in(0), &l = in(1);
    Slot &y = out(0);
    if (!cpu::marginCrossEntropy(s.f32, l.i32, s.shape[0], s.shape[1],
                                 real(op, "margin", 0.0), y.f32))
      return fail(op, "a label is outside [0, " + std::to_string(s.shape[1]) +
                          "): the dataset has more classes than the model");
  } else if (kind == "threshold_loss") {
    Slot &p = in(0), &n = in(1);
    Slot &y = out(0);
    cpu::thresholdLoss(p.f32, n.f32, numElements(p.shape), real(op, "theta", 2.0), y.f32);
  } else if (kind == "vote") {
    std::vector<const float *> ptrs;
    for (size_t i = 0; i < op->operands()->size(); ++i)
      ptrs.push_back(in(i).f32);
    Slot &first = in(0);
    Slot &y = out(0);
    cpu::vote(ptrs, first.shape[0], first.shape[1], integer(op, "last", 0) != 0,
              integer(op, "softmax", 0) != 0, y.f32);
  } else if (kind == "count_correct") {
    Slot &s = in(0), &l = in(1);
    Slot &y = out(0);
    // Padding samples (label -1) sit at the end of a batch and do not count.
    int64_t n = 0;
    while (n < s.shape[0] && l.i32[n] >= 0)
      ++n;
    y.i32[0] = static_cast<int32_t>(cpu::countCorrect(s.f32, l.i32, n, s.shape[1]));
  } else if (kind == "embed_label") {
    Slot &x = in(0), &l = in(1);
    Slot &y = out(0);
    int32_t shiftId = operandId(2);
    if (!cpu::embedLabel(x.f32, x.shape, l.i32, shiftId >= 0 ? slot(shiftId).i32 : nullptr,
                         integer(op, "classes", 2), real(op, "scale", 1.0), y.f32))
      return fail(op, "a label is outside the classes");
  } else if (kind == "embed_all_labels") {
    Slot &x = in(0);
    Slot &y = out(0);
    if (!cpu::embedAllLabels(x.f32, x.shape, integer(op, "classes", 2), real(op, "scale", 1.0),
                             y.f32))
      return fail(op, "a sample has fewer elements than classes");
  } else if (kind == "random_label_shift") {
    Slot &y = out(0);
    cpu::randomLabelShift(y.i32, y.shape[0], integer(op, "classes", 2), rng);
  } else if (kind == "dropout_mask") {
    Slot &y = out(0);
    cpu::dropoutMask(y.f32, numElements(y.shape), real(op, "ratio", 0.5), rng);
  } else if (kind == "param_store") {
    Slot &v = in(0);
    std::vector<float> &p = owner.paramData[op->param()];
    if (int64_t(p.size()) != numElements(v.shape))
      return fail(op, "stored value does not fit the parameter");
    if (v.f32 != p.data())
      std::copy(v.f32, v.f32 + p.size(), p.begin());
  } else if (kind == "sgd_step") {
    Slot &p = in(0);
    int64_t n = numElements(p.shape);
    float *newParam = outF(0);
    float *newBuffer = resultId(1) >= 0 ? outF(1) : nullptr;
    cpu::sgdStep(p.f32, inF(1), inF(3), n, scalar(2), real(op, "momentum", 0.0),
                 integer(op, "nesterov", 0) != 0, real(op, "weight_decay", 0.0),
                 newParam, newBuffer);
  } else if (kind == "adam_step") {
    Slot &p = in(0);
    int64_t n = numElements(p.shape);
    float *np = outF(0), *nm = outF(1), *nv = outF(2);
    cpu::adamStep(p.f32, inF(1), inF(2), inF(3), n, scalar(4), scalar(5),
                  real(op, "beta1", 0.9), real(op, "beta2", 0.999),
                  real(op, "epsilon", 1e-8), real(op, "weight_decay", 0.0),
                  integer(op, "decoupled", 0) != 0, np, nm, nv);
  } else if (kind == "batch_norm_with_update") {
    Slot &x = in(0);
    Slot &y = out(0);
    float *nm = outF(1), *nv = outF(2);
    cpu::batchNormTrainingWithUpdate(x.f32, x.shape, inF(1), inF(2), inF(3), inF(4),
                                     real(op, "epsilon", 1e-5), real(op, "momentum", 0.9),
                                     y.f32, nm, nv, integer(op, "relu", 0) != 0);
  } else if (kind == "batch_norm_stats_update") {
    Slot &x = in(0);
    float *nm = outF(0), *nv = outF(1);
    cpu::batchNormStatsUpdate(x.f32, x.shape, inF(1), inF(2), real(op, "momentum", 0.9),
                              nm, nv);
  } else if (kind == "conv2d_grad_input") {
    Slot &dy = in(0), &w = in(1);
    Slot &dx = out(0);
    cpu::conv2dGradInput(dy.f32, dy.shape, w.f32, w.shape, window(op, w.shape, true),
                         integer(op, "groups", 1), dx.f32, dx.shape);
  } else if (kind == "conv2d_grad_weight") {
    Slot &x = in(0), &dy = in(1);
    Slot &dw = out(0);
    cpu::conv2dGradWeight(x.f32, x.shape, dy.f32, dy.shape, window(op, dw.shape, true),
                          integer(op, "groups", 1), dw.f32, dw.shape);
  } else if (kind == "relu_grad" || kind == "sigmoid_grad" || kind == "hardswish_grad") {
    Slot &x = in(0), &dy = in(1);
    Slot &dx = out(0);
    if (kind == "relu_grad")
      cpu::reluGrad(x.f32, dy.f32, x.shape, dx.f32);
    else if (kind == "sigmoid_grad")
      cpu::sigmoidGrad(x.f32, dy.f32, x.shape, dx.f32);
    else
      cpu::hardSwishGrad(x.f32, dy.f32, x.shape, dx.f32);
  } else if (kind == "hardsigmoid_grad") {
    Slot &x = in(0), &dy = in(1);
    Slot &dx = out(0);
    cpu::hardSigmoidGrad(x.f32, dy.f32, x.shape, real(op, "alpha", 0.2),
                         real(op, "beta", 0.5), dx.f32);
  } else if (kind == "clip_grad") {
    Slot &x = in(0), &dy = in(1);
    Slot &dx = out(0);
    cpu::clipGrad(x.f32, dy.f32, x.shape, real(op, "min", -INFINITY),
                  real(op, "max", INFINITY), dx.f32);
  } else if (kind == "softmax_grad") {
    Slot &y = in(0), &dy = in(1);
    Slot &dx = out(0);
    int64_t axis = integer(op, "axis", -1);
    if (axis < 0)
      axis += y.shape.size();
    cpu::softmaxGrad(y.f32, dy.f32, y.shape, axis, dx.f32);
  } else if (kind == "max_pool2d_grad") {
    Slot &x = in(0), &dy = in(1);
    Slot &dx = out(0);
    cpu::maxPool2dGrad(x.f32, x.shape, dy.f32, dy.shape, window(op, {}, false),
                       integer(op, "ceil_mode", 0) != 0, dx.f32);
  } else if (kind == "avg_pool2d_grad") {
    Slot &dy = in(0);
    Slot &dx = out(0);
    cpu::avgPool2dGrad(dy.f32, dy.shape, window(op, {}, false),
                       integer(op, "ceil_mode", 0) != 0,
                       integer(op, "count_include_pad", 0) != 0, dx.f32, dx.shape);
  } else if (kind == "batch_norm_grad") {
    Slot &x = in(0), &dy = in(1);
    float *dx = outF(0), *ds = outF(1), *db = outF(2);
    cpu::batchNormGrad(x.f32, x.shape, dy.f32, inF(2), inF(3), inF(4),
                       real(op, "epsilon", 1e-5), integer(op, "training", 0) != 0, dx,
                       ds, db, inF(5));
  } else if (kind == "layer_norm_grad") {
    Slot &x = in(0), &dy = in(1);
    float *dx = outF(0), *ds = outF(1), *db = outF(2);
    cpu::layerNormGrad(x.f32, x.shape, dy.f32, inF(2), integer(op, "axis", 1),
                       real(op, "epsilon", 1e-5), dx, ds, db);
  } else if (kind == "goodness_grad") {
    Slot &x = in(0), &dg = in(1);
    Slot &dx = out(0);
    cpu::goodnessGrad(x.f32, x.shape, dg.f32, integer(op, "groups", 1), dx.f32);
  } else if (kind == "margin_cross_entropy_grad") {
    Slot &s = in(0), &l = in(1);
    Slot &ds = out(0);
    if (!cpu::marginCrossEntropyGrad(s.f32, s.shape, l.i32, real(op, "margin", 0.0),
                                     ds.f32))
      return fail(op, "a label is outside [0, " + std::to_string(s.shape[1]) +
                          "): the dataset has more classes than the model");
  } else if (kind == "threshold_loss_grad") {
    Slot &p = in(0), &n = in(1);
    float *dp = outF(0), *dn = outF(1);
    cpu::thresholdLossGrad(p.f32, n.f32, p.shape, real(op, "theta", 2.0), dp, dn);
  } else {
    return fail(op, "the CPU device has no kernel for this op");
  }
  return true;
}

bool Executor::Impl::run(const std::string &name, const std::vector<HostTensor> &inputs,
                         std::vector<HostTensor> &outputs) {
  if (!kernelsLoaded) {
    if (!kernels.load(artifact.model()->kernels(), error))
      return false;
    kernelsLoaded = true;
  }
  program = artifact.program(name);
  if (!program) {
    error = "the artifact has no program '" + name + "'";
    return false;
  }
  size_t numTensors = program->tensors()->size();
  slots.assign(numTensors, Slot());
  liveBytes = 0;
  if (!prepareArena(program))
    return false;
  auto progInputs = program->inputs();
  if (!progInputs || progInputs->size() != inputs.size()) {
    error = "program '" + name + "' takes " +
            std::to_string(progInputs ? progInputs->size() : 0) + " inputs, got " +
            std::to_string(inputs.size());
    return false;
  }
  inputF32.assign(inputs.size(), {});
  inputI32.assign(inputs.size(), {});
  for (size_t i = 0; i < inputs.size(); ++i) {
    int32_t id = progInputs->Get(i);
    const ffx::Tensor *t = tensor(id);
    Slot &s = slots[id];
    s.shape = toShape(t->shape());
    std::string inputName = program->input_names() && i < program->input_names()->size()
                                ? program->input_names()->Get(i)->str()
                                : std::to_string(i);
    bool isInt = t->element_type() == ffx::ElementType::I32;
    size_t have = isInt ? inputs[i].i32.size() : inputs[i].f32.size();
    if (int64_t(have) != numElements(s.shape)) {
      error = "input '" + inputName + "' of program '" + name + "' needs " +
              std::to_string(numElements(s.shape)) + " elements, got " + std::to_string(have);
      return false;
    }
    if (isInt) {
      inputI32[i] = inputs[i].i32;
      s.i32 = inputI32[i].data();
    } else {
      inputF32[i] = inputs[i].f32;
      s.f32 = inputF32[i].data();
    }
  }
  for (const ffx::Op *op : *program->ops()) {
    if (!runOp(op))
      return false;
    if (op->free_after())
      for (int32_t id : *op->free_after())
        release(id);
  }
  outputs.clear();
  for (int32_t id : *program->outputs()) {
    Slot &s = slot(id);
    HostTensor h;
    h.shape = s.shape;
    int64_t n = numElements(s.shape);
    if (s.i32)
      h.i32.assign(s.i32, s.i32 + n);
    else if (s.f32)
      h.f32.assign(s.f32, s.f32 + n);
    outputs.push_back(std::move(h));
  }
  slots.clear();
  return true;
}

Executor::Executor(const Artifact &artifact, uint64_t seed)
    : impl(std::make_unique<Impl>(artifact, *this, seed)) {
  for (const ffx::Param *p : *artifact.model()->params())
    paramData.emplace_back(p->data()->begin(), p->data()->end());
}

Executor::~Executor() = default;

std::array<uint64_t, 4> Executor::rngState() const {
  return {impl->rng.s[0], impl->rng.s[1], impl->rng.s[2], impl->rng.s[3]};
}

void Executor::setRngState(const std::array<uint64_t, 4> &state) {
  std::copy(state.begin(), state.end(), impl->rng.s);
}

bool Executor::run(const std::string &program, const std::vector<HostTensor> &inputs,
                   std::vector<HostTensor> &outputs, std::string &error) {
  if (impl->run(program, inputs, outputs))
    return true;
  error = impl->error;
  return false;
}

} // namespace ffrt
