# Sourced by the measurement scripts: builds, then serves the worker under
# `wrangler dev` on a free port with a scratch local D1 (migrations applied).
# Sets PORT, BASE, STATE; everything stops and is removed when the script exits.
# Settings: PASSWORD_HASH_ITERATIONS (default 600000).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
scripts/build.sh
STATE=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
SUPERUSER=admin@example.com
SUPERUSER_PASSWORD=measure-password
node_modules/.bin/wrangler d1 migrations apply DB --local --persist-to "$STATE" >/dev/null
setsid node_modules/.bin/wrangler dev --ip 127.0.0.1 --port "$PORT" --persist-to "$STATE" --show-interactive-dev-session=false \
  --var SECRET_KEY:measure-secret --var ENVIRONMENT:local \
  --var PASSWORD_HASH_ITERATIONS:"${PASSWORD_HASH_ITERATIONS:-600000}" \
  --var FIRST_SUPERUSER:$SUPERUSER --var FIRST_SUPERUSER_PASSWORD:$SUPERUSER_PASSWORD >"$STATE/log" 2>&1 &
DEV_PGID=$!
# wrangler dev and workerd run in their own process group: stop exactly that group.
trap 'kill -- -$DEV_PGID 2>/dev/null; rm -rf "$STATE"' EXIT
for _ in $(seq 1 240); do curl -sf "$BASE/api/v1/utils/health-check/" >/dev/null && break; sleep 0.5; done

# d1 SQL: run SQL against the scratch D1 beside the running worker.
d1() { node_modules/.bin/wrangler d1 execute DB --local --persist-to "$STATE" --command "$1" >/dev/null; }
