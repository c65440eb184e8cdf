//===- ffx-dump.cpp - prints an .ffx artifact or the loader's error --------===//
//
//   ffx-dump FILE.ffx          metadata, parameters, programs (op histograms)
//   ffx-dump --ops FILE.ffx    ... and every op of every program
//
// Exits 1 with the loader's message when the runtime would reject the file.
//
//===----------------------------------------------------------------------===//

#include "runtime/Artifact.h"

#include <cstdio>
#include <cstring>
#include <map>
#include <string>

namespace {

std::string shapeString(const flatbuffers::Vector<int64_t> *shape) {
  if (!shape || shape->size() == 0)
    return "scalar";
  std::string s;
  for (size_t i = 0; i < shape->size(); ++i)
    s += (i ? "x" : "") + std::to_string(shape->Get(i));
  return s;
}

const char *str(const flatbuffers::String *s) { return s ? s->c_str() : ""; }

std::string ids(const flatbuffers::Vector<int32_t> *v) {
  std::string s = "[";
  if (v)
    for (size_t i = 0; i < v->size(); ++i)
      s += (i ? ", " : "") + std::to_string(v->Get(i));
  return s + "]";
}

std::string attrString(const ffx::Attr &a) {
  std::string s = std::string(str(a.name())) + "=";
  char buffer[32];
  if (a.floats() && a.floats()->size()) {
    for (size_t i = 0; i < a.floats()->size(); ++i) {
      std::snprintf(buffer, sizeof buffer, "%g", a.floats()->Get(i));
      s += (i ? "," : "") + std::string(buffer);
    }
    return s;
  }
  if (a.ints())
    for (size_t i = 0; i < a.ints()->size(); ++i)
      s += (i ? "," : "") + std::to_string(a.ints()->Get(i));
  return s;
}

const char *typeName(ffx::ElementType type) {
  return type == ffx::ElementType::I32 ? "i32" : "f32";
}

void dumpProgram(const ffx::Program &program, bool listOps) {
  const auto *tensors = program.tensors();
  size_t numOps = program.ops() ? program.ops()->size() : 0;
  size_t numBlocks = program.blocks() ? program.blocks()->size() : 0;
  std::printf("program %s: %zu ops, %u tensors, %zu blocks\n", str(program.name()), numOps,
              tensors ? tensors->size() : 0u, numBlocks);
  auto value = [&](const char *what, size_t i, int32_t id,
                   const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>> *names) {
    const ffx::Tensor *t = tensors->Get(id);
    std::printf("  %s %zu '%s': %s %s\n", what, i,
                names && i < names->size() ? str(names->Get(i)) : "",
                shapeString(t->shape()).c_str(), typeName(t->element_type()));
  };
  if (program.inputs())
    for (size_t i = 0; i < program.inputs()->size(); ++i)
      value("input", i, program.inputs()->Get(i), program.input_names());
  if (program.outputs())
    for (size_t i = 0; i < program.outputs()->size(); ++i)
      value("output", i, program.outputs()->Get(i), program.output_names());
  if (program.blocks()) {
    std::printf("  blocks:");
    for (const auto *b : *program.blocks())
      std::printf(" %s", str(b));
    std::printf("\n");
  }

  std::map<std::string, int> kinds, tensorKinds;
  size_t freed = 0;
  for (size_t i = 0; tensors && i < tensors->size(); ++i)
    tensorKinds[ffx::EnumNameTensorKind(tensors->Get(i)->kind())]++;
  for (size_t k = 0; k < numOps; ++k) {
    const ffx::Op *op = program.ops()->Get(k);
    kinds[str(op->kind())]++;
    freed += op->free_after() ? op->free_after()->size() : 0;
  }
  std::printf("  tensors:");
  for (const auto &[kind, n] : tensorKinds)
    std::printf(" %s=%d", kind.c_str(), n);
  std::printf("\n  ops:");
  for (const auto &[kind, n] : kinds)
    std::printf(" %s=%d", kind.c_str(), n);
  std::printf("\n  freed: %zu\n", freed);

  if (!listOps)
    return;
  for (size_t k = 0; k < numOps; ++k) {
    const ffx::Op *op = program.ops()->Get(k);
    std::printf("  op %zu %s block=%d", k, str(op->kind()), op->block());
    if (op->param() >= 0)
      std::printf(" param=%d", op->param());
    std::printf(" operands=%s results=%s", ids(op->operands()).c_str(), ids(op->results()).c_str());
    if (op->attrs() && op->attrs()->size()) {
      std::printf(" {");
      for (size_t i = 0; i < op->attrs()->size(); ++i)
        std::printf("%s%s", i ? " " : "", attrString(*op->attrs()->Get(i)).c_str());
      std::printf("}");
    }
    if (op->free_after() && op->free_after()->size())
      std::printf(" free=%s", ids(op->free_after()).c_str());
    if (op->node())
      std::printf(" node='%s'", str(op->node()));
    std::printf("\n");
  }
}

} // namespace

int main(int argc, char **argv) {
  bool listOps = false;
  const char *path = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--ops"))
      listOps = true;
    else if (!path && argv[i][0] != '-')
      path = argv[i];
    else {
      std::fprintf(stderr, "usage: ffx-dump [--ops] FILE.ffx\n");
      return 2;
    }
  }
  if (!path) {
    std::fprintf(stderr, "usage: ffx-dump [--ops] FILE.ffx\n");
    return 2;
  }
  std::string error;
  std::unique_ptr<ffrt::Artifact> artifact = ffrt::Artifact::load(path, error);
  if (!artifact) {
    std::fprintf(stderr, "ffx-dump: %s: %s\n", path, error.c_str());
    return 1;
  }
  const ffx::Model &model = *artifact->model();
  const ffx::Metadata &meta = *artifact->metadata();
  std::printf("format_version: %u\n", model.format_version());
  std::printf("input_shape: %s\n", shapeString(meta.input_shape()).c_str());
  std::printf("batch: %lld\n", (long long)meta.batch());
  std::printf("classes: %lld\n", (long long)meta.classes());
  std::printf("mode: %s\n", str(meta.mode()));
  std::printf("partition: %s\n", str(meta.partition()));
  std::printf("loss: %s\n", str(meta.loss()));
  std::printf("optimizer: %s\n", str(meta.optimizer()));
  std::printf("blocks:");
  if (meta.blocks())
    for (const auto *b : *meta.blocks())
      std::printf(" %s", str(b));
  std::printf("\nsource: %s\n", str(meta.source()));
  std::printf("producer: %s\n", str(meta.producer()));
  std::printf("target: %s\n", str(meta.target()));

  std::printf("params: %zu\n", artifact->numParams());
  for (size_t i = 0; i < artifact->numParams(); ++i) {
    const ffx::Param *p = model.params()->Get(i);
    double sum = 0;
    if (p->data())
      for (float v : *p->data())
        sum += v;
    std::printf("  param %s: %s%s sum=%.6g\n", str(p->name()), shapeString(p->shape()).c_str(),
                p->buffer() ? " buffer" : "", sum);
  }
  if (const ffx::KernelLibrary *kernels = model.kernels()) {
    std::string features;
    if (kernels->features())
      for (const auto *f : *kernels->features())
        features += (features.empty() ? "" : ", ") + f->str();
    std::printf("kernels: %u for %s %s (%s), %u bytes of code\n",
                kernels->symbols() ? kernels->symbols()->size() : 0, str(kernels->target()),
                str(kernels->cpu()), features.c_str(),
                kernels->code() ? kernels->code()->size() : 0);
  } else {
    std::printf("kernels: none\n");
  }
  std::printf("programs: %u\n", model.programs()->size());
  for (const ffx::Program *program : *model.programs())
    dumpProgram(*program, listOps);
  return 0;
}
