"""Writes small IDX and CIFAR files, valid and broken, for ff-run's tests.

Usage: python3 write_datasets.py DIR
"""
import gzip
import os
import struct
import sys


def idx_images(n, rows=28, cols=28, magic=0x00000803):
    body = bytes((i * 7 + j) % 256 for i in range(n) for j in range(rows * cols))
    return struct.pack(">IIII", magic, n, rows, cols) + body


def idx_labels(n):
    return struct.pack(">II", 0x00000801, n) + bytes(i % 10 for i in range(n))


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def main():
    root = sys.argv[1]
    for split in ("train", "t10k"):
        write(f"{root}/valid/{split}-images-idx3-ubyte.gz", gzip.compress(idx_images(16)))
        write(f"{root}/valid/{split}-labels-idx1-ubyte", idx_labels(16))
        write(f"{root}/truncated/{split}-images-idx3-ubyte", idx_images(16)[:10000])
        write(f"{root}/truncated/{split}-labels-idx1-ubyte", idx_labels(16))
        write(f"{root}/badmagic/{split}-images-idx3-ubyte", idx_images(16, magic=0x0801))
        write(f"{root}/badmagic/{split}-labels-idx1-ubyte", idx_labels(16))
        write(f"{root}/mismatch/{split}-images-idx3-ubyte", idx_images(16))
        write(f"{root}/mismatch/{split}-labels-idx1-ubyte", idx_labels(15))
    record = bytes([3]) + bytes(3072)
    for i in range(1, 6):
        write(f"{root}/cifar/data_batch_{i}.bin", record * 4)
    write(f"{root}/cifar/test_batch.bin", record * 4)
    write(f"{root}/badcifar/data_batch_1.bin", bytes(3000))


if __name__ == "__main__":
    main()
