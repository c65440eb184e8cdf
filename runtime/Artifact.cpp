//===- Artifact.cpp - loads, verifies and rewrites .ffx artifacts ---------===//

#include "runtime/Artifact.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <sstream>
#include <string>
#include <unordered_set>

#include <sys/stat.h>

namespace ffrt {
namespace {

constexpr const char *kRequiredPrograms[] = {"train_step", "eval_step", "predict"};

// Element counts beyond this are not a model, they are a corrupted shape; the
// bound keeps count * sizeof(element) far from overflowing.
constexpr int64_t kMaxElements = int64_t(1) << 40;

struct AlignedFree {
  void operator()(uint8_t *p) const { std::free(p); }
};
using AlignedBytes = std::unique_ptr<uint8_t, AlignedFree>;

AlignedBytes allocateAligned(size_t size) {
  size_t rounded = (size + kArtifactAlignment - 1) / kArtifactAlignment * kArtifactAlignment;
  if (rounded == 0)
    rounded = kArtifactAlignment;
  return AlignedBytes(static_cast<uint8_t *>(std::aligned_alloc(kArtifactAlignment, rounded)));
}

std::string quoted(const flatbuffers::String *s) {
  return s ? "'" + s->str() + "'" : std::string("<unnamed>");
}

/// The product of `shape`'s dimensions, or -1 if a dimension is negative or
/// the product is implausibly large.
int64_t elementCount(const flatbuffers::Vector<int64_t> *shape) {
  int64_t count = 1;
  if (!shape)
    return count;
  for (int64_t d : *shape) {
    if (d < 0)
      return -1;
    if (d != 0 && count > kMaxElements / d)
      return -1;
    count *= d;
  }
  return count;
}

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "x" : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string shapeString(const flatbuffers::Vector<int64_t> *shape) {
  return shapeString(shape ? std::vector<int64_t>(shape->begin(), shape->end())
                           : std::vector<int64_t>());
}

/// Reads `format_version` from the root table after verifying only that table
/// (not its children), so that a file from another ffc whose layout this
/// reader cannot verify still gets a version message rather than "corrupt".
bool readFormatVersion(const uint8_t *data, size_t size, uint32_t &version) {
  flatbuffers::Verifier::Options options;
  flatbuffers::Verifier verifier(data, size, options);
  if (!verifier.Verify<flatbuffers::uoffset_t>(0))
    return false;
  size_t rootOffset = flatbuffers::ReadScalar<flatbuffers::uoffset_t>(data);
  if (rootOffset >= size)
    return false;
  auto *root = reinterpret_cast<const flatbuffers::Table *>(data + rootOffset);
  if (!root->VerifyTableStart(verifier) ||
      !root->VerifyField<uint32_t>(verifier, ffx::Model::VT_FORMAT_VERSION, 4))
    return false;
  version = root->GetField<uint32_t>(ffx::Model::VT_FORMAT_VERSION, 0);
  return true;
}

/// The semantic checks: what the FlatBuffers verifier cannot know.
class SemanticChecker {
public:
  SemanticChecker(const ffx::Model &model, const uint8_t *base) : model_(model), base_(base) {}

  bool run(std::string &error) {
    bool ok = checkMetadata() && checkParams() && checkKernels() && checkPrograms();
    if (!ok)
      error = message_.str();
    return ok;
  }

private:
  std::ostringstream &fail() {
    message_.str("");
    return message_;
  }

  bool checkMetadata() {
    const ffx::Metadata *meta = model_.metadata();
    if (!meta)
      return fail() << "artifact has no metadata", false;
    const auto *shape = meta->input_shape();
    if (!shape || shape->size() != 3)
      return fail() << "metadata: input_shape must have 3 dimensions (C, H, W), has "
                    << (shape ? shape->size() : 0),
             false;
    for (int64_t d : *shape)
      if (d <= 0)
        return fail() << "metadata: input_shape " << shapeString(shape)
                      << " has a dimension that is not positive",
               false;
    if (elementCount(shape) < 0)
      return fail() << "metadata: input_shape " << shapeString(shape) << " is too large", false;
    if (meta->classes() < 2)
      return fail() << "metadata: classes is " << meta->classes() << ", must be at least 2", false;
    if (meta->batch() < 1)
      return fail() << "metadata: batch is " << meta->batch() << ", must be at least 1", false;
    return true;
  }

  bool checkKernels() {
    const ffx::KernelLibrary *kernels = model_.kernels();
    if (!kernels)
      return true;
    numKernels_ = kernels->symbols() ? kernels->symbols()->size() : 0;
    if (numKernels_ && (!kernels->code() || kernels->code()->size() == 0))
      return fail() << "kernel library: " << numKernels_ << " kernels but no code", false;
    for (size_t i = 0; i < numKernels_; ++i)
      if (!kernels->symbols()->Get(i) || kernels->symbols()->Get(i)->size() == 0)
        return fail() << "kernel library: kernel " << i << " has no symbol", false;
    size_t numBodies = kernels->bodies() ? kernels->bodies()->size() : 0;
    if (numBodies != numKernels_)
      return fail() << "kernel library: " << numKernels_ << " kernels but " << numBodies
                    << " kernel bodies",
             false;
    for (size_t i = 0; i < numBodies; ++i) {
      const ffx::Program *body = kernels->bodies()->Get(i);
      if (!body->name() || body->name()->size() == 0)
        return fail() << "kernel library: the body of kernel " << i << " has no name", false;
      if (body->ops())
        for (const ffx::Op *op : *body->ops())
          if (op->kind() && op->kind()->str() == "fused")
            return fail() << "kernel library: the body of kernel " << i
                          << " calls another kernel",
                   false;
      if (!checkProgram(*body))
        return false;
    }
    if (kernels->code() &&
        fnv1a64(kernels->code()->data(), kernels->code()->size()) != kernels->code_hash())
      return fail() << "kernel library: the code does not match its checksum (damaged file)",
             false;
    return true;
  }

  bool checkParams() {
    const auto *params = model_.params();
    if (!params)
      return true;
    std::unordered_set<std::string> names;
    for (size_t i = 0; i < params->size(); ++i) {
      const ffx::Param *p = params->Get(i);
      if (!p->name() || p->name()->size() == 0)
        return fail() << "parameter " << i << " has no name", false;
      if (!names.insert(p->name()->str()).second)
        return fail() << "parameter " << i << " " << quoted(p->name())
                      << ": the name is used by an earlier parameter",
               false;
      int64_t count = elementCount(p->shape());
      if (count < 0)
        return fail() << "parameter " << quoted(p->name()) << ": invalid shape "
                      << shapeString(p->shape()),
               false;
      size_t have = p->data() ? p->data()->size() : 0;
      if (int64_t(have) != count)
        return fail() << "parameter " << quoted(p->name()) << " of shape "
                      << shapeString(p->shape()) << " needs " << count
                      << " values, the artifact holds " << have,
               false;
      if (p->data() &&
          (reinterpret_cast<const uint8_t *>(p->data()->data()) - base_) % kArtifactAlignment != 0)
        return fail() << "parameter " << quoted(p->name()) << ": data is not " << kArtifactAlignment
                      << "-byte aligned",
               false;
      paramCounts_.push_back(count);
    }
    return true;
  }

  bool checkPrograms() {
    const auto *programs = model_.programs();
    std::set<std::string> names;
    if (programs) {
      for (size_t i = 0; i < programs->size(); ++i) {
        const ffx::Program *program = programs->Get(i);
        if (!program->name() || program->name()->size() == 0)
          return fail() << "program " << i << " has no name", false;
        if (!names.insert(program->name()->str()).second)
          return fail() << "program " << quoted(program->name()) << " appears twice", false;
        if (!checkProgram(*program))
          return false;
      }
    }
    for (const char *required : kRequiredPrograms)
      if (!names.count(required))
        return fail() << "artifact has no program '" << required << "'", false;
    return true;
  }

  // Per-tensor state while walking the ops in order.
  enum class State : uint8_t { Undefined, Live, Freed };

  bool checkProgram(const ffx::Program &program) {
    program_ = program.name()->str();
    const auto *tensors = program.tensors();
    tensors_ = tensors;
    size_t numTensors = tensors ? tensors->size() : 0;
    counts_.assign(numTensors, 0);
    roots_.assign(numTensors, -1);
    state_.assign(numTensors, State::Undefined);
    freedAt_.assign(numTensors, -1);

    for (size_t i = 0; i < numTensors; ++i)
      if (!checkTensor(int(i), *tensors->Get(i)))
        return false;

    // Inputs.
    const auto *inputs = program.inputs();
    size_t numInputs = inputs ? inputs->size() : 0;
    if (program.input_names() && program.input_names()->size() != numInputs)
      return fail() << prefix() << "has " << numInputs << " inputs but "
                    << program.input_names()->size() << " input names",
             false;
    for (size_t i = 0; i < numInputs; ++i) {
      int32_t id = inputs->Get(i);
      if (!validId(id, numTensors))
        return fail() << prefix() << "input " << i << " is tensor " << id << "; "
                      << rangeNote(numTensors),
               false;
      if (tensors->Get(id)->kind() != ffx::TensorKind::Input)
        return fail() << prefix() << "input " << i << " is tensor " << id
                      << ", which is not of kind Input",
               false;
      if (state_[id] != State::Undefined)
        return fail() << prefix() << "tensor " << id << " is listed twice as an input", false;
      state_[id] = State::Live;
    }
    for (size_t i = 0; i < numTensors; ++i) {
      ffx::TensorKind kind = tensors->Get(i)->kind();
      if (kind == ffx::TensorKind::Input && state_[i] != State::Live)
        return fail() << prefix() << "tensor " << i
                      << " is of kind Input but is not a program input",
               false;
      if (kind == ffx::TensorKind::Param || kind == ffx::TensorKind::Constant)
        state_[i] = State::Live;
    }

    // Outputs (ids now; liveness after the ops).
    const auto *outputs = program.outputs();
    size_t numOutputs = outputs ? outputs->size() : 0;
    if (program.output_names() && program.output_names()->size() != numOutputs)
      return fail() << prefix() << "has " << numOutputs << " outputs but "
                    << program.output_names()->size() << " output names",
             false;
    std::vector<bool> outputRoot(numTensors, false);
    for (size_t i = 0; i < numOutputs; ++i) {
      int32_t id = outputs->Get(i);
      if (!validId(id, numTensors))
        return fail() << prefix() << "output " << i << " is tensor " << id << "; "
                      << rangeNote(numTensors),
               false;
      outputRoot[roots_[id]] = true;
    }

    if (const auto *blocks = program.blocks())
      numBlocks_ = blocks->size();
    else
      numBlocks_ = 0;

    // Ops, in execution order: every operand is defined and not yet freed.
    const auto *ops = program.ops();
    size_t numOps = ops ? ops->size() : 0;
    for (size_t k = 0; k < numOps; ++k)
      if (!checkOp(int(k), *ops->Get(k), *tensors, outputRoot))
        return false;

    for (size_t i = 0; i < numOutputs; ++i) {
      int32_t root = roots_[outputs->Get(i)];
      if (state_[root] != State::Live)
        return fail() << prefix() << "output " << i << " (tensor " << outputs->Get(i) << ") "
                      << (state_[root] == State::Freed ? "is freed before the program ends"
                                                       : "is never computed"),
               false;
    }
    return true;
  }

  bool checkTensor(int id, const ffx::Tensor &t) {
    int64_t count = elementCount(t.shape());
    if (count < 0)
      return fail() << prefix() << "tensor " << id << " has an invalid shape "
                    << shapeString(t.shape()),
             false;
    counts_[id] = count;
    roots_[id] = id;
    ffx::ElementType type = t.element_type();
    if (type != ffx::ElementType::F32 && type != ffx::ElementType::I32)
      return fail() << prefix() << "tensor " << id << " has an unknown element type " << int(type),
             false;
    switch (t.kind()) {
    case ffx::TensorKind::Activation:
    case ffx::TensorKind::Input:
      return true;
    case ffx::TensorKind::Param: {
      int32_t p = t.param();
      if (p < 0 || size_t(p) >= paramCounts_.size())
        return fail() << prefix() << "tensor " << id << " refers to parameter " << p
                      << "; the artifact has " << paramCounts_.size() << " parameters",
               false;
      if (paramCounts_[p] != count)
        return fail() << prefix() << "tensor " << id << " of shape " << shapeString(t.shape())
                      << " (" << count << " elements) refers to parameter "
                      << quoted(model_.params()->Get(p)->name()) << " of " << paramCounts_[p]
                      << " elements",
               false;
      if (type != ffx::ElementType::F32)
        return fail() << prefix() << "tensor " << id << " refers to a parameter but is not f32",
               false;
      return true;
    }
    case ffx::TensorKind::Constant: {
      size_t have = t.constant_data() ? t.constant_data()->size() : 0;
      if (int64_t(have) != count)
        return fail() << prefix() << "constant tensor " << id << " of shape "
                      << shapeString(t.shape()) << " needs " << count << " values, has " << have,
               false;
      if (type != ffx::ElementType::F32)
        return fail() << prefix() << "constant tensor " << id << " is not f32", false;
      return true;
    }
    case ffx::TensorKind::Alias: {
      int32_t target = t.alias_of();
      if (target < 0 || target >= id)
        return fail() << prefix() << "tensor " << id << " aliases tensor " << target
                      << "; an alias must name an earlier tensor",
               false;
      if (counts_[target] != count)
        return fail() << prefix() << "tensor " << id << " of shape " << shapeString(t.shape())
                      << " aliases tensor " << target << " with a different element count ("
                      << count << " vs " << counts_[target] << ")",
               false;
      if (tensors_->Get(target)->element_type() != type)
        return fail() << prefix() << "tensor " << id << " aliases tensor " << target
                      << " of another element type",
               false;
      roots_[id] = roots_[target];
      return true;
    }
    }
    return fail() << prefix() << "tensor " << id << " has an unknown kind " << int(t.kind()), false;
  }

  bool checkOp(int k, const ffx::Op &op,
               const flatbuffers::Vector<flatbuffers::Offset<ffx::Tensor>> &tensors,
               const std::vector<bool> &outputRoot) {
    size_t numTensors = tensors.size();
    if (!op.kind() || op.kind()->size() == 0)
      return fail() << prefix() << "op " << k << " has no kind", false;
    std::string where = opName(k, op);
    if (op.block() < -1 || (op.block() >= 0 && size_t(op.block()) >= numBlocks_))
      return fail() << where << "block " << op.block() << " is out of range; the program has "
                    << numBlocks_ << " blocks",
             false;
    int32_t numParams = int32_t(paramCounts_.size());
    if (op.param() < -1 || op.param() >= numParams)
      return fail() << where << "parameter " << op.param() << " is out of range; the artifact has "
                    << numParams << " parameters",
             false;

    if (const auto *operands = op.operands()) {
      for (size_t i = 0; i < operands->size(); ++i) {
        int32_t id = operands->Get(i);
        if (id == -1)
          continue;
        if (!validId(id, numTensors))
          return fail() << where << "operand " << i << " is tensor " << id << "; "
                        << rangeNote(numTensors),
                 false;
        State s = state_[roots_[id]];
        if (s == State::Undefined)
          return fail() << where << "operand " << i << " (tensor " << id
                        << ") is read before any op computes it",
                 false;
        if (s == State::Freed)
          return fail() << where << "operand " << i << " (tensor " << id
                        << ") is read after the buffer plan freed it (after op "
                        << freedAt_[roots_[id]] << ")",
                 false;
      }
    }
    if (op.kind()->str() == "param_store") {
      if (op.param() < 0)
        return fail() << where << "param_store names no parameter", false;
      const auto *operands = op.operands();
      if (!operands || operands->size() != 1 || operands->Get(0) < 0)
        return fail() << where << "param_store needs exactly one operand", false;
      if (counts_[operands->Get(0)] != paramCounts_[op.param()])
        return fail() << where << "stores " << counts_[operands->Get(0)]
                      << " elements into parameter "
                      << quoted(model_.params()->Get(op.param())->name()) << " of "
                      << paramCounts_[op.param()],
               false;
    }

    if (const auto *results = op.results()) {
      for (size_t i = 0; i < results->size(); ++i) {
        int32_t id = results->Get(i);
        if (id == -1)
          continue;
        if (!validId(id, numTensors))
          return fail() << where << "result " << i << " is tensor " << id << "; "
                        << rangeNote(numTensors),
                 false;
        if (tensors.Get(id)->kind() != ffx::TensorKind::Activation)
          return fail() << where << "result " << i << " is tensor " << id
                        << ", which is not of kind Activation",
                 false;
        if (state_[id] != State::Undefined)
          return fail() << where << "result " << i << " (tensor " << id
                        << ") is already computed by an earlier op",
                 false;
        state_[id] = State::Live;
      }
    }

    if (const auto *attrs = op.attrs()) {
      for (size_t i = 0; i < attrs->size(); ++i) {
        const ffx::Attr *attr = attrs->Get(i);
        if (!attr->name())
          return fail() << where << "attribute " << i << " has no name", false;
        // Op::attrs is looked up by key (binary search): it must be sorted.
        if (i > 0 && !(attrs->Get(i - 1)->name()->str() < attr->name()->str()))
          return fail() << where << "attributes are not sorted by name (at " << quoted(attr->name())
                        << ")",
                 false;
      }
    }

    if (op.kind()->str() == "fused" && !checkFusedOp(where, op, tensors))
      return false;

    if (const auto *freed = op.free_after()) {
      for (size_t i = 0; i < freed->size(); ++i) {
        int32_t id = freed->Get(i);
        if (!validId(id, numTensors))
          return fail() << where << "free_after names tensor " << id << "; "
                        << rangeNote(numTensors),
                 false;
        if (tensors.Get(id)->kind() != ffx::TensorKind::Activation)
          return fail() << where << "free_after names tensor " << id
                        << ", which does not own its storage (only activations can be freed)",
                 false;
        if (outputRoot[id])
          return fail() << where << "free_after names tensor " << id
                        << ", which is a program output",
                 false;
        if (state_[id] == State::Undefined)
          return fail() << where << "free_after names tensor " << id
                        << ", which is not computed yet",
                 false;
        if (state_[id] == State::Freed)
          return fail() << where << "free_after names tensor " << id
                        << ", which is already freed after op " << freedAt_[id],
                 false;
        state_[id] = State::Freed;
        freedAt_[id] = k;
      }
    }
    return true;
  }

  /// A generated kernel reads its operands and writes its results with the
  /// shapes it was compiled for: the tensors must have them.
  bool checkFusedOp(const std::string &where, const ffx::Op &op,
                    const flatbuffers::Vector<flatbuffers::Offset<ffx::Tensor>> &tensors) {
    const ffx::Attr *kernel = op.attrs() ? op.attrs()->LookupByKey("kernel") : nullptr;
    if (!kernel || !kernel->ints() || kernel->ints()->size() != 1)
      return fail() << where << "a fused op needs one integer attribute 'kernel'", false;
    int64_t index = kernel->ints()->Get(0);
    if (index < 0 || size_t(index) >= numKernels_)
      return fail() << where << "kernel " << index << " is out of range; the artifact has "
                    << numKernels_ << " kernels",
             false;
    const auto *results = op.results();
    if (!results || results->size() == 0)
      return fail() << where << "a fused op needs results", false;
    const ffx::Program *body = model_.kernels()->bodies()->Get(index);
    size_t numOperands = op.operands() ? op.operands()->size() : 0;
    if (!body->inputs() || body->inputs()->size() != numOperands || !body->outputs() ||
        body->outputs()->size() != results->size())
      return fail() << where << "kernel " << index << " takes "
                    << (body->inputs() ? body->inputs()->size() : 0) << " inputs and gives "
                    << (body->outputs() ? body->outputs()->size() : 0) << " results; the op has "
                    << numOperands << " operands and " << results->size() << " results",
             false;
    auto bodyShape = [&](int32_t id) {
      const auto *dims = body->tensors()->Get(id)->shape();
      return dims ? std::vector<int64_t>(dims->begin(), dims->end()) : std::vector<int64_t>();
    };
    auto shapeOf = [&](int32_t id) {
      const auto *dims = tensors.Get(id)->shape();
      return dims ? std::vector<int64_t>(dims->begin(), dims->end()) : std::vector<int64_t>();
    };
    // The iteration space: the shape of each body output, or of what it
    // reduces when a reduction computes it; the same for all outputs.
    std::vector<const ffx::Op *> producer(body->tensors()->size(), nullptr);
    if (body->ops())
      for (const ffx::Op *bodyOp : *body->ops())
        if (bodyOp->results())
          for (int32_t r : *bodyOp->results())
            if (r >= 0 && size_t(r) < producer.size())
              producer[r] = bodyOp;
    std::vector<int64_t> space;
    for (size_t i = 0; i < results->size(); ++i) {
      int32_t out = body->outputs()->Get(i);
      const ffx::Op *def = producer[out];
      std::vector<int64_t> iterated = bodyShape(out);
      if (def && isFusedReduction(def->kind()->str()) && def->operands() &&
          def->operands()->size() == 1)
        iterated = bodyShape(def->operands()->Get(0));
      if (i == 0)
        space = iterated;
      else if (iterated != space)
        return fail() << where << "kernel " << index << " iterates over "
                      << shapeString(space) << " for result 0 but over "
                      << shapeString(iterated) << " for result " << i,
               false;
    }
    if (space.empty())
      return fail() << where << "a fused op iterates over at least one dimension", false;
    for (size_t i = 0; i < results->size(); ++i) {
      int32_t id = results->Get(i);
      if (id >= 0 && shapeOf(id) != bodyShape(body->outputs()->Get(i)))
        return fail() << where << "result " << i << " is " << shapeString(shapeOf(id))
                      << " but kernel " << index << " computes "
                      << shapeString(bodyShape(body->outputs()->Get(i))),
               false;
      // The runtime splits rows of dimension 0 of the results across threads.
      if (id < 0 || shapeOf(id).empty() || shapeOf(id)[0] != space[0] ||
          tensors.Get(id)->element_type() != ffx::ElementType::F32)
        return fail() << where << "result " << i << " is not f32 with the " << space[0]
                      << " rows of the kernel's iteration space " << shapeString(space),
               false;
    }
    if (const auto *operands = op.operands())
      for (size_t i = 0; i < operands->size(); ++i) {
        int32_t id = operands->Get(i);
        std::vector<int64_t> dims = id >= 0 ? shapeOf(id) : std::vector<int64_t>();
        bool fits = id >= 0 && dims.size() <= space.size() &&
                    tensors.Get(id)->element_type() == ffx::ElementType::F32;
        for (size_t d = 0; fits && d < dims.size(); ++d) {
          int64_t target = space[space.size() - dims.size() + d];
          fits = dims[d] == 1 || dims[d] == target;
        }
        if (!fits)
          return fail() << where << "operand " << i << " does not broadcast to "
                        << shapeString(space),
                 false;
        if (dims != bodyShape(body->inputs()->Get(i)))
          return fail() << where << "operand " << i << " is " << shapeString(dims)
                        << " but kernel " << index << " reads "
                        << shapeString(bodyShape(body->inputs()->Get(i))),
                 false;
      }
    return true;
  }

  /// Op kinds a kernel body may end a chain with (ff::FusedOp::isFusibleReduction).
  static bool isFusedReduction(const std::string &kind) {
    return kind == "global_avg_pool" || kind == "goodness" || kind == "reduce_sum";
  }
  static bool validId(int32_t id, size_t numTensors) { return id >= 0 && size_t(id) < numTensors; }
  static std::string rangeNote(size_t numTensors) {
    return "the program has " + std::to_string(numTensors) + " tensors";
  }
  std::string prefix() const { return "program '" + program_ + "': "; }
  std::string opName(int k, const ffx::Op &op) const {
    std::string s = prefix() + "op " + std::to_string(k) + " (" + op.kind()->str();
    if (op.node() && op.node()->size())
      s += " at node '" + op.node()->str() + "'";
    return s + "): ";
  }

  const ffx::Model &model_;
  const uint8_t *base_;
  std::ostringstream message_;
  std::vector<int64_t> paramCounts_;
  std::string program_;
  const flatbuffers::Vector<flatbuffers::Offset<ffx::Tensor>> *tensors_ = nullptr;
  size_t numBlocks_ = 0;
  size_t numKernels_ = 0;
  std::vector<int64_t> counts_;
  std::vector<int32_t> roots_;
  std::vector<State> state_;
  std::vector<int32_t> freedAt_;
};

} // namespace

bool Artifact::verify(const uint8_t *data, size_t size, std::string &error) {
  if (size < 8) {
    error =
        "not an ffc artifact (" + std::to_string(size) + " bytes, too short for the FFX1 header)";
    return false;
  }
  if (!flatbuffers::BufferHasIdentifier(data, ffx::ModelIdentifier())) {
    error = "not an ffc artifact (no FFX1 identifier)";
    return false;
  }
  if (size >= FLATBUFFERS_MAX_BUFFER_SIZE) {
    error = "artifact of " + std::to_string(size) + " bytes is larger than FlatBuffers allows";
    return false;
  }
  uint32_t version = 0;
  bool haveVersion = readFormatVersion(data, size, version);
  if (haveVersion && version != kFormatVersion) {
    error = "artifact format version " + std::to_string(version) + ", this ff-run reads version " +
            std::to_string(kFormatVersion) + "; recompile the model with a matching ffc";
    return false;
  }
  flatbuffers::Verifier::Options options;
  options.max_tables = 1u << 28; // large models have many ops, tensors and attributes
  flatbuffers::Verifier verifier(data, size, options);
  if (!haveVersion || !ffx::VerifyModelBuffer(verifier)) {
    error = "corrupt or truncated artifact (the FlatBuffers verifier rejects it)";
    return false;
  }
  const ffx::Model *model = ffx::GetModel(data);
  return SemanticChecker(*model, data).run(error);
}

std::unique_ptr<Artifact> Artifact::adopt(uint8_t *bytes, size_t size, std::string &error) {
  AlignedBytes owner(bytes);
  if (!verify(bytes, size, error))
    return nullptr;
  std::unique_ptr<Artifact> artifact(new Artifact());
  artifact->bytes_ = owner.release();
  artifact->size_ = size;
  artifact->model_ = ffx::GetModel(artifact->bytes_);
  return artifact;
}

std::unique_ptr<Artifact> Artifact::fromBytes(const void *data, size_t size, std::string &error) {
  AlignedBytes bytes = allocateAligned(size);
  if (!bytes) {
    error = "out of memory reading an artifact of " + std::to_string(size) + " bytes";
    return nullptr;
  }
  if (size)
    std::memcpy(bytes.get(), data, size);
  return adopt(bytes.release(), size, error);
}

std::unique_ptr<Artifact> Artifact::load(const std::string &path, std::string &error) {
  std::FILE *file = std::fopen(path.c_str(), "rb");
  if (!file) {
    error = std::string("cannot open: ") + std::strerror(errno);
    return nullptr;
  }
  struct Closer {
    std::FILE *f;
    ~Closer() { std::fclose(f); }
  } closer{file};
  struct stat st;
  if (::fstat(::fileno(file), &st) != 0) {
    error = std::string("cannot read: ") + std::strerror(errno);
    return nullptr;
  }
  if (!S_ISREG(st.st_mode)) {
    error = "not a regular file";
    return nullptr;
  }
  size_t size = size_t(st.st_size);
  if (size >= FLATBUFFERS_MAX_BUFFER_SIZE) {
    error = "file of " + std::to_string(size) + " bytes is larger than an artifact can be";
    return nullptr;
  }
  AlignedBytes bytes = allocateAligned(size);
  if (!bytes) {
    error = "out of memory reading " + std::to_string(size) + " bytes";
    return nullptr;
  }
  if (size && std::fread(bytes.get(), 1, size, file) != size) {
    error = std::string("cannot read: ") +
            (std::ferror(file) ? std::strerror(errno) : "the file shrank while being read");
    return nullptr;
  }
  return adopt(bytes.release(), size, error);
}

Artifact::~Artifact() { std::free(bytes_); }

const ffx::Program *Artifact::program(const std::string &name) const {
  for (const ffx::Program *p : *model_->programs())
    if (p->name()->str() == name)
      return p;
  return nullptr;
}

int Artifact::paramIndex(const std::string &name) const {
  const auto *params = model_->params();
  if (!params)
    return -1;
  for (size_t i = 0; i < params->size(); ++i)
    if (params->Get(i)->name()->str() == name)
      return int(i);
  return -1;
}

size_t Artifact::numParams() const { return model_->params() ? model_->params()->size() : 0; }

bool writeFileAtomically(const std::string &path, const void *data, size_t size,
                         std::string &error) {
  std::string tmp = path + ".tmp";
  std::FILE *file = std::fopen(tmp.c_str(), "wb");
  if (!file) {
    error = "cannot create '" + tmp + "': " + std::strerror(errno);
    return false;
  }
  bool ok = (size == 0 || std::fwrite(data, 1, size, file) == size) && std::fflush(file) == 0;
  int writeErrno = errno;
  ok = (std::fclose(file) == 0) && ok;
  if (!ok) {
    error = "cannot write '" + tmp + "': " + std::strerror(writeErrno ? writeErrno : errno);
    std::remove(tmp.c_str());
    return false;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    error = "cannot rename '" + tmp + "' to '" + path + "': " + std::strerror(errno);
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

uint64_t fnv1a64(const uint8_t *data, size_t size) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < size; ++i)
    hash = (hash ^ data[i]) * 0x100000001b3ull;
  return hash;
}

flatbuffers::Offset<ffx::KernelLibrary>
buildKernelLibrary(flatbuffers::FlatBufferBuilder &fbb, const std::string &target,
                   const std::string &cpu, const std::vector<std::string> &features,
                   const std::vector<std::string> &symbols,
                   flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<ffx::Program>>> bodies,
                   const uint8_t *code, size_t size) {
  auto targetOffset = fbb.CreateString(target);
  auto cpuOffset = fbb.CreateString(cpu);
  auto featuresOffset = fbb.CreateVectorOfStrings(features);
  auto symbolsOffset = fbb.CreateVectorOfStrings(symbols);
  fbb.ForceVectorAlignment(size, 1, kArtifactAlignment);
  auto codeOffset = fbb.CreateVector(code, size);
  return ffx::CreateKernelLibrary(fbb, targetOffset, cpuOffset, featuresOffset, symbolsOffset,
                                  bodies, codeOffset, fnv1a64(code, size));
}

bool saveArtifactWithParams(const Artifact &artifact,
                            const std::vector<std::vector<float>> &paramData,
                            const std::string &path, std::string &error) {
  const ffx::Model &model = *artifact.model();
  size_t numParams = artifact.numParams();
  if (paramData.size() != numParams) {
    error = "checkpoint has " + std::to_string(paramData.size()) +
            " parameter arrays, the model has " + std::to_string(numParams) + " parameters";
    return false;
  }
  size_t dataBytes = 0;
  for (size_t i = 0; i < numParams; ++i) {
    const ffx::Param *p = model.params()->Get(i);
    size_t want = p->data() ? p->data()->size() : 0;
    if (paramData[i].size() != want) {
      error = "parameter '" + p->name()->str() + "' needs " + std::to_string(want) +
              " values, got " + std::to_string(paramData[i].size());
      return false;
    }
    dataBytes += want * sizeof(float) + kArtifactAlignment;
  }

  // The parameters are built from `paramData` directly; the metadata and the
  // programs (small next to the parameters) go through the object API.
  flatbuffers::FlatBufferBuilder fbb(std::max(dataBytes, artifact.size()) + 4096);
  // Metadata first: the first object built ends the file, and its leading
  // int64 vector leaves no trailing padding that a truncated copy could lose.
  std::unique_ptr<ffx::MetadataT> metadata(model.metadata()->UnPack());
  auto metadataOffset = ffx::CreateMetadata(fbb, metadata.get());

  std::vector<flatbuffers::Offset<ffx::Param>> params;
  params.reserve(numParams);
  for (size_t i = 0; i < numParams; ++i) {
    const ffx::Param *p = model.params()->Get(i);
    auto name = fbb.CreateString(p->name());
    flatbuffers::Offset<flatbuffers::Vector<int64_t>> shape;
    if (p->shape())
      shape = fbb.CreateVector(p->shape()->data(), p->shape()->size());
    fbb.ForceVectorAlignment(paramData[i].size(), sizeof(float), kArtifactAlignment);
    auto data = fbb.CreateVector(paramData[i]);
    params.push_back(ffx::CreateParam(fbb, name, shape, p->buffer(), data));
  }
  auto paramsVector = fbb.CreateVector(params);

  std::vector<flatbuffers::Offset<ffx::Program>> programs;
  for (const ffx::Program *program : *model.programs()) {
    std::unique_ptr<ffx::ProgramT> unpacked(program->UnPack());
    programs.push_back(ffx::CreateProgram(fbb, unpacked.get()));
  }
  auto programsVector = fbb.CreateVector(programs);

  flatbuffers::Offset<ffx::KernelLibrary> kernels;
  if (const ffx::KernelLibrary *k = model.kernels()) {
    std::unique_ptr<ffx::KernelLibraryT> unpacked(k->UnPack());
    std::vector<flatbuffers::Offset<ffx::Program>> bodies;
    for (const auto &body : unpacked->bodies)
      bodies.push_back(ffx::CreateProgram(fbb, body.get()));
    auto bodiesOffset = fbb.CreateVector(bodies);
    kernels = buildKernelLibrary(fbb, unpacked->target, unpacked->cpu, unpacked->features,
                                 unpacked->symbols, bodiesOffset, unpacked->code.data(),
                                 unpacked->code.size());
  }
  auto root = ffx::CreateModel(fbb, kFormatVersion, metadataOffset, paramsVector, programsVector,
                               kernels);
  ffx::FinishModelBuffer(fbb, root);
  return writeFileAtomically(path, fbb.GetBufferPointer(), fbb.GetSize(), error);
}

} // namespace ffrt
