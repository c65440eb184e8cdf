"""Validates an ff-zoo ONNX file with the onnx package alone (no PyTorch).

  check_onnx.py FILE --classes=N [--input-shape=CxHxW] [--static-batch]

Runs onnx.checker.check_model(full_check=True) and
onnx.shape_inference.infer_shapes(strict_mode=True), then checks that the
inferred output is [batch, N] and the zoo's conventions: ir_version 8, one
default-domain opset, producer ffc-zoo, input `input` / output `logits`,
unique node names in PyTorch's scope style, float32 initializers with raw data,
single-output BatchNormalization without training_mode. Prints a summary.
"""

import argparse
import collections
import sys


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def dims(value_info):
    return [d.dim_param if d.HasField("dim_param") else d.dim_value
            for d in value_info.type.tensor_type.shape.dim]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file")
    parser.add_argument("--classes", type=int, required=True)
    parser.add_argument("--input-shape", default="1x28x28")
    parser.add_argument("--static-batch", action="store_true")
    args = parser.parse_args()

    import onnx
    import onnx.checker
    import onnx.shape_inference

    model = onnx.load(args.file)
    onnx.checker.check_model(model, full_check=True)
    inferred = onnx.shape_inference.infer_shapes(model, check_type=True,
                                                 strict_mode=True)

    batch = 1 if args.static_batch else "batch"
    expected_in = [batch] + [int(v) for v in args.input_shape.split("x")]
    graph = inferred.graph
    if [i.name for i in graph.input] != ["input"] or dims(graph.input[0]) != expected_in:
        fail("graph inputs %s, expected input %s"
             % ([(i.name, dims(i)) for i in graph.input], expected_in))
    if [o.name for o in graph.output] != ["logits"]:
        fail("graph outputs %s" % [o.name for o in graph.output])
    producer = [n for n in graph.node if "logits" in n.output]
    if len(producer) != 1:
        fail("logits is produced by %d nodes" % len(producer))
    if dims(graph.output[0]) != [batch, args.classes]:
        fail("output shape %s, expected %s"
             % (dims(graph.output[0]), [batch, args.classes]))
    # Re-infer with the output's shape erased, so that the shape really comes
    # from the nodes rather than from the declaration.
    bare = onnx.ModelProto()
    bare.CopyFrom(model)
    bare.graph.output[0].type.tensor_type.ClearField("shape")
    derived = onnx.shape_inference.infer_shapes(bare, check_type=True,
                                                strict_mode=True)
    if dims(derived.graph.output[0]) != [batch, args.classes]:
        fail("inferred output shape %s, expected %s"
             % (dims(derived.graph.output[0]), [batch, args.classes]))

    if model.ir_version != 8:
        fail("ir_version %d" % model.ir_version)
    if len(model.opset_import) != 1 or model.opset_import[0].domain != "":
        fail("opset_import %s" % model.opset_import)
    if model.producer_name != "ffc-zoo":
        fail("producer_name %r" % model.producer_name)

    names = [n.name for n in graph.node]
    if len(set(names)) != len(names):
        fail("duplicate node names")
    for n in graph.node:
        if not n.name.startswith("/") or not n.name.endswith(
                "/" + n.op_type) and "/" + n.op_type + "_" not in n.name:
            fail("node name %r does not follow the exporter's scopes" % n.name)
        if n.op_type == "BatchNormalization":
            if len(n.output) != 1 or any(a.name == "training_mode"
                                         for a in n.attribute):
                fail("%s: expected one output and no training_mode" % n.name)
    inits = [t.name for t in graph.initializer]
    if len(set(inits)) != len(inits):
        fail("duplicate initializer names")
    params = 0
    for t in graph.initializer:
        if t.data_type != onnx.TensorProto.FLOAT or not t.raw_data:
            fail("initializer %s is not raw float32" % t.name)
        count = 1
        for d in t.dims:
            count *= d
        if len(t.raw_data) != 4 * count:
            fail("initializer %s has %d bytes for %d elements"
                 % (t.name, len(t.raw_data), count))
        if "num_batches_tracked" in t.name:
            fail("num_batches_tracked emitted")
        if not t.name.endswith((".running_mean", ".running_var")):
            params += count

    counts = collections.Counter(n.op_type for n in graph.node)
    print("OK %s opset %d: input %s -> logits %s, %d nodes, %d parameters"
          % (graph.name, model.opset_import[0].version, dims(graph.input[0]),
             dims(graph.output[0]), len(graph.node), params))
    print("ops: " + " ".join("%s=%d" % kv for kv in sorted(counts.items())))
    print("metadata: " + " ".join("%s=%s" % (p.key, p.value)
                                  for p in model.metadata_props))


if __name__ == "__main__":
    main()
