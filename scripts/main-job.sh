#!/usr/bin/env bash
# The main job: set up, build, compile the zoo's cnn4 for Fashion-MNIST (1x28x28,
# 10 classes, batch 128) in SFF block-wise mode, and train it on the CPU with
# ff-run, printing progress and the test accuracy of both votes every epoch.
# EPOCHS (default 2) and MODE (sff-block, sff-layer or bp) can be set in the
# environment.
set -euo pipefail
cd "$(dirname "$0")/.."
EPOCHS=${EPOCHS:-2}
MODE=${MODE:-sff-block}
bash scripts/setup.sh
bash scripts/build.sh
mkdir -p out
echo "== ffc zoo:cnn4 --mode=$MODE --batch=128 -o out/cnn4-$MODE.ffx"
build/bin/ffc zoo:cnn4 --input-shape=1x28x28 --classes=10 --batch=128 --mode="$MODE" \
  --report-memory -o "out/cnn4-$MODE.ffx"
echo "== ff-run train out/cnn4-$MODE.ffx --data=fashion-mnist --epochs=$EPOCHS"
build/bin/ff-run train "out/cnn4-$MODE.ffx" --data=fashion-mnist --epochs="$EPOCHS" \
  --lr=1e-3 --ckpt="out/run-$MODE" --metrics="out/run-$MODE/metrics.jsonl"
