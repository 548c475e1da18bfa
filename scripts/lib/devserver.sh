# Sourced by the measurement scripts and the fuzzer: builds, then serves the
# worker through scripts/lib/serve.mjs on ports the system picks as they bind,
# with a scratch local D1 (migrations applied). Sets PORT, BASE, CONTROL_PORT,
# STATE; everything stops and is removed when the script exits. Settings: PASSWORD_HASH_ITERATIONS (default 600000).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
scripts/build.sh
STATE=$(mktemp -d)
SUPERUSER=admin@example.com
SUPERUSER_PASSWORD=measure-password
CI=true node_modules/.bin/wrangler d1 migrations apply DB --local --persist-to "$STATE" >/dev/null
setsid node scripts/lib/serve.mjs --port 0 --control-port 0 --state "$STATE" --ready-file "$STATE/ready" \
  SECRET_KEY=measure-secret ENVIRONMENT=local \
  PASSWORD_HASH_ITERATIONS="${PASSWORD_HASH_ITERATIONS:-600000}" \
  FIRST_SUPERUSER=$SUPERUSER FIRST_SUPERUSER_PASSWORD=$SUPERUSER_PASSWORD >"$STATE/log" 2>&1 &
DEV_PGID=$!
# The server runs in its own process group (with workerd): stop exactly that group.
trap 'kill -- -$DEV_PGID 2>/dev/null; rm -rf "$STATE"' EXIT
# serve.mjs writes the ready file (whole) once both sockets listen.
for _ in $(seq 1 240); do [ -f "$STATE/ready" ] && break; kill -0 $DEV_PGID 2>/dev/null || break; sleep 0.5; done
[ -f "$STATE/ready" ] || { cat "$STATE/log" >&2; echo "devserver: the worker did not start" >&2; exit 1; }
read -r PORT CONTROL_PORT < <(python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(r["url"].rsplit(":", 1)[1], r["control"].rsplit(":", 1)[1])' "$STATE/ready")
BASE="http://127.0.0.1:$PORT"
# The first routed request creates the first superuser: before any measurement.
curl -sf "$BASE/api/v1/utils/health-check/" >/dev/null

# d1 SQL: run SQL through the process that serves the worker.
d1() { curl -sf --data-binary "$1" "http://127.0.0.1:$CONTROL_PORT/d1" >/dev/null; }
