"""PyTorch counterparts of the ff-zoo models, for the tests to compare against.

mlp and cnn4 exist only in the zoo; their modules are defined here exactly as
frontend/zoo/SmallModels.cpp documents them. resnet18 and mobilenet_v3 come from
torchvision, with the first convolution rebuilt when the input does not have 3
channels (torchvision hard-codes 3) and, for resnet18's CIFAR stem, conv1
replaced by a 3x3 stride-1 convolution and the maxpool removed.
"""

import argparse
import collections
import io


def parse_shape(text):
    c, h, w = (int(v) for v in text.split("x"))
    return c, h, w


def add_model_args(parser):
    parser.add_argument("model")
    parser.add_argument("--input-shape", default="1x28x28")
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--stem", default="imagenet")
    parser.add_argument("--hidden", default="1000,1000,1000")


def reference_model(args):
    import torch.nn as nn
    import torchvision

    channels, height, width = parse_shape(args.input_shape)
    classes = args.classes
    if args.model == "mlp":
        hidden = [int(v) for v in args.hidden.split(",")]

        class MLP(nn.Module):
            def __init__(self):
                super().__init__()
                self.flatten = nn.Flatten()
                layers, features = [], channels * height * width
                for h in hidden:
                    layers += [nn.Linear(features, h), nn.ReLU(inplace=True)]
                    features = h
                self.hidden = nn.Sequential(*layers)
                self.classifier = nn.Linear(features, classes)

            def forward(self, x):
                return self.classifier(self.hidden(self.flatten(x)))

        return MLP()
    if args.model == "cnn4":

        class Block(nn.Module):
            def __init__(self, cin, cout, pool):
                super().__init__()
                self.conv = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
                self.bn = nn.BatchNorm2d(cout)
                self.relu = nn.ReLU(inplace=True)
                self.pool = nn.MaxPool2d(2) if pool else None

            def forward(self, x):
                x = self.relu(self.bn(self.conv(x)))
                return self.pool(x) if self.pool is not None else x

        class CNN4(nn.Module):
            def __init__(self):
                super().__init__()
                self.block1 = Block(channels, 32, False)
                self.block2 = Block(32, 64, True)
                self.block3 = Block(64, 128, True)
                self.block4 = Block(128, 256, True)
                self.avgpool = nn.AdaptiveAvgPool2d(1)
                self.fc = nn.Linear(256, classes)

            def forward(self, x):
                x = self.block4(self.block3(self.block2(self.block1(x))))
                return self.fc(torch_flatten(self.avgpool(x)))

        return CNN4()
    if args.model == "resnet18":
        m = torchvision.models.resnet18(num_classes=classes)
        if args.stem == "cifar":
            m.conv1 = nn.Conv2d(channels, 64, 3, 1, 1, bias=False)
            m.maxpool = nn.Identity()
        elif channels != 3:
            m.conv1 = nn.Conv2d(channels, 64, 7, 2, 3, bias=False)
        return m
    if args.model in ("mobilenet_v3_small", "mobilenet_v3_large"):
        m = getattr(torchvision.models, args.model)(num_classes=classes)
        if channels != 3:
            first = m.features[0][0]
            m.features[0][0] = nn.Conv2d(channels, first.out_channels, 3, 2, 1,
                                         bias=False)
        return m
    raise SystemExit("zoo_reference: unknown model " + args.model)


def torch_flatten(x):
    import torch
    return torch.flatten(x, 1)


def state_dict_entries(model):
    """(name, shape) of every state_dict entry the zoo emits, in order."""
    return [(k, tuple(v.shape)) for k, v in model.state_dict().items()
            if not k.endswith("num_batches_tracked")]


def export_training(model, args, opset):
    """torch.onnx.export in training mode, as the zoo's files claim to be."""
    import onnx
    import torch

    c, h, w = parse_shape(args.input_shape)
    buf = io.BytesIO()
    torch.onnx.export(model, torch.randn(2, c, h, w), buf,
                      training=torch.onnx.TrainingMode.TRAINING,
                      do_constant_folding=False, opset_version=opset,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"},
                                    "logits": {0: "batch"}})
    return onnx.load_from_string(buf.getvalue())


def op_counts(graph):
    return collections.Counter(n.op_type for n in graph.node)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    add_model_args(parser)
    args = parser.parse_args()
    for name, shape in state_dict_entries(reference_model(args)):
        print(name, list(shape))


if __name__ == "__main__":
    main()
