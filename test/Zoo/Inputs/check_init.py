"""Checks that an ff-zoo file is initialised the way PyTorch/torchvision would.

  check_init.py FILE MODEL [--print=INITIALIZER:COUNT]

Per initializer, by the node that reads it:
  BatchNormalization: weight and running_var 1, bias and running_mean 0.
  Conv / Gemm weights and biases, by model:
    mlp, cnn4 (and resnet18's fc): U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the
      weight and the bias (nn.Conv2d / nn.Linear defaults);
    resnet18 and mobilenet_v3 convolutions: N(0, 2/fan_out), bias 0;
    mobilenet_v3 Linear layers: N(0, 0.01^2), bias 0.
Bounds are checked exactly, mean / standard deviation / kurtosis statistically
(tensors of at least 1000 elements). Prints one summary line and, with --print,
the first COUNT values of one initializer (to pin the generator's output).
"""

import argparse
import collections
import math
import sys


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def check_uniform(name, x, bound):
    if abs(x).max() > bound * (1 + 1e-6):
        fail("%s: max |w| %.6g exceeds the bound %.6g" % (name, abs(x).max(), bound))
    if x.size >= 1000:
        check_moments(name, x, bound / math.sqrt(3), 1.8)
        if abs(x).max() < 0.95 * bound:
            fail("%s: max |w| %.6g, expected close to %.6g"
                 % (name, abs(x).max(), bound))


def check_normal(name, x, std):
    if x.size >= 1000:
        check_moments(name, x, std, 3.0)


def check_moments(name, x, std, kurtosis):
    n = x.size
    x = x.astype("float64")
    if abs(x.mean()) > 5 * std / math.sqrt(n):
        fail("%s: mean %.6g, expected 0 (std %.6g, n %d)" % (name, x.mean(), std, n))
    got = x.std()
    if abs(got / std - 1) > 4 / math.sqrt(2 * n) + 0.01:
        fail("%s: std %.6g, expected %.6g" % (name, got, std))
    k = ((x - x.mean()) ** 4).mean() / got ** 4
    if abs(k - kurtosis) > 6 * math.sqrt(24.0 / n) + 0.05:
        fail("%s: kurtosis %.3f, expected %.1f (wrong distribution)"
             % (name, k, kurtosis))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file")
    parser.add_argument("model")
    parser.add_argument("--print", dest="show")
    args = parser.parse_args()

    import numpy as np
    import onnx
    import onnx.numpy_helper

    model = onnx.load(args.file)
    graph = model.graph
    values = {t.name: onnx.numpy_helper.to_array(t) for t in graph.initializer}
    torchvision_convs = args.model != "mlp" and args.model != "cnn4"
    mobilenet = args.model.startswith("mobilenet_v3")
    kinds = collections.Counter()
    seen = set()

    for node in graph.node:
        ins = list(node.input)
        if node.op_type == "BatchNormalization":
            for name, want in zip(ins[1:], (1.0, 0.0, 0.0, 1.0)):
                if not np.all(values[name] == want):
                    fail("%s is not all %g" % (name, want))
                kinds["ones" if want else "zeros"] += 1
                seen.add(name)
            continue
        if node.op_type not in ("Conv", "Gemm"):
            continue
        w = values[ins[1]]
        fan_in = int(np.prod(w.shape[1:]))
        fan_out = w.shape[0] * int(np.prod(w.shape[2:]))
        bias = ins[2] if len(ins) > 2 else None
        if node.op_type == "Conv" and torchvision_convs:
            check_normal(ins[1], w, math.sqrt(2.0 / fan_out))
            kinds["kaiming_normal_fan_out"] += 1
            zero_bias = True
        elif node.op_type == "Gemm" and mobilenet:
            check_normal(ins[1], w, 0.01)
            kinds["normal_0.01"] += 1
            zero_bias = True
        else:
            bound = 1.0 / math.sqrt(fan_in)
            check_uniform(ins[1], w, bound)
            kinds["torch_default_uniform"] += 1
            zero_bias = False
            if bias:
                check_uniform(bias, values[bias], bound)
        if bias and zero_bias:
            if not np.all(values[bias] == 0):
                fail("%s is not all 0" % bias)
            kinds["zeros"] += 1
        seen.update(ins[1:])

    unchecked = set(values) - seen
    if unchecked:
        fail("initializers not read by Conv/Gemm/BatchNormalization: %s"
             % sorted(unchecked))
    # Distinct tensors get distinct streams: no two weights share values.
    firsts = collections.Counter(
        v.reshape(-1)[:8].tobytes() for v in values.values() if v.size >= 8 and
        v.std() > 0)
    if firsts and firsts.most_common(1)[0][1] > 1:
        fail("two initializers start with the same values")

    print("init OK: %d initializers: %s" % (len(values), " ".join(
        "%s=%d" % kv for kv in sorted(kinds.items()))))
    if args.show:
        name, count = args.show.rsplit(":", 1)
        print("%s: %s" % (name, " ".join(
            "%.6g" % v for v in values[name].reshape(-1)[:int(count)])))


if __name__ == "__main__":
    main()
