#!/usr/bin/env bash
# Accuracy side by side: the full recipe (cnn4 on Fashion-MNIST, 3 epochs, Adam lr 1e-3,
# batch 128) trained by ffc (ffc + ff-run) and by the PyTorch reference
# (bench/sff_reference.py) in one mode; prints per-epoch test accuracy of both.
#
#   bench/accuracy.sh [--mode=sff-block|sff-layer|bp] [--epochs=N] [--subset=N]
#                     [--test-subset=N] [--threads=N] [--seed=N] [--batch=N] [--lr=X]
#                     [--same-init]
#
# Defaults: --mode=sff-block --epochs=3 --batch=128 --threads=2 --seed=0 --lr=1e-3, full
# training and test sets (60000 / 10000). The full recipe takes a while on a few CPUs;
# --subset/--test-subset/--epochs give a quick check, e.g.
#   bench/accuracy.sh --mode=sff-block --epochs=1 --subset=2560 --test-subset=1000
# Environment: BIN [<repo>/build/bin], PYTHON [/usr/bin/python3], KEEP=1 keeps the logs.
# The two sides start from different random initialisations and shuffles (both seeded),
# so agreement is statistical, not bit-exact. --same-init starts the reference from the
# compiled artifact's initial weights (model and aux heads, bench/sff_reference.py
# --init-from); the shuffles still differ, except with --subset equal to the batch (one
# step per epoch over the same images), where the two runs should agree step for step:
#   bench/accuracy.sh --mode=sff-block --epochs=4 --subset=128 --test-subset=256 --same-init
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
BIN="${BIN:-$REPO/build/bin}"
PYTHON="${PYTHON:-/usr/bin/python3}"

MODE=sff-block EPOCHS=3 SUBSET=0 TEST_SUBSET=0 THREADS=2 SEED=0 BATCH=128 LR=1e-3 SAME_INIT=0
for arg in "$@"; do
  case "$arg" in
    --mode=*) MODE="${arg#*=}" ;;
    --epochs=*) EPOCHS="${arg#*=}" ;;
    --subset=*) SUBSET="${arg#*=}" ;;
    --test-subset=*) TEST_SUBSET="${arg#*=}" ;;
    --threads=*) THREADS="${arg#*=}" ;;
    --seed=*) SEED="${arg#*=}" ;;
    --batch=*) BATCH="${arg#*=}" ;;
    --lr=*) LR="${arg#*=}" ;;
    --same-init) SAME_INIT=1 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "accuracy.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done
case "$MODE" in sff-block|sff-layer|bp) ;; *) echo "accuracy.sh: bad --mode '$MODE'" >&2; exit 2 ;; esac

WORK="$(mktemp -d /tmp/ffc-accuracy.XXXXXX)"
if [[ "${KEEP:-0}" != 1 ]]; then trap 'rm -rf "$WORK"' EXIT; else echo "work directory: $WORK" >&2; fi

subset_args=()
[[ "$SUBSET" != 0 ]] && subset_args+=(--subset="$SUBSET")
[[ "$TEST_SUBSET" != 0 ]] && subset_args+=(--test-subset="$TEST_SUBSET")

echo "== ffc: cnn4 $MODE, $EPOCHS epochs, batch $BATCH, lr $LR, $THREADS threads" >&2
"$BIN/ffc" zoo:cnn4 --batch="$BATCH" --mode="$MODE" -o "$WORK/cnn4.ffx" 2>"$WORK/ffc.log"
init_args=()
[[ "$SAME_INIT" == 1 ]] && init_args+=(--init-from "$WORK/cnn4.ffx")
"$BIN/ff-run" train "$WORK/cnn4.ffx" --data=fashion-mnist --epochs="$EPOCHS" --lr="$LR" \
  --seed="$SEED" --threads="$THREADS" --metrics="$WORK/ffc.jsonl" --quiet "${subset_args[@]}" \
  | tee "$WORK/ffrun.log" >&2

echo "== PyTorch reference: cnn4 $MODE" >&2
"$PYTHON" "$HERE/sff_reference.py" --model cnn4 --mode "$MODE" --epochs "$EPOCHS" \
  --batch "$BATCH" --lr "$LR" --seed "$SEED" --threads "$THREADS" --data fashion-mnist \
  --subset "$SUBSET" --test-subset "$TEST_SUBSET" "${init_args[@]}" | tee "$WORK/torch.jsonl" >&2

"$PYTHON" - "$WORK/ffc.jsonl" "$WORK/torch.jsonl" "$MODE" <<'EOF'
import json, sys
def load(path):
    out = {}
    for line in open(path):
        line = line.strip()
        if line.startswith("{"):
            rec = json.loads(line)
            if "epoch" in rec:
                out[rec["epoch"]] = rec
    return out
ffc, ref, mode = load(sys.argv[1]), load(sys.argv[2]), sys.argv[3]
pct = lambda v: "-" if v is None else "%.2f" % (100.0 * v)
loss = lambda r: "-" if r is None else " ".join("%.3f" % v for v in r["train_loss"])
print()
print("cnn4 %s: test accuracy %% (vote of all blocks / last block; bp: the classifier)" % mode)
print()
print("| epoch | ffc all | ffc last | PyTorch all | PyTorch last | ffc train loss | PyTorch train loss |")
print("|---|---|---|---|---|---|---|")
for e in sorted(set(ffc) | set(ref)):
    f, r = ffc.get(e), ref.get(e)
    print("| %d | %s | %s | %s | %s | %s | %s |" % (
        e, pct(f and f["test_accuracy_all_blocks"]), pct(f and f["test_accuracy_last_block"]),
        pct(r and r["test_accuracy_all_blocks"]), pct(r and r["test_accuracy_last_block"]),
        loss(f), loss(r)))
EOF
