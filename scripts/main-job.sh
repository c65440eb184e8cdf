#!/usr/bin/env bash
# The main job: set up, build, compile the zoo's cnn4 for Fashion-MNIST (1x28x28,
# 10 classes, batch 128). Training with ff-run comes with the CPU backend; until
# then this stops at the last compilation phase ffc has.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
mkdir -p out
echo "== ffc zoo:cnn4 --batch=128 -> out/cnn4.mlir"
time build/bin/ffc zoo:cnn4 --input-shape=1x28x28 --classes=10 --batch=128 -o out/cnn4.mlir \
  --mlir-elide-resource-strings-if-larger=64
grep -E "ff\.(conv2d|max_pool2d|linear)" out/cnn4.mlir | sed -E 's/^ +//' | cut -c1-120
echo "== wrote out/cnn4.mlir ($(grep -c 'ff.param ' out/cnn4.mlir) parameters)"
