//===- ArtifactWriter.cpp - serializes scheduled ff modules into .ffx -----===//

#include "targets/cpu/ArtifactWriter.h"

#include "dialects/FF/IR/FFOps.h"
#include "runtime/Artifact.h"
#include "runtime/schema/ffx_generated.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <vector>

using namespace mlir;

namespace ffc {
namespace cpu {
namespace {

constexpr const char *kProgramNames[] = {"train_step", "eval_step", "predict"};

/// Per (op name, attribute name): whether an absent attribute is a UnitAttr.
using UnitAttrCache = llvm::DenseMap<std::pair<const void *, const void *>, bool>;

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

/// The float values of an elements attribute: a view of the attribute's own
/// storage where it is packed f32 already (parameter blobs can be hundreds of
/// megabytes), else a converted copy.
struct FloatData {
  ArrayRef<float> values;
  std::vector<float> storage;
};

LogicalResult getFloatData(ElementsAttr attr, Operation *op, const Twine &what, FloatData &out) {
  auto type = cast<ShapedType>(attr.getType());
  int64_t count = type.getNumElements();
  Type elementType = type.getElementType();
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    if (!elementType.isF32())
      return op->emitError() << what << " has element type " << elementType
                             << "; the artifact stores f32 data";
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return op->emitError() << what << " has no data: its dense_resource blob '"
                             << resource.getRawHandle().getKey()
                             << "' is missing (elided when the module was printed?)";
    ArrayRef<char> bytes = blob->getData();
    if (bytes.size() != size_t(count) * sizeof(float))
      return op->emitError() << what << ": its blob holds " << bytes.size() << " bytes, " << type
                             << " needs " << count * int64_t(sizeof(float));
    out.values = ArrayRef<float>(reinterpret_cast<const float *>(bytes.data()), count);
    return success();
  }
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    if (elementType.isF32() && !dense.isSplat()) {
      out.values =
          ArrayRef<float>(reinterpret_cast<const float *>(dense.getRawData().data()), count);
      return success();
    }
    if (isa<FloatType>(elementType)) {
      out.storage.reserve(count);
      for (APFloat v : dense.getValues<APFloat>()) {
        bool losesInfo = false;
        v.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &losesInfo);
        out.storage.push_back(v.convertToFloat());
      }
      out.values = out.storage;
      return success();
    }
  }
  return op->emitError() << what << " of type " << type
                         << " is not float data; the artifact stores f32 parameters and constants";
}

/// The model-file node name of `loc`: the first NameLoc in it (the frontend
/// names every op after its ONNX node; fusions keep the names as FusedLocs).
std::string nodeName(Location loc) {
  std::string name;
  loc->walk([&](Location l) {
    if (auto named = dyn_cast<NameLoc>(l)) {
      name = named.getName().str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return name;
}

//===----------------------------------------------------------------------===//
// Op structure
//===----------------------------------------------------------------------===//

// The operand and result slots of an op as its ODS definition lists them, an
// absent optional value being null. Ops with optional operands or results
// are listed here; for every other op the value lists are the slot lists.
SmallVector<Value> operandSlots(Operation *op) {
  return llvm::TypeSwitch<Operation *, SmallVector<Value>>(op)
      .Case([](ff::Conv2DOp o) {
        return SmallVector<Value>{o.getInput(), o.getWeight(), o.getBias()};
      })
      .Case([](ff::LinearOp o) {
        return SmallVector<Value>{o.getInput(), o.getWeight(), o.getBias()};
      })
      .Case([](ff::LayerNormOp o) {
        return SmallVector<Value>{o.getInput(), o.getScale(), o.getBias()};
      })
      .Case([](ff::EmbedLabelOp o) {
        return SmallVector<Value>{o.getInput(), o.getLabels(), o.getShift()};
      })
      .Case([](ff::SGDStepOp o) {
        return SmallVector<Value>{o.getParam(), o.getGradient(), o.getLr(), o.getBuffer()};
      })
      .Case([](ff::LayerNormGradOp o) {
        return SmallVector<Value>{o.getInput(), o.getOutputGrad(), o.getScale()};
      })
      .Default([](Operation *o) { return SmallVector<Value>(o->getOperands()); });
}

SmallVector<Value> resultSlots(Operation *op) {
  return llvm::TypeSwitch<Operation *, SmallVector<Value>>(op)
      .Case([](ff::SGDStepOp o) {
        return SmallVector<Value>{o.getNewParam(), o.getNewBuffer()};
      })
      .Case([](ff::LayerNormGradOp o) {
        return SmallVector<Value>{o.getInputGrad(), o.getScaleGrad(), o.getBiasGrad()};
      })
      .Default([](Operation *o) { return SmallVector<Value>(o->getResults()); });
}

bool hasKnownSlots(Operation *op) {
  return isa<ff::Conv2DOp, ff::LinearOp, ff::LayerNormOp, ff::EmbedLabelOp, ff::SGDStepOp,
             ff::LayerNormGradOp>(op);
}

/// `op`'s inherent attributes with the ODS defaults filled in where the op
/// does not set them (the runtime must not need to know ffc's defaults).
DictionaryAttr inherentAttrsWithDefaults(Operation *op) {
  if (!op->getPropertiesStorageSize())
    return op->getAttrDictionary();
  Operation *copy = op->cloneWithoutRegions();
  copy->getName().populateDefaultProperties(copy->getPropertiesStorage());
  auto attrs = dyn_cast_or_null<DictionaryAttr>(copy->getPropertiesAsAttribute());
  copy->erase();
  return attrs;
}

//===----------------------------------------------------------------------===//
// Programs
//===----------------------------------------------------------------------===//

struct TensorRecord {
  std::vector<int64_t> shape;
  ffx::ElementType type = ffx::ElementType::F32;
  ffx::TensorKind kind = ffx::TensorKind::Activation;
  int32_t param = -1;
  int32_t aliasOf = -1;
  std::vector<float> constant;
};

struct AttrRecord {
  std::string name;
  std::vector<int64_t> ints;
  std::vector<double> floats;
};

struct OpRecord {
  std::string kind;
  std::vector<int32_t> operands, results;
  std::vector<AttrRecord> attrs;
  int32_t param = -1;
  int32_t block = -1;
  std::string node;
  std::vector<int32_t> freeAfter;
};

class ProgramWriter {
public:
  ProgramWriter(const llvm::StringMap<int32_t> &params, UnitAttrCache &unitAttrCache,
                const KernelTable &kernels)
      : params_(params), unitAttrCache_(unitAttrCache), kernels_(kernels) {}

  LogicalResult lower(func::FuncOp func);
  /// What a kernel computes: the group's region as a program whose inputs are
  /// the group's inputs and whose outputs are its results.
  LogicalResult lowerKernelBody(ff::FusedOp fused);
  flatbuffers::Offset<ffx::Program> build(flatbuffers::FlatBufferBuilder &fbb,
                                          StringRef name) const;
  const std::vector<std::string> &blockNames() const { return blocks_; }

private:
  FailureOr<int32_t> addTensor(Value value, Operation *where, ffx::TensorKind kind);
  FailureOr<int32_t> addAlias(Value value, Value of, Operation *where);
  FailureOr<int32_t> idOf(Value value, Operation *user);
  LogicalResult lowerBlock(ff::BlockOp block);
  LogicalResult lowerOp(Operation *op, int32_t block);
  LogicalResult lowerAttrs(Operation *op, OpRecord &record);
  FailureOr<int32_t> paramIndex(StringRef name, Operation *op);
  bool acceptsUnitAttr(Operation *op, StringAttr name);
  void planBuffers();

  const llvm::StringMap<int32_t> &params_;
  UnitAttrCache &unitAttrCache_;
  const KernelTable &kernels_;
  llvm::DenseMap<Value, int32_t> ids_;
  std::vector<TensorRecord> tensors_;
  std::vector<OpRecord> ops_;
  std::vector<std::string> blocks_;
  std::vector<int32_t> inputs_, outputs_;
  std::vector<std::string> inputNames_, outputNames_;
};

FailureOr<int32_t> ProgramWriter::addTensor(Value value, Operation *where, ffx::TensorKind kind) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || !type.hasStaticShape())
    return where->emitError() << "value of type " << value.getType()
                              << " has no static shape; the artifact needs static tensor shapes";
  TensorRecord record;
  Type elementType = type.getElementType();
  if (elementType.isF32())
    record.type = ffx::ElementType::F32;
  else if (elementType.isInteger(32))
    record.type = ffx::ElementType::I32;
  else
    return where->emitError() << "value of type " << type
                              << " has an element type the artifact cannot hold (f32, i32)";
  record.shape.assign(type.getShape().begin(), type.getShape().end());
  record.kind = kind;
  int32_t id = int32_t(tensors_.size());
  tensors_.push_back(std::move(record));
  ids_[value] = id;
  return id;
}

FailureOr<int32_t> ProgramWriter::idOf(Value value, Operation *user) {
  auto it = ids_.find(value);
  if (it == ids_.end())
    return user->emitError() << "uses a value that is not defined earlier in its step function";
  return it->second;
}

FailureOr<int32_t> ProgramWriter::addAlias(Value value, Value of, Operation *where) {
  FailureOr<int32_t> target = idOf(of, where);
  if (failed(target))
    return failure();
  FailureOr<int32_t> id = addTensor(value, where, ffx::TensorKind::Alias);
  if (failed(id))
    return failure();
  tensors_[*id].aliasOf = *target;
  return id;
}

FailureOr<int32_t> ProgramWriter::paramIndex(StringRef name, Operation *op) {
  auto it = params_.find(name);
  if (it == params_.end())
    return op->emitError() << "refers to '@" << name << "', which is not an ff.param";
  return it->second;
}

LogicalResult ProgramWriter::lower(func::FuncOp func) {
  if (!func.getBody().hasOneBlock())
    return func.emitError() << "step function '" << func.getSymName()
                            << "' must have a single block (the scheduled programs are "
                               "straight-line code)";
  Block &body = func.getBody().front();
  for (auto [i, arg] : llvm::enumerate(body.getArguments())) {
    FailureOr<int32_t> id = addTensor(arg, func, ffx::TensorKind::Input);
    if (failed(id))
      return failure();
    inputs_.push_back(*id);
    auto name = func.getArgAttrOfType<StringAttr>(i, "ff.name");
    inputNames_.push_back(name ? name.str() : "arg" + std::to_string(i));
  }
  for (Operation &op : body) {
    if (auto block = dyn_cast<ff::BlockOp>(op)) {
      if (failed(lowerBlock(block)))
        return failure();
    } else if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
        FailureOr<int32_t> id = idOf(value, ret);
        if (failed(id))
          return failure();
        outputs_.push_back(*id);
        auto name = func.getResultAttrOfType<StringAttr>(i, "ff.name");
        outputNames_.push_back(name ? name.str() : "result" + std::to_string(i));
      }
    } else if (failed(lowerOp(&op, -1))) {
      return failure();
    }
  }
  planBuffers();
  return success();
}

LogicalResult ProgramWriter::lowerKernelBody(ff::FusedOp fused) {
  Block &body = fused.getBodyBlock();
  for (auto [i, arg] : llvm::enumerate(body.getArguments())) {
    FailureOr<int32_t> id = addTensor(arg, fused, ffx::TensorKind::Input);
    if (failed(id))
      return failure();
    inputs_.push_back(*id);
    inputNames_.push_back("arg" + std::to_string(i));
  }
  for (Operation &op : body.without_terminator())
    if (failed(lowerOp(&op, -1)))
      return failure();
  for (auto [i, value] : llvm::enumerate(fused.getYield().getValues())) {
    FailureOr<int32_t> id = idOf(value, fused);
    if (failed(id))
      return failure();
    outputs_.push_back(*id);
    outputNames_.push_back("result" + std::to_string(i));
  }
  return success();
}

LogicalResult ProgramWriter::lowerBlock(ff::BlockOp block) {
  int32_t index = int32_t(blocks_.size());
  blocks_.push_back(block.getName().str());
  Block &body = block.getBodyBlock();
  for (auto [arg, operand] : llvm::zip_equal(body.getArguments(), block.getInputs()))
    if (failed(addAlias(arg, operand, block)))
      return failure();
  for (Operation &op : body) {
    if (auto yield = dyn_cast<ff::YieldOp>(op)) {
      for (auto [result, value] : llvm::zip_equal(block.getResults(), yield.getValues()))
        if (failed(addAlias(result, value, yield)))
          return failure();
      continue;
    }
    if (isa<ff::BlockOp>(op))
      return op.emitError() << "nested ff.block: the artifact's programs have one level of blocks";
    if (failed(lowerOp(&op, index)))
      return failure();
  }
  return success();
}

LogicalResult ProgramWriter::lowerOp(Operation *op, int32_t block) {
  // Values that are storage another value already owns.
  if (auto ref = dyn_cast<ff::ParamRefOp>(op)) {
    FailureOr<int32_t> param = paramIndex(ref.getName(), op);
    if (failed(param))
      return failure();
    FailureOr<int32_t> id = addTensor(ref.getResult(), op, ffx::TensorKind::Param);
    if (failed(id))
      return failure();
    tensors_[*id].param = *param;
    if (tensors_[*id].type != ffx::ElementType::F32)
      return op->emitError() << "parameters must be f32";
    return success();
  }
  if (auto constant = dyn_cast<ff::ConstantOp>(op)) {
    FloatData data;
    if (failed(getFloatData(constant.getValue(), op, "constant", data)))
      return failure();
    FailureOr<int32_t> id = addTensor(constant.getResult(), op, ffx::TensorKind::Constant);
    if (failed(id))
      return failure();
    tensors_[*id].constant.assign(data.values.begin(), data.values.end());
    return success();
  }
  if (isa<ff::StopGradientOp, ff::ReshapeOp, ff::FlattenOp>(op))
    return addAlias(op->getResult(0), op->getOperand(0), op);

  StringRef name = op->getName().getStringRef();
  if (!name.consume_front("ff.") || !op->isRegistered())
    return op->emitError() << "'" << op->getName()
                           << "' is not an ff op; the artifact's programs hold ff ops only";
  // A kernel group is an op of kind "fused" that calls generated kernel
  // `kernel` on the group's inputs and results; its region is in the kernel.
  auto fused = dyn_cast<ff::FusedOp>(op);
  if (op->getNumRegions() && !fused)
    return op->emitError() << "ops with regions cannot be written to an artifact";
  if (!hasKnownSlots(op) && (op->hasTrait<OpTrait::AttrSizedOperandSegments>() ||
                             op->hasTrait<OpTrait::AttrSizedResultSegments>()))
    return op->emitError() << "the artifact writer does not know the operand and result slots of '"
                           << op->getName() << "' (targets/cpu/ArtifactWriter.cpp: operandSlots)";

  OpRecord record;
  record.kind = name.str();
  record.block = block;
  record.node = nodeName(op->getLoc());
  for (Value operand : operandSlots(op)) {
    if (!operand) {
      record.operands.push_back(-1);
      continue;
    }
    FailureOr<int32_t> id = idOf(operand, op);
    if (failed(id))
      return failure();
    record.operands.push_back(*id);
  }
  if (fused) {
    auto index = kernels_.indexOf.find(fused.getKernel());
    if (index == kernels_.indexOf.end())
      return fused.emitError() << "kernel group '" << fused.getKernel()
                               << "' has no generated kernel";
    record.attrs.push_back(AttrRecord{"kernel", {index->second}, {}});
  } else if (failed(lowerAttrs(op, record))) {
    return failure();
  }
  for (Value result : resultSlots(op)) {
    if (!result) {
      record.results.push_back(-1);
      continue;
    }
    FailureOr<int32_t> id = addTensor(result, op, ffx::TensorKind::Activation);
    if (failed(id))
      return failure();
    record.results.push_back(*id);
  }
  ops_.push_back(std::move(record));
  return success();
}

/// Whether `name`, absent on `op`, is a UnitAttr (written as 0) rather than an
/// optional attribute (left out). ODS keeps no such record at run time, so this
/// asks the op's own attribute verifier whether it would accept a UnitAttr.
bool ProgramWriter::acceptsUnitAttr(Operation *op, StringAttr name) {
  std::pair<const void *, const void *> key(op->getName().getAsOpaquePointer(),
                                            name.getAsOpaquePointer());
  auto it = unitAttrCache_.find(key);
  if (it != unitAttrCache_.end())
    return it->second;
  MLIRContext *context = op->getContext();
  NamedAttrList probe;
  probe.append(name, UnitAttr::get(context));
  bool accepted;
  {
    ScopedDiagnosticHandler quiet(context, [](Diagnostic &) { return success(); });
    accepted = succeeded(
        op->getName().verifyInherentAttrs(probe, [&] { return mlir::emitError(op->getLoc()); }));
  }
  unitAttrCache_[key] = accepted;
  return accepted;
}

LogicalResult convertAttr(Attribute value, AttrRecord &out) {
  if (auto a = dyn_cast<DenseI64ArrayAttr>(value)) {
    out.ints.assign(a.asArrayRef().begin(), a.asArrayRef().end());
  } else if (auto a = dyn_cast<DenseI32ArrayAttr>(value)) {
    out.ints.assign(a.asArrayRef().begin(), a.asArrayRef().end());
  } else if (auto a = dyn_cast<DenseBoolArrayAttr>(value)) {
    out.ints.assign(a.asArrayRef().begin(), a.asArrayRef().end());
  } else if (auto a = dyn_cast<DenseF64ArrayAttr>(value)) {
    out.floats.assign(a.asArrayRef().begin(), a.asArrayRef().end());
  } else if (auto a = dyn_cast<DenseF32ArrayAttr>(value)) {
    out.floats.assign(a.asArrayRef().begin(), a.asArrayRef().end());
  } else if (auto b = dyn_cast<BoolAttr>(value)) {
    out.ints = {b.getValue() ? 1 : 0};
  } else if (auto i = dyn_cast<IntegerAttr>(value)) {
    if (i.getValue().getSignificantBits() > 64)
      return failure();
    out.ints = {i.getValue().getSExtValue()};
  } else if (isa<UnitAttr>(value)) {
    out.ints = {1};
  } else if (auto f = dyn_cast<FloatAttr>(value)) {
    out.floats = {f.getValueAsDouble()};
  } else if (auto array = dyn_cast<ArrayAttr>(value)) {
    for (Attribute element : array) {
      if (auto i = dyn_cast<IntegerAttr>(element); i && i.getValue().getSignificantBits() <= 64)
        out.ints.push_back(i.getValue().getSExtValue());
      else if (auto f = dyn_cast<FloatAttr>(element))
        out.floats.push_back(f.getValueAsDouble());
      else
        return failure();
    }
    if (!out.ints.empty() && !out.floats.empty())
      return failure();
  } else {
    return failure();
  }
  return success();
}

LogicalResult ProgramWriter::lowerAttrs(Operation *op, OpRecord &record) {
  DictionaryAttr attrs = inherentAttrsWithDefaults(op);
  for (StringAttr name : op->getName().getAttributeNames()) {
    StringRef key = name.getValue();
    if (key == "operandSegmentSizes" || key == "resultSegmentSizes")
      continue;
    Attribute value = attrs ? attrs.get(name) : Attribute();
    if (!value) {
      if (acceptsUnitAttr(op, name))
        record.attrs.push_back({key.str(), {0}, {}});
      continue;
    }
    if (auto symbol = dyn_cast<FlatSymbolRefAttr>(value)) {
      FailureOr<int32_t> param = paramIndex(symbol.getValue(), op);
      if (failed(param))
        return failure();
      record.param = *param;
      continue;
    }
    AttrRecord converted{key.str(), {}, {}};
    if (failed(convertAttr(value, converted)))
      return op->emitError() << "attribute '" << key << "' (" << value
                             << ") has no .ffx encoding (integers, booleans, unit, floats and "
                                "arrays of them)";
    record.attrs.push_back(std::move(converted));
  }
  std::sort(record.attrs.begin(), record.attrs.end(),
            [](const AttrRecord &a, const AttrRecord &b) { return a.name < b.name; });
  return success();
}

void ProgramWriter::planBuffers() {
  size_t numTensors = tensors_.size();
  std::vector<int32_t> root(numTensors);
  for (size_t i = 0; i < numTensors; ++i)
    root[i] = tensors_[i].aliasOf >= 0 ? root[tensors_[i].aliasOf] : int32_t(i);

  std::vector<int32_t> lastUse(numTensors, -1);
  std::vector<int32_t> blockEnd(blocks_.size(), -1);
  for (size_t k = 0; k < ops_.size(); ++k) {
    const OpRecord &op = ops_[k];
    for (int32_t id : op.operands)
      if (id >= 0)
        lastUse[root[id]] = int32_t(k);
    for (int32_t id : op.results)
      if (id >= 0)
        lastUse[root[id]] = std::max(lastUse[root[id]], int32_t(k));
    if (op.block >= 0)
      blockEnd[op.block] = int32_t(k);
  }
  // A store takes effect at the end of its block (ff.param_store), so the
  // stored value lives until the block's last op.
  for (const OpRecord &op : ops_)
    if (op.param >= 0 && op.block >= 0)
      for (int32_t id : op.operands)
        if (id >= 0)
          lastUse[root[id]] = std::max(lastUse[root[id]], blockEnd[op.block]);

  std::vector<bool> isOutput(numTensors, false);
  for (int32_t id : outputs_)
    isOutput[root[id]] = true;
  for (size_t i = 0; i < numTensors; ++i)
    if (root[i] == int32_t(i) && tensors_[i].kind == ffx::TensorKind::Activation && !isOutput[i] &&
        lastUse[i] >= 0)
      ops_[lastUse[i]].freeAfter.push_back(int32_t(i));
}

flatbuffers::Offset<ffx::Program> ProgramWriter::build(flatbuffers::FlatBufferBuilder &fbb,
                                                       StringRef name) const {
  std::vector<flatbuffers::Offset<ffx::Tensor>> tensors;
  tensors.reserve(tensors_.size());
  for (const TensorRecord &t : tensors_) {
    auto shape = fbb.CreateVector(t.shape);
    flatbuffers::Offset<flatbuffers::Vector<float>> constant;
    if (t.kind == ffx::TensorKind::Constant)
      constant = fbb.CreateVector(t.constant);
    tensors.push_back(ffx::CreateTensor(fbb, shape, t.type, t.kind, t.param, t.aliasOf, constant));
  }
  std::vector<flatbuffers::Offset<ffx::Op>> ops;
  ops.reserve(ops_.size());
  for (const OpRecord &op : ops_) {
    std::vector<flatbuffers::Offset<ffx::Attr>> attrs;
    for (const AttrRecord &a : op.attrs)
      attrs.push_back(ffx::CreateAttrDirect(fbb, a.name.c_str(), a.ints.empty() ? nullptr : &a.ints,
                                            a.floats.empty() ? nullptr : &a.floats));
    ops.push_back(ffx::CreateOpDirect(fbb, op.kind.c_str(), &op.operands, &op.results, &attrs,
                                      op.param, op.block,
                                      op.node.empty() ? nullptr : op.node.c_str(), &op.freeAfter));
  }
  auto strings = [&](const std::vector<std::string> &v) { return fbb.CreateVectorOfStrings(v); };
  auto nameOffset = fbb.CreateString(name.str());
  auto tensorsOffset = fbb.CreateVector(tensors);
  auto inputs = fbb.CreateVector(inputs_);
  auto inputNames = strings(inputNames_);
  auto outputs = fbb.CreateVector(outputs_);
  auto outputNames = strings(outputNames_);
  auto opsOffset = fbb.CreateVector(ops);
  auto blocks = strings(blocks_);
  return ffx::CreateProgram(fbb, nameOffset, tensorsOffset, inputs, inputNames, outputs,
                            outputNames, opsOffset, blocks);
}

//===----------------------------------------------------------------------===//
// The model
//===----------------------------------------------------------------------===//

std::string stringAttr(ModuleOp module, StringRef name) {
  auto attr = module->getAttrOfType<StringAttr>(name);
  return attr ? attr.str() : std::string();
}

std::string dictEntry(ModuleOp module, StringRef dict, StringRef key) {
  auto attr = module->getAttrOfType<DictionaryAttr>(dict);
  if (!attr)
    return std::string();
  auto value = attr.getAs<StringAttr>(key);
  return value ? value.str() : std::string();
}

} // namespace

FailureOr<flatbuffers::DetachedBuffer> serializeArtifact(ModuleOp module,
                                                         const ArtifactInfo &info) {
  // Step functions.
  SmallVector<func::FuncOp> funcs;
  for (const char *name : kProgramNames) {
    auto func = module.lookupSymbol<func::FuncOp>(name);
    if (!func)
      return module.emitError() << "module has no step function '" << name
                                << "'; an artifact is written from the scheduled module "
                                   "(ffc --compile-to=schedule)";
    funcs.push_back(func);
  }
  func::FuncOp trainStep = funcs.front();
  if (trainStep.getNumArguments() == 0)
    return trainStep.emitError() << "train_step has no arguments; its first is the model input";
  auto inputType = dyn_cast<RankedTensorType>(trainStep.getArgument(0).getType());
  if (!inputType || !inputType.hasStaticShape() || inputType.getRank() < 2 ||
      inputType.getRank() > 4)
    return trainStep.emitError() << "the model input " << trainStep.getArgument(0).getType()
                                 << " is not a static N x C x H x W (or N x F) tensor";
  auto classes = module->getAttrOfType<IntegerAttr>("ff.classes");
  if (!classes)
    return module.emitError() << "module has no ff.classes attribute";

  // Parameters, sized first so that the builder need not regrow its buffer.
  SmallVector<ff::ParamOp> paramOps(module.getOps<ff::ParamOp>());
  llvm::StringMap<int32_t> params;
  std::vector<FloatData> paramData(paramOps.size());
  size_t dataBytes = 0;
  for (auto [i, param] : llvm::enumerate(paramOps)) {
    if (!param.getType().hasStaticShape())
      return param.emitError() << "parameter has no static shape";
    if (failed(getFloatData(param.getInitialValue(), param,
                            "parameter '" + param.getSymName() + "'", paramData[i])))
      return failure();
    params[param.getSymName()] = int32_t(i);
    dataBytes += paramData[i].values.size() * sizeof(float) + ffrt::kArtifactAlignment;
  }

  // Generated kernels of the ff.fused groups.
  KernelTable kernels;
  if (failed(compileKernels(module, info.targetCpu, kernels)))
    return failure();

  // Programs.
  UnitAttrCache unitAttrCache;
  std::vector<ProgramWriter> programs;
  programs.reserve(funcs.size());
  for (func::FuncOp func : funcs) {
    programs.emplace_back(params, unitAttrCache, kernels);
    if (failed(programs.back().lower(func)))
      return failure();
  }

  flatbuffers::FlatBufferBuilder fbb(dataBytes + kernels.sharedObject.size() +
                                     (size_t(1) << 20));
  // Metadata first: the builder writes back to front, so the first object
  // ends the file, and an int64 vector there leaves no trailing padding that
  // a truncated file could lose and still verify.
  // The sample shape is C, H, W (an N x F input is 1 x 1 x F).
  ArrayRef<int64_t> inputShape = inputType.getShape();
  std::vector<int64_t> sampleShape(inputShape.begin() + 1, inputShape.end());
  while (sampleShape.size() < 3)
    sampleShape.insert(sampleShape.begin(), 1);
  auto sampleShapeOffset = fbb.CreateVector(sampleShape);
  std::vector<flatbuffers::Offset<flatbuffers::String>> blockNames;
  for (const std::string &block : programs.front().blockNames())
    blockNames.push_back(fbb.CreateString(block));
  auto blockNamesOffset = fbb.CreateVector(blockNames);
  auto string = [&](const std::string &override, const std::string &fromModule) {
    return fbb.CreateString(override.empty() ? fromModule : override);
  };
  auto mode = fbb.CreateString(info.mode);
  auto partition = string(info.partition, stringAttr(module, "ff.partition"));
  auto loss = string(info.loss, dictEntry(module, "ff.loss", "loss"));
  auto optimizer = string(info.optimizer, dictEntry(module, "ff.optimizer", "name"));
  auto source = string(info.source, stringAttr(module, "ff.source"));
  auto producer = string(info.producer, "ffc");
  auto target = fbb.CreateString(info.target);
  auto metadata =
      ffx::CreateMetadata(fbb, sampleShapeOffset, inputShape.front(), classes.getInt(), mode,
                          partition, loss, optimizer, blockNamesOffset, source, producer, target);

  std::vector<flatbuffers::Offset<ffx::Param>> paramOffsets;
  for (auto [i, param] : llvm::enumerate(paramOps)) {
    auto name = fbb.CreateString(param.getSymName().str());
    auto shape =
        fbb.CreateVector(param.getType().getShape().data(), param.getType().getShape().size());
    ArrayRef<float> values = paramData[i].values;
    fbb.ForceVectorAlignment(values.size(), sizeof(float), ffrt::kArtifactAlignment);
    auto data = fbb.CreateVector(values.data(), values.size());
    paramOffsets.push_back(ffx::CreateParam(fbb, name, shape, param.getBuffer(), data));
  }
  auto paramsVector = fbb.CreateVector(paramOffsets);

  std::vector<flatbuffers::Offset<ffx::Program>> programOffsets;
  for (auto [func, program] : llvm::zip_equal(funcs, programs))
    programOffsets.push_back(program.build(fbb, func.getSymName()));
  auto programsVector = fbb.CreateVector(programOffsets);

  flatbuffers::Offset<ffx::KernelLibrary> kernelLibrary;
  if (!kernels.symbols.empty()) {
    std::vector<flatbuffers::Offset<ffx::Program>> bodies;
    for (auto [symbol, group] : llvm::zip_equal(kernels.symbols, kernels.groups)) {
      ProgramWriter body(params, unitAttrCache, kernels);
      if (failed(body.lowerKernelBody(cast<ff::FusedOp>(group))))
        return failure();
      bodies.push_back(body.build(fbb, symbol));
    }
    auto bodiesOffset = fbb.CreateVector(bodies);
    kernelLibrary = ffrt::buildKernelLibrary(
        fbb, info.target, kernels.cpu, kernels.features, kernels.symbols, bodiesOffset,
        reinterpret_cast<const uint8_t *>(kernels.sharedObject.data()),
        kernels.sharedObject.size());
  }
  auto model = ffx::CreateModel(fbb, ffrt::kFormatVersion, metadata, paramsVector, programsVector,
                                kernelLibrary);
  ffx::FinishModelBuffer(fbb, model);

  std::string error;
  if (!ffrt::Artifact::verify(fbb.GetBufferPointer(), fbb.GetSize(), error))
    return module.emitError() << "internal error: the artifact ffc built fails the runtime's "
                                 "checks: "
                              << error;
  return fbb.Release();
}

LogicalResult writeArtifact(ModuleOp module, StringRef path, const ArtifactInfo &info) {
  FailureOr<flatbuffers::DetachedBuffer> buffer = serializeArtifact(module, info);
  if (failed(buffer))
    return failure();
  if (path == "-") {
    llvm::outs().write(reinterpret_cast<const char *>(buffer->data()), buffer->size());
    llvm::outs().flush();
    return success();
  }
  std::string error;
  if (!ffrt::writeFileAtomically(path.str(), buffer->data(), buffer->size(), error))
    return module.emitError() << "cannot write the artifact: " << error;
  return success();
}

} // namespace cpu
} // namespace ffc
