#!/usr/bin/env bash
# `make test` after the build: lint (fmt, clippy), native unit tests, wasm tests, HTTP tests, fuzzing,
# each printing as it runs; then one closing line with the totals.
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
for stage in lint test-unit test-wasm test-api fuzz; do
  make --no-print-directory "$stage" 2>&1 | tee -a "$log" || { status=1; echo "test: $stage failed" >&2; }
done
python3 - "$log" "$status" <<'PY'
import re, sys
text = open(sys.argv[1], errors="replace").read()
passed = failed = 0
for p, f in re.findall(r"test result: \w+\. (\d+) passed; (\d+) failed", text):
    passed += int(p); failed += int(f)
for g, p in re.findall(r"(\d+) generated, (\d+) passed", text):
    passed += int(p); failed += int(g) - int(p)
if sys.argv[2] != "0" and failed == 0:
    failed = 1  # a stage failed before reporting (build error, fuzzer finding)
print(f"total: {passed} passed, {failed} failed")
PY
exit $status
