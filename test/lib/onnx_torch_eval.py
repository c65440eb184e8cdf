"""A small ONNX interpreter on PyTorch, for checking the models `ff-run export` writes
(Debian has no onnxruntime, and onnx 1.12 has no reference evaluator).

Each node maps to the matching torch.nn.functional call, following the ONNX
operator specs (opset 17); an op it does not know is an error. Also reads the
Fashion-MNIST test images the way ff-run does and writes them as raw float32.

Usage:
  python3 -m onnx_torch_eval predict MODEL.onnx IDX_DIR COUNT OUT.txt [--batch=B]
      predictions "INDEX PREDICTED LABEL", one line per test image
  python3 -m onnx_torch_eval raw IDX_DIR COUNT OUT.raw
      the first COUNT normalised test images as little-endian float32 (NCHW)
"""
import gzip
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

# ff-run's Fashion-MNIST normalisation (runtime/data/Dataset.cpp):
# x = pixel * (1 / (255 * std)) + (-mean / std), in float32.
FMNIST_MEAN, FMNIST_STD = 0.2860, 0.3530


def _ints(node, name, default=None):
    for a in node.attribute:
        if a.name == name:
            return list(a.ints) if a.type == onnx.AttributeProto.INTS else a.i
    return default


def _float(node, name, default):
    for a in node.attribute:
        if a.name == name:
            return a.f
    return default


def _pads(node, rank=2):
    p = _ints(node, "pads", [0] * (2 * rank))
    return p[:rank], p[rank:]


def _padded(x, begin, end, value):
    """Explicit (possibly asymmetric) spatial padding: F.pad takes the last dim first."""
    if begin == end:
        return x, begin
    return F.pad(x, [begin[1], end[1], begin[0], end[0]], value=value), [0, 0]


def _reshape(x, shape):
    shape = [int(s) for s in shape]
    shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
    return x.reshape(shape)


def run_node(node, env):
    ins = [env[i] if i else None for i in node.input]
    op = node.op_type
    x = ins[0] if ins else None
    if op == "Conv":
        begin, end = _pads(node)
        x, pad = _padded(x, begin, end, 0.0)
        return F.conv2d(x, ins[1], ins[2] if len(ins) > 2 else None,
                        stride=_ints(node, "strides", [1, 1]), padding=pad,
                        dilation=_ints(node, "dilations", [1, 1]), groups=_ints(node, "group", 1))
    if op == "BatchNormalization":
        return F.batch_norm(x, ins[3], ins[4], ins[1], ins[2], training=False,
                            eps=_float(node, "epsilon", 1e-5))
    if op == "LayerNormalization":
        axis = _ints(node, "axis", -1)
        axis = axis + x.dim() if axis < 0 else axis
        shape = list(x.shape[axis:])
        bias = ins[2] if len(ins) > 2 else None
        return F.layer_norm(x, shape, ins[1].expand(shape),
                            None if bias is None else bias.expand(shape),
                            eps=_float(node, "epsilon", 1e-5))
    if op in ("MaxPool", "AveragePool"):
        begin, end = _pads(node)
        kernel = _ints(node, "kernel_shape")
        stride = _ints(node, "strides", [1, 1])
        ceil = bool(_ints(node, "ceil_mode", 0))
        if op == "MaxPool":
            x, pad = _padded(x, begin, end, float("-inf"))
            return F.max_pool2d(x, kernel, stride, pad, _ints(node, "dilations", [1, 1]),
                                ceil_mode=ceil)
        if begin != end:
            raise NotImplementedError("asymmetric AveragePool padding")
        return F.avg_pool2d(x, kernel, stride, begin, ceil_mode=ceil,
                            count_include_pad=bool(_ints(node, "count_include_pad", 0)))
    if op == "GlobalAveragePool":
        return x.mean(dim=tuple(range(2, x.dim())), keepdim=True)
    if op == "Flatten":
        axis = _ints(node, "axis", 1)
        return x.reshape(int(np.prod(x.shape[:axis])), -1)
    if op == "Reshape":
        return _reshape(x, ins[1].tolist())
    if op == "Gemm":
        a = x.t() if _ints(node, "transA", 0) else x
        b = ins[1].t() if _ints(node, "transB", 0) else ins[1]
        y = _float(node, "alpha", 1.0) * (a @ b)
        if len(ins) > 2 and ins[2] is not None:
            y = y + _float(node, "beta", 1.0) * ins[2]
        return y
    if op == "MatMul":
        return torch.matmul(x, ins[1])
    if op in ("Add", "Sub", "Mul", "Div"):
        return {"Add": torch.add, "Sub": torch.sub, "Mul": torch.mul,
                "Div": torch.div}[op](x, ins[1])
    if op == "Relu":
        return F.relu(x)
    if op == "Sigmoid":
        return torch.sigmoid(x)
    if op == "HardSigmoid":
        return torch.clamp(_float(node, "alpha", 0.2) * x + _float(node, "beta", 0.5), 0, 1)
    if op == "HardSwish":
        return F.hardswish(x)
    if op == "Clip":
        lo = ins[1] if len(ins) > 1 else None
        hi = ins[2] if len(ins) > 2 else None
        return torch.clamp(x, None if lo is None else float(lo), None if hi is None else float(hi))
    if op == "Softmax":
        return torch.softmax(x, dim=_ints(node, "axis", -1))
    if op == "Concat":
        return torch.cat(ins, dim=_ints(node, "axis"))
    if op == "Transpose":
        return x.permute(*_ints(node, "perm"))
    if op == "Slice":
        out = x
        for s, e, a in zip(ins[1].tolist(), ins[2].tolist(), ins[3].tolist()):
            out = out.narrow(a, s, min(e, out.shape[a]) - s)
        return out
    if op == "Expand":
        return x * torch.ones([int(s) for s in ins[1].tolist()], dtype=x.dtype)
    if op in ("ReduceSum", "ReduceMean"):
        axes = ins[1].tolist() if len(ins) > 1 else _ints(node, "axes")
        keep = bool(_ints(node, "keepdims", 1))
        fn = torch.sum if op == "ReduceSum" else torch.mean
        return fn(x, dim=tuple(axes), keepdim=keep)
    if op == "Identity":
        return x
    raise NotImplementedError("onnx_torch_eval: no rule for ONNX op " + op)


def run(model, inputs):
    """Evaluates `model` (a ModelProto) on {name: tensor}; returns the outputs in order."""
    env = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy())
           for t in model.graph.initializer}
    env.update(inputs)
    for node in model.graph.node:
        result = run_node(node, env)
        env[node.output[0]] = result
    return [env[o.name] for o in model.graph.output]


def fashion_mnist_test(idx_dir, count):
    """The first `count` test images, normalised as ff-run does, and their labels."""
    def read(name):
        path = os.path.join(idx_dir, name)
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rb") as f:
            return f.read()
    images = np.frombuffer(read("t10k-images-idx3-ubyte.gz"), np.uint8, offset=16)
    labels = np.frombuffer(read("t10k-labels-idx1-ubyte.gz"), np.uint8, offset=8)
    images = images.reshape(-1, 1, 28, 28)[:count].astype(np.float32)
    scale = np.float32(1.0) / (np.float32(255.0) * np.float32(FMNIST_STD))
    shift = np.float32(-np.float32(FMNIST_MEAN) / np.float32(FMNIST_STD))
    return (images * scale + shift).astype(np.float32), labels[:count].astype(np.int64)


def main(argv):
    torch.set_num_threads(2)
    if len(argv) >= 5 and argv[1] == "predict":
        model = onnx.load(argv[2])
        images, labels = fashion_mnist_test(argv[3], int(argv[4]))
        batch = 100
        for a in argv[6:]:
            if a.startswith("--batch="):
                batch = int(a.split("=", 1)[1])
        lines = []
        with torch.no_grad():
            for lo in range(0, len(images), batch):
                x = torch.from_numpy(images[lo:lo + batch])
                (scores,) = run(model, {model.graph.input[0].name: x})
                for i, row in enumerate(scores):
                    lines.append("%d %d %d" % (lo + i, int(torch.argmax(row)), labels[lo + i]))
        with open(argv[5], "w") as f:
            f.write("\n".join(lines) + "\n")
        return 0
    if len(argv) == 5 and argv[1] == "raw":
        images, _ = fashion_mnist_test(argv[2], int(argv[3]))
        with open(argv[4], "wb") as f:
            f.write(images.astype("<f4").tobytes())
        return 0
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
