#!/usr/bin/env bash
# Side-by-side training throughput and peak memory: ffc (ffc + ff-run) vs the PyTorch
# reference (bench/sff_reference.py), same machine, same run, same thread count.
#
#   bench/run.sh                 # all rows: cnn4 bp/sff-layer/sff-block, resnet18 bp/sff-block
#   ONLY=cnn4 bench/run.sh       # only the rows whose "model mode" matches the regex
#
# Environment (defaults in brackets):
#   BIN           directory with ffc and ff-run        [<repo>/build/bin]
#   PYTHON        interpreter with PyTorch             [/usr/bin/python3]
#   THREADS       threads for both sides               [2]
#   CNN4_SUBSET   training images for cnn4 (batch 128) [2560 = 20 steps]
#   R18_SUBSET    training images for resnet18 (b. 64) [640 = 10 steps]
#   TEST_SUBSET   test images for cnn4                 [256]
#   R18_TEST      test images for resnet18             [64]
#   ONLY          regex on "MODEL MODE" to pick rows   [all]
#   KEEP=1        keep the work directory (artifacts, logs, metrics)
#
# Every measurement runs alone, one after the other. Each prints one markdown row:
#   model | mode | ffc img/s | PyTorch img/s | ratio (ffc / PyTorch) | ffc peak RSS | PyTorch peak RSS
# and a second table says how many CPU cores other processes took during each measurement
# (bench/cpu_share.py), since a busy machine distorts short runs.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
BIN="${BIN:-$REPO/build/bin}"
PYTHON="${PYTHON:-/usr/bin/python3}"
THREADS="${THREADS:-2}"
CNN4_SUBSET="${CNN4_SUBSET:-2560}"
R18_SUBSET="${R18_SUBSET:-640}"
TEST_SUBSET="${TEST_SUBSET:-256}"
R18_TEST="${R18_TEST:-64}"
ONLY="${ONLY:-.}"

for tool in ffc ff-run; do
  [[ -x "$BIN/$tool" ]] || { echo "run.sh: $BIN/$tool not found (set BIN=...)" >&2; exit 1; }
done
"$PYTHON" -c 'import torch' 2>/dev/null || { echo "run.sh: $PYTHON has no torch" >&2; exit 1; }

WORK="$(mktemp -d /tmp/ffc-bench.XXXXXX)"
if [[ "${KEEP:-0}" != 1 ]]; then trap 'rm -rf "$WORK"' EXIT; else echo "work directory: $WORK" >&2; fi

# Random CIFAR-shaped data for resnet18 (ff-run needs a dataset on disk; the reference reads
# the same files).
"$PYTHON" "$HERE/make_random_cifar.py" "$WORK/cifar" --train "$R18_SUBSET" --test "$R18_TEST"

# Reads KEY from the last JSON line of FILE.
json_get() {
  "$PYTHON" - "$1" "$2" <<'EOF'
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip().startswith("{")]
v = json.loads(lines[-1]).get(sys.argv[2])
print("nan" if v is None else v)
EOF
}

ROWS=()
NOTES=()
# bench_row MODEL MODE BATCH SUBSET TEST FFC_MODEL_ARGS DATA_FFRUN DATA_TORCH TORCH_MODEL
bench_row() {
  local model="$1" mode="$2" batch="$3" subset="$4" test="$5" ffc_args="$6"
  local data_ffrun="$7" data_torch="$8" torch_model="$9"
  [[ "$model $mode" =~ $ONLY ]] || return 0
  local tag="${model}_${mode}" steps=$((subset / batch))
  echo "== $model $mode: batch $batch, $steps steps ($subset images), $THREADS threads" >&2

  # shellcheck disable=SC2086
  "$BIN/ffc" $ffc_args --batch="$batch" --mode="$mode" -o "$WORK/$tag.ffx" \
    2>"$WORK/$tag.ffc.log"
  "$PYTHON" "$HERE/cpu_share.py" "$WORK/$tag.ffrun.cpu.json" -- \
    "$BIN/ff-run" train "$WORK/$tag.ffx" --data="$data_ffrun" --epochs=1 --subset="$subset" \
    --test-subset="$test" --threads="$THREADS" --metrics="$WORK/$tag.ffrun.jsonl" --quiet \
    >"$WORK/$tag.ffrun.log" 2>&1 || { cat "$WORK/$tag.ffrun.log" >&2; return 1; }
  local f_ips f_rss f_other
  f_ips="$(json_get "$WORK/$tag.ffrun.jsonl" images_per_second)"
  f_rss="$(json_get "$WORK/$tag.ffrun.jsonl" peak_rss_mib)"
  f_other="$(json_get "$WORK/$tag.ffrun.cpu.json" other_cores)"
  echo "   ffc:     $f_ips img/s, peak RSS $f_rss MiB (other processes: $f_other cores)" >&2

  "$PYTHON" "$HERE/cpu_share.py" "$WORK/$tag.torch.cpu.json" -- \
    "$PYTHON" "$HERE/sff_reference.py" --model "$torch_model" --mode "$mode" --epochs 1 \
    --batch "$batch" --subset "$subset" --test-subset "$test" --steps "$steps" \
    --threads "$THREADS" --data "$data_torch" \
    >"$WORK/$tag.torch.jsonl" 2>"$WORK/$tag.torch.log" || { cat "$WORK/$tag.torch.log" >&2; return 1; }
  local t_ips t_rss t_other
  t_ips="$(json_get "$WORK/$tag.torch.jsonl" images_per_second)"
  t_rss="$(json_get "$WORK/$tag.torch.jsonl" peak_rss_mib)"
  t_other="$(json_get "$WORK/$tag.torch.cpu.json" other_cores)"
  echo "   PyTorch: $t_ips img/s, peak RSS $t_rss MiB (other processes: $t_other cores)" >&2
  NOTES+=("| $model | $mode | $f_other | $t_other |")

  ROWS+=("$("$PYTHON" - "$model" "$mode" "$f_ips" "$t_ips" "$f_rss" "$t_rss" <<'EOF'
import sys
model, mode, fi, ti, fr, tr = sys.argv[1:]
fi, ti, fr, tr = map(float, (fi, ti, fr, tr))
ratio = fi / ti if ti > 0 else float("nan")
print("| %s | %s | %.1f | %.1f | %.2f | %.0f | %.0f |" % (model, mode, fi, ti, ratio, fr, tr))
EOF
)")
}

CIFAR="$WORK/cifar"
R18_ARGS="zoo:resnet18 --stem=cifar --input-shape=3x32x32 --classes=10"
bench_row cnn4 bp 128 "$CNN4_SUBSET" "$TEST_SUBSET" zoo:cnn4 fashion-mnist fashion-mnist cnn4
bench_row cnn4 sff-layer 128 "$CNN4_SUBSET" "$TEST_SUBSET" zoo:cnn4 fashion-mnist fashion-mnist cnn4
bench_row cnn4 sff-block 128 "$CNN4_SUBSET" "$TEST_SUBSET" zoo:cnn4 fashion-mnist fashion-mnist cnn4
bench_row resnet18-cifar bp 64 "$R18_SUBSET" "$R18_TEST" "$R18_ARGS" \
  "cifar10:$CIFAR" "cifar10:$CIFAR" resnet18_cifar
bench_row resnet18-cifar sff-block 64 "$R18_SUBSET" "$R18_TEST" "$R18_ARGS" \
  "cifar10:$CIFAR" "cifar10:$CIFAR" resnet18_cifar

echo
echo "$("$BIN/ffc" --version 2>&1 | head -1 || true); PyTorch $("$PYTHON" -c 'import torch; print(torch.__version__)');" \
  "$THREADS threads each; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs"
echo
echo "| model | mode | ffc img/s | PyTorch img/s | ratio | ffc peak RSS MiB | PyTorch peak RSS MiB |"
echo "|---|---|---|---|---|---|---|"
for row in "${ROWS[@]}"; do echo "$row"; done
echo
echo "CPU cores taken by other processes during each measurement (0 = quiet machine;"
echo "anything near 1 or more on $(nproc) CPUs makes that row's img/s unreliable):"
echo
echo "| model | mode | during ffc | during PyTorch |"
echo "|---|---|---|---|"
for row in "${NOTES[@]}"; do echo "$row"; done
