"""Writes a small MLP with dropout for 1x28x28 inputs as ONNX: Flatten, Gemm, Relu,
Dropout(0.5), Gemm. Its training step draws a dropout mask from the executor's random
generator every step, so an exact resume must restore that generator.

Usage: python3 dropout_mlp.py OUT.onnx
"""
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(0)


def init(name, shape, scale):
    return numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name)


nodes = [
    helper.make_node("Flatten", ["x"], ["f"], name="/Flatten", axis=1),
    helper.make_node("Gemm", ["f", "fc1.weight", "fc1.bias"], ["h"], name="/fc1/Gemm", transB=1),
    helper.make_node("Relu", ["h"], ["r"], name="/Relu"),
    helper.make_node("Dropout", ["r", "ratio"], ["d"], name="/Dropout"),
    helper.make_node("Gemm", ["d", "fc2.weight", "fc2.bias"], ["y"], name="/fc2/Gemm", transB=1),
]
inits = [init("fc1.weight", [64, 784], 0.05), init("fc1.bias", [64], 0.0),
         init("fc2.weight", [10, 64], 0.1), init("fc2.bias", [10], 0.0),
         numpy_helper.from_array(np.array(0.5, np.float32), "ratio")]
graph = helper.make_graph(
    nodes, "dropout_mlp",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 1, 28, 28])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 10])], inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                          producer_name="dropout_mlp")
model.ir_version = 8
with open(sys.argv[1], "wb") as f:
    f.write(model.SerializeToString())
