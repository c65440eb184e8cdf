//===- ArtifactTest.cpp - the .ffx loader's checks and the checkpoint writer ===//

#include "runtime/Artifact.h"
#include "runtime/tests/ArtifactBuilders.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <sys/stat.h>

namespace ffrt {
namespace {

using ffx::ElementType;
using ffx::TensorKind;

using namespace ffrt::artifact_builders;

// A forward pass shared by the three programs: x [2x1x2x2] -> alias [2x4] ->
// linear(w [2x4], b [2]) -> [2x2]. Tensors 0..4: x, flat, w, b, logits.
void addForward(ffx::ProgramT &p) {
  p.tensors.push_back(tensor({2, 1, 2, 2}, TensorKind::Input));
  p.tensors.push_back(aliasTensor({2, 4}, 0));
  p.tensors.push_back(paramTensor({2, 4}, 0));
  p.tensors.push_back(paramTensor({2}, 1));
  p.tensors.push_back(tensor({2, 2}));
  p.inputs.push_back(0);
  p.input_names.push_back("input");
  p.blocks = {"block0"};
  auto linear = op("linear", {1, 2, 3}, {4}, 0);
  linear->attrs.push_back(attr("transpose_b", {1}));
  p.ops.push_back(std::move(linear));
}

std::unique_ptr<ffx::ProgramT> predictProgram() {
  auto p = std::make_unique<ffx::ProgramT>();
  p->name = "predict";
  addForward(*p);
  p->tensors.push_back(tensor({2, 2})); // 5: relu
  auto relu = op("relu", {4}, {5}, 0, {4});
  p->ops.push_back(std::move(relu));
  p->outputs = {5};
  p->output_names = {"vote"};
  return p;
}

std::unique_ptr<ffx::ProgramT> evalProgram() {
  auto p = std::make_unique<ffx::ProgramT>();
  p->name = "eval_step";
  addForward(*p);
  p->tensors.push_back(tensor({2}, TensorKind::Input, ElementType::I32)); // 5: labels
  p->inputs.push_back(5);
  p->input_names.push_back("labels");
  p->tensors.push_back(tensor({}, TensorKind::Activation, ElementType::I32)); // 6: count
  p->ops.push_back(op("count_correct", {4, 5}, {6}, -1, {4}));
  p->outputs = {6};
  p->output_names = {"correct_all"};
  return p;
}

std::unique_ptr<ffx::ProgramT> trainProgram() {
  auto p = std::make_unique<ffx::ProgramT>();
  p->name = "train_step";
  addForward(*p);
  p->tensors.push_back(tensor({2}, TensorKind::Input, ElementType::I32)); // 5: labels
  p->tensors.push_back(tensor({}, TensorKind::Input));                    // 6: lr
  p->inputs.insert(p->inputs.end(), {5, 6});
  p->input_names.insert(p->input_names.end(), {"labels", "lr"});
  auto half = tensor({}, TensorKind::Constant); // 7: 0.5
  half->constant_data = {0.5f};
  p->tensors.push_back(std::move(half));
  p->tensors.push_back(tensor({2, 4})); // 8: scaled w
  auto mul = op("mul", {2, 7}, {8}, 0);
  p->ops.push_back(std::move(mul));
  auto store = op("param_store", {8}, {}, 0, {8});
  store->param = 0;
  p->ops.push_back(std::move(store));
  p->tensors.push_back(tensor({})); // 9: loss
  auto loss = op("margin_cross_entropy", {4, 5}, {9}, 0, {4});
  loss->attrs.push_back(attr("margin", {}, {0.25}));
  p->ops.push_back(std::move(loss));
  p->outputs = {9};
  p->output_names = {"loss0"};
  return p;
}

ffx::ModelT makeModel() {
  ffx::ModelT m;
  m.format_version = kFormatVersion;
  m.metadata = std::make_unique<ffx::MetadataT>();
  m.metadata->input_shape = {1, 2, 2};
  m.metadata->batch = 2;
  m.metadata->classes = 2;
  m.metadata->mode = "sff-block";
  m.metadata->partition = "layer";
  m.metadata->loss = "sff";
  m.metadata->optimizer = "sgd";
  m.metadata->blocks = {"block0"};
  m.metadata->source = "test";
  m.metadata->producer = "ArtifactTest";
  m.metadata->target = "cpu";
  auto w = std::make_unique<ffx::ParamT>();
  w->name = "w";
  w->shape = {2, 4};
  w->data = {1, 2, 3, 4, 5, 6, 7, 8};
  auto b = std::make_unique<ffx::ParamT>();
  b->name = "b";
  b->shape = {2};
  b->data = {0.5f, -0.5f};
  auto mean = std::make_unique<ffx::ParamT>();
  mean->name = "running_mean";
  mean->shape = {2};
  mean->buffer = true;
  mean->data = {0, 0};
  m.params.push_back(std::move(w));
  m.params.push_back(std::move(b));
  m.params.push_back(std::move(mean));
  m.programs.push_back(trainProgram());
  m.programs.push_back(evalProgram());
  m.programs.push_back(predictProgram());
  return m;
}

std::vector<uint8_t> pack(const ffx::ModelT &m) {
  flatbuffers::FlatBufferBuilder fbb;
  ffx::FinishModelBuffer(fbb, ffx::Model::Pack(fbb, &m));
  return std::vector<uint8_t>(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
}

std::string tempPath(const std::string &name) { return testing::TempDir() + "ffx_" + name; }

void writeBytes(const std::string &path, const std::vector<uint8_t> &bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char *>(bytes.data()), std::streamsize(bytes.size()));
}

std::vector<uint8_t> readBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

bool exists(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

/// The loader's error for `m`, or "" if it loads.
std::string loadError(const ffx::ModelT &m) {
  std::vector<uint8_t> bytes = pack(m);
  std::string error;
  auto artifact = Artifact::fromBytes(bytes.data(), bytes.size(), error);
  if (artifact)
    return "";
  EXPECT_FALSE(error.empty());
  return error;
}

ffx::ProgramT &program(ffx::ModelT &m, const std::string &name) {
  for (auto &p : m.programs)
    if (p->name == name)
      return *p;
  ADD_FAILURE() << "no program " << name;
  return *m.programs.front();
}

/// Reads every field a runtime would, following ids, to show that an artifact
/// that passed the checks can be walked without leaving the buffer.
double walk(const Artifact &a) {
  double sum = 0;
  const ffx::Model *m = a.model();
  sum += m->metadata()->classes() + m->metadata()->input_shape()->Get(2);
  for (size_t i = 0; i < a.numParams(); ++i)
    for (float v : *m->params()->Get(i)->data())
      sum += v;
  for (const ffx::Program *p : *m->programs()) {
    auto touch = [&](int32_t id) {
      if (id < 0)
        return;
      const ffx::Tensor *t = p->tensors()->Get(id);
      if (t->shape())
        for (int64_t d : *t->shape())
          sum += double(d);
      if (t->kind() == TensorKind::Param)
        sum += m->params()->Get(t->param())->data()->size();
      if (t->kind() == TensorKind::Alias)
        sum += p->tensors()->Get(t->alias_of())->kind() == TensorKind::Input;
      if (t->constant_data())
        for (float v : *t->constant_data())
          sum += v;
    };
    if (p->inputs())
      for (int32_t id : *p->inputs())
        touch(id);
    if (p->outputs())
      for (int32_t id : *p->outputs())
        touch(id);
    if (!p->ops())
      continue;
    for (const ffx::Op *o : *p->ops()) {
      sum += o->kind()->size();
      if (o->operands())
        for (int32_t id : *o->operands())
          touch(id);
      if (o->results())
        for (int32_t id : *o->results())
          touch(id);
      if (o->free_after())
        for (int32_t id : *o->free_after())
          touch(id);
      if (o->attrs())
        sum += o->attrs()->LookupByKey("margin") != nullptr;
    }
  }
  return sum;
}

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

TEST(Artifact, LoadsAValidModel) {
  std::string path = tempPath("valid.ffx");
  writeBytes(path, pack(makeModel()));
  std::string error;
  auto a = Artifact::load(path, error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->model()->format_version(), kFormatVersion);
  EXPECT_EQ(a->metadata()->classes(), 2);
  EXPECT_EQ(a->metadata()->mode()->str(), "sff-block");
  ASSERT_TRUE(a->program("train_step"));
  ASSERT_TRUE(a->program("eval_step"));
  ASSERT_TRUE(a->program("predict"));
  EXPECT_EQ(a->program("backprop"), nullptr);
  EXPECT_EQ(a->program("predict")->ops()->size(), 2u);
  EXPECT_EQ(a->numParams(), 3u);
  EXPECT_EQ(a->paramIndex("b"), 1);
  EXPECT_EQ(a->paramIndex("nope"), -1);
  EXPECT_TRUE(a->model()->params()->Get(2)->buffer());
  for (size_t i = 0; i < a->numParams(); ++i)
    EXPECT_EQ(reinterpret_cast<uintptr_t>(a->model()->params()->Get(i)->data()->data()) %
                  kArtifactAlignment,
              0u);
  const ffx::Op *linear = a->program("predict")->ops()->Get(0);
  ASSERT_TRUE(linear->attrs()->LookupByKey("transpose_b"));
  EXPECT_EQ(linear->attrs()->LookupByKey("transpose_b")->ints()->Get(0), 1);
  EXPECT_GT(walk(*a), 0);
}

TEST(Artifact, MissingFile) {
  std::string error;
  EXPECT_FALSE(Artifact::load(tempPath("does-not-exist.ffx"), error));
  EXPECT_NE(error.find("cannot open"), std::string::npos) << error;
  EXPECT_FALSE(Artifact::load(testing::TempDir(), error));
  EXPECT_EQ(error, "not a regular file");
}

TEST(Artifact, TooShortAndWrongIdentifier) {
  std::string error;
  std::vector<uint8_t> bytes = pack(makeModel());
  EXPECT_FALSE(Artifact::fromBytes(bytes.data(), 4, error));
  EXPECT_NE(error.find("not an ffc artifact"), std::string::npos) << error;

  std::vector<uint8_t> wrong = bytes;
  wrong[5] ^= 0x20; // "FFX1" -> "FfX1"
  EXPECT_FALSE(Artifact::fromBytes(wrong.data(), wrong.size(), error));
  EXPECT_EQ(error, "not an ffc artifact (no FFX1 identifier)");

  std::string text = "module attributes {} { }\n";
  EXPECT_FALSE(Artifact::fromBytes(text.data(), text.size(), error));
  EXPECT_EQ(error, "not an ffc artifact (no FFX1 identifier)");
}

TEST(Artifact, EveryTruncationFailsCleanly) {
  std::vector<uint8_t> bytes = pack(makeModel());
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::string error;
    auto a = Artifact::fromBytes(bytes.data(), n, error);
    EXPECT_FALSE(a) << "a prefix of " << n << " of " << bytes.size() << " bytes loads";
    EXPECT_FALSE(error.empty());
  }
  // Through a file too.
  std::string path = tempPath("truncated.ffx");
  writeBytes(path, std::vector<uint8_t>(bytes.begin(), bytes.begin() + bytes.size() / 2));
  std::string error;
  EXPECT_FALSE(Artifact::load(path, error));
  EXPECT_NE(error.find("corrupt or truncated"), std::string::npos) << error;
}

TEST(Artifact, FlippedBytesFailCleanlyOrLoadAWalkableModel) {
  std::vector<uint8_t> bytes = pack(makeModel());
  size_t loaded = 0, rejected = 0;
  auto attempt = [&](const std::vector<uint8_t> &corrupt) {
    std::string error;
    auto a = Artifact::fromBytes(corrupt.data(), corrupt.size(), error);
    if (a) {
      ++loaded;
      walk(*a);
    } else {
      ++rejected;
      EXPECT_FALSE(error.empty());
    }
  };
  // Every byte, with three patterns.
  for (size_t i = 0; i < bytes.size(); ++i)
    for (uint8_t mask : {0x01, 0x80, 0xff}) {
      std::vector<uint8_t> corrupt = bytes;
      corrupt[i] ^= mask;
      attempt(corrupt);
    }
  // Random bytes, several at a time.
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 3000; ++trial) {
    std::vector<uint8_t> corrupt = bytes;
    int flips = 1 + int(rng() % 8);
    for (int f = 0; f < flips; ++f)
      corrupt[8 + rng() % (corrupt.size() - 8)] = uint8_t(rng());
    attempt(corrupt);
  }
  EXPECT_GT(rejected, 0u);
  EXPECT_GT(loaded, 0u); // flips in float data or padding are harmless
}

TEST(Artifact, WrongFormatVersionNamesBothVersions) {
  ffx::ModelT m = makeModel();
  m.format_version = 7;
  EXPECT_EQ(loadError(m), "artifact format version 7, this ff-run reads version " +
                              std::to_string(kFormatVersion) +
                              "; recompile "
                          "the model with a matching ffc");
  m.format_version = 0;
  EXPECT_NE(loadError(m).find("artifact format version 0"), std::string::npos);
}

// predict's relu as a generated kernel: a fused op over a one-kernel library.
ffx::ModelT modelWithFusedOp() {
  ffx::ModelT m = makeModel();
  ffx::OpT &relu = *program(m, "predict").ops[1];
  relu.kind = "fused";
  relu.attrs.push_back(attr("kernel", {0}));
  m.kernels = std::make_unique<ffx::KernelLibraryT>();
  m.kernels->target = "cpu";
  m.kernels->cpu = "x86-64";
  m.kernels->symbols = {"ffc_kernel_0"};
  auto body = std::make_unique<ffx::ProgramT>();
  body->name = "ffc_kernel_0";
  body->tensors.push_back(tensor({2, 2}, TensorKind::Input));
  body->tensors.push_back(tensor({2, 2}));
  body->inputs = {0};
  body->outputs = {1};
  body->ops.push_back(op("relu", {0}, {1}, -1));
  m.kernels->bodies.push_back(std::move(body));
  m.kernels->code = {0x7f, 'E', 'L', 'F', 1, 2, 3, 4};
  m.kernels->code_hash = fnv1a64(m.kernels->code.data(), m.kernels->code.size());
  return m;
}

TEST(Artifact, FusedOpChecks) {
  EXPECT_EQ(loadError(modelWithFusedOp()), "");
  struct Case {
    const char *what;
    void (*mutate)(ffx::ModelT &);
    const char *message;
  };
  const Case cases[] = {
      {"no kernel attribute",
       [](ffx::ModelT &m) { program(m, "predict").ops[1]->attrs.clear(); },
       "program 'predict': op 1 (fused at node '/node/relu'): a fused op needs one integer "
       "attribute 'kernel'"},
      {"kernel out of range",
       [](ffx::ModelT &m) { program(m, "predict").ops[1]->attrs[0]->ints = {1}; },
       "kernel 1 is out of range; the artifact has 1 kernels"},
      {"no kernel library",
       [](ffx::ModelT &m) { m.kernels.reset(); },
       "kernel 0 is out of range; the artifact has 0 kernels"},
      {"damaged code", [](ffx::ModelT &m) { m.kernels->code[5] ^= 0x10; },
       "kernel library: the code does not match its checksum (damaged file)"},
      {"no code", [](ffx::ModelT &m) { m.kernels->code.clear(); },
       "kernel library: 1 kernels but no code"},
      {"empty symbol", [](ffx::ModelT &m) { m.kernels->symbols[0] = ""; },
       "kernel library: kernel 0 has no symbol"},
      {"no body", [](ffx::ModelT &m) { m.kernels->bodies.clear(); },
       "kernel library: 1 kernels but 0 kernel bodies"},
      {"body computes another shape",
       [](ffx::ModelT &m) {
         m.kernels->bodies[0]->tensors[1]->shape = {4};
         m.kernels->bodies[0]->tensors[0]->shape = {4};
       },
       "result 0 is [2x2] but kernel 0 computes [4]"},
      {"body reads an undefined value",
       [](ffx::ModelT &m) { m.kernels->bodies[0]->ops[0]->operands = {1}; },
       "program 'ffc_kernel_0': op 0 (relu at node '/node/relu'): operand 0 (tensor 1) is read "
       "before any op computes it"},
      {"operand does not broadcast",
       [](ffx::ModelT &m) { program(m, "predict").ops[1]->operands[0] = 2; },
       "operand 0 does not broadcast to [2x2]"},
  };
  for (const Case &c : cases) {
    ffx::ModelT m = modelWithFusedOp();
    c.mutate(m);
    std::string error = loadError(m);
    EXPECT_NE(error.find(c.message), std::string::npos) << c.what << ": " << error;
  }
}

TEST(Artifact, CheckpointKeepsTheKernels) {
  ffx::ModelT m = modelWithFusedOp();
  flatbuffers::FlatBufferBuilder fbb;
  ffx::FinishModelBuffer(fbb, ffx::Model::Pack(fbb, &m));
  std::string error;
  auto artifact = Artifact::fromBytes(fbb.GetBufferPointer(), fbb.GetSize(), error);
  ASSERT_TRUE(artifact) << error;
  std::vector<std::vector<float>> params;
  for (const ffx::Param *p : *artifact->model()->params())
    params.emplace_back(p->data()->begin(), p->data()->end());
  std::string path = ::testing::TempDir() + "ffrt-kernels-ckpt.ffx";
  ASSERT_TRUE(saveArtifactWithParams(*artifact, params, path, error)) << error;
  auto saved = Artifact::load(path, error);
  ASSERT_TRUE(saved) << error;
  const ffx::KernelLibrary *kernels = saved->model()->kernels();
  ASSERT_TRUE(kernels);
  EXPECT_EQ(kernels->symbols()->Get(0)->str(), "ffc_kernel_0");
  EXPECT_EQ(kernels->code()->size(), 8u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(kernels->code()->data()) % kArtifactAlignment, 0u);
  std::remove(path.c_str());
}

TEST(Artifact, MetadataChecks) {
  {
    ffx::ModelT m = makeModel();
    m.metadata.reset();
    EXPECT_EQ(loadError(m), "artifact has no metadata");
  }
  {
    ffx::ModelT m = makeModel();
    m.metadata->input_shape = {4, 4};
    EXPECT_NE(loadError(m).find("input_shape must have 3 dimensions"), std::string::npos);
  }
  {
    ffx::ModelT m = makeModel();
    m.metadata->input_shape = {1, 0, 2};
    EXPECT_NE(loadError(m).find("not positive"), std::string::npos);
  }
  {
    ffx::ModelT m = makeModel();
    m.metadata->classes = 1;
    EXPECT_NE(loadError(m).find("classes is 1, must be at least 2"), std::string::npos);
  }
}

TEST(Artifact, ParamChecks) {
  {
    ffx::ModelT m = makeModel();
    m.params[0]->data.pop_back();
    EXPECT_EQ(loadError(m), "parameter 'w' of shape [2x4] needs 8 values, the artifact holds 7");
  }
  {
    ffx::ModelT m = makeModel();
    m.params[1]->name = "w";
    EXPECT_NE(loadError(m).find("the name is used by an earlier parameter"), std::string::npos);
  }
  {
    ffx::ModelT m = makeModel();
    m.params[0]->shape = {2, -4};
    EXPECT_NE(loadError(m).find("invalid shape"), std::string::npos);
  }
  {
    ffx::ModelT m = makeModel();
    m.params[0]->shape = {int64_t(1) << 40, int64_t(1) << 40};
    EXPECT_NE(loadError(m).find("invalid shape"), std::string::npos);
  }
  {
    // A Param tensor whose shape disagrees with its parameter.
    ffx::ModelT m = makeModel();
    program(m, "predict").tensors[3]->shape = {3};
    std::string error = loadError(m);
    EXPECT_NE(error.find("program 'predict': tensor 3"), std::string::npos) << error;
    EXPECT_NE(error.find("parameter 'b' of 2 elements"), std::string::npos) << error;
  }
  {
    ffx::ModelT m = makeModel();
    program(m, "predict").tensors[3]->param = 3;
    EXPECT_NE(loadError(m).find("refers to parameter 3; the artifact has 3 parameters"),
              std::string::npos);
  }
  {
    ffx::ModelT m = makeModel();
    program(m, "train_step").ops[2]->param = -1;
    EXPECT_NE(loadError(m).find("param_store names no parameter"), std::string::npos);
  }
  {
    ffx::ModelT m = makeModel();
    program(m, "train_step").ops[2]->param = 1; // stores 8 values into b[2]
    EXPECT_NE(loadError(m).find("stores 8 elements into parameter 'b' of 2"), std::string::npos);
  }
}

TEST(Artifact, BadTensorIds) {
  struct Case {
    const char *what;
    void (*mutate)(ffx::ModelT &);
    const char *message;
  };
  const Case cases[] = {
      {"operand out of range",
       [](ffx::ModelT &m) { program(m, "predict").ops[0]->operands[1] = 99; },
       "program 'predict': op 0 (linear at node '/node/linear'): operand 1 is tensor 99; the "
       "program has 6 tensors"},
      {"negative operand other than -1",
       [](ffx::ModelT &m) { program(m, "predict").ops[0]->operands[2] = -2; },
       "operand 2 is tensor -2"},
      {"result out of range", [](ffx::ModelT &m) { program(m, "predict").ops[1]->results[0] = 6; },
       "result 0 is tensor 6"},
      {"result is a parameter",
       [](ffx::ModelT &m) { program(m, "predict").ops[1]->results[0] = 2; },
       "which is not of kind Activation"},
      {"result computed twice",
       [](ffx::ModelT &m) { program(m, "predict").ops[1]->results[0] = 4; },
       "is already computed by an earlier op"},
      {"free_after out of range",
       [](ffx::ModelT &m) { program(m, "predict").ops[1]->free_after[0] = 100; },
       "free_after names tensor 100"},
      {"free_after of a parameter",
       [](ffx::ModelT &m) { program(m, "predict").ops[1]->free_after[0] = 2; },
       "does not own its storage"},
      {"free_after of an output",
       [](ffx::ModelT &m) { program(m, "predict").ops[1]->free_after[0] = 5; },
       "which is a program output"},
      {"use after free",
       [](ffx::ModelT &m) {
         auto &p = program(m, "predict");
         p.ops[0]->free_after = {4}; // freed by linear, read by relu
         p.ops[1]->free_after.clear();
       },
       "is read after the buffer plan freed it (after op 0)"},
      {"use before definition",
       [](ffx::ModelT &m) {
         std::swap(program(m, "predict").ops[0], program(m, "predict").ops[1]);
       },
       "is read before any op computes it"},
      {"input out of range", [](ffx::ModelT &m) { program(m, "predict").inputs[0] = 9; },
       "input 0 is tensor 9"},
      {"input not of kind Input", [](ffx::ModelT &m) { program(m, "predict").inputs[0] = 4; },
       "which is not of kind Input"},
      {"output out of range", [](ffx::ModelT &m) { program(m, "predict").outputs[0] = -1; },
       "output 0 is tensor -1"},
      {"output never computed", [](ffx::ModelT &m) { program(m, "predict").ops.pop_back(); },
       "output 0 (tensor 5) is never computed"},
      {"alias of a later tensor",
       [](ffx::ModelT &m) { program(m, "predict").tensors[1]->alias_of = 4; },
       "an alias must name an earlier tensor"},
      {"alias of another size",
       [](ffx::ModelT &m) {
         program(m, "predict").tensors[1]->shape = {2, 3};
       },
       "with a different element count (6 vs 8)"},
      {"constant of the wrong size",
       [](ffx::ModelT &m) { program(m, "train_step").tensors[7]->constant_data.push_back(1); },
       "constant tensor 7 of shape [] needs 1 values, has 2"},
      {"block out of range", [](ffx::ModelT &m) { program(m, "predict").ops[0]->block = 1; },
       "block 1 is out of range; the program has 1 blocks"},
      {"unknown tensor kind",
       [](ffx::ModelT &m) { program(m, "predict").tensors[4]->kind = TensorKind(9); },
       "tensor 4 has an unknown kind 9"},
      {"unknown element type",
       [](ffx::ModelT &m) { program(m, "predict").tensors[4]->element_type = ElementType(5); },
       "tensor 4 has an unknown element type 5"},
      {"unsorted attributes",
       [](ffx::ModelT &m) { program(m, "predict").ops[0]->attrs.push_back(attr("alpha", {1})); },
       "attributes are not sorted by name"},
      {"op without kind", [](ffx::ModelT &m) { program(m, "predict").ops[0]->kind.clear(); },
       "op 0 has no kind"},
      {"input names of another count",
       [](ffx::ModelT &m) { program(m, "predict").input_names.push_back("extra"); },
       "has 1 inputs but 2 input names"},
  };
  for (const Case &c : cases) {
    ffx::ModelT m = makeModel();
    c.mutate(m);
    std::string error = loadError(m);
    EXPECT_NE(error.find(c.message), std::string::npos)
        << c.what << ": got '" << error << "', expected it to contain '" << c.message << "'";
  }
}

TEST(Artifact, MissingOrDuplicateProgram) {
  for (const char *name : {"train_step", "eval_step", "predict"}) {
    ffx::ModelT m = makeModel();
    for (auto it = m.programs.begin(); it != m.programs.end(); ++it)
      if ((*it)->name == name) {
        m.programs.erase(it);
        break;
      }
    EXPECT_EQ(loadError(m), std::string("artifact has no program '") + name + "'");
  }
  ffx::ModelT m = makeModel();
  m.programs.push_back(predictProgram());
  EXPECT_EQ(loadError(m), "program 'predict' appears twice");
}

//===----------------------------------------------------------------------===//
// Checkpoints
//===----------------------------------------------------------------------===//

TEST(Artifact, SaveWithParamsRoundTrip) {
  std::string path = tempPath("source.ffx");
  writeBytes(path, pack(makeModel()));
  std::string error;
  auto a = Artifact::load(path, error);
  ASSERT_TRUE(a) << error;

  std::vector<std::vector<float>> data = {{8, 7, 6, 5, 4, 3, 2, 1}, {0.25f, 0.75f}, {1, -1}};
  std::string out = tempPath("ckpt.ffx");
  std::remove(out.c_str());
  ASSERT_TRUE(saveArtifactWithParams(*a, data, out, error)) << error;
  EXPECT_FALSE(exists(out + ".tmp"));

  auto b = Artifact::load(out, error);
  ASSERT_TRUE(b) << error;
  ASSERT_EQ(b->numParams(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const ffx::Param *p = b->model()->params()->Get(i);
    EXPECT_EQ(std::vector<float>(p->data()->begin(), p->data()->end()), data[i]);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p->data()->data()) % kArtifactAlignment, 0u);
  }

  // Everything but the parameter data is unchanged: the source with the new
  // data packs to the same bytes as the checkpoint.
  std::unique_ptr<ffx::ModelT> expected(a->model()->UnPack());
  for (size_t i = 0; i < 3; ++i)
    expected->params[i]->data = data[i];
  std::unique_ptr<ffx::ModelT> actual(b->model()->UnPack());
  EXPECT_EQ(pack(*expected), pack(*actual));

  // Overwriting an existing checkpoint.
  data[1] = {9, 9};
  ASSERT_TRUE(saveArtifactWithParams(*b, data, out, error)) << error;
  auto c = Artifact::load(out, error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->model()->params()->Get(1)->data()->Get(0), 9.0f);
}

TEST(Artifact, SaveWithParamsChecksTheData) {
  std::vector<uint8_t> bytes = pack(makeModel());
  std::string error;
  auto a = Artifact::fromBytes(bytes.data(), bytes.size(), error);
  ASSERT_TRUE(a) << error;
  std::string out = tempPath("bad-ckpt.ffx");
  std::remove(out.c_str());
  EXPECT_FALSE(saveArtifactWithParams(*a, {{1}}, out, error));
  EXPECT_EQ(error, "checkpoint has 1 parameter arrays, the model has 3 parameters");
  EXPECT_FALSE(saveArtifactWithParams(*a, {{1, 2, 3, 4, 5, 6, 7, 8}, {1}, {0, 0}}, out, error));
  EXPECT_EQ(error, "parameter 'b' needs 2 values, got 1");
  EXPECT_FALSE(exists(out));
  EXPECT_FALSE(exists(out + ".tmp"));
}

TEST(Artifact, SaveIsAtomic) {
  std::vector<uint8_t> bytes = pack(makeModel());
  std::string error;
  auto a = Artifact::fromBytes(bytes.data(), bytes.size(), error);
  ASSERT_TRUE(a) << error;
  std::vector<std::vector<float>> data = {{1, 2, 3, 4, 5, 6, 7, 8}, {0, 0}, {0, 0}};

  // Into a missing directory: fails, leaves nothing.
  std::string missing = tempPath("no-such-dir") + "/ckpt.ffx";
  EXPECT_FALSE(saveArtifactWithParams(*a, data, missing, error));
  EXPECT_NE(error.find("cannot create"), std::string::npos) << error;
  EXPECT_FALSE(exists(missing));
  EXPECT_FALSE(exists(missing + ".tmp"));

  // Onto a directory: the temporary file is written, the rename fails, and
  // the temporary file is removed again.
  std::string dir = tempPath("a-directory");
  ::mkdir(dir.c_str(), 0755);
  EXPECT_FALSE(saveArtifactWithParams(*a, data, dir, error));
  EXPECT_NE(error.find("cannot rename"), std::string::npos) << error;
  EXPECT_FALSE(exists(dir + ".tmp"));

  // A failed write leaves the previous checkpoint intact.
  std::string path = tempPath("kept.ffx");
  ASSERT_TRUE(saveArtifactWithParams(*a, data, path, error)) << error;
  std::vector<uint8_t> before = readBytes(path);
  ::mkdir((path + ".tmp").c_str(), 0755); // the temporary file cannot be created
  EXPECT_FALSE(saveArtifactWithParams(*a, {{0, 0, 0, 0, 0, 0, 0, 0}, {0, 0}, {0, 0}}, path, error));
  ::rmdir((path + ".tmp").c_str());
  EXPECT_EQ(readBytes(path), before);
}

} // namespace
} // namespace ffrt
