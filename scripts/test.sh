#!/usr/bin/env bash
# Builds ffc and runs every test: the lit suite (dialect, passes, importer, zoo,
# pipeline, tools, end-to-end training) and the runtime's GoogleTest suites
# (through ctest). Ends with one line `N passed, N failed, N skipped`; exits
# non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh || { echo "0 passed, 1 failed (build)"; exit 1; }

# Tests run side by side, each with OpenMP kernels: waiting threads sleep.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}

LIT=${LIT:-/usr/lib/llvm-22/bin/lit}
log=$(mktemp)
"$LIT" -sv build/test -j"$(nproc)" 2>&1 | tee "$log"
litStatus=${PIPESTATUS[0]}

# lit's summary lines look like "  Passed     : 12 (80.00%)".
count() {
  local n
  n=$(grep -E "^\s+$1\s*:\s*[0-9]+" "$log" | head -1 | sed -E 's/.*:\s*([0-9]+).*/\1/')
  echo "${n:-0}"
}
passed=$(count Passed)
failed=$(( $(count Failed) + $(count Unresolved) + $(count 'Timed Out') ))
skipped=$(count Unsupported)

# ctest: "100% tests passed, 0 tests failed out of 57".
ctest --test-dir build --output-on-failure -j"$(nproc)" 2>&1 | tee "$log"
ctestStatus=${PIPESTATUS[0]}
summary=$(grep -E "tests passed, [0-9]+ tests failed out of [0-9]+" "$log" | tail -1)
if [ -n "$summary" ]; then
  cfailed=$(echo "$summary" | sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/')
  ctotal=$(echo "$summary" | sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\2/')
  passed=$(( passed + ctotal - cfailed ))
  failed=$(( failed + cfailed ))
elif [ "$ctestStatus" -ne 0 ]; then
  failed=$(( failed + 1 ))
fi
rm -f "$log"
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$litStatus" -ne 0 ] || [ "$ctestStatus" -ne 0 ] || [ "$failed" -ne 0 ]; then exit 1; fi
