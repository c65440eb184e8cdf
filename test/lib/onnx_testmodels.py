"""Small ONNX models for the importer tests, written with the onnx Python package.

Usage: python3 -m onnx_testmodels NAME OUT.onnx   (NAME: see MODELS below)
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

RNG = np.random.default_rng(0)


def _init(name, shape, dtype=np.float32):
    return numpy_helper.from_array(RNG.standard_normal(shape).astype(dtype), name)


def _ints(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def _model(nodes, inputs, outputs, inits, opset=13):
    graph = helper.make_graph(nodes, "test", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="onnx_testmodels")
    model.ir_version = 8
    return model


def _input(shape, name="x"):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def _output(shape, name="y"):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def small_conv():
    """Conv-BN-ReLU-MaxPool, a PyTorch-style static shape chain into Reshape, Gemm."""
    nodes = [
        helper.make_node("Conv", ["x", "conv.weight", "conv.bias"], ["c"], name="/conv/Conv",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]),
        helper.make_node("BatchNormalization",
                         ["c", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"],
                         ["b"], name="/bn/BatchNormalization", epsilon=1e-5, momentum=0.9),
        helper.make_node("Relu", ["b"], ["r"], name="/relu/Relu"),
        helper.make_node("MaxPool", ["r"], ["p"], name="/pool/MaxPool", kernel_shape=[2, 2],
                         strides=[2, 2]),
        # x.view(x.size(0), -1) as PyTorch exports it.
        helper.make_node("Shape", ["p"], ["s"], name="/Shape"),
        helper.make_node("Constant", [], ["zero"], name="/Constant",
                         value=helper.make_tensor("v", TensorProto.INT64, [], [0])),
        helper.make_node("Gather", ["s", "zero"], ["n"], name="/Gather", axis=0),
        helper.make_node("Unsqueeze", ["n", "axes0"], ["n1"], name="/Unsqueeze"),
        helper.make_node("Concat", ["n1", "minus1"], ["shape"], name="/Concat", axis=0),
        helper.make_node("Reshape", ["p", "shape"], ["f"], name="/Reshape"),
        helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["y"], name="/fc/Gemm",
                         transB=1),
    ]
    inits = [_init("conv.weight", [4, 1, 3, 3]), _init("conv.bias", [4]),
             _init("bn.weight", [4]), _init("bn.bias", [4]), _init("bn.running_mean", [4]),
             numpy_helper.from_array(np.ones(4, np.float32), "bn.running_var"),
             _init("fc.weight", [10, 64]), _init("fc.bias", [10]),
             _ints("axes0", [0]), _ints("minus1", [-1])]
    return _model(nodes, [_input(["batch", 1, 8, 8])], [_output(["batch", 10])], inits)


def mobile_ops():
    """The ops of MobileNetV3 blocks: depthwise conv, HardSwish, SE (GAP, HardSigmoid,
    Mul), Clip as ReLU6, Add residual, Flatten, Dropout, Softmax, Identity, Constant."""
    nodes = [
        helper.make_node("Conv", ["x", "dw.weight"], ["d"], name="/dw/Conv", group=4,
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("HardSwish", ["d"], ["h"], name="/act/HardSwish"),
        helper.make_node("GlobalAveragePool", ["h"], ["g"], name="/se/avgpool/GlobalAveragePool"),
        helper.make_node("HardSigmoid", ["g"], ["hs"], name="/se/scale_activation/HardSigmoid",
                         alpha=1.0 / 6, beta=0.5),
        helper.make_node("Mul", ["hs", "h"], ["m"], name="/se/Mul"),
        helper.make_node("Clip", ["m", "zero", "six"], ["c"], name="/relu6/Clip"),
        helper.make_node("Identity", ["c"], ["i"], name="/Identity"),
        helper.make_node("Add", ["i", "x"], ["a"], name="/Add"),
        helper.make_node("AveragePool", ["a"], ["ap"], name="/AveragePool",
                         kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["ap"], ["f"], name="/Flatten", axis=1),
        helper.make_node("Constant", [], ["two"], name="/Constant",
                         value=helper.make_tensor("v", TensorProto.FLOAT, [1], [2.0])),
        helper.make_node("Mul", ["f", "two"], ["f2"], name="/Mul"),
        helper.make_node("Dropout", ["f2", "ratio"], ["dr"], name="/Dropout"),
        helper.make_node("Softmax", ["dr"], ["y"], name="/Softmax", axis=1),
    ]
    inits = [_init("dw.weight", [4, 1, 3, 3]),
             numpy_helper.from_array(np.array(0.0, np.float32), "zero"),
             numpy_helper.from_array(np.array(6.0, np.float32), "six"),
             numpy_helper.from_array(np.array(0.2, np.float32), "ratio")]
    return _model(nodes, [_input([2, 4, 4, 4])], [_output([2, 16])], inits, opset=14)


def _relu_model(extra_nodes, inits=(), inputs=None, opset=13, out_shape=None):
    return _model(extra_nodes, inputs or [_input([1, 3, 4, 4])],
                  [_output(out_shape or ["d0", "d1", "d2", "d3"])], list(inits), opset=opset)


def unsupported_op():
    return _relu_model([helper.make_node("Tanh", ["x"], ["y"], name="/act/Tanh")])


def dynamic_dims():
    return _relu_model([helper.make_node("Relu", ["x"], ["y"], name="/Relu")],
                       inputs=[_input(["batch", 3, "height", 4])])


def missing_initializer():
    return _relu_model([helper.make_node("Conv", ["x", "conv.weight"], ["y"],
                                         name="/conv/Conv", kernel_shape=[3, 3])])


def opset_9():
    return _relu_model([helper.make_node("Relu", ["x"], ["y"], name="/Relu")], opset=9)


def opset_18():
    return _relu_model([helper.make_node("Relu", ["x"], ["y"], name="/Relu")], opset=18)


def conv_channel_mismatch():
    return _relu_model([helper.make_node("Conv", ["x", "conv.weight"], ["y"],
                                         name="/conv/Conv", kernel_shape=[3, 3])],
                       inits=[_init("conv.weight", [4, 2, 3, 3])])


def runtime_reshape():
    # The target shape is computed from the input's values: unknown at compile time.
    return _model([helper.make_node("Cast", ["s"], ["shape"], name="/Cast", to=7),
                   helper.make_node("Reshape", ["x", "shape"], ["y"], name="/Reshape")],
                  [_input([1, 3, 4, 4]), _input([2], name="s")],
                  [_output(["d0", "d1"])], [])


def int_input():
    return _model([helper.make_node("Relu", ["x"], ["y"], name="/Relu")],
                  [helper.make_tensor_value_info("x", TensorProto.INT32, [1, 3])],
                  [_output(["d0", "d1"])], [])


def short_initializer():
    # raw_data holds 3 floats for a tensor of 4.
    bad = onnx.TensorProto()
    bad.name = "w"
    bad.data_type = TensorProto.FLOAT
    bad.dims.extend([4])
    bad.raw_data = np.zeros(3, np.float32).tobytes()
    return _relu_model([helper.make_node("Add", ["x", "w"], ["y"], name="/Add")], inits=[bad])


def external_data():
    t = _init("w", [4])
    t.ClearField("raw_data")
    t.data_location = TensorProto.EXTERNAL
    entry = t.external_data.add()
    entry.key = "location"
    entry.value = "weights.bin"
    return _relu_model([helper.make_node("Add", ["x", "w"], ["y"], name="/Add")], inits=[t])


def maxpool_indices():
    return _model([helper.make_node("MaxPool", ["x"], ["p", "idx"], name="/pool/MaxPool",
                                    kernel_shape=[2, 2]),
                   helper.make_node("Cast", ["idx"], ["y"], name="/Cast", to=1)],
                  [_input([1, 3, 4, 4])], [_output([1, 3, 3, 3])], [])


def gemm_trans_a():
    return _model([helper.make_node("Gemm", ["x", "w"], ["y"], name="/fc/Gemm", transA=1)],
                  [_input([3, 2])], [_output([2, 5])], [_init("w", [3, 5])])


def unknown_attribute():
    return _relu_model([helper.make_node("MaxPool", ["x"], ["y"], name="/pool/MaxPool",
                                         kernel_shape=[2, 2], storage_order=1)])


MODELS = {f.__name__: f for f in [
    small_conv, mobile_ops, unsupported_op, dynamic_dims, missing_initializer, opset_9,
    opset_18, conv_channel_mismatch, runtime_reshape, int_input, short_initializer,
    external_data, maxpool_indices, gemm_trans_a, unknown_attribute]}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in MODELS:
        sys.exit("usage: onnx_testmodels NAME OUT.onnx; NAME: " + ", ".join(MODELS))
    model = MODELS[sys.argv[1]]()
    with open(sys.argv[2], "wb") as f:
        f.write(model.SerializeToString())


if __name__ == "__main__":
    main()
