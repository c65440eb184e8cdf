"""Checks that ffc imported an ONNX model's initializers one for one.

Usage: python3 check_import.py MODEL.onnx IMPORTED.mlir [TORCH.json]
Every float initializer must be an ff.param with the same name, shape and bytes
(read back from the dense_resource blobs ffc prints), and nothing else may be a
parameter. With TORCH.json (from torch_export.py), the trainable (non-buffer)
parameters must hold exactly PyTorch's parameter count.
Prints one summary line; exits non-zero on the first mismatch.
"""
import json
import re
import sys

import numpy as np
import onnx
from onnx import numpy_helper

PARAM = re.compile(r'^\s*ff\.param @("(?:[^"\\]|\\.)*"|[\w.$-]+)( buffer)? = '
                   r'dense_resource<("(?:[^"\\]|\\.)*"|[\w.$-]+)> : tensor<([0-9x]*)xf32>')
BLOB = re.compile(r'^\s*("(?:[^"\\]|\\.)*"|[\w.$-]+): "0x([0-9A-Fa-f]*)"')


def unquote(s):
    return s[1:-1].encode().decode("unicode_escape") if s.startswith('"') else s


def fail(msg):
    sys.exit("check_import: " + msg)


def main():
    onnx_path, mlir_path = sys.argv[1:3]
    model = onnx.load(onnx_path)
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer
             if t.data_type == onnx.TensorProto.FLOAT}
    params, blobs = {}, {}
    in_resources = False
    with open(mlir_path) as f:
        for line in f:
            if line.startswith("{-#"):
                in_resources = True
            m = (BLOB if in_resources else PARAM).match(line)
            if not m:
                continue
            if in_resources:
                blobs[unquote(m.group(1))] = bytes.fromhex(m.group(2))[4:]  # alignment prefix
            else:
                shape = [int(d) for d in m.group(4).split("x")] if m.group(4) else []
                params[unquote(m.group(1))] = (shape, unquote(m.group(3)), bool(m.group(2)))
    if set(params) != set(inits):
        fail("parameters differ from initializers: only in ONNX %s, only in ffc %s" % (
            sorted(set(inits) - set(params))[:5], sorted(set(params) - set(inits))[:5]))
    trainable = 0
    for name, (shape, key, is_buffer) in params.items():
        ref = inits[name]
        if list(ref.shape) != shape:
            fail("%s: shape %s, ONNX %s" % (name, shape, list(ref.shape)))
        if blobs.get(key) != ref.astype("<f4").tobytes():
            fail("%s: values differ from the ONNX initializer" % name)
        if not is_buffer:
            trainable += int(np.prod(shape))
    summary = "%d parameters match the ONNX initializers, %d trainable elements" % (
        len(params), trainable)
    if len(sys.argv) > 3:
        expected = json.load(open(sys.argv[3]))["parameters"]
        if trainable != expected:
            fail("%d trainable elements, PyTorch has %d parameters" % (trainable, expected))
        summary += " = PyTorch's parameter count"
    print(summary)


if __name__ == "__main__":
    main()
