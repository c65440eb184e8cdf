#!/usr/bin/python3
"""Writes a small random data set in the CIFAR-10 binary format.

Each record is 1 label byte (0-9) followed by 3072 pixel bytes (3x32x32, channel
planes). Files: data_batch_1.bin .. data_batch_5.bin (the training records split
evenly over the five) and test_batch.bin. Both ff-run (--data=cifar10:DIR) and
bench/sff_reference.py (--data cifar10:DIR) read it, so they train on the same bytes.

usage: make_random_cifar.py DIR [--train N] [--test N] [--seed S]
"""

import argparse
import os

import numpy as np


def write_batch(path, rng, count):
    rec = np.empty((count, 1 + 3072), dtype=np.uint8)
    rec[:, 0] = rng.integers(0, 10, size=count, dtype=np.uint8)
    rec[:, 1:] = rng.integers(0, 256, size=(count, 3072), dtype=np.uint8)
    with open(path, "wb") as f:
        f.write(rec.tobytes())


def main():
    p = argparse.ArgumentParser(description="random CIFAR-10 binary files")
    p.add_argument("dir")
    p.add_argument("--train", type=int, default=640, help="training records in all")
    p.add_argument("--test", type=int, default=128, help="test records")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    if args.train < 5 or args.test < 1:
        raise SystemExit("need at least 5 training records and 1 test record")
    os.makedirs(args.dir, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    per_file = [args.train // 5 + (1 if i < args.train % 5 else 0) for i in range(5)]
    for i, n in enumerate(per_file, start=1):
        write_batch(os.path.join(args.dir, "data_batch_%d.bin" % i), rng, n)
    write_batch(os.path.join(args.dir, "test_batch.bin"), rng, args.test)


if __name__ == "__main__":
    main()
