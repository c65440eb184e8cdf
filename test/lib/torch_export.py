"""Exports a torchvision model to ONNX the way a PyTorch user does.

Usage: python3 torch_export.py MODEL MODE OUT.onnx
  MODEL: resnet18 | mobilenet_v3_small | mobilenet_v3_large
  MODE:  eval  (the default export: BatchNorm folded into Conv, Identity nodes)
         train (training=TRAINING, do_constant_folding=False: BatchNormalization
                nodes kept with their running statistics)
Writes OUT.onnx and OUT.onnx.json with {"parameters": N} (PyTorch's count).
"""
import json
import sys

import torch
import torchvision


def main():
    name, mode, out = sys.argv[1:4]
    torch.manual_seed(0)
    torch.set_num_threads(2)
    model = getattr(torchvision.models, name)(num_classes=10)
    x = torch.randn(2, 3, 64, 64)
    kwargs = dict(opset_version=13, input_names=["input"], output_names=["logits"],
                  dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    if mode == "train":
        model.train()
        kwargs.update(training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False)
    else:
        model.eval()
    torch.onnx.export(model, x, out, **kwargs)
    count = sum(p.numel() for p in model.parameters())
    with open(out + ".json", "w") as f:
        json.dump({"parameters": count}, f)


if __name__ == "__main__":
    main()
