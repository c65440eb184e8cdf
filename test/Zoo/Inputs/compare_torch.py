"""Compares an ff-zoo ONNX file with the PyTorch model it claims to be.

  compare_torch.py FILE MODEL [--input-shape=CxHxW] [--classes=N] [--stem=S]
                   [--hidden=A,B] [--export-opset=N ...]

Always: the initializers are the state_dict entries (minus num_batches_tracked)
with the same names, order and shapes; their count equals
sum(p.numel() for p in model.parameters()); load_state_dict accepts them.
With --export-opset: torch.onnx.export of the PyTorch model in training mode at
that opset has the same nodes (names, op types, order) and attributes, except
that BatchNormalization keeps one output and no training_mode attribute, and
Dropout drops its mask output.
Prints one line per check; exits 1 on the first mismatch.
"""

import argparse
import warnings
import os
import sys

# Keep the source tree clean of __pycache__ when importing the sibling module.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zoo_reference  # noqa: E402


def fail(message):
    print("MISMATCH: " + message)
    sys.exit(1)


def attrs(node):
    import onnx.helper
    out = {}
    for a in node.attribute:
        v = onnx.helper.get_attribute_value(a)
        if isinstance(v, float):
            v = round(v, 6)
        elif isinstance(v, list):
            v = [round(x, 6) if isinstance(x, float) else x for x in v]
        elif hasattr(v, "raw_data"):  # TensorProto of a Constant
            v = (v.data_type, list(v.dims), bytes(v.raw_data))
        out[a.name] = v
    return out


def dims(value_info):
    return [d.dim_param or d.dim_value
            for d in value_info.type.tensor_type.shape.dim]


def compare_export(zoo, ref, opset):
    zoo_nodes = [(n.op_type, n.name) for n in zoo.graph.node]
    ref_nodes = [(n.op_type, n.name) for n in ref.graph.node]
    if zoo_nodes != ref_nodes:
        for i, (a, b) in enumerate(zip(zoo_nodes, ref_nodes)):
            if a != b:
                fail("opset %d: node %d is %s in the zoo, %s in torch.onnx.export"
                     % (opset, i, a, b))
        fail("opset %d: %d nodes in the zoo, %d in torch.onnx.export"
             % (opset, len(zoo_nodes), len(ref_nodes)))
    zoo_values, ref_values = {"input": "input"}, {"input": "input"}
    for zn, rn in zip(zoo.graph.node, ref.graph.node):
        za, ra = attrs(zn), attrs(rn)
        if zn.op_type == "BatchNormalization":
            # The zoo's BN has one output and leaves the mode to the compiler.
            ra.pop("training_mode", None)
            ref_outputs = list(rn.output[:1])
        elif zn.op_type == "Dropout":
            ref_outputs = list(rn.output[:1])  # the zoo omits the mask
        else:
            ref_outputs = list(rn.output)
        if zn.op_type == "HardSigmoid":
            ra.setdefault("beta", 0.5)  # ONNX's default, spelled out by the zoo
        if za != ra:
            fail("opset %d: %s attributes %s, torch.onnx.export has %s"
                 % (opset, zn.name, za, ra))
        if len(zn.output) != len(ref_outputs):
            fail("opset %d: %s has %d outputs, expected %d"
                 % (opset, zn.name, len(zn.output), len(ref_outputs)))
        # Same dataflow: inputs map to the same producers / initializers.
        zin = [zoo_values.get(i, i) for i in zn.input]
        rin = [ref_values.get(i, i) for i in rn.input]
        if zin != rin:
            fail("opset %d: %s reads %s, torch.onnx.export's reads %s"
                 % (opset, zn.name, zin, rin))
        for k, (zo, ro) in enumerate(zip(zn.output, ref_outputs)):
            zoo_values[zo] = ref_values[ro] = "%s:%d" % (zn.name, k)
    if [dims(v) for v in zoo.graph.input] != [dims(v) for v in ref.graph.input]:
        fail("opset %d: graph inputs differ" % opset)
    if [dims(v) for v in zoo.graph.output] != [dims(v) for v in ref.graph.output]:
        fail("opset %d: graph outputs differ" % opset)
    counts = zoo_reference.op_counts(zoo.graph)
    if counts != zoo_reference.op_counts(ref.graph):
        fail("opset %d: op counts differ" % opset)
    print("opset %d: %d nodes match torch.onnx.export: %s" % (
        opset, len(zoo_nodes),
        " ".join("%s=%d" % kv for kv in sorted(counts.items()))))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file")
    zoo_reference.add_model_args(parser)
    parser.add_argument("--export-opset", type=int, action="append", default=[])
    args = parser.parse_args()
    # The exporter warns about dropping num_batches_tracked updates, as intended.
    warnings.filterwarnings("ignore")

    import onnx
    import onnx.numpy_helper
    import torch

    zoo = onnx.load(args.file)
    model = zoo_reference.reference_model(args)

    expected = zoo_reference.state_dict_entries(model)
    got = [(t.name, tuple(t.dims)) for t in zoo.graph.initializer]
    if got != expected:
        missing = [e for e in expected if e not in got]
        extra = [g for g in got if g not in expected]
        fail("initializers differ from the state_dict: missing %s, extra %s%s"
             % (missing[:5], extra[:5],
                "" if missing or extra else " (order differs)"))

    params = list(model.parameters())
    torch_count = sum(p.numel() for p in params)
    zoo_count = 0
    for t in zoo.graph.initializer:
        if not t.name.endswith((".running_mean", ".running_var")):
            n = 1
            for d in t.dims:
                n *= d
            zoo_count += n
    if zoo_count != torch_count:
        fail("%d parameters in the zoo, %d in PyTorch" % (zoo_count, torch_count))

    state = {t.name: torch.from_numpy(onnx.numpy_helper.to_array(t).copy())
             for t in zoo.graph.initializer}
    result = model.load_state_dict(state, strict=False)
    if result.unexpected_keys or any(
            not k.endswith("num_batches_tracked") for k in result.missing_keys):
        fail("load_state_dict: %s" % (result,))
    print("params %d in %d tensors, %d state_dict entries match"
          % (zoo_count, len(params), len(expected)))

    for opset in args.export_opset:
        if zoo.opset_import[0].version != opset:
            fail("the file has opset %d, not %d" % (zoo.opset_import[0].version,
                                                     opset))
        compare_export(zoo, zoo_reference.export_training(model, args, opset),
                       opset)


if __name__ == "__main__":
    main()
