#!/usr/bin/env bash
# Builds ffc and runs every test: the lit suite (dialect, passes, importer, zoo,
# tools). Ends with one line `N passed, N failed, N skipped`; exits non-zero on
# any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh || { echo "0 passed, 1 failed (build)"; exit 1; }

LIT=${LIT:-/usr/lib/llvm-22/bin/lit}
log=$(mktemp)
"$LIT" -sv build/test -j"$(nproc)" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# lit's summary lines look like "  Passed     : 12 (80.00%)".
count() {
  local n
  n=$(grep -E "^\s+$1\s*:\s*[0-9]+" "$log" | head -1 | sed -E 's/.*:\s*([0-9]+).*/\1/')
  echo "${n:-0}"
}
passed=$(count Passed)
failed=$(( $(count Failed) + $(count Unresolved) + $(count 'Timed Out') ))
skipped=$(count Unsupported)
rm -f "$log"
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ]; then exit 1; fi
