"""Exits 1 unless two ff-run --metrics files agree epoch by epoch.

Usage: same_metrics.py A.json B.json
Per-block training losses must agree to a relative 1e-3 (float rounding of
two kernel implementations); accuracies may differ by at most one sample's
worth where rounding flips a near tie (0.02).
"""
import json
import sys


def main():
    a = [json.loads(line) for line in open(sys.argv[1])]
    b = [json.loads(line) for line in open(sys.argv[2])]
    if len(a) != len(b) or not a:
        sys.exit(f"{len(a)} epochs against {len(b)}")
    for ea, eb in zip(a, b):
        for x, y in zip(ea["train_loss"], eb["train_loss"]):
            if abs(x - y) > 1e-3 * max(abs(x), abs(y), 1e-6):
                sys.exit(f"epoch {ea['epoch']}: train loss {ea['train_loss']} != {eb['train_loss']}")
        for key in ("train_accuracy",):
            for x, y in zip(ea[key], eb[key]):
                if abs(x - y) > 0.02:
                    sys.exit(f"epoch {ea['epoch']}: {key} {ea[key]} != {eb[key]}")
        for key in ("test_accuracy_all_blocks", "test_accuracy_last_block"):
            if abs(ea[key] - eb[key]) > 0.02:
                sys.exit(f"epoch {ea['epoch']}: {key} {ea[key]} != {eb[key]}")
    print(f"{len(a)} epochs agree")


main()
