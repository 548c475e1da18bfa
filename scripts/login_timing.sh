#!/usr/bin/env bash
# Median wall time of one login under `wrangler dev`, at the configured work
# factor (PASSWORD_HASH_ITERATIONS, default 600,000): 30 sequential logins of the
# first superuser against a scratch local D1. Usage: scripts/login_timing.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
N=${1:-30}
ITER=${PASSWORD_HASH_ITERATIONS:-600000}
state=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
trap 'kill 0 2>/dev/null; rm -rf "$state"' EXIT
node_modules/.bin/wrangler d1 migrations apply DB --local --persist-to "$state" >/dev/null
node_modules/.bin/wrangler dev --ip 127.0.0.1 --port "$port" --persist-to "$state" --show-interactive-dev-session=false \
  --var SECRET_KEY:timing-secret --var ENVIRONMENT:local --var PASSWORD_HASH_ITERATIONS:"$ITER" \
  --var FIRST_SUPERUSER:admin@example.com --var FIRST_SUPERUSER_PASSWORD:timing-password >"$state/log" 2>&1 &
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/api/v1/utils/health-check/" >/dev/null && break; sleep 0.5; done
python3 - "$port" "$N" "$ITER" <<'PY'
import statistics, sys, time, urllib.request, urllib.parse
port, n, iterations = sys.argv[1], int(sys.argv[2]), sys.argv[3]
data = urllib.parse.urlencode({"username": "admin@example.com", "password": "timing-password"}).encode()
url = f"http://127.0.0.1:{port}/api/v1/login/access-token"
times = []
for _ in range(n + 1):
    t = time.perf_counter()
    with urllib.request.urlopen(urllib.request.Request(url, data=data)) as r:
        assert r.status == 200
        r.read()
    times.append((time.perf_counter() - t) * 1000)
times = times[1:]  # the first login also warms the isolate
print(f"logins: {n} sequential, PBKDF2-HMAC-SHA256 iterations: {iterations}")
print(f"median {statistics.median(times):.0f} ms, min {min(times):.0f} ms, max {max(times):.0f} ms")
PY
