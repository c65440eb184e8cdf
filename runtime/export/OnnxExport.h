//===- OnnxExport.h - an artifact's predict program as ONNX -----*- C++ -*-===//
//
// Writes the trained weights and one program of an `.ffx` artifact (normally
// `predict`: the blocks, their aux heads and the vote) as a standalone ONNX
// inference model (opset 17) that other tools can run. Uses the ONNX C++
// library and protobuf only: no LLVM or MLIR.
//
// Op by op: conv2d -> Conv, linear -> Gemm (transB), batch_norm (inference) ->
// BatchNormalization, layer_norm -> LayerNormalization, pools, elementwise
// ops, softmax, concat, slice, transpose, broadcast -> Expand, reduce_sum ->
// ReduceSum, goodness -> Mul(x, x), Reshape [N, K, -1, 1],
// GlobalAveragePool, Flatten (the mean of squares per group), vote -> the
// mean of the (optionally softmaxed) per-block scores (Add chain, Div). An
// op with no ONNX equivalent (batch_norm in training mode, dropout masks,
// losses, optimizer steps, ...) is an error naming the op and its node.
//
// The batch dimension is symbolic ("N") unless some op needs the compiled
// batch size, in which case the model keeps the static one.
//
//===----------------------------------------------------------------------===//
#ifndef FFRT_EXPORT_ONNXEXPORT_H
#define FFRT_EXPORT_ONNXEXPORT_H

#include "runtime/Artifact.h"

#include <string>
#include <vector>

namespace ffrt {

struct OnnxExportOptions {
  std::string program = "predict";
  /// Parameter values (one vector per artifact parameter); empty: the
  /// artifact's own.
  const std::vector<std::vector<float>> *params = nullptr;
};

/// Builds the ONNX model, runs the ONNX checker on it, and serializes it into
/// `bytes`. `symbolicBatch` tells whether the batch dimension came out
/// symbolic. Returns false and sets `error` on failure.
bool exportOnnx(const Artifact &artifact, const OnnxExportOptions &options,
                std::string &bytes, bool &symbolicBatch, std::string &error);

/// exportOnnx, then writes the model to `path` atomically.
bool exportOnnxFile(const Artifact &artifact, const OnnxExportOptions &options,
                    const std::string &path, bool &symbolicBatch,
                    std::string &error);

} // namespace ffrt

#endif
