//===- OnnxExportTest.cpp - ff-run export's ONNX writer -------------------===//
//
// Small hand-built artifacts: what each ffx op becomes, when the batch stays
// symbolic, and that an op with no ONNX form is an error naming it.
//
//===----------------------------------------------------------------------===//
#include "runtime/export/OnnxExport.h"
#include "runtime/tests/ArtifactBuilders.h"

#include <onnx/onnx_pb.h>

#include <gtest/gtest.h>

#include <cstring>

namespace ffrt {
namespace {

using ffx::ElementType;
using ffx::TensorKind;

using namespace ffrt::artifact_builders;

/// x [4x2x2x2] -> alias [4x8] -> linear(w [6x8]) -> [4x6] -> goodness in 3
/// groups -> [4x3] -> vote(softmax) -> [4x3]; `middle` may insert ops on the
/// linear's output (tensor 3) that produce tensor 4 (then goodness reads 4).
std::unique_ptr<ffx::ProgramT> program(const std::string &name,
                                       std::unique_ptr<ffx::OpT> middle = nullptr) {
  auto p = std::make_unique<ffx::ProgramT>();
  p->name = name;
  p->tensors.push_back(tensor({4, 2, 2, 2}, TensorKind::Input)); // 0
  auto flat = tensor({4, 8}, TensorKind::Alias);                 // 1
  flat->alias_of = 0;
  p->tensors.push_back(std::move(flat));
  auto w = tensor({6, 8}, TensorKind::Param); // 2
  w->param = 0;
  p->tensors.push_back(std::move(w));
  p->tensors.push_back(tensor({4, 6})); // 3
  p->tensors.push_back(tensor({4, 6})); // 4
  p->tensors.push_back(tensor({4, 3})); // 5
  p->tensors.push_back(tensor({4, 3})); // 6
  p->inputs = {0};
  p->input_names = {"input"};
  p->blocks = {"block0"};
  p->ops.push_back(op("linear", {1, 2, -1}, {3}));
  int32_t scored = 3;
  if (middle) {
    p->ops.push_back(std::move(middle));
    scored = 4;
  }
  auto g = op("goodness", {scored}, {5});
  g->attrs.push_back(attr("groups", {3}));
  p->ops.push_back(std::move(g));
  auto v = op("vote", {5}, {6});
  v->attrs.push_back(attr("softmax", {1}));
  p->ops.push_back(std::move(v));
  p->outputs = {6};
  p->output_names = {"vote"};
  return p;
}

std::unique_ptr<Artifact> artifact(std::unique_ptr<ffx::OpT> middle = nullptr) {
  ffx::ModelT m;
  m.format_version = kFormatVersion;
  m.metadata = std::make_unique<ffx::MetadataT>();
  m.metadata->input_shape = {2, 2, 2};
  m.metadata->batch = 4;
  m.metadata->classes = 3;
  m.metadata->mode = "sff-block";
  m.metadata->source = "test";
  m.metadata->target = "cpu";
  m.metadata->blocks = {"block0"};
  auto w = std::make_unique<ffx::ParamT>();
  w->name = "fc.weight";
  w->shape = {6, 8};
  for (int i = 0; i < 48; ++i)
    w->data.push_back(0.01f * i);
  m.params.push_back(std::move(w));
  m.programs.push_back(program("train_step"));
  m.programs.push_back(program("eval_step"));
  m.programs.push_back(program("predict", std::move(middle)));
  flatbuffers::FlatBufferBuilder fbb;
  ffx::FinishModelBuffer(fbb, ffx::Model::Pack(fbb, &m));
  std::string error;
  auto a = Artifact::fromBytes(fbb.GetBufferPointer(), fbb.GetSize(), error);
  EXPECT_TRUE(a) << error;
  return a;
}

onnx::ModelProto exported(const Artifact &a, bool &symbolic) {
  std::string bytes, error;
  EXPECT_TRUE(exportOnnx(a, {}, bytes, symbolic, error)) << error;
  onnx::ModelProto m;
  EXPECT_TRUE(m.ParseFromString(bytes));
  return m;
}

const onnx::TensorProto &init(const onnx::ModelProto &m, const std::string &name) {
  for (const auto &t : m.graph().initializer())
    if (t.name() == name)
      return t;
  ADD_FAILURE() << "no initializer '" << name << "'";
  return m.graph().initializer(0);
}

std::vector<std::string> opTypes(const onnx::ModelProto &m) {
  std::vector<std::string> types;
  for (const auto &n : m.graph().node())
    types.push_back(n.op_type());
  return types;
}

TEST(OnnxExport, OpsAndSymbolicBatch) {
  auto a = artifact();
  bool symbolic = false;
  onnx::ModelProto m = exported(*a, symbolic);
  EXPECT_TRUE(symbolic);
  EXPECT_EQ(m.opset_import(0).version(), 17);
  // alias -> Reshape [0, 8]; linear -> Gemm; goodness -> Mul, Reshape,
  // GlobalAveragePool, Flatten; a one-score vote with softmax -> Softmax, Identity.
  std::vector<std::string> expected = {"Reshape", "Gemm", "Mul", "Reshape", "GlobalAveragePool",
                                       "Flatten", "Softmax", "Identity"};
  EXPECT_EQ(opTypes(m), expected);
  const auto &in = m.graph().input(0).type().tensor_type().shape();
  ASSERT_EQ(in.dim_size(), 4);
  EXPECT_EQ(in.dim(0).dim_param(), "N");
  EXPECT_EQ(in.dim(1).dim_value(), 2);
  EXPECT_EQ(m.graph().output(0).name(), "vote");
  EXPECT_EQ(m.graph().output(0).type().tensor_type().shape().dim(0).dim_param(), "N");
  // The weights are the artifact's, under the parameter's name.
  const std::string &raw = init(m, "fc.weight").raw_data();
  ASSERT_EQ(raw.size(), 48u * 4);
  float last;
  std::memcpy(&last, raw.data() + 47 * 4, 4);
  EXPECT_FLOAT_EQ(last, 0.47f);
  // The goodness reshape copies the batch (0) and groups the rest.
  for (const auto &t : m.graph().initializer())
    if (t.data_type() == onnx::TensorProto::INT64 && t.int64_data_size() == 4) {
      EXPECT_EQ(std::vector<int64_t>(t.int64_data().begin(), t.int64_data().end()),
                (std::vector<int64_t>{0, 3, 2, 1}));
    }
}

TEST(OnnxExport, SliceAcrossTheBatchKeepsItStatic) {
  auto s = op("slice", {3}, {4});
  s->attrs.push_back(attr("offsets", {0, 0}));
  auto a = artifact(std::move(s)); // whole tensor: Identity, batch symbolic
  bool symbolic = false;
  onnx::ModelProto m = exported(*a, symbolic);
  EXPECT_TRUE(symbolic);
  EXPECT_EQ(opTypes(m)[2], "Identity");
}

TEST(OnnxExport, UnsupportedOpIsNamed) {
  auto d = op("dropout_mask", {}, {4});
  d->node = "/drop/Dropout";
  auto a = artifact(std::move(d));
  std::string bytes, error;
  bool symbolic = false;
  EXPECT_FALSE(exportOnnx(*a, {}, bytes, symbolic, error));
  EXPECT_NE(error.find("cannot export op 'dropout_mask' (node '/drop/Dropout')"),
            std::string::npos)
      << error;
  EXPECT_TRUE(bytes.empty());
}

TEST(OnnxExport, TrainingBatchNormIsAnError) {
  auto bn = op("batch_norm", {3, -1, -1}, {4});
  bn->attrs.push_back(attr("training", {1}));
  auto a = artifact(std::move(bn));
  std::string bytes, error;
  bool symbolic = false;
  EXPECT_FALSE(exportOnnx(*a, {}, bytes, symbolic, error));
  EXPECT_NE(error.find("cannot export op 'batch_norm' (node '/node/batch_norm'): batch "
                       "normalisation in training mode"),
            std::string::npos)
      << error;
}

TEST(OnnxExport, ParamsOverrideAndChecks) {
  auto a = artifact();
  std::vector<std::vector<float>> params = {std::vector<float>(48, 2.0f)};
  OnnxExportOptions options;
  options.params = &params;
  std::string bytes, error;
  bool symbolic = false;
  ASSERT_TRUE(exportOnnx(*a, options, bytes, symbolic, error)) << error;
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(bytes));
  float first;
  std::memcpy(&first, init(m, "fc.weight").raw_data().data(), 4);
  EXPECT_EQ(first, 2.0f);
  std::vector<std::vector<float>> wrong = {};
  options.params = &wrong;
  EXPECT_FALSE(exportOnnx(*a, options, bytes, symbolic, error));
  EXPECT_NE(error.find("got 0 parameter arrays for 1 parameters"), std::string::npos) << error;
  options.params = nullptr;
  options.program = "nothing";
  EXPECT_FALSE(exportOnnx(*a, options, bytes, symbolic, error));
  EXPECT_EQ(error, "the artifact has no program 'nothing'");
}

TEST(OnnxExport, UnwritablePath) {
  auto a = artifact();
  std::string error;
  bool symbolic = false;
  EXPECT_FALSE(exportOnnxFile(*a, {}, "/nonexistent-dir/model.onnx", symbolic, error));
  EXPECT_NE(error.find("/nonexistent-dir/model.onnx"), std::string::npos) << error;
}

} // namespace
} // namespace ffrt
