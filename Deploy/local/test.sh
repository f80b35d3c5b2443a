#!/usr/bin/env bash
# The test run of `make test`: every test against a throw-away local broker
# (with-broker.sh). The whole output is kept in .build/test-output.log; when
# something fails, the failures are printed again at the end, so the last
# screen of a long run (what CI shows) says which tests failed and why.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
log="$ROOT/.build/test-output.log"
mkdir -p "$ROOT/.build"
bash "$ROOT/Deploy/local/with-broker.sh" "${SWIFT:-swift}" test --skip-build "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
  echo
  echo "== failures (exit $status; whole output in $log) =="
  # Swift Testing's issue lines and XCTest's failures; colour codes removed.
  sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^✘ Test .* recorded an issue|^✘ Test .* failed after|error: -\[|: error: ' | cut -c1-600 | head -40
fi
exit "$status"
