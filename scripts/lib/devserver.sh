# Sourced by the measurement scripts and the fuzzer: builds, then serves the
# worker through scripts/lib/serve.mjs on a free port with a scratch local D1
# (migrations applied). Sets PORT, BASE, STATE; everything stops and is removed
# when the script exits. Settings: PASSWORD_HASH_ITERATIONS (default 600000).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
scripts/build.sh
STATE=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
CONTROL_PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
SUPERUSER=admin@example.com
SUPERUSER_PASSWORD=measure-password
CI=true node_modules/.bin/wrangler d1 migrations apply DB --local --persist-to "$STATE" >/dev/null
setsid node scripts/lib/serve.mjs --port "$PORT" --state "$STATE" --control-port "$CONTROL_PORT" \
  SECRET_KEY=measure-secret ENVIRONMENT=local \
  PASSWORD_HASH_ITERATIONS="${PASSWORD_HASH_ITERATIONS:-600000}" \
  FIRST_SUPERUSER=$SUPERUSER FIRST_SUPERUSER_PASSWORD=$SUPERUSER_PASSWORD >"$STATE/log" 2>&1 &
DEV_PGID=$!
# The server runs in its own process group (with workerd): stop exactly that group.
trap 'kill -- -$DEV_PGID 2>/dev/null; rm -rf "$STATE"' EXIT
for _ in $(seq 1 240); do curl -sf "$BASE/api/v1/utils/health-check/" >/dev/null && break; sleep 0.5; done

# d1 SQL: run SQL through the process that serves the worker.
d1() { curl -sf --data-binary "$1" "http://127.0.0.1:$CONTROL_PORT/d1" >/dev/null; }
