#!/usr/bin/python3
"""PyTorch reference of what ffc compiles: Scalable Forward-Forward (SFF) and BP.

Mirrors ffc's defaults (see /work/shared/METHOD.md and bench/README.md):

* SFF (modes sff-block, sff-layer): per block b with output h_b, an aux head
  Conv2d(C_b, K, kernel 1, bias) reads h_b (before normalisation); goodness
  g[n,k] = mean_{H,W} z^2; loss = cross-entropy(g + m*(1-onehot), y) (margin m = 0);
  the next block's input is layer_norm(h_b) over (C,H,W), no affine, eps 1e-5, detached.
  Every block has its own Adam (lr 1e-3) over its parameters and its head's, and each
  minibatch updates every block in order (forward b, loss b, backward b, step b).
  Inference: all-blocks vote = argmax of the mean goodness; last-block vote.
* BP: the whole model with its own GAP + linear classifier, cross-entropy, one Adam.

Prints one JSON object per epoch and a final one (with "final": true) on stdout.
images_per_second counts training steps only (evaluation excluded); peak_rss_mib is
resource.getrusage(RUSAGE_SELF).ru_maxrss.

Run with /usr/bin/python3 (Debian's PyTorch). Examples:
  bench/sff_reference.py --model cnn4 --mode sff-block --epochs 1 --subset 2560
  bench/sff_reference.py --model resnet18_cifar --mode bp --batch 64 --data random --steps 10
"""

import argparse
import gzip
import json
import os
import resource
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

FASHION_DIR = "/usr/share/datasets/fashion-mnist"


# ----------------------------------------------------------------------------- data

class Data:
    """Raw uint8 images (N, C, H, W) and int64 labels plus per-channel mean/std.

    Like ff-run, the images stay uint8 and each batch is normalised when it is drawn.
    """

    def __init__(self, pixels, labels, mean, std, classes):
        self.pixels = pixels
        self.labels = labels
        self.mean = np.asarray(mean, dtype=np.float32)
        self.std = np.asarray(std, dtype=np.float32)
        self.classes = classes

    def __len__(self):
        return len(self.labels)

    def subset(self, n):
        if n and 0 < n < len(self):
            self.pixels = self.pixels[:n].copy()
            self.labels = self.labels[:n].copy()
        return self

    def batch(self, idx):
        x = torch.from_numpy(self.pixels[idx]).float()
        c = x.shape[1]
        scale = torch.from_numpy(1.0 / (255.0 * self.std)).view(1, c, 1, 1)
        shift = torch.from_numpy(-self.mean / self.std).view(1, c, 1, 1)
        x = x * scale + shift
        y = torch.from_numpy(self.labels[idx])
        return x, y


def _read(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        return f.read()


def _pick(base):
    return base + ".gz" if os.path.exists(base + ".gz") else base


def load_idx(images_path, labels_path):
    raw = _read(images_path)
    magic, count, rows, cols = struct.unpack(">IIII", raw[:16])
    if magic != 0x00000803:
        raise SystemExit("%s: bad IDX image magic 0x%08x" % (images_path, magic))
    pixels = np.frombuffer(raw, dtype=np.uint8, count=count * rows * cols, offset=16)
    pixels = pixels.reshape(count, 1, rows, cols)
    raw = _read(labels_path)
    magic, lcount = struct.unpack(">II", raw[:8])
    if magic != 0x00000801 or lcount != count:
        raise SystemExit("%s: bad IDX label file (magic 0x%08x, %d labels for %d images)"
                         % (labels_path, magic, lcount, count))
    labels = np.frombuffer(raw, dtype=np.uint8, count=count, offset=8).astype(np.int64)
    return pixels, labels


def load_fashion(train, directory=FASHION_DIR):
    prefix = os.path.join(directory, "train" if train else "t10k")
    pixels, labels = load_idx(_pick(prefix + "-images-idx3-ubyte"),
                              _pick(prefix + "-labels-idx1-ubyte"))
    return Data(pixels, labels, [0.2860], [0.3530], 10)


def load_cifar10(directory, train):
    names = ["data_batch_%d.bin" % i for i in range(1, 6)] if train else ["test_batch.bin"]
    record = 1 + 3072
    chunks = []
    for name in names:
        raw = np.frombuffer(_read(_pick(os.path.join(directory, name))), dtype=np.uint8)
        if raw.size == 0 or raw.size % record:
            raise SystemExit("%s is not a CIFAR-10 binary batch" % name)
        chunks.append(raw.reshape(-1, record))
    recs = np.concatenate(chunks)
    pixels = recs[:, 1:].reshape(-1, 3, 32, 32).copy()
    labels = recs[:, 0].astype(np.int64)
    return Data(pixels, labels, [0.4914, 0.4822, 0.4465], [0.2470, 0.2435, 0.2616], 10)


def random_data(count, shape, classes, seed):
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(count,) + tuple(shape), dtype=np.uint8)
    labels = rng.integers(0, classes, size=count).astype(np.int64)
    c = shape[0]
    return Data(pixels, labels, [0.5] * c, [0.25] * c, classes)


def load_data(args, train):
    spec = args.data
    if spec == "fashion-mnist":
        data = load_fashion(train)
    elif spec.startswith("fashion-mnist:"):
        data = load_fashion(train, spec.split(":", 1)[1])
    elif spec.startswith("cifar10:"):
        data = load_cifar10(spec.split(":", 1)[1], train)
    elif spec == "random":
        shape = (1, 28, 28) if args.model == "cnn4" else (3, 32, 32)
        n = args.subset if train else args.test_subset
        if not n:
            n = (args.steps or 10) * args.batch if train else args.batch
        data = random_data(n, shape, 10, args.seed + (0 if train else 1))
    else:
        raise SystemExit("unknown --data %r (fashion-mnist, fashion-mnist:DIR, "
                         "cifar10:DIR, random)" % spec)
    return data.subset(args.subset if train else args.test_subset)


# ----------------------------------------------------------------------------- models

def conv3x3(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)


def cnn4_blocks():
    """The zoo's cnn4: conv3x3-BN-ReLU (32/64/128/256), 2x2 max-pool after blocks 2-4."""
    blocks, cin = [], 1
    for i, cout in enumerate([32, 64, 128, 256]):
        layers = [conv3x3(cin, cout), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
        if i > 0:
            layers.append(nn.MaxPool2d(2, 2))
        blocks.append(nn.Sequential(*layers))
        cin = cout
    return blocks, [32, 64, 128, 256]


class BasicBlock(nn.Module):
    """torchvision's ResNet BasicBlock."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = conv3x3(cin, cout, stride)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(cout, cout)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False),
                                            nn.BatchNorm2d(cout))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


def resnet18_cifar_blocks():
    """torchvision resnet18 with the CIFAR stem (conv1 3x3 stride 1 pad 1, no max-pool).

    SFF blocks: the stem merged into layer1.0, then the other 7 BasicBlocks (8 in all).
    Initialisation as torchvision: conv kaiming_normal_(fan_out, relu), BN 1/0.
    """
    stem = [nn.Conv2d(3, 64, 3, stride=1, padding=1, bias=False), nn.BatchNorm2d(64),
            nn.ReLU(inplace=True)]
    units, cin = [], 64
    for cout, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
        units.append(BasicBlock(cin, cout, stride))
        units.append(BasicBlock(cout, cout, 1))
        cin = cout
    blocks = [nn.Sequential(*stem, units[0])] + [nn.Sequential(u) for u in units[1:]]
    for b in blocks:
        for m in b.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
    return blocks, [64, 64, 128, 128, 256, 256, 512, 512]


def build_blocks(model):
    if model == "cnn4":
        return cnn4_blocks()
    if model == "resnet18_cifar":
        return resnet18_cifar_blocks()
    raise SystemExit("unknown --model %r" % model)


class BPNet(nn.Module):
    """The whole model with its own classifier: blocks, GAP, flatten, linear."""

    def __init__(self, blocks, channels, classes):
        super().__init__()
        self.body = nn.Sequential(*blocks)
        self.fc = nn.Linear(channels[-1], classes)

    def forward(self, x):
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(self.body(x), 1), 1))


# ----------------------------------------------------------------------------- training

def goodness(head, h):
    z = head(h)
    return z.pow(2).mean(dim=(2, 3))


def sff_norm(h):
    return F.layer_norm(h, h.shape[1:], eps=1e-5)


class SFFTrainer:
    def __init__(self, blocks, channels, classes, lr, margin):
        self.blocks = nn.ModuleList(blocks)
        self.heads = nn.ModuleList([nn.Conv2d(c, classes, 1, bias=True) for c in channels])
        self.opts = [torch.optim.Adam(list(b.parameters()) + list(h.parameters()), lr=lr)
                     for b, h in zip(self.blocks, self.heads)]
        self.classes = classes
        self.margin = margin
        self.num_losses = len(blocks)

    def train(self, mode):
        self.blocks.train(mode)
        self.heads.train(mode)

    def step(self, x, y):
        losses, correct = [], []
        last = len(self.blocks) - 1
        for b, (block, head, opt) in enumerate(zip(self.blocks, self.heads, self.opts)):
            h = block(x)
            g = goodness(head, h)
            logits = g
            if self.margin:
                logits = g + self.margin * (1.0 - F.one_hot(y, self.classes).to(g.dtype))
            loss = F.cross_entropy(logits, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(loss.item())
            correct.append(int((g.detach().argmax(1) == y).sum()))
            if b != last:
                with torch.no_grad():
                    x = sff_norm(h.detach())
            del h, g, logits, loss
        return losses, correct

    @torch.no_grad()
    def predict(self, x):
        votes = []
        last = len(self.blocks) - 1
        for b, (block, head) in enumerate(zip(self.blocks, self.heads)):
            h = block(x)
            votes.append(goodness(head, h))
            if b != last:
                x = sff_norm(h)
        return torch.stack(votes).mean(0).argmax(1), votes[-1].argmax(1)


class BPTrainer:
    def __init__(self, blocks, channels, classes, lr):
        self.net = BPNet(blocks, channels, classes)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=lr)
        self.num_losses = 1

    def train(self, mode):
        self.net.train(mode)

    def step(self, x, y):
        logits = self.net(x)
        loss = F.cross_entropy(logits, y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return [loss.item()], [int((logits.detach().argmax(1) == y).sum())]

    @torch.no_grad()
    def predict(self, x):
        pred = self.net(x).argmax(1)
        return pred, pred


# ----------------------------------------------------------------------------- .ffx weights

def read_ffx_params(path):
    """Reads the parameters of an ffc artifact (.ffx, a FlatBuffers file, schema
    runtime/schema/ffx.fbs: Model{format_version, metadata, params: [Param], programs},
    Param{name, shape, buffer, data: [float]}) without the flatbuffers package.
    Returns {name: np.ndarray}."""
    buf = open(path, "rb").read()
    if buf[4:8] != b"FFX1":
        raise SystemExit("%s is not an .ffx artifact (no FFX1 identifier)" % path)
    u32 = lambda p: struct.unpack_from("<I", buf, p)[0]

    def field(table, index):
        vtable = table - struct.unpack_from("<i", buf, table)[0]
        vsize = struct.unpack_from("<H", buf, vtable)[0]
        if 4 + 2 * index >= vsize:
            return None
        off = struct.unpack_from("<H", buf, vtable + 4 + 2 * index)[0]
        return table + off if off else None

    def deref(pos):
        return pos + u32(pos)

    root = u32(0)
    params_vec = deref(field(root, 2))
    out = {}
    for i in range(u32(params_vec)):
        elem = params_vec + 4 + 4 * i
        param = deref(elem)
        name_pos = deref(field(param, 0))
        name = buf[name_pos + 4:name_pos + 4 + u32(name_pos)].decode()
        shape = []
        if field(param, 1) is not None:
            sv = deref(field(param, 1))
            shape = list(struct.unpack_from("<%dq" % u32(sv), buf, sv + 4))
        data = np.zeros(0, dtype=np.float32)
        if field(param, 3) is not None:
            dv = deref(field(param, 3))
            data = np.frombuffer(buf, dtype="<f4", count=u32(dv), offset=dv + 4).copy()
        out[name] = data.reshape(shape) if shape else data.reshape(())
    return out


def ffx_name_map(model, trainer):
    """Maps ffc/ONNX parameter names (PyTorch state_dict keys of the zoo models) to the
    reference's tensors (parameters and BatchNorm running statistics)."""
    if isinstance(trainer, BPTrainer):
        blocks, heads, fc = list(trainer.net.body), [], trainer.net.fc
    else:
        blocks, heads, fc = list(trainer.blocks), list(trainer.heads), None
    m = {}

    def add(prefix, module):
        for k, v in module.state_dict(keep_vars=True).items():
            if not k.endswith("num_batches_tracked"):
                m[prefix + k] = v

    if model == "cnn4":
        for i, b in enumerate(blocks):
            add("block%d.conv." % (i + 1), b[0])
            add("block%d.bn." % (i + 1), b[1])
    else:
        add("conv1.", blocks[0][0])
        add("bn1.", blocks[0][1])
        units = [blocks[0][3]] + [b[0] for b in blocks[1:]]
        for k, u in enumerate(units):
            add("layer%d.%d." % (k // 2 + 1, k % 2), u)
    if fc is not None:
        add("fc.", fc)
    for i, h in enumerate(heads):
        add("block%d.aux." % i, h)
    return m


def load_ffx_init(path, model, trainer):
    params = read_ffx_params(path)
    targets = ffx_name_map(model, trainer)
    missing = [k for k in targets if k not in params]
    if missing:
        raise SystemExit("%s lacks %s" % (path, ", ".join(missing[:5])))
    with torch.no_grad():
        for k, t in targets.items():
            src = torch.from_numpy(params[k])
            if tuple(src.shape) != tuple(t.shape):
                raise SystemExit("%s: %s has shape %s, the reference %s"
                                 % (path, k, tuple(src.shape), tuple(t.shape)))
            t.copy_(src)
    return len(targets)


def evaluate(trainer, data, batch):
    trainer.train(False)
    all_ok = last_ok = 0
    for start in range(0, len(data), batch):
        idx = np.arange(start, min(start + batch, len(data)))
        x, y = data.batch(idx)
        p_all, p_last = trainer.predict(x)
        all_ok += int((p_all == y).sum())
        last_ok += int((p_last == y).sum())
    trainer.train(True)
    n = max(len(data), 1)
    return all_ok / n, last_ok / n


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="cnn4", choices=["cnn4", "resnet18_cifar"])
    p.add_argument("--mode", default="sff-block", choices=["sff-block", "sff-layer", "bp"])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--subset", type=int, default=0, help="first N training images (0: all)")
    p.add_argument("--test-subset", type=int, default=0, help="first N test images (0: all)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=0,
                   help="stop after S training steps in all (for throughput; 0: no limit)")
    p.add_argument("--data", default="fashion-mnist",
                   help="fashion-mnist, fashion-mnist:DIR, cifar10:DIR or random")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--margin", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-eval", action="store_true", help="skip test evaluation")
    p.add_argument("--init-from", metavar="FILE.ffx",
                   help="start from the weights (model and aux heads) of an ffc artifact "
                        "compiled for the same model and mode")
    args = p.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    if args.model == "resnet18_cifar" and args.mode == "sff-layer":
        raise SystemExit("sff-layer is implemented for cnn4 only")

    train_set = load_data(args, True)
    test_set = load_data(args, False)
    if len(train_set) < args.batch:
        raise SystemExit("the training set has %d images, fewer than one batch of %d"
                         % (len(train_set), args.batch))

    blocks, channels = build_blocks(args.model)
    if args.mode == "bp":
        trainer = BPTrainer(blocks, channels, train_set.classes, args.lr)
    else:
        # For cnn4, sff-layer and sff-block partition into the same 4 blocks.
        trainer = SFFTrainer(blocks, channels, train_set.classes, args.lr, args.margin)
    if args.init_from:
        n = load_ffx_init(args.init_from, args.model, trainer)
        print("loaded %d tensors from %s" % (n, args.init_from), file=sys.stderr)
    trainer.train(True)

    steps_per_epoch = len(train_set) // args.batch  # the last partial batch is dropped
    total_steps = 0
    total_images = 0
    total_train_secs = 0.0
    history = []
    for epoch in range(args.epochs):
        order = rng.permutation(len(train_set))
        loss_sum = [0.0] * trainer.num_losses
        correct = [0] * trainer.num_losses
        seen = steps = 0
        start = time.perf_counter()
        for s in range(steps_per_epoch):
            if args.steps and total_steps >= args.steps:
                break
            x, y = train_set.batch(order[s * args.batch:(s + 1) * args.batch])
            losses, ok = trainer.step(x, y)
            for b, l in enumerate(losses):
                if not np.isfinite(l):
                    raise SystemExit("loss of block %d is %r at epoch %d step %d"
                                     % (b, l, epoch + 1, s + 1))
                loss_sum[b] += l
                correct[b] += ok[b]
            steps += 1
            total_steps += 1
            seen += len(y)
        secs = time.perf_counter() - start
        total_train_secs += secs
        total_images += seen
        if steps == 0:
            break
        acc_all = acc_last = None
        if not args.no_eval and len(test_set):
            acc_all, acc_last = evaluate(trainer, test_set, args.batch)
        rec = {
            "epoch": epoch + 1,
            "steps": steps,
            "train_loss": [round(v / steps, 6) for v in loss_sum],
            "train_accuracy": [round(c / seen, 6) for c in correct],
            "test_accuracy_all_blocks": acc_all,
            "test_accuracy_last_block": acc_last,
            "images_per_second": round(seen / secs, 2),
            "train_seconds": round(secs, 3),
            "peak_rss_mib": round(peak_rss_mib(), 1),
        }
        history.append(rec)
        print(json.dumps(rec), flush=True)
        if args.steps and total_steps >= args.steps:
            break

    final = {
        "final": True,
        "model": args.model,
        "mode": args.mode,
        "batch": args.batch,
        "threads": args.threads,
        "torch": torch.__version__,
        "epochs_run": len(history),
        "steps": total_steps,
        "images": total_images,
        "test_accuracy_all_blocks": history[-1]["test_accuracy_all_blocks"] if history else None,
        "test_accuracy_last_block": history[-1]["test_accuracy_last_block"] if history else None,
        "images_per_second": round(total_images / total_train_secs, 2) if total_train_secs else 0,
        "peak_rss_mib": round(peak_rss_mib(), 1),
    }
    print(json.dumps(final), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
