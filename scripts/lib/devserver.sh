# Sourced by the measurement scripts and the fuzzer: builds, then serves the
# worker through scripts/lib/serve.mjs on ports the system picks as they bind,
# with a scratch local D1 (migrations applied). Sets PORT, BASE, CONTROL_PORT,
# STATE; everything stops and is removed when the script exits. Settings:
# PASSWORD_HASH_ITERATIONS (default 600000).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
scripts/build.sh
STATE=$(mktemp -d)
SUPERUSER=admin@example.com
SUPERUSER_PASSWORD=measure-password
CI=true node_modules/.bin/wrangler d1 migrations apply DB --local --persist-to "$STATE" >/dev/null
# serve.mjs writes one line (its URLs) to fd 3, a FIFO read here, once both
# sockets listen; the FIFO closes empty if the server dies first.
mkfifo "$STATE/ready"
setsid node scripts/lib/serve.mjs --port 0 --control-port 0 --state "$STATE" --ready-fd 3 \
  SECRET_KEY=measure-secret ENVIRONMENT=local \
  PASSWORD_HASH_ITERATIONS="${PASSWORD_HASH_ITERATIONS:-600000}" \
  FIRST_SUPERUSER=$SUPERUSER FIRST_SUPERUSER_PASSWORD=$SUPERUSER_PASSWORD 3>"$STATE/ready" >"$STATE/log" 2>&1 &
DEV_PGID=$!
# The server runs in its own process group (with workerd): stop exactly that group.
trap 'kill -- -$DEV_PGID 2>/dev/null; rm -rf "$STATE"' EXIT
READY=""
read -r -t 120 READY <"$STATE/ready" || true
[ -n "$READY" ] || { cat "$STATE/log" >&2; echo "devserver: the worker did not start" >&2; exit 1; }
read -r PORT CONTROL_PORT < <(python3 -c 'import json, sys; r = json.loads(sys.argv[1]); print(r["url"].rsplit(":", 1)[1], r["control"].rsplit(":", 1)[1])' "$READY")
BASE="http://127.0.0.1:$PORT"
# The first routed request creates the first superuser: before any measurement.
curl -sf "$BASE/api/v1/utils/health-check/" >/dev/null

# d1 SQL: run SQL through the process that serves the worker.
d1() { curl -sf --data-binary "$1" "http://127.0.0.1:$CONTROL_PORT/d1" >/dev/null; }
