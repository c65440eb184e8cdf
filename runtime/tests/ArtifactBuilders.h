//===- ArtifactBuilders.h - hand-built artifacts for the runtime's tests -*- C++ -*-===//
//
// Small constructors over the FlatBuffers object API (ffx::*T), so that tests
// can write a program op by op.
//
//===----------------------------------------------------------------------===//
#ifndef FFRT_TESTS_ARTIFACTBUILDERS_H
#define FFRT_TESTS_ARTIFACTBUILDERS_H

#include "runtime/schema/ffx_generated.h"

#include <memory>
#include <string>
#include <vector>

namespace ffrt::artifact_builders {

inline std::unique_ptr<ffx::TensorT>
tensor(std::vector<int64_t> shape, ffx::TensorKind kind = ffx::TensorKind::Activation,
       ffx::ElementType type = ffx::ElementType::F32) {
  auto t = std::make_unique<ffx::TensorT>();
  t->shape = std::move(shape);
  t->kind = kind;
  t->element_type = type;
  return t;
}

inline std::unique_ptr<ffx::TensorT> paramTensor(std::vector<int64_t> shape, int32_t param) {
  auto t = tensor(std::move(shape), ffx::TensorKind::Param);
  t->param = param;
  return t;
}

inline std::unique_ptr<ffx::TensorT> aliasTensor(std::vector<int64_t> shape, int32_t of) {
  auto t = tensor(std::move(shape), ffx::TensorKind::Alias);
  t->alias_of = of;
  return t;
}

/// An op named after its kind ("/node/KIND").
inline std::unique_ptr<ffx::OpT> op(std::string kind, std::vector<int32_t> operands,
                                    std::vector<int32_t> results, int32_t block = 0,
                                    std::vector<int32_t> freeAfter = {}) {
  auto o = std::make_unique<ffx::OpT>();
  o->kind = std::move(kind);
  o->operands = std::move(operands);
  o->results = std::move(results);
  o->block = block;
  o->node = "/node/" + o->kind;
  o->free_after = std::move(freeAfter);
  return o;
}

inline std::unique_ptr<ffx::AttrT> attr(std::string name, std::vector<int64_t> ints,
                                        std::vector<double> floats = {}) {
  auto a = std::make_unique<ffx::AttrT>();
  a->name = std::move(name);
  a->ints = std::move(ints);
  a->floats = std::move(floats);
  return a;
}

} // namespace ffrt::artifact_builders

#endif
