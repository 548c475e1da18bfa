#!/usr/bin/env bash
# `make test` after the build: lint (fmt, clippy, redocly), the upload's size budget,
# native unit tests, wasm tests, HTTP tests, the checks over their whole log, the soak, the token verifiers, webhook deliveries checked by standardwebhooks, fuzzing, the browser check of
# /docs and /redoc, the generated clients, each printing as it runs; then one
# closing line with the totals.
set -uo pipefail
cd "$(dirname "$0")/.."
rm -rf target/fuzz-reports
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
for stage in lint size test-unit test-wasm test-api test-logs soak verifiers webhooks ops-check compat fuzz browser clients; do
  echo "==> stage $stage" >>"$log"
  SOAK_SECONDS=${SOAK_SECONDS:-10} make --no-print-directory "$stage" 2>&1 | tee -a "$log"
  code=${PIPESTATUS[0]}
  echo "<== stage $stage exit $code" >>"$log"
  [ "$code" = 0 ] || { status=1; echo "test: $stage failed" >&2; }
done
# The JUnit reports (the fuzzer's, one test case per operation and run; the size,
# browser and clients stages') count with cargo's, unittest's and the soak's lines,
# stage by stage; see scripts/totals.py.
shopt -s nullglob
python3 scripts/totals.py "$log" target/fuzz-reports/*.xml
exit $status
