#!/usr/bin/env bash
# `make test` after the build: lint (fmt, clippy, redocly), the upload's size budget,
# native unit tests, wasm tests, HTTP tests, the soak, fuzzing, the browser check of
# /docs and /redoc, the generated clients, each printing as it runs; then one
# closing line with the totals.
set -uo pipefail
cd "$(dirname "$0")/.."
rm -rf target/fuzz-reports
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
for stage in lint size test-unit test-wasm test-api soak fuzz browser clients; do
  SOAK_SECONDS=${SOAK_SECONDS:-10} make --no-print-directory "$stage" 2>&1 | tee -a "$log" || { status=1; echo "test: $stage failed" >&2; }
done
# The fuzzer's JUnit reports (one test case per operation and run) count with
# cargo's and unittest's lines; see scripts/totals.py.
shopt -s nullglob
python3 scripts/totals.py "$log" "$status" target/fuzz-reports/*.xml
exit $status
