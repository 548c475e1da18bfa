#!/usr/bin/env bash
# `make clients`: generates the TypeScript SDK (@hey-api/openapi-ts, npm, pinned)
# and the Python client (openapi-python-client, PyPI, pinned) from the served
# OpenAPI document, fails on any generation warning, type-checks the TypeScript
# with `tsc --strict`, and drives a flow through each against a served worker
# (tests/clients). A JUnit report beside the fuzzer's counts in the totals.
set -euo pipefail
cd "$(dirname "$0")/.."
# This script runs under scripts/lib/serve.py, which serves it a worker (BASE,
# STATE, SUPERUSER, ...) and stops it when the script ends.
export PASSWORD_HASH_ITERATIONS=1000
[ -n "${USERS_ORGS_SERVED:-}" ] || exec python3 scripts/lib/serve.py -- "scripts/$(basename "$0")" "$@"
source scripts/lib/pytool.sh
pytool openapi-python-client 0.29.1 ruff==0.17.5 pyotp==2.9.0
GEN=$PYTOOL
OUT=target/clients
rm -rf "$OUT"
mkdir -p "$OUT/ts" target/fuzz-reports
curl -sf "$BASE/api/v1/openapi.json" >"$OUT/openapi.json"

results=()
record() { # name status
  results+=("$1:$2")
  [ "$2" = 0 ] && echo "clients: $1 ok" >&2 || echo "clients: $1 FAILED" >&2
}
no_warnings() { # log
  if grep -Eiq "warn" "$1"; then cat "$1" >&2; return 1; fi
}

ts() {
  node_modules/.bin/openapi-ts -i "$OUT/openapi.json" -o "$OUT/ts/client" >"$OUT/ts.log" 2>&1 || { cat "$OUT/ts.log" >&2; return 1; }
  no_warnings "$OUT/ts.log"
  cp tests/clients/flow.ts "$OUT/ts/flow.ts"
  cat >"$OUT/ts/tsconfig.json" <<'JSON'
{ "compilerOptions": { "strict": true, "noEmit": true, "target": "ES2022", "module": "ESNext",
  "moduleResolution": "Bundler", "lib": ["ES2022", "DOM"] }, "include": ["flow.ts", "client/**/*.ts"] }
JSON
  node_modules/.bin/tsc -p "$OUT/ts/tsconfig.json"
  node_modules/.bin/esbuild "$OUT/ts/flow.ts" --bundle --platform=node --format=esm --log-level=warning \
    --outfile="$OUT/ts/flow.mjs"
  BASE=$BASE SUPERUSER=$SUPERUSER SUPERUSER_PASSWORD=$SUPERUSER_PASSWORD node "$OUT/ts/flow.mjs"
}

py() {
  PATH="$GEN/bin:$PATH" "$GEN/bin/openapi-python-client" generate --path "$OUT/openapi.json" \
    --config tests/clients/python-client.yaml --output-path "$OUT/py" >"$OUT/py.log" 2>&1 || { cat "$OUT/py.log" >&2; return 1; }
  no_warnings "$OUT/py.log"
  BASE=$BASE SUPERUSER=$SUPERUSER SUPERUSER_PASSWORD=$SUPERUSER_PASSWORD PYTHONPATH="$OUT/py" \
    "$GEN/bin/python" tests/clients/flow.py
}

set +e
(set -e; ts); record typescript-sdk $?
(set -e; py); record python-client $?
set -e

{
  echo '<?xml version="1.0" encoding="UTF-8"?><testsuites><testsuite name="clients">'
  for r in "${results[@]}"; do
    name=${r%%:*} status=${r##*:}
    if [ "$status" = 0 ]; then
      echo "<testcase classname=\"clients\" name=\"$name\"/>"
    else
      echo "<testcase classname=\"clients\" name=\"$name\"><failure message=\"exit $status\"/></testcase>"
    fi
  done
  echo '</testsuite></testsuites>'
} >target/fuzz-reports/clients.xml
for r in "${results[@]}"; do [ "${r##*:}" = 0 ] || exit 1; done
