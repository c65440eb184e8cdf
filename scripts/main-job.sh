#!/usr/bin/env bash
# The main job: set up, build, compile the zoo's cnn4 for Fashion-MNIST (1x28x28,
# 10 classes, batch 128) into SFF training programs. Training with ff-run comes
# with the CPU backend; until then this stops at the last phase ffc has: the
# scheduled train_step / eval_step / predict, with their activation memory.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
mkdir -p out
for mode in sff-block bp; do
  echo "== ffc zoo:cnn4 --mode=$mode --batch=128 -> out/cnn4-$mode.mlir"
  build/bin/ffc zoo:cnn4 --input-shape=1x28x28 --classes=10 --batch=128 --mode=$mode \
    --report-memory -o out/cnn4-$mode.mlir
done
echo "== programs: $(grep -oE 'func.func @[a-z_]+' out/cnn4-sff-block.mlir | sed 's/func.func //' | tr '\n' ' ')"
