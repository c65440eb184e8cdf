//===- OnnxImporter.cpp - ONNX models into the ff dialect -----------------===//
//
// Walks an ONNX graph in node order and builds `ff` ops. Small integer tensors
// (shape computations such as PyTorch's Shape -> Gather -> Unsqueeze -> Concat
// -> Reshape chains) are evaluated here at import time, so the `ff` graph sees
// only static shapes. Float initializers become `ff.param` symbols with their
// ONNX names; node names become the ops' locations.
//
//===----------------------------------------------------------------------===//
#include "frontend/onnx/OnnxImporter.h"

#include "dialects/FF/IR/FFDialect.h"
#include "dialects/FF/IR/FFOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/MemoryBuffer.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <numeric>
#include <optional>

using namespace mlir;
namespace ff = ffc::ff;

namespace ffc::frontend {
namespace {

/// An integer or float tensor known at import time (ONNX Constant nodes,
/// integer initializers, results of shape computations).
struct KnownTensor {
  std::vector<int64_t> shape;
  bool isFloat = false;
  std::vector<int64_t> ints;
  std::vector<float> floats;
  int64_t numElements() const {
    return std::accumulate(shape.begin(), shape.end(), int64_t{1},
                           std::multiplies<int64_t>());
  }
};

/// The double with the shortest decimal form that rounds to `f`: ONNX stores
/// float32 attributes, and 1e-5 should read as 1e-5, not 9.99999974e-6.
double widenFloat(float f) {
  char text[64];
  auto res = std::to_chars(text, text + sizeof(text), f);
  *res.ptr = '\0';
  return std::strtod(text, nullptr);
}

/// Attribute access on a NodeProto.
class NodeAttrs {
public:
  explicit NodeAttrs(const onnx::NodeProto &node) {
    for (const auto &a : node.attribute())
      attrs[a.name()] = &a;
  }
  const onnx::AttributeProto *get(const std::string &name) const {
    auto it = attrs.find(name);
    return it == attrs.end() ? nullptr : it->second;
  }
  int64_t getInt(const std::string &name, int64_t dflt) const {
    auto *a = get(name);
    return a ? a->i() : dflt;
  }
  double getFloat(const std::string &name, double dflt) const {
    auto *a = get(name);
    return a ? widenFloat(a->f()) : dflt;
  }
  std::string getString(const std::string &name, const std::string &dflt) const {
    auto *a = get(name);
    return a ? a->s() : dflt;
  }
  std::optional<std::vector<int64_t>> getInts(const std::string &name) const {
    auto *a = get(name);
    if (!a)
      return std::nullopt;
    return std::vector<int64_t>(a->ints().begin(), a->ints().end());
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (auto &kv : attrs)
      out.push_back(kv.first);
    return out;
  }

private:
  std::map<std::string, const onnx::AttributeProto *> attrs;
};

const char *const kSupportedOps[] = {
    "Add",         "AveragePool",       "BatchNormalization", "Cast",
    "Clip",        "Concat",            "Constant",           "Conv",
    "Div",         "Dropout",           "Flatten",            "Gather",
    "Gemm",        "GlobalAveragePool", "HardSigmoid",        "HardSwish",
    "Identity",    "LayerNormalization", "MatMul",            "MaxPool",
    "Mul",         "Relu",              "Reshape",            "Shape",
    "Sigmoid",     "Slice",             "Softmax",            "Squeeze",
    "Sub",         "Unsqueeze",
};

class Importer {
public:
  Importer(const onnx::ModelProto &model, StringRef sourceName,
           MLIRContext &context, const OnnxImportOptions &options)
      : model(model), graph(model.graph()), sourceName(sourceName.str()),
        context(context), options(options), builder(&context) {}

  OwningOpRef<ModuleOp> run();

private:
  // Diagnostics.
  Location fileLoc() { return FileLineColLoc::get(&context, sourceName, 0, 0); }
  InFlightDiagnostic fileError() {
    return emitError(fileLoc());
  }
  InFlightDiagnostic nodeError(const onnx::NodeProto &node) {
    return emitError(nodeLoc(node))
           << "ONNX node '" << nodeName(node) << "' (" << node.op_type()
           << ", opset " << opset << "): ";
  }
  std::string nodeName(const onnx::NodeProto &node) {
    if (!node.name().empty())
      return node.name();
    return node.op_type() + "#" + std::to_string(nodeIndex);
  }
  Location nodeLoc(const onnx::NodeProto &node) {
    return NameLoc::get(StringAttr::get(&context, nodeName(node)), fileLoc());
  }

  // Setup.
  LogicalResult checkModel();
  LogicalResult readOpset();
  LogicalResult readInitializers();
  LogicalResult readInputs(SmallVectorImpl<Type> &argTypes,
                           SmallVectorImpl<std::string> &argNames);
  LogicalResult runOnnxShapeInference();
  LogicalResult importNode(const onnx::NodeProto &node);
  LogicalResult checkAgainstOnnxShape(const onnx::NodeProto &node,
                                      const std::string &name, Value value);

  // Values.
  bool isDefined(const std::string &name) {
    return values.count(name) || known.count(name) || params.count(name);
  }
  /// The float tensor value named `name`, materialising parameters and known
  /// constants on first use. Emits an error naming the node on failure.
  FailureOr<Value> tensorInput(const onnx::NodeProto &node, int index);
  /// Optional input: nullptr result when absent (empty name or out of range).
  FailureOr<Value> optionalTensorInput(const onnx::NodeProto &node, int index);
  /// A known (import-time) tensor input, e.g. a Reshape shape.
  FailureOr<const KnownTensor *> knownInput(const onnx::NodeProto &node,
                                            int index, StringRef what);
  bool hasInput(const onnx::NodeProto &node, int index) {
    return index < node.input_size() && !node.input(index).empty();
  }
  LogicalResult defineOutput(const onnx::NodeProto &node, int index, Value v);
  LogicalResult requireUnusedOutputs(const onnx::NodeProto &node, int from);
  RankedTensorType tensorType(Value v) {
    return cast<RankedTensorType>(v.getType());
  }
  FailureOr<KnownTensor> readTensorProto(const onnx::TensorProto &t,
                                         const std::string &where);

  /// Builds a shape-inferring ff op for `node`; a shape error is reported as
  /// an error of the node instead of aborting as the generated builders would.
  template <typename OpTy, typename... Args>
  FailureOr<Value> build(const onnx::NodeProto &node, Args &&...args) {
    Location loc = nodeLoc(node);
    OperationState state(loc, OpTy::getOperationName());
    OpTy::build(builder, state, Type(), std::forward<Args>(args)...);
    state.types.clear();
    SmallVector<Type, 1> types;
    std::string problem;
    LogicalResult inferred = failure();
    {
      ScopedDiagnosticHandler capture(&context, [&](Diagnostic &d) {
        problem = d.str();
        return success();
      });
      inferred = OpTy::inferReturnTypes(
          &context, loc, state.operands, state.attributes.getDictionary(&context),
          state.getRawProperties(), state.regions, types);
    }
    if (failed(inferred))
      return nodeError(node) << problem, failure();
    state.addTypes(types);
    return builder.create(state)->getResult(0);
  }
  LogicalResult define(const onnx::NodeProto &node, FailureOr<Value> v) {
    return failed(v) ? failure() : defineOutput(node, 0, *v);
  }

  // Conversions by op family.
  LogicalResult importConv(const onnx::NodeProto &node, const NodeAttrs &attrs);
  LogicalResult importPool(const onnx::NodeProto &node, const NodeAttrs &attrs,
                           bool isMax);
  LogicalResult importBatchNorm(const onnx::NodeProto &node,
                                const NodeAttrs &attrs);
  LogicalResult importGemm(const onnx::NodeProto &node, const NodeAttrs &attrs);
  LogicalResult importReshapeLike(const onnx::NodeProto &node,
                                  const NodeAttrs &attrs);
  LogicalResult importShapeOp(const onnx::NodeProto &node,
                              const NodeAttrs &attrs);
  FailureOr<std::vector<int64_t>> resolvePads(const onnx::NodeProto &node,
                                              const NodeAttrs &attrs,
                                              ArrayRef<int64_t> inputHW,
                                              ArrayRef<int64_t> kernel,
                                              ArrayRef<int64_t> strides,
                                              ArrayRef<int64_t> dilations);
  LogicalResult checkAttrs(const onnx::NodeProto &node, const NodeAttrs &attrs,
                           std::initializer_list<const char *> allowed);

  const onnx::ModelProto &model;
  const onnx::GraphProto &graph;
  std::string sourceName;
  MLIRContext &context;
  OnnxImportOptions options;
  OpBuilder builder;
  int64_t opset = 0;
  int nodeIndex = 0;
  int64_t batch = 1;

  ModuleOp module;
  // Float initializers: name -> the ff.param that holds them.
  llvm::StringMap<ff::ParamOp> params;
  // Float initializers by name, for the few that are read at import time
  // (Clip bounds, Dropout ratio).
  std::map<std::string, const onnx::TensorProto *> floatInitializers;
  llvm::DenseSet<StringRef> bufferParams;
  std::map<std::string, KnownTensor> known;
  llvm::StringMap<Value> values;
  Operation *lastParamRef = nullptr;
  // ONNX's own shape inference results, used as a cross-check.
  std::map<std::string, std::vector<int64_t>> onnxShapes;
  // Names that some node reads: outputs nobody reads may be dropped.
  std::map<std::string, int> useCount;
};

//===----------------------------------------------------------------------===//
// Model-level checks and setup
//===----------------------------------------------------------------------===//

LogicalResult Importer::checkModel() {
  if (!model.has_graph() || model.ir_version() <= 0)
    return fileError() << "not an ONNX model (no graph or IR version)";
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception &e) {
    return fileError() << "the ONNX checker rejects the model: " << e.what();
  }
  return success();
}

LogicalResult Importer::readOpset() {
  for (const auto &imp : model.opset_import()) {
    if (imp.domain().empty() || imp.domain() == "ai.onnx")
      opset = imp.version();
    else if (imp.domain() != "ai.onnx.ml")
      return fileError() << "unsupported opset domain '" << imp.domain() << "'";
  }
  if (opset < kMinOnnxOpset || opset > kMaxOnnxOpset)
    return fileError() << "unsupported ONNX opset " << opset << "; ffc reads opsets "
                       << kMinOnnxOpset << " to " << kMaxOnnxOpset;
  return success();
}

FailureOr<KnownTensor> Importer::readTensorProto(const onnx::TensorProto &t,
                                                 const std::string &where) {
  KnownTensor out;
  out.shape.assign(t.dims().begin(), t.dims().end());
  for (int64_t d : out.shape)
    if (d < 0)
      return fileError() << where << ": negative dimension in tensor '"
                         << t.name() << "'",
             failure();
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    return fileError() << where << ": tensor '" << t.name()
                       << "' stores its data in an external file, which ffc "
                          "does not read; re-export the model with the weights "
                          "inside the file",
           failure();
  int64_t n = out.numElements();
  const std::string &raw = t.raw_data();
  auto sizeError = [&](int64_t got) {
    fileError() << where << ": tensor '" << t.name() << "' of shape ["
                << llvm::join(llvm::map_range(out.shape,
                                              [](int64_t d) { return std::to_string(d); }),
                              ", ")
                << "] holds " << got << " elements instead of " << n
                << " (truncated or corrupt data)";
    return failure();
  };
  switch (t.data_type()) {
  case onnx::TensorProto::FLOAT:
    out.isFloat = true;
    if (t.has_raw_data()) {
      if (static_cast<int64_t>(raw.size()) != n * 4)
        return sizeError(static_cast<int64_t>(raw.size()) / 4);
      out.floats.resize(n);
      std::memcpy(out.floats.data(), raw.data(), raw.size());
    } else {
      if (t.float_data_size() != n)
        return sizeError(t.float_data_size());
      out.floats.assign(t.float_data().begin(), t.float_data().end());
    }
    return out;
  case onnx::TensorProto::INT64:
    if (t.has_raw_data()) {
      if (static_cast<int64_t>(raw.size()) != n * 8)
        return sizeError(static_cast<int64_t>(raw.size()) / 8);
      out.ints.resize(n);
      std::memcpy(out.ints.data(), raw.data(), raw.size());
    } else {
      if (t.int64_data_size() != n)
        return sizeError(t.int64_data_size());
      out.ints.assign(t.int64_data().begin(), t.int64_data().end());
    }
    return out;
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::BOOL:
    if (t.has_raw_data()) {
      int64_t width = t.data_type() == onnx::TensorProto::BOOL ? 1 : 4;
      if (static_cast<int64_t>(raw.size()) != n * width)
        return sizeError(static_cast<int64_t>(raw.size()) / width);
      for (int64_t i = 0; i < n; ++i) {
        int32_t v = 0;
        std::memcpy(&v, raw.data() + i * width, width);
        out.ints.push_back(v);
      }
    } else {
      if (t.int32_data_size() != n)
        return sizeError(t.int32_data_size());
      out.ints.assign(t.int32_data().begin(), t.int32_data().end());
    }
    return out;
  default:
    return fileError() << where << ": tensor '" << t.name()
                       << "' has ONNX data type " << t.data_type()
                       << "; ffc reads float32 tensors and int32/int64/bool "
                          "shape tensors",
           failure();
  }
}

LogicalResult Importer::readInitializers() {
  // Which initializers are batch-norm running statistics: those are state the
  // optimizer must not train (`buffer` params).
  std::set<std::string> runningStats;
  for (const auto &node : graph.node())
    if (node.op_type() == "BatchNormalization")
      for (int i = 3; i < 5 && i < node.input_size(); ++i)
        runningStats.insert(node.input(i));

  builder.setInsertionPointToEnd(module.getBody());
  for (const auto &init : graph.initializer()) {
    if (init.name().empty())
      return fileError() << "an initializer has no name";
    if (params.count(init.name()) || known.count(init.name()))
      return fileError() << "initializer '" << init.name() << "' is defined twice";
    auto tensor = readTensorProto(init, "initializer '" + init.name() + "'");
    if (failed(tensor))
      return failure();
    if (!tensor->isFloat) {
      known[init.name()] = std::move(*tensor);
      continue;
    }
    auto type = RankedTensorType::get(tensor->shape, builder.getF32Type());
    auto blob = HeapAsmResourceBlob::allocateAndCopyInferAlign(
        ArrayRef<float>(tensor->floats));
    auto value = DenseResourceElementsAttr::get(type, init.name(), std::move(blob));
    auto loc = NameLoc::get(StringAttr::get(&context, init.name()), fileLoc());
    auto param = ff::ParamOp::create(builder, loc, init.name(), value,
                                     runningStats.count(init.name()) != 0);
    params[init.name()] = param;
    floatInitializers[init.name()] = &init;
  }
  return success();
}

LogicalResult Importer::readInputs(SmallVectorImpl<Type> &argTypes,
                                   SmallVectorImpl<std::string> &argNames) {
  for (const auto &input : graph.input()) {
    // Older exporters list initializers as graph inputs too.
    if (params.count(input.name()) || known.count(input.name()))
      continue;
    const auto &type = input.type();
    if (!type.has_tensor_type())
      return fileError() << "graph input '" << input.name()
                         << "' is not a tensor";
    if (type.tensor_type().elem_type() != onnx::TensorProto::FLOAT)
      return fileError() << "graph input '" << input.name()
                         << "' has element type "
                         << onnx::TensorProto_DataType_Name(type.tensor_type().elem_type())
                         << "; ffc models take FLOAT (float32) inputs";
    if (!type.tensor_type().has_shape())
      return fileError() << "graph input '" << input.name()
                         << "' has no shape; ffc needs static shapes";
    SmallVector<int64_t> shape;
    const auto &dims = type.tensor_type().shape().dim();
    for (int i = 0; i < dims.size(); ++i) {
      const auto &dim = dims[i];
      if (i == 0) {
        if (options.batch > 0)
          shape.push_back(options.batch);
        else if (dim.has_dim_value() && dim.dim_value() > 0)
          shape.push_back(dim.dim_value());
        else
          shape.push_back(1);
        continue;
      }
      if (!dim.has_dim_value() || dim.dim_value() <= 0)
        return fileError() << "graph input '" << input.name()
                           << "' has a dynamic dimension " << i
                           << (dim.has_dim_param() ? " ('" + dim.dim_param() + "')" : "")
                           << "; ffc needs static shapes (only dimension 0, the "
                              "batch, may be dynamic: it is set with --batch)";
      shape.push_back(dim.dim_value());
    }
    if (shape.empty())
      return fileError() << "graph input '" << input.name()
                         << "' is a scalar; ffc expects a batch of tensors";
    batch = shape[0];
    argTypes.push_back(RankedTensorType::get(shape, builder.getF32Type()));
    argNames.push_back(input.name());
  }
  if (argTypes.empty())
    return fileError() << "the graph has no input (every input is an initializer)";
  return success();
}

LogicalResult Importer::runOnnxShapeInference() {
  // Infer on a copy whose inputs carry the resolved batch size, so that every
  // intermediate shape comes out static and comparable with ffc's own.
  onnx::ModelProto copy = model;
  auto *g = copy.mutable_graph();
  g->clear_value_info();
  for (auto &out : *g->mutable_output())
    out.mutable_type()->mutable_tensor_type()->clear_shape();
  for (auto &input : *g->mutable_input()) {
    if (params.count(input.name()) || known.count(input.name()))
      continue;
    auto *shape = input.mutable_type()->mutable_tensor_type()->mutable_shape();
    if (shape->dim_size() > 0)
      shape->mutable_dim(0)->set_dim_value(batch);
  }
  try {
    onnx::ShapeInferenceOptions opts(/*check_type=*/true, /*strict_mode=*/1,
                                     /*data_prop=*/true);
    onnx::shape_inference::InferShapes(copy, onnx::OpSchemaRegistry::Instance(),
                                       opts);
  } catch (const std::exception &e) {
    return fileError() << "ONNX shape inference fails: " << e.what();
  }
  auto record = [&](const onnx::ValueInfoProto &vi) {
    if (!vi.type().has_tensor_type() || !vi.type().tensor_type().has_shape())
      return;
    std::vector<int64_t> shape;
    for (const auto &d : vi.type().tensor_type().shape().dim()) {
      if (!d.has_dim_value())
        return;
      shape.push_back(d.dim_value());
    }
    onnxShapes[vi.name()] = shape;
  };
  for (const auto &vi : g->value_info())
    record(vi);
  for (const auto &vi : g->output())
    record(vi);
  return success();
}

LogicalResult Importer::checkAgainstOnnxShape(const onnx::NodeProto &node,
                                              const std::string &name,
                                              Value value) {
  auto it = onnxShapes.find(name);
  if (it == onnxShapes.end())
    return success();
  ArrayRef<int64_t> ours = tensorType(value).getShape();
  if (ours == ArrayRef<int64_t>(it->second))
    return success();
  auto str = [](ArrayRef<int64_t> s) {
    return "[" + llvm::join(llvm::map_range(s, [](int64_t d) { return std::to_string(d); }), ", ") + "]";
  };
  return nodeError(node) << "output '" << name << "' has shape " << str(ours)
                         << " in ffc but " << str(it->second)
                         << " by ONNX shape inference";
}

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

FailureOr<Value> Importer::tensorInput(const onnx::NodeProto &node, int index) {
  if (!hasInput(node, index))
    return nodeError(node) << "input " << index << " is missing", failure();
  const std::string &name = node.input(index);
  if (auto it = values.find(name); it != values.end())
    return it->second;
  if (auto it = params.find(name); it != params.end()) {
    ff::ParamOp param = it->second;
    // One read per parameter, at the top of the function in order of first use.
    OpBuilder::InsertionGuard guard(builder);
    if (lastParamRef)
      builder.setInsertionPointAfter(lastParamRef);
    else
      builder.setInsertionPointToStart(builder.getInsertionBlock());
    auto ref = ff::ParamRefOp::create(builder, param.getLoc(), param.getType(),
                                      param.getSymName());
    lastParamRef = ref;
    values[name] = ref.getResult();
    return ref.getResult();
  }
  if (auto it = known.find(name); it != known.end()) {
    const KnownTensor &k = it->second;
    if (!k.isFloat)
      return nodeError(node) << "input '" << name
                             << "' is an integer tensor where a float tensor is expected",
             failure();
    auto type = RankedTensorType::get(k.shape, builder.getF32Type());
    auto attr = DenseElementsAttr::get(type, ArrayRef<float>(k.floats));
    Value v = ff::ConstantOp::create(builder, nodeLoc(node), attr);
    values[name] = v;
    return v;
  }
  return nodeError(node) << "reads '" << name
                         << "', which no earlier node, graph input or "
                            "initializer defines",
         failure();
}

FailureOr<Value> Importer::optionalTensorInput(const onnx::NodeProto &node,
                                               int index) {
  if (!hasInput(node, index))
    return Value();
  return tensorInput(node, index);
}

FailureOr<const KnownTensor *> Importer::knownInput(const onnx::NodeProto &node,
                                                    int index, StringRef what) {
  if (!hasInput(node, index))
    return nodeError(node) << "the " << what << " input is missing", failure();
  auto it = known.find(node.input(index));
  if (it != known.end())
    return &it->second;
  if (auto init = floatInitializers.find(node.input(index));
      init != floatInitializers.end()) {
    auto tensor = readTensorProto(*init->second, "initializer '" + init->first + "'");
    if (failed(tensor))
      return failure();
    return &(known[init->first] = std::move(*tensor));
  }
  if (!isDefined(node.input(index)))
    return nodeError(node) << "reads '" << node.input(index)
                           << "', which no earlier node, graph input or "
                              "initializer defines",
           failure();
  return nodeError(node) << "the " << what << " ('" << node.input(index)
                         << "') must be known when the model is compiled; it is "
                            "computed at run time",
         failure();
}

LogicalResult Importer::defineOutput(const onnx::NodeProto &node, int index,
                                     Value v) {
  const std::string &name = node.output(index);
  if (isDefined(name))
    return nodeError(node) << "output '" << name << "' is defined twice";
  values[name] = v;
  return checkAgainstOnnxShape(node, name, v);
}

LogicalResult Importer::requireUnusedOutputs(const onnx::NodeProto &node,
                                             int from) {
  for (int i = from; i < node.output_size(); ++i)
    if (!node.output(i).empty() && useCount[node.output(i)] > 0)
      return nodeError(node) << "output " << i << " ('" << node.output(i)
                             << "') is used by the graph; ffc supports only the "
                                "first output of "
                             << node.op_type();
  return success();
}

LogicalResult Importer::checkAttrs(const onnx::NodeProto &node,
                                   const NodeAttrs &attrs,
                                   std::initializer_list<const char *> allowed) {
  for (const std::string &name : attrs.names())
    if (llvm::none_of(allowed, [&](const char *a) { return name == a; }))
      return nodeError(node) << "unsupported attribute '" << name << "'";
  return success();
}

//===----------------------------------------------------------------------===//
// Nodes
//===----------------------------------------------------------------------===//

FailureOr<std::vector<int64_t>>
Importer::resolvePads(const onnx::NodeProto &node, const NodeAttrs &attrs,
                      ArrayRef<int64_t> inputHW, ArrayRef<int64_t> kernel,
                      ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations) {
  std::string autoPad = attrs.getString("auto_pad", "NOTSET");
  if (autoPad == "NOTSET") {
    auto pads = attrs.getInts("pads").value_or(std::vector<int64_t>{0, 0, 0, 0});
    if (pads.size() != 4)
      return nodeError(node) << "pads must have 4 entries for a 2-D window, got "
                             << pads.size(),
             failure();
    return pads;
  }
  if (autoPad == "VALID")
    return std::vector<int64_t>{0, 0, 0, 0};
  if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    std::vector<int64_t> pads(4);
    for (int i = 0; i < 2; ++i) {
      int64_t out = (inputHW[i] + strides[i] - 1) / strides[i];
      int64_t total = std::max<int64_t>(
          0, (out - 1) * strides[i] + dilations[i] * (kernel[i] - 1) + 1 - inputHW[i]);
      int64_t small = total / 2, large = total - small;
      pads[i] = autoPad == "SAME_UPPER" ? small : large;
      pads[i + 2] = autoPad == "SAME_UPPER" ? large : small;
    }
    return pads;
  }
  return nodeError(node) << "unknown auto_pad '" << autoPad << "'", failure();
}

LogicalResult Importer::importConv(const onnx::NodeProto &node,
                                   const NodeAttrs &attrs) {
  if (failed(checkAttrs(node, attrs, {"auto_pad", "dilations", "group",
                                      "kernel_shape", "pads", "strides"})))
    return failure();
  auto x = tensorInput(node, 0);
  auto w = succeeded(x) ? tensorInput(node, 1) : FailureOr<Value>(failure());
  auto b = succeeded(w) ? optionalTensorInput(node, 2) : FailureOr<Value>(failure());
  if (failed(b))
    return failure();
  auto xt = tensorType(*x), wt = tensorType(*w);
  if (xt.getRank() != 4 || wt.getRank() != 4)
    return nodeError(node) << "only 2-D convolutions (4-D input and weight) are "
                              "supported, got input "
                           << xt << " and weight " << wt;
  SmallVector<int64_t> kernel(wt.getShape().drop_front(2));
  if (auto ks = attrs.getInts("kernel_shape"); ks && ArrayRef<int64_t>(*ks) != ArrayRef<int64_t>(kernel))
    return nodeError(node) << "kernel_shape disagrees with the weight shape " << wt;
  auto strides = attrs.getInts("strides").value_or(std::vector<int64_t>{1, 1});
  auto dilations = attrs.getInts("dilations").value_or(std::vector<int64_t>{1, 1});
  if (strides.size() != 2 || dilations.size() != 2)
    return nodeError(node) << "strides and dilations must have 2 entries";
  auto pads = resolvePads(node, attrs, xt.getShape().drop_front(2), kernel,
                          strides, dilations);
  if (failed(pads))
    return failure();
  return define(node, build<ff::Conv2DOp>(node, *x, *w, *b, builder.getDenseI64ArrayAttr(strides),
      builder.getDenseI64ArrayAttr(*pads), builder.getDenseI64ArrayAttr(dilations),
      builder.getI64IntegerAttr(attrs.getInt("group", 1))));
}

LogicalResult Importer::importPool(const onnx::NodeProto &node,
                                   const NodeAttrs &attrs, bool isMax) {
  if (isMax) {
    if (failed(checkAttrs(node, attrs, {"auto_pad", "ceil_mode", "dilations",
                                        "kernel_shape", "pads", "storage_order",
                                        "strides"})))
      return failure();
    if (attrs.getInt("storage_order", 0) != 0)
      return nodeError(node) << "storage_order = 1 (column major) is not supported";
    if (failed(requireUnusedOutputs(node, 1)))
      return failure();
  } else if (failed(checkAttrs(node, attrs, {"auto_pad", "ceil_mode",
                                             "count_include_pad", "kernel_shape",
                                             "pads", "strides"}))) {
    return failure();
  }
  auto x = tensorInput(node, 0);
  if (failed(x))
    return failure();
  auto xt = tensorType(*x);
  if (xt.getRank() != 4)
    return nodeError(node) << "only 2-D pooling (4-D input) is supported, got " << xt;
  auto kernel = attrs.getInts("kernel_shape");
  if (!kernel || kernel->size() != 2)
    return nodeError(node) << "kernel_shape must have 2 entries";
  auto strides = attrs.getInts("strides").value_or(std::vector<int64_t>{1, 1});
  auto dilations = attrs.getInts("dilations").value_or(std::vector<int64_t>{1, 1});
  if (strides.size() != 2 || dilations.size() != 2)
    return nodeError(node) << "strides and dilations must have 2 entries";
  auto pads = resolvePads(node, attrs, xt.getShape().drop_front(2), *kernel,
                          strides, dilations);
  if (failed(pads))
    return failure();
  bool ceil = attrs.getInt("ceil_mode", 0) != 0;
  UnitAttr ceilAttr = ceil ? builder.getUnitAttr() : UnitAttr();
  if (isMax)
    return define(node, build<ff::MaxPool2DOp>(node, *x, builder.getDenseI64ArrayAttr(*kernel),
                            builder.getDenseI64ArrayAttr(strides),
                            builder.getDenseI64ArrayAttr(*pads),
                            builder.getDenseI64ArrayAttr(dilations), ceilAttr));
  if (dilations != std::vector<int64_t>{1, 1})
    return nodeError(node) << "AveragePool with dilations is not supported";
  UnitAttr includePad =
      attrs.getInt("count_include_pad", 0) ? builder.getUnitAttr() : UnitAttr();
  return define(node, build<ff::AvgPool2DOp>(node, *x, builder.getDenseI64ArrayAttr(*kernel),
                          builder.getDenseI64ArrayAttr(strides),
                          builder.getDenseI64ArrayAttr(*pads), ceilAttr, includePad));
}

LogicalResult Importer::importBatchNorm(const onnx::NodeProto &node,
                                        const NodeAttrs &attrs) {
  if (failed(checkAttrs(node, attrs, {"epsilon", "momentum", "training_mode",
                                      "spatial"})))
    return failure();
  if (attrs.getInt("spatial", 1) != 1)
    return nodeError(node) << "spatial = 0 is not supported";
  SmallVector<Value, 5> ins;
  for (int i = 0; i < 5; ++i) {
    auto v = tensorInput(node, i);
    if (failed(v))
      return failure();
    ins.push_back(*v);
  }
  // Opsets before 14 mark training by the optional outputs; 14 on by an attribute.
  bool training = opset >= 14 ? attrs.getInt("training_mode", 0) != 0
                              : node.output_size() > 1;
  if (failed(requireUnusedOutputs(node, 1)))
    return failure();
  for (int i : {3, 4})
    if (!params.count(node.input(i)))
      return nodeError(node) << "running statistic '" << node.input(i)
                             << "' must be an initializer";
  return define(node, build<ff::BatchNormOp>(node, ins[0], ins[1], ins[2], ins[3], ins[4],
                          builder.getF64FloatAttr(attrs.getFloat("epsilon", 1e-5)),
                          builder.getF64FloatAttr(attrs.getFloat("momentum", 0.9)),
                          training ? builder.getUnitAttr() : UnitAttr()));
}

LogicalResult Importer::importGemm(const onnx::NodeProto &node,
                                   const NodeAttrs &attrs) {
  if (failed(checkAttrs(node, attrs, {"alpha", "beta", "transA", "transB"})))
    return failure();
  if (attrs.getFloat("alpha", 1.0) != 1.0 || attrs.getFloat("beta", 1.0) != 1.0)
    return nodeError(node) << "alpha and beta other than 1 are not supported";
  if (attrs.getInt("transA", 0) != 0)
    return nodeError(node) << "transA = 1 is not supported";
  auto a = tensorInput(node, 0);
  auto b = succeeded(a) ? tensorInput(node, 1) : FailureOr<Value>(failure());
  auto c = succeeded(b) ? optionalTensorInput(node, 2) : FailureOr<Value>(failure());
  if (failed(c))
    return failure();
  if (tensorType(*a).getRank() != 2 || tensorType(*b).getRank() != 2)
    return nodeError(node) << "Gemm operands must be matrices, got "
                           << tensorType(*a) << " and " << tensorType(*b);
  Value bias = *c;
  bool vectorBias = bias && tensorType(bias).getRank() == 1;
  FailureOr<Value> result;
  if (attrs.getInt("transB", 0) != 0) {
    // PyTorch's nn.Linear: B is out x in.
    result = build<ff::LinearOp>(node, *a, *b, vectorBias ? bias : Value());
    if (bias && !vectorBias && succeeded(result))
      result = build<ff::AddOp>(node, *result, bias);
  } else {
    result = build<ff::MatMulOp>(node, *a, *b);
    if (bias && succeeded(result))
      result = build<ff::AddOp>(node, *result, bias);
  }
  return define(node, result);
}

/// Normalises an axis into [0, rank) (or [0, rank] when `inclusive`).
static std::optional<int64_t> normAxis(int64_t axis, int64_t rank,
                                       bool inclusive = false) {
  int64_t limit = inclusive ? rank + 1 : rank;
  if (axis < 0)
    axis += rank + (inclusive ? 1 : 0);
  if (axis < 0 || axis >= limit)
    return std::nullopt;
  return axis;
}

/// Reshape, Unsqueeze, Squeeze, Flatten: on float tensors these become
/// ff.reshape/ff.flatten; on known tensors they are evaluated.
LogicalResult Importer::importReshapeLike(const onnx::NodeProto &node,
                                          const NodeAttrs &attrs) {
  const std::string &type = node.op_type();
  const std::string &inName = node.input_size() ? node.input(0) : std::string();
  bool isKnown = known.count(inName) != 0;
  std::vector<int64_t> inShape;
  Value input;
  if (isKnown) {
    inShape = known[inName].shape;
  } else {
    auto v = tensorInput(node, 0);
    if (failed(v))
      return failure();
    input = *v;
    auto shape = tensorType(input).getShape();
    inShape.assign(shape.begin(), shape.end());
  }
  int64_t rank = inShape.size();
  int64_t count = std::accumulate(inShape.begin(), inShape.end(), int64_t{1},
                                  std::multiplies<int64_t>());
  std::vector<int64_t> outShape;

  if (type == "Flatten") {
    if (failed(checkAttrs(node, attrs, {"axis"})))
      return failure();
    auto axis = normAxis(attrs.getInt("axis", 1), rank, /*inclusive=*/true);
    if (!axis)
      return nodeError(node) << "axis " << attrs.getInt("axis", 1)
                             << " is out of range for rank " << rank;
    if (!isKnown)
      return define(node, build<ff::FlattenOp>(node, input,
                                               builder.getI64IntegerAttr(*axis)));
    int64_t outer = 1;
    for (int64_t i = 0; i < *axis; ++i)
      outer *= inShape[i];
    outShape = {outer, count / std::max<int64_t>(outer, 1)};
  } else if (type == "Reshape") {
    if (failed(checkAttrs(node, attrs, {"allowzero"})))
      return failure();
    auto shape = knownInput(node, 1, "target shape");
    if (failed(shape))
      return failure();
    bool allowZero = attrs.getInt("allowzero", 0) != 0;
    int64_t inferIndex = -1, product = 1;
    for (auto [i, d] : llvm::enumerate((*shape)->ints)) {
      int64_t dim = d;
      if (dim == 0 && !allowZero) {
        if (static_cast<int64_t>(i) >= rank)
          return nodeError(node) << "shape entry " << i
                                 << " is 0 (copy) but the input has rank " << rank;
        dim = inShape[i];
      }
      if (dim == -1) {
        if (inferIndex >= 0)
          return nodeError(node) << "the target shape has more than one -1";
        inferIndex = i;
        outShape.push_back(-1);
        continue;
      }
      if (dim < 0)
        return nodeError(node) << "invalid target dimension " << dim;
      product *= dim;
      outShape.push_back(dim);
    }
    if (inferIndex >= 0) {
      if (product == 0 || count % product != 0)
        return nodeError(node) << "cannot infer the -1 dimension: " << count
                               << " elements do not divide by " << product;
      outShape[inferIndex] = count / product;
      product = count;
    }
    if (product != count)
      return nodeError(node) << "cannot reshape " << count << " elements into "
                             << product;
  } else {
    // Unsqueeze / Squeeze: axes from an input (opset 13+) or an attribute.
    std::vector<int64_t> axes;
    if (opset >= 13) {
      if (failed(checkAttrs(node, attrs, {})))
        return failure();
      if (hasInput(node, 1)) {
        auto a = knownInput(node, 1, "axes");
        if (failed(a))
          return failure();
        axes = (*a)->ints;
      }
    } else {
      if (failed(checkAttrs(node, attrs, {"axes"})))
        return failure();
      axes = attrs.getInts("axes").value_or(std::vector<int64_t>{});
    }
    if (type == "Unsqueeze") {
      int64_t outRank = rank + axes.size();
      std::vector<bool> isNew(outRank, false);
      for (int64_t a : axes) {
        auto n = normAxis(a, outRank);
        if (!n || isNew[*n])
          return nodeError(node) << "invalid or repeated axis " << a;
        isNew[*n] = true;
      }
      for (int64_t i = 0, j = 0; i < outRank; ++i)
        outShape.push_back(isNew[i] ? 1 : inShape[j++]);
    } else {
      std::vector<bool> drop(rank, false);
      if (axes.empty()) {
        for (int64_t i = 0; i < rank; ++i)
          drop[i] = inShape[i] == 1;
      }
      for (int64_t a : axes) {
        auto n = normAxis(a, rank);
        if (!n || inShape[*n] != 1)
          return nodeError(node) << "cannot squeeze axis " << a
                                 << " (out of range or not of size 1)";
        drop[*n] = true;
      }
      for (int64_t i = 0; i < rank; ++i)
        if (!drop[i])
          outShape.push_back(inShape[i]);
    }
  }

  if (isKnown) {
    KnownTensor out = known[inName];
    out.shape = outShape;
    known[node.output(0)] = std::move(out);
    return success();
  }
  auto outType = RankedTensorType::get(outShape, tensorType(input).getElementType());
  return defineOutput(node, 0,
                      ff::ReshapeOp::create(builder, nodeLoc(node), outType, input));
}

/// Shape, Gather, Concat (on known tensors), Slice, Cast, Constant: the
/// import-time evaluation of static shape computations.
LogicalResult Importer::importShapeOp(const onnx::NodeProto &node,
                                      const NodeAttrs &attrs) {
  const std::string &type = node.op_type();
  KnownTensor out;
  if (type == "Constant") {
    if (auto *a = attrs.get("value")) {
      auto t = readTensorProto(a->t(), "Constant node '" + nodeName(node) + "'");
      if (failed(t))
        return failure();
      out = std::move(*t);
    } else if (auto *a = attrs.get("value_float")) {
      out.isFloat = true;
      out.floats = {a->f()};
    } else if (auto *a = attrs.get("value_floats")) {
      out.isFloat = true;
      out.floats.assign(a->floats().begin(), a->floats().end());
      out.shape = {static_cast<int64_t>(out.floats.size())};
    } else if (auto *a = attrs.get("value_int")) {
      out.ints = {a->i()};
    } else if (auto *a = attrs.get("value_ints")) {
      out.ints.assign(a->ints().begin(), a->ints().end());
      out.shape = {static_cast<int64_t>(out.ints.size())};
    } else {
      return nodeError(node) << "needs a value, value_float(s) or value_int(s) attribute";
    }
  } else if (type == "Shape") {
    if (failed(checkAttrs(node, attrs, {"start", "end"})))
      return failure();
    std::vector<int64_t> shape;
    if (auto it = known.find(node.input(0)); it != known.end()) {
      shape = it->second.shape;
    } else {
      auto v = tensorInput(node, 0);
      if (failed(v))
        return failure();
      auto s = tensorType(*v).getShape();
      shape.assign(s.begin(), s.end());
    }
    int64_t rank = shape.size();
    int64_t start = attrs.getInt("start", 0), end = attrs.getInt("end", rank);
    start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
    end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
    out.ints.assign(shape.begin() + start, shape.begin() + std::max(start, end));
    out.shape = {static_cast<int64_t>(out.ints.size())};
  } else if (type == "Cast") {
    if (failed(checkAttrs(node, attrs, {"to", "saturate"})))
      return failure();
    int64_t to = attrs.getInt("to", 0);
    if (auto it = known.find(node.input(0)); it != known.end()) {
      out = it->second;
      bool toFloat = to == onnx::TensorProto::FLOAT || to == onnx::TensorProto::DOUBLE;
      if (toFloat && !out.isFloat) {
        out.floats.assign(out.ints.begin(), out.ints.end());
        out.ints.clear();
        out.isFloat = true;
      } else if (!toFloat && out.isFloat) {
        for (float f : out.floats)
          out.ints.push_back(static_cast<int64_t>(f));
        out.floats.clear();
        out.isFloat = false;
      }
    } else {
      if (to != onnx::TensorProto::FLOAT)
        return nodeError(node) << "casts of run-time tensors to ONNX type " << to
                               << " are not supported (float32 only)";
      auto v = tensorInput(node, 0);
      if (failed(v))
        return failure();
      return defineOutput(node, 0, *v);
    }
  } else {
    // Gather, Concat and Slice evaluated on known integer tensors.
    std::vector<const KnownTensor *> ins;
    for (int i = 0; i < node.input_size(); ++i) {
      if (node.input(i).empty()) {
        ins.push_back(nullptr);
        continue;
      }
      auto k = knownInput(node, i, "operand");
      if (failed(k))
        return failure();
      if ((*k)->isFloat)
        return nodeError(node) << "import-time evaluation handles integer tensors only";
      ins.push_back(*k);
    }
    if (ins.empty() || !ins[0])
      return nodeError(node) << "input 0 is missing";
    if (type == "Concat") {
      for (auto *k : ins) {
        if (!k || k->shape.size() != 1)
          return nodeError(node) << "import-time Concat handles 1-D tensors only";
        out.ints.insert(out.ints.end(), k->ints.begin(), k->ints.end());
      }
      out.shape = {static_cast<int64_t>(out.ints.size())};
    } else if (type == "Gather") {
      if (ins.size() < 2 || !ins[1])
        return nodeError(node) << "Gather needs data and indices";
      const KnownTensor &data = *ins[0], &idx = *ins[1];
      if (data.shape.size() != 1 || attrs.getInt("axis", 0) != 0)
        return nodeError(node) << "import-time Gather handles 1-D data on axis 0 only";
      int64_t n = data.shape[0];
      for (int64_t i : idx.ints) {
        int64_t j = i < 0 ? i + n : i;
        if (j < 0 || j >= n)
          return nodeError(node) << "index " << i << " is out of range [0, " << n << ")";
        out.ints.push_back(data.ints[j]);
      }
      out.shape = idx.shape;
    } else { // Slice
      const KnownTensor &data = *ins[0];
      if (data.shape.size() != 1 || ins.size() < 3 || !ins[1] || !ins[2])
        return nodeError(node) << "import-time Slice handles 1-D data with starts and ends";
      int64_t n = data.shape[0];
      int64_t s = ins[1]->ints.at(0), e = ins[2]->ints.at(0);
      int64_t step = ins.size() > 4 && ins[4] ? ins[4]->ints.at(0) : 1;
      if (step != 1)
        return nodeError(node) << "import-time Slice supports step 1 only";
      s = std::clamp<int64_t>(s < 0 ? s + n : s, 0, n);
      e = std::clamp<int64_t>(e < 0 ? e + n : e, 0, n);
      for (int64_t i = s; i < e; ++i)
        out.ints.push_back(data.ints[i]);
      out.shape = {static_cast<int64_t>(out.ints.size())};
    }
  }
  if (isDefined(node.output(0)))
    return nodeError(node) << "output '" << node.output(0) << "' is defined twice";
  known[node.output(0)] = std::move(out);
  return success();
}

LogicalResult Importer::importNode(const onnx::NodeProto &node) {
  const std::string &type = node.op_type();
  if (!node.domain().empty() && node.domain() != "ai.onnx")
    return nodeError(node) << "op domain '" << node.domain()
                           << "' is not supported (default ONNX domain only)";
  if (node.output_size() < 1 || node.output(0).empty())
    return nodeError(node) << "has no output";
  NodeAttrs attrs(node);
  Location loc = nodeLoc(node);

  auto unary = [&](auto build) -> LogicalResult {
    auto x = tensorInput(node, 0);
    if (failed(x))
      return failure();
    return defineOutput(node, 0, build(*x));
  };
  auto binary = [&](auto opTag) -> LogicalResult {
    using OpTy = decltype(opTag);
    if (failed(checkAttrs(node, attrs, {})))
      return failure();
    auto a = tensorInput(node, 0);
    auto b = succeeded(a) ? tensorInput(node, 1) : FailureOr<Value>(failure());
    if (failed(b))
      return failure();
    return define(node, build<OpTy>(node, *a, *b));
  };

  if (type == "Conv")
    return importConv(node, attrs);
  if (type == "MaxPool" || type == "AveragePool")
    return importPool(node, attrs, type == "MaxPool");
  if (type == "BatchNormalization")
    return importBatchNorm(node, attrs);
  if (type == "Gemm")
    return importGemm(node, attrs);
  if (type == "Reshape" || type == "Flatten" || type == "Unsqueeze" ||
      type == "Squeeze")
    return importReshapeLike(node, attrs);
  if (type == "Constant" || type == "Shape" || type == "Cast" ||
      type == "Slice" || (type == "Gather" && known.count(node.input(0))) ||
      (type == "Concat" && known.count(node.input(0))))
    return importShapeOp(node, attrs);
  if (type == "Relu")
    return unary([&](Value x) { return ff::ReluOp::create(builder, loc, x).getResult(); });
  if (type == "Sigmoid")
    return unary([&](Value x) { return ff::SigmoidOp::create(builder, loc, x).getResult(); });
  if (type == "HardSwish")
    return unary([&](Value x) { return ff::HardSwishOp::create(builder, loc, x).getResult(); });
  if (type == "HardSigmoid") {
    if (failed(checkAttrs(node, attrs, {"alpha", "beta"})))
      return failure();
    return unary([&](Value x) {
      return ff::HardSigmoidOp::create(
                 builder, loc, x, builder.getF64FloatAttr(attrs.getFloat("alpha", 0.2)),
                 builder.getF64FloatAttr(attrs.getFloat("beta", 0.5)))
          .getResult();
    });
  }
  if (type == "Clip") {
    double lo = -std::numeric_limits<float>::max(), hi = std::numeric_limits<float>::max();
    if (opset < 11) {
      lo = attrs.getFloat("min", lo);
      hi = attrs.getFloat("max", hi);
    } else {
      if (failed(checkAttrs(node, attrs, {})))
        return failure();
      for (int i : {1, 2}) {
        if (!hasInput(node, i))
          continue;
        auto k = knownInput(node, i, i == 1 ? "min" : "max");
        if (failed(k))
          return failure();
        if ((*k)->numElements() != 1)
          return nodeError(node) << (i == 1 ? "min" : "max") << " must be a scalar";
        double v = (*k)->isFloat ? widenFloat((*k)->floats[0]) : (*k)->ints[0];
        (i == 1 ? lo : hi) = v;
      }
    }
    if (lo > hi)
      return nodeError(node) << "min " << lo << " is greater than max " << hi;
    return unary([&](Value x) {
      return ff::ClipOp::create(builder, loc, x, builder.getF64FloatAttr(lo),
                                builder.getF64FloatAttr(hi))
          .getResult();
    });
  }
  if (type == "Add")
    return binary(ff::AddOp());
  if (type == "Sub")
    return binary(ff::SubOp());
  if (type == "Mul")
    return binary(ff::MulOp());
  if (type == "Div")
    return binary(ff::DivOp());
  if (type == "MatMul") {
    auto a = tensorInput(node, 0);
    auto b = succeeded(a) ? tensorInput(node, 1) : FailureOr<Value>(failure());
    if (failed(b))
      return failure();
    if (tensorType(*a).getRank() < 2 || tensorType(*b).getRank() < 2)
      return nodeError(node) << "MatMul of 1-D operands is not supported";
    return define(node, build<ff::MatMulOp>(node, *a, *b));
  }
  if (type == "GlobalAveragePool") {
    auto x = tensorInput(node, 0);
    if (failed(x))
      return failure();
    if (tensorType(*x).getRank() != 4)
      return nodeError(node) << "only 4-D (NCHW) inputs are supported, got "
                             << tensorType(*x);
    return define(node, build<ff::GlobalAvgPoolOp>(node, *x));
  }
  if (type == "Concat") {
    if (failed(checkAttrs(node, attrs, {"axis"})))
      return failure();
    SmallVector<Value> ins;
    for (int i = 0; i < node.input_size(); ++i) {
      auto v = tensorInput(node, i);
      if (failed(v))
        return failure();
      ins.push_back(*v);
    }
    int64_t rank = tensorType(ins[0]).getRank();
    auto axis = normAxis(attrs.getInt("axis", 0), rank);
    if (!axis)
      return nodeError(node) << "axis " << attrs.getInt("axis", 0)
                             << " is out of range for rank " << rank;
    return define(node, build<ff::ConcatOp>(node, ValueRange(ins),
                                            builder.getI64IntegerAttr(*axis)));
  }
  if (type == "Dropout") {
    if (failed(checkAttrs(node, attrs, {"ratio", "seed"})) ||
        failed(requireUnusedOutputs(node, 1)))
      return failure();
    double ratio = attrs.getFloat("ratio", 0.5);
    if (opset >= 12 && hasInput(node, 1)) {
      auto r = knownInput(node, 1, "ratio");
      if (failed(r))
        return failure();
      ratio = (*r)->isFloat ? widenFloat((*r)->floats.at(0)) : (*r)->ints.at(0);
    }
    if (ratio < 0.0 || ratio >= 1.0)
      return nodeError(node) << "ratio " << ratio << " is outside [0, 1)";
    return unary([&](Value x) {
      return ff::DropoutOp::create(builder, loc, x, builder.getF64FloatAttr(ratio))
          .getResult();
    });
  }
  if (type == "Identity") {
    const std::string &in = node.input_size() ? node.input(0) : std::string();
    if (auto it = known.find(in); it != known.end()) {
      known[node.output(0)] = it->second;
      return success();
    }
    auto x = tensorInput(node, 0);
    if (failed(x))
      return failure();
    return defineOutput(node, 0, *x);
  }
  if (type == "Softmax") {
    if (failed(checkAttrs(node, attrs, {"axis"})))
      return failure();
    auto x = tensorInput(node, 0);
    if (failed(x))
      return failure();
    int64_t rank = tensorType(*x).getRank();
    auto axis = normAxis(attrs.getInt("axis", opset >= 13 ? -1 : 1), rank);
    if (!axis)
      return nodeError(node) << "axis is out of range for rank " << rank;
    // Before opset 13, Softmax works on the input flattened at `axis`; that is
    // a per-axis softmax only on the last axis.
    if (opset < 13 && *axis != rank - 1)
      return nodeError(node) << "opset " << opset
                             << " Softmax over a non-final axis is not supported";
    return defineOutput(node, 0, ff::SoftmaxOp::create(builder, loc, *x, *axis).getResult());
  }
  if (type == "LayerNormalization") {
    if (failed(checkAttrs(node, attrs, {"axis", "epsilon", "stash_type"})) ||
        failed(requireUnusedOutputs(node, 1)))
      return failure();
    auto x = tensorInput(node, 0);
    auto s = succeeded(x) ? tensorInput(node, 1) : FailureOr<Value>(failure());
    auto b = succeeded(s) ? optionalTensorInput(node, 2) : FailureOr<Value>(failure());
    if (failed(b))
      return failure();
    int64_t rank = tensorType(*x).getRank();
    auto axis = normAxis(attrs.getInt("axis", -1), rank);
    if (!axis)
      return nodeError(node) << "axis is out of range for rank " << rank;
    return define(node, build<ff::LayerNormOp>(node, *x, *s, *b, builder.getI64IntegerAttr(*axis),
                            builder.getF64FloatAttr(attrs.getFloat("epsilon", 1e-5))));
  }
  std::string supported = llvm::join(supportedOnnxOps(), ", ");
  return nodeError(node) << "unsupported ONNX op '" << type
                         << "'; supported: " << supported;
}

OwningOpRef<ModuleOp> Importer::run() {
  if (failed(checkModel()) || failed(readOpset()))
    return nullptr;
  OwningOpRef<ModuleOp> owned = ModuleOp::create(fileLoc());
  module = *owned;
  module->setAttr("ff.source", builder.getStringAttr(sourceName));
  module->setAttr("ff.onnx_opset", builder.getI64IntegerAttr(opset));
  if (!model.producer_name().empty()) {
    std::string producer = model.producer_name();
    if (!model.producer_version().empty())
      producer += " " + model.producer_version();
    module->setAttr("ff.producer", builder.getStringAttr(producer));
  }
  if (failed(readInitializers()))
    return nullptr;

  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  if (failed(readInputs(argTypes, argNames)) || failed(runOnnxShapeInference()))
    return nullptr;
  for (const auto &node : graph.node())
    for (const auto &in : node.input())
      if (!in.empty())
        ++useCount[in];
  for (const auto &out : graph.output())
    ++useCount[out.name()];

  builder.setInsertionPointToEnd(module.getBody());
  auto funcType = builder.getFunctionType(argTypes, {});
  auto func = func::FuncOp::create(builder, fileLoc(), "forward", funcType);
  Block *entry = func.addEntryBlock();
  for (auto [i, name] : llvm::enumerate(argNames)) {
    values[name] = entry->getArgument(i);
    func.setArgAttr(i, "ff.name", builder.getStringAttr(name));
  }
  builder.setInsertionPointToEnd(entry);

  for (const auto &node : graph.node()) {
    if (failed(importNode(node)))
      return nullptr;
    ++nodeIndex;
  }

  SmallVector<Value> results;
  for (const auto &out : graph.output()) {
    auto it = values.find(out.name());
    if (it == values.end())
      return fileError() << "graph output '" << out.name()
                         << "' is not a float tensor computed by the graph",
             nullptr;
    results.push_back(it->second);
  }
  if (results.empty())
    return fileError() << "the graph has no output", nullptr;
  func::ReturnOp::create(builder, fileLoc(), results);
  func.setType(builder.getFunctionType(argTypes, ValueRange(results).getTypes()));
  for (auto [i, out] : llvm::enumerate(graph.output()))
    func.setResultAttr(i, "ff.name", builder.getStringAttr(out.name()));
  // Float initializers that only configure nodes at import time (a Clip
  // bound, a Dropout ratio) are not parameters of the model.
  for (auto &entry : params)
    if (!values.count(entry.getKey()))
      entry.getValue().erase();
  if (failed(verify(module)))
    return nullptr;
  return owned;
}

} // namespace

std::vector<std::string> supportedOnnxOps() {
  return std::vector<std::string>(std::begin(kSupportedOps), std::end(kSupportedOps));
}

OwningOpRef<ModuleOp> importOnnxModel(const onnx::ModelProto &model,
                                      StringRef sourceName, MLIRContext &context,
                                      const OnnxImportOptions &options) {
  context.loadDialect<ff::FFDialect, func::FuncDialect>();
  return Importer(model, sourceName, context, options).run();
}

OwningOpRef<ModuleOp> importOnnxFile(StringRef path, MLIRContext &context,
                                     const OnnxImportOptions &options) {
  auto loc = FileLineColLoc::get(&context, path, 0, 0);
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    emitError(loc) << "cannot read ONNX model '" << path
                   << "': " << buffer.getError().message();
    return nullptr;
  }
  onnx::ModelProto model;
  StringRef data = (*buffer)->getBuffer();
  if (data.empty() || data.size() > static_cast<size_t>(INT32_MAX) ||
      !model.ParseFromArray(data.data(), static_cast<int>(data.size()))) {
    emitError(loc) << "'" << path
                   << "' is not a valid ONNX model (protobuf parsing failed: "
                      "the file is truncated, corrupt or not ONNX)";
    return nullptr;
  }
  return importOnnxModel(model, path, context, options);
}

} // namespace ffc::frontend
