//===- OnnxExport.cpp - an artifact's predict program as ONNX -------------===//
#include "runtime/export/OnnxExport.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <map>
#include <set>

namespace ffrt {
namespace {

constexpr int64_t kOpset = 17;

std::vector<int64_t> toVec(const flatbuffers::Vector<int64_t> *v) {
  return v ? std::vector<int64_t>(v->begin(), v->end()) : std::vector<int64_t>();
}

int64_t count(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::string shapeText(const std::vector<int64_t> &shape) {
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "x" : "") + std::to_string(shape[i]);
  return s.empty() ? "scalar" : s;
}

class Exporter {
public:
  Exporter(const Artifact &art, const ffx::Program *prog,
           const std::vector<std::vector<float>> &params)
      : art(art), prog(prog), params(params) {}

  bool build(onnx::ModelProto &model, std::string &err);
  bool staticBatch = false;

private:
  const Artifact &art;
  const ffx::Program *prog;
  const ffx::Program *topLevel = prog; // prog is a kernel body while one is expanded
  const std::vector<std::vector<float>> &params;
  onnx::GraphProto *graph = nullptr;
  int64_t batch = 0;
  std::vector<std::string> names;    // per tensor id; empty until defined
  std::map<int32_t, std::string> paramNames; // param index -> initializer
  std::set<std::string> used;        // every value name in the graph
  int64_t counter = 0;
  const ffx::Op *current = nullptr;
  std::string error;

  const ffx::Tensor *tensor(int32_t id) { return prog->tensors()->Get(id); }
  std::vector<int64_t> shapeOf(int32_t id) { return toVec(tensor(id)->shape()); }

  bool fail(const std::string &message) {
    if (current) {
      error = "cannot export op '" + current->kind()->str() + "'";
      if (current->node() && current->node()->size())
        error += " (node '" + current->node()->str() + "')";
      error += ": " + message;
    } else {
      error = message;
    }
    return false;
  }

  std::string fresh(const std::string &base) {
    std::string name = base;
    for (int64_t i = 1; used.count(name); ++i)
      name = base + "_" + std::to_string(i);
    used.insert(name);
    return name;
  }

  onnx::NodeProto *node(const std::string &type, const std::vector<std::string> &ins,
                        const std::vector<std::string> &outs) {
    onnx::NodeProto *n = graph->add_node();
    n->set_op_type(type);
    std::string base = current && current->node() && current->node()->size()
                           ? current->node()->str()
                           : std::string("ffx");
    n->set_name(base + "/" + type + "_" + std::to_string(counter++));
    for (const auto &i : ins)
      n->add_input(i);
    for (const auto &o : outs)
      n->add_output(o);
    return n;
  }
  static void setInts(onnx::NodeProto *n, const std::string &name,
                      const std::vector<int64_t> &v) {
    auto *a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v)
      a->add_ints(x);
  }
  static void setInt(onnx::NodeProto *n, const std::string &name, int64_t v) {
    auto *a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void setFloat(onnx::NodeProto *n, const std::string &name, double v) {
    auto *a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(float(v));
  }

  std::string floatInit(const std::string &base, const std::vector<int64_t> &shape,
                        const float *data, int64_t n) {
    std::string name = fresh(base);
    onnx::TensorProto *t = graph->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : shape)
      t->add_dims(d);
    t->mutable_raw_data()->assign(reinterpret_cast<const char *>(data), size_t(n) * 4);
    return name;
  }
  /// One shared initializer per (value, shape), e.g. a layer norm's unit scale.
  std::string filledInit(const std::string &base, const std::vector<int64_t> &shape,
                         float value) {
    auto key = std::make_pair(value, shape);
    auto it = filled.find(key);
    if (it != filled.end())
      return it->second;
    std::vector<float> v(size_t(count(shape)), value);
    return filled[key] = floatInit(base, shape, v.data(), int64_t(v.size()));
  }
  std::map<std::pair<float, std::vector<int64_t>>, std::string> filled;
  std::string intInit(const std::string &base, const std::vector<int64_t> &values) {
    std::string name = fresh(base);
    onnx::TensorProto *t = graph->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(int64_t(values.size()));
    for (int64_t v : values)
      t->add_int64_data(v);
    return name;
  }

  /// A Reshape of `value` (of shape `from`) to `to`; a leading batch
  /// dimension that both share is copied (0), so the batch stays symbolic.
  std::string reshape(const std::string &value, const std::vector<int64_t> &from,
                      const std::vector<int64_t> &to, const std::string &out) {
    std::vector<int64_t> target = to;
    if (!to.empty() && !from.empty() && to[0] == batch && from[0] == batch)
      target[0] = 0;
    else if (!to.empty() && to[0] == batch)
      staticBatch = true;
    node("Reshape", {value, intInit("shape", target)}, {out});
    return out;
  }

  /// The ONNX value holding tensor `id`, defining parameters, constants and
  /// aliases on first use.
  bool value(int32_t id, std::string &out);
  /// The name the result tensor `id` gets.
  std::string resultName(int32_t id) {
    if (names[id].empty())
      names[id] = fresh("t" + std::to_string(id));
    return names[id];
  }
  bool emit(const ffx::Op *op);
};

bool Exporter::value(int32_t id, std::string &out) {
  if (id < 0)
    return fail("a required operand is absent");
  if (!names[id].empty()) {
    out = names[id];
    return true;
  }
  const ffx::Tensor *t = tensor(id);
  std::vector<int64_t> shape = shapeOf(id);
  switch (t->kind()) {
  case ffx::TensorKind::Param: {
    int32_t p = t->param();
    const ffx::Param *param = art.model()->params()->Get(p);
    const std::vector<float> &data = params[p];
    if (int64_t(data.size()) != count(shape))
      return fail("parameter '" + param->name()->str() + "' has " +
                  std::to_string(data.size()) + " values, its tensor is " + shapeText(shape));
    auto it = paramNames.find(p);
    std::vector<int64_t> pshape = toVec(param->shape());
    if (it == paramNames.end()) {
      if (count(pshape) != count(shape))
        pshape = shape;
      std::string name = floatInit(param->name()->str(), pshape, data.data(),
                                   int64_t(data.size()));
      it = paramNames.emplace(p, name).first;
    } else if (count(pshape) != count(shape)) {
      pshape = shape;
    }
    if (pshape == shape) {
      names[id] = it->second;
    } else {
      // Used with another shape here: a reshape of the one initializer.
      std::string r = fresh(it->second + "_as_" + shapeText(shape));
      node("Reshape", {it->second, intInit("shape", shape)}, {r});
      names[id] = r;
    }
    break;
  }
  case ffx::TensorKind::Constant: {
    const auto *data = t->constant_data();
    if (!data || int64_t(data->size()) != count(shape))
      return fail("constant tensor " + std::to_string(id) + " has no data of shape " +
                  shapeText(shape));
    if (!shape.empty() && shape[0] == batch)
      staticBatch = true;
    names[id] = floatInit("const" + std::to_string(id), shape, data->data(),
                          int64_t(data->size()));
    break;
  }
  case ffx::TensorKind::Alias: {
    std::string src;
    if (!value(t->alias_of(), src))
      return false;
    std::vector<int64_t> from = shapeOf(t->alias_of());
    names[id] = from == shape ? src : reshape(src, from, shape, fresh("t" + std::to_string(id)));
    break;
  }
  case ffx::TensorKind::Input:
    return fail("program input " + std::to_string(id) + " is not the image input");
  case ffx::TensorKind::Activation:
    return fail("tensor " + std::to_string(id) + " is used before an op produces it");
  }
  out = names[id];
  return true;
}

bool Exporter::emit(const ffx::Op *op) {
  current = op;
  const std::string kind = op->kind()->str();
  auto operandId = [&](int i) -> int32_t {
    return op->operands() && i < int(op->operands()->size()) ? op->operands()->Get(i) : -1;
  };
  auto numOperands = [&]() { return op->operands() ? int(op->operands()->size()) : 0; };
  auto resultId = [&](int i) -> int32_t {
    return op->results() && i < int(op->results()->size()) ? op->results()->Get(i) : -1;
  };
  auto attr = [&](const char *name) -> const ffx::Attr * {
    return op->attrs() ? op->attrs()->LookupByKey(name) : nullptr;
  };
  auto ints = [&](const char *name, std::vector<int64_t> dflt) {
    const ffx::Attr *a = attr(name);
    return a && a->ints() ? std::vector<int64_t>(a->ints()->begin(), a->ints()->end()) : dflt;
  };
  auto integer = [&](const char *name, int64_t dflt) {
    auto v = ints(name, {});
    return v.empty() ? dflt : v[0];
  };
  auto real = [&](const char *name, double dflt) {
    const ffx::Attr *a = attr(name);
    return a && a->floats() && a->floats()->size() ? a->floats()->Get(0) : dflt;
  };
  std::vector<std::string> in;
  for (int i = 0; i < numOperands(); ++i) {
    std::string v;
    if (operandId(i) >= 0 && !value(operandId(i), v))
      return false;
    in.push_back(v); // "" for an absent optional operand
  }
  if (resultId(0) < 0)
    return fail("the op has no result");
  const std::string y = resultName(resultId(0));
  std::vector<int64_t> xShape = operandId(0) >= 0 ? shapeOf(operandId(0)) : std::vector<int64_t>();
  std::vector<int64_t> yShape = shapeOf(resultId(0));
  // The relu epilogue ff-fuse folds into conv2d, linear and batch_norm is a
  // Relu node again: `emitOp` writes its node's output to the name given.
  auto withReluEpilogue = [&](const char *base, auto emitOp) {
    const bool relu = integer("relu", 0) != 0;
    const std::string out = relu ? fresh(base) : y;
    emitOp(out);
    if (relu)
      node("Relu", {out}, {y});
  };
  auto need = [&](int n) {
    for (int i = 0; i < n; ++i)
      if (i >= int(in.size()) || in[i].empty())
        return fail("operand " + std::to_string(i) + " is absent");
    return true;
  };
  // Pooling/convolution windows: ffx padding is [top, left, bottom, right],
  // which is ONNX's [x1_begin, x2_begin, x1_end, x2_end].
  auto window = [&](onnx::NodeProto *n, bool dilations) {
    setInts(n, "strides", ints("strides", {1, 1}));
    setInts(n, "pads", ints("padding", {0, 0, 0, 0}));
    if (dilations)
      setInts(n, "dilations", ints("dilations", {1, 1}));
  };

  if (kind == "fused") {
    // A generated kernel: export what it computes, its body's elementwise ops,
    // with the body's inputs and outputs named as the op's operands and results.
    const ffx::KernelLibrary *kernels = art.model()->kernels();
    int64_t index = integer("kernel", -1);
    if (prog != topLevel || !kernels || !kernels->bodies() || index < 0 ||
        size_t(index) >= kernels->bodies()->size())
      return fail("no kernel body to export");
    const ffx::Program *body = kernels->bodies()->Get(index);
    std::vector<std::string> outs;
    for (size_t i = 0; i < op->results()->size(); ++i)
      outs.push_back(resultName(resultId(int(i))));
    const ffx::Program *outer = prog;
    std::vector<std::string> outerNames = std::move(names);
    prog = body;
    names.assign(body->tensors()->size(), "");
    for (size_t i = 0; i < body->inputs()->size(); ++i)
      names[body->inputs()->Get(i)] = in[i];
    for (size_t i = 0; i < body->outputs()->size(); ++i)
      names[body->outputs()->Get(i)] = outs[i];
    bool ok = true;
    for (const ffx::Op *step : *body->ops())
      if (!(ok = emit(step)))
        break;
    prog = outer;
    names = std::move(outerNames);
    current = op;
    return ok;
  }
  if (kind == "conv2d") {
    if (!need(2))
      return false;
    std::vector<int64_t> w = shapeOf(operandId(1));
    if (w.size() != 4 || xShape.size() != 4)
      return fail("only 2-D convolutions (NCHW input, OIHW weight) are exported");
    std::vector<std::string> ins = {in[0], in[1]};
    if (in.size() > 2 && !in[2].empty())
      ins.push_back(in[2]);
    withReluEpilogue("conv", [&](const std::string &out) {
      onnx::NodeProto *n = node("Conv", ins, {out});
      setInts(n, "kernel_shape", {w[2], w[3]});
      window(n, true);
      setInt(n, "group", integer("groups", 1));
    });
  } else if (kind == "linear") {
    if (!need(2))
      return false;
    if (xShape.size() != 2)
      return fail("linear on a rank-" + std::to_string(xShape.size()) +
                  " input; only N x features is exported");
    std::vector<std::string> ins = {in[0], in[1]};
    if (in.size() > 2 && !in[2].empty())
      ins.push_back(in[2]);
    withReluEpilogue("gemm", [&](const std::string &out) {
      setInt(node("Gemm", ins, {out}), "transB", 1);
    });
  } else if (kind == "matmul") {
    if (!need(2))
      return false;
    node("MatMul", {in[0], in[1]}, {y});
  } else if (kind == "batch_norm") {
    if (integer("training", 0))
      return fail("batch normalisation in training mode (batch statistics) has no "
                  "inference form; export the predict program, which uses running statistics");
    if (xShape.size() < 2)
      return fail("batch normalisation of a rank-" + std::to_string(xShape.size()) + " tensor");
    if (in.size() < 5 || in[0].empty() || in[3].empty() || in[4].empty())
      return fail("batch normalisation without running mean and variance");
    std::vector<int64_t> c = {xShape[1]};
    std::string scale = in[1].empty() ? filledInit("bn_ones", c, 1.0f) : in[1];
    std::string bias = in[2].empty() ? filledInit("bn_zeros", c, 0.0f) : in[2];
    withReluEpilogue("bn", [&](const std::string &out) {
      onnx::NodeProto *n =
          node("BatchNormalization", {in[0], scale, bias, in[3], in[4]}, {out});
      setFloat(n, "epsilon", real("epsilon", 1e-5));
    });
  } else if (kind == "layer_norm") {
    if (!need(1))
      return false;
    int64_t axis = integer("axis", 1);
    if (axis < 0)
      axis += int64_t(xShape.size());
    if (axis < 1 || axis >= int64_t(xShape.size()))
      return fail("layer normalisation over axis " + std::to_string(axis) +
                  " (from the batch dimension) is not exported");
    std::vector<int64_t> norm(xShape.begin() + axis, xShape.end());
    auto operandAs = [&](int i, float fill, const char *base) -> std::string {
      if (i >= int(in.size()) || in[i].empty())
        return filledInit(base, norm, fill);
      std::vector<int64_t> s = shapeOf(operandId(i));
      if (s == norm)
        return in[i];
      if (count(s) != count(norm)) {
        fail("a scale or bias of shape " + shapeText(s) + " for normalised dims " +
             shapeText(norm));
        return "";
      }
      std::string r = fresh(in[i] + "_as_" + shapeText(norm));
      node("Reshape", {in[i], intInit("shape", norm)}, {r});
      return r;
    };
    // ONNX needs a scale; the bias is optional.
    std::string scale = operandAs(1, 1.0f, "ln_ones");
    bool hasBias = in.size() > 2 && !in[2].empty();
    std::string bias = hasBias ? operandAs(2, 0.0f, "ln_zeros") : "";
    if (scale.empty() || (hasBias && bias.empty()))
      return false;
    std::vector<std::string> ins = {in[0], scale};
    if (hasBias)
      ins.push_back(bias);
    onnx::NodeProto *n = node("LayerNormalization", ins, {y});
    setInt(n, "axis", axis);
    setFloat(n, "epsilon", real("epsilon", 1e-5));
  } else if (kind == "relu" || kind == "sigmoid" || kind == "hardswish") {
    if (!need(1))
      return false;
    node(kind == "relu" ? "Relu" : kind == "sigmoid" ? "Sigmoid" : "HardSwish", {in[0]}, {y});
  } else if (kind == "hardsigmoid") {
    if (!need(1))
      return false;
    onnx::NodeProto *n = node("HardSigmoid", {in[0]}, {y});
    setFloat(n, "alpha", real("alpha", 0.2));
    setFloat(n, "beta", real("beta", 0.5));
  } else if (kind == "clip") {
    if (!need(1))
      return false;
    double lo = real("min", -INFINITY), hi = real("max", INFINITY);
    float flo = float(lo), fhi = float(hi);
    std::string mn = std::isinf(lo) ? "" : floatInit("clip_min", {}, &flo, 1);
    std::string mx = std::isinf(hi) ? "" : floatInit("clip_max", {}, &fhi, 1);
    node("Clip", {in[0], mn, mx}, {y});
  } else if (kind == "add" || kind == "sub" || kind == "mul" || kind == "div") {
    if (!need(2))
      return false;
    std::string type = kind == "add" ? "Add" : kind == "sub" ? "Sub" : kind == "mul" ? "Mul" : "Div";
    node(type, {in[0], in[1]}, {y});
  } else if (kind == "softmax") {
    if (!need(1))
      return false;
    onnx::NodeProto *n = node("Softmax", {in[0]}, {y});
    setInt(n, "axis", integer("axis", -1));
  } else if (kind == "max_pool2d" || kind == "avg_pool2d") {
    if (!need(1))
      return false;
    bool isMax = kind == "max_pool2d";
    std::vector<int64_t> dil = ints("dilations", {1, 1});
    if (!isMax && (dil[0] != 1 || dil[1] != 1))
      return fail("dilated average pooling needs opset 19; this exporter writes opset " +
                  std::to_string(kOpset));
    onnx::NodeProto *n = node(isMax ? "MaxPool" : "AveragePool", {in[0]}, {y});
    setInts(n, "kernel_shape", ints("kernel", {1, 1}));
    window(n, isMax);
    setInt(n, "ceil_mode", integer("ceil_mode", 0));
    if (!isMax)
      setInt(n, "count_include_pad", integer("count_include_pad", 0));
  } else if (kind == "global_avg_pool") {
    if (!need(1))
      return false;
    if (yShape.size() == 4) {
      node("GlobalAveragePool", {in[0]}, {y});
    } else {
      std::string g = fresh("t" + std::to_string(resultId(0)) + "_pooled");
      node("GlobalAveragePool", {in[0]}, {g});
      onnx::NodeProto *n = node("Flatten", {g}, {y});
      setInt(n, "axis", 1);
    }
  } else if (kind == "concat") {
    if (!need(numOperands()))
      return false;
    onnx::NodeProto *n = node("Concat", in, {y});
    setInt(n, "axis", integer("axis", 0));
  } else if (kind == "slice") {
    if (!need(1))
      return false;
    std::vector<int64_t> offsets = ints("offsets", {}), starts, ends, axes;
    if (offsets.size() != xShape.size() || yShape.size() != xShape.size())
      return fail("offsets and shapes of different ranks");
    for (size_t d = 0; d < xShape.size(); ++d) {
      if (offsets[d] == 0 && yShape[d] == xShape[d])
        continue; // the whole dimension (this keeps the batch symbolic)
      starts.push_back(offsets[d]);
      ends.push_back(offsets[d] + yShape[d]);
      axes.push_back(int64_t(d));
      if (d == 0)
        staticBatch = true;
    }
    if (axes.empty())
      node("Identity", {in[0]}, {y});
    else
      node("Slice", {in[0], intInit("starts", starts), intInit("ends", ends),
                     intInit("axes", axes)}, {y});
  } else if (kind == "transpose") {
    if (!need(1))
      return false;
    onnx::NodeProto *n = node("Transpose", {in[0]}, {y});
    setInts(n, "perm", ints("permutation", {}));
  } else if (kind == "broadcast") {
    if (!need(1))
      return false;
    // Expand broadcasts both ways: a 1 where the input already has the
    // extent (the batch) keeps that extent.
    std::vector<int64_t> target = yShape;
    size_t off = yShape.size() - std::min(yShape.size(), xShape.size());
    for (size_t d = off; d < yShape.size(); ++d)
      if (xShape[d - off] == yShape[d])
        target[d] = 1;
    if (!yShape.empty() && target[0] == batch && batch != 1)
      staticBatch = true;
    node("Expand", {in[0], intInit("shape", target)}, {y});
  } else if (kind == "reduce_sum") {
    if (!need(1))
      return false;
    const ffx::Attr *a = attr("axes");
    std::vector<int64_t> axes;
    bool keep = yShape.size() == xShape.size();
    if (a && a->ints()) {
      axes.assign(a->ints()->begin(), a->ints()->end());
    } else {
      // Summed dims are those of size 1 in y (right-aligned): see cpu::reduceSum.
      size_t off = xShape.size() - std::min(xShape.size(), yShape.size());
      for (size_t d = 0; d < xShape.size(); ++d)
        if (d < off || (yShape[d - off] == 1 && xShape[d] != 1))
          axes.push_back(int64_t(d));
      if (!keep && off > 0) {
        // Leading dims dropped, trailing ones kept with size 1: sum with
        // keepdims, then reshape to y.
        std::string s = fresh("t" + std::to_string(resultId(0)) + "_sum");
        onnx::NodeProto *n = node("ReduceSum", {in[0], intInit("axes", axes)}, {s});
        setInt(n, "keepdims", 1);
        std::vector<int64_t> kept = xShape;
        for (int64_t ax : axes)
          kept[ax] = 1;
        reshape(s, kept, yShape, y);
        return true;
      }
    }
    if (axes.empty()) {
      node("Identity", {in[0]}, {y});
    } else {
      onnx::NodeProto *n = node("ReduceSum", {in[0], intInit("axes", axes)}, {y});
      setInt(n, "keepdims", keep ? 1 : 0);
    }
  } else if (kind == "goodness") {
    if (!need(1))
      return false;
    int64_t groups = integer("groups", 1);
    if (xShape.size() < 2 || groups < 1 || xShape[1] % groups)
      return fail("goodness of a " + shapeText(xShape) + " tensor in " +
                  std::to_string(groups) + " groups");
    // mean over each group's channels and trailing dims of x*x:
    // Mul -> Reshape [N, K, -1, 1] -> GlobalAveragePool -> Flatten.
    std::string base = "t" + std::to_string(resultId(0));
    std::string sq = fresh(base + "_square"), grouped = fresh(base + "_grouped"),
                pooled = fresh(base + "_mean");
    node("Mul", {in[0], in[0]}, {sq});
    std::vector<int64_t> g = {xShape[0], groups, count(xShape) / xShape[0] / groups, 1};
    reshape(sq, xShape, g, grouped);
    node("GlobalAveragePool", {grouped}, {pooled});
    onnx::NodeProto *n = node("Flatten", {pooled}, {y});
    setInt(n, "axis", 1);
  } else if (kind == "vote") {
    if (!need(numOperands()) || numOperands() < 1)
      return fail("a vote needs at least one score tensor");
    bool last = integer("last", 0) != 0, softmax = integer("softmax", 0) != 0;
    std::vector<std::string> scores(last ? in.end() - 1 : in.begin(), in.end());
    std::string base = "t" + std::to_string(resultId(0));
    if (softmax)
      for (auto &s : scores) {
        std::string p = fresh(base + "_softmax");
        onnx::NodeProto *n = node("Softmax", {s}, {p});
        setInt(n, "axis", 1);
        s = p;
      }
    if (scores.size() == 1) {
      node("Identity", {scores[0]}, {y});
    } else {
      std::string acc = scores[0];
      for (size_t i = 1; i < scores.size(); ++i) {
        std::string sum = fresh(base + "_sum");
        node("Add", {acc, scores[i]}, {sum});
        acc = sum;
      }
      float n = float(scores.size());
      node("Div", {acc, floatInit("vote_count", {}, &n, 1)}, {y});
    }
  } else {
    return fail("it has no ONNX equivalent in an inference model (only the ops of a "
                "predict program are exported)");
  }
  // Results beyond the first (none of the ops above has more) would be lost.
  if (resultId(1) >= 0)
    return fail("op with several results");
  return true;
}

bool Exporter::build(onnx::ModelProto &model, std::string &err) {
  const ffx::Metadata *meta = art.metadata();
  batch = meta->batch();
  names.assign(prog->tensors()->size(), "");
  model.set_ir_version(8);
  model.set_producer_name("ff-run export");
  if (meta->producer())
    model.set_producer_version(meta->producer()->str());
  model.set_model_version(1);
  auto *opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOpset);
  auto addMeta = [&](const std::string &k, const flatbuffers::String *v) {
    if (!v)
      return;
    auto *p = model.add_metadata_props();
    p->set_key(k);
    p->set_value(v->str());
  };
  addMeta("ffc.mode", meta->mode());
  addMeta("ffc.loss", meta->loss());
  addMeta("ffc.source", meta->source());
  addMeta("ffc.program", prog->name());
  graph = model.mutable_graph();
  graph->set_name(meta->source() ? "ffc:" + meta->source()->str() : "ffc");

  if (!prog->inputs() || prog->inputs()->size() != 1) {
    err = "program '" + prog->name()->str() + "' takes " +
          std::to_string(prog->inputs() ? prog->inputs()->size() : 0) +
          " inputs; only a program of one image input is exported";
    return false;
  }
  int32_t inputId = prog->inputs()->Get(0);
  if (tensor(inputId)->element_type() != ffx::ElementType::F32) {
    err = "the input of program '" + prog->name()->str() + "' is not float";
    return false;
  }
  std::string inputName = prog->input_names() && prog->input_names()->size()
                              ? prog->input_names()->Get(0)->str()
                              : "input";
  names[inputId] = fresh(inputName);
  // Program outputs get the program's output names.
  std::vector<int32_t> outputs(prog->outputs()->begin(), prog->outputs()->end());
  for (size_t i = 0; i < outputs.size(); ++i) {
    int32_t id = outputs[i];
    if (tensor(id)->kind() != ffx::TensorKind::Activation ||
        tensor(id)->element_type() != ffx::ElementType::F32) {
      err = "output " + std::to_string(i) + " of program '" + prog->name()->str() +
            "' is not a float activation";
      return false;
    }
    if (names[id].empty())
      names[id] = fresh(prog->output_names() && i < prog->output_names()->size()
                            ? prog->output_names()->Get(i)->str()
                            : "output" + std::to_string(i));
  }
  for (const ffx::Op *op : *prog->ops())
    if (!emit(op)) {
      err = error;
      return false;
    }
  current = nullptr;

  auto valueInfo = [&](onnx::ValueInfoProto *vi, const std::string &name,
                       const std::vector<int64_t> &shape) {
    vi->set_name(name);
    auto *tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    auto *sp = tt->mutable_shape();
    for (size_t d = 0; d < shape.size(); ++d) {
      auto *dim = sp->add_dim();
      if (d == 0 && !staticBatch)
        dim->set_dim_param("N");
      else
        dim->set_dim_value(shape[d]);
    }
  };
  std::vector<int64_t> inShape = shapeOf(inputId);
  if (inShape.empty() || inShape[0] != batch)
    staticBatch = true;
  for (int32_t id : outputs) {
    std::vector<int64_t> s = shapeOf(id);
    if (s.empty() || s[0] != batch)
      staticBatch = true;
  }
  valueInfo(graph->add_input(), names[inputId], inShape);
  for (int32_t id : outputs)
    valueInfo(graph->add_output(), names[id], shapeOf(id));
  return true;
}

} // namespace

bool exportOnnx(const Artifact &artifact, const OnnxExportOptions &options,
                std::string &bytes, bool &symbolicBatch, std::string &error) {
  const ffx::Program *prog = artifact.program(options.program);
  if (!prog) {
    error = "the artifact has no program '" + options.program + "'";
    return false;
  }
  std::vector<std::vector<float>> own;
  const std::vector<std::vector<float>> *params = options.params;
  if (!params) {
    for (const ffx::Param *p : *artifact.model()->params())
      own.emplace_back(p->data()->begin(), p->data()->end());
    params = &own;
  }
  if (params->size() != artifact.model()->params()->size()) {
    error = "got " + std::to_string(params->size()) + " parameter arrays for " +
            std::to_string(artifact.model()->params()->size()) + " parameters";
    return false;
  }
  onnx::ModelProto model;
  Exporter exporter(artifact, prog, *params);
  if (!exporter.build(model, error))
    return false;
  symbolicBatch = !exporter.staticBatch;
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception &e) {
    error = std::string("the exported model fails the ONNX checker: ") + e.what();
    return false;
  }
  if (!model.SerializeToString(&bytes)) {
    error = "cannot serialize the ONNX model (over 2 GiB?)";
    return false;
  }
  return true;
}

bool exportOnnxFile(const Artifact &artifact, const OnnxExportOptions &options,
                    const std::string &path, bool &symbolicBatch, std::string &error) {
  std::string bytes;
  if (!exportOnnx(artifact, options, bytes, symbolicBatch, error))
    return false;
  return writeFileAtomically(path, bytes.data(), bytes.size(), error);
}

} // namespace ffrt
