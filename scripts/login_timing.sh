#!/usr/bin/env bash
# Median wall time of one login under `wrangler dev` at the configured work factor
# (PASSWORD_HASH_ITERATIONS, default 600,000): N sequential logins (default 30).
source "$(dirname "$0")/lib/devserver.sh"
python3 - "$BASE" "${1:-30}" "${PASSWORD_HASH_ITERATIONS:-600000}" "$SUPERUSER" "$SUPERUSER_PASSWORD" <<'PY'
import statistics, sys, time, urllib.request, urllib.parse
base, n, iterations, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
data = urllib.parse.urlencode({"username": user, "password": password}).encode()
times = []
for _ in range(n + 1):
    t = time.perf_counter()
    with urllib.request.urlopen(urllib.request.Request(f"{base}/api/v1/login/access-token", data=data)) as r:
        assert r.status == 200
        r.read()
    times.append((time.perf_counter() - t) * 1000)
times = times[1:]  # the first login also warms the isolate
print(f"logins: {n} sequential, PBKDF2-HMAC-SHA256 iterations: {iterations}")
print(f"median {statistics.median(times):.0f} ms, min {min(times):.0f} ms, max {max(times):.0f} ms")
PY
