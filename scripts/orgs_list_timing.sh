#!/usr/bin/env bash
# Median wall time of GET /api/v1/organizations/ (worker under Miniflare) for a user
# who belongs to 50 organizations: N sequential requests (default 30).
PASSWORD_HASH_ITERATIONS=${PASSWORD_HASH_ITERATIONS:-1000}
source "$(dirname "$0")/lib/devserver.sh"
PYTHONPATH=scripts/lib python3 - "$BASE" "${1:-30}" <<'PY'
import statistics, sys, time, uuid
from api import client
base, n = sys.argv[1], int(sys.argv[2])

call = client(base)

email = f"orgs-{uuid.uuid4().hex}@example.com"
call("POST", "/api/v1/users/signup", {"email": email, "password": "password123"})
token = call("POST", "/api/v1/login/access-token", form={"username": email, "password": "password123"})[0]["access_token"]
for i in range(50):
    call("POST", "/api/v1/organizations/", {"name": f"Org {i}", "avatar_image": "https://cdn.example.com/a.png"}, token)
times = []
for _ in range(n + 1):
    t = time.perf_counter()
    body, timing = call("GET", "/api/v1/organizations/", token=token)
    times.append((time.perf_counter() - t) * 1000)
assert body["count"] == 50 and len(body["data"]) == 50
times = times[1:]
print(f"GET /api/v1/organizations/ for a member of 50 organizations, {n} sequential (worker under Miniflare):")
print(f"median {statistics.median(times):.1f} ms, min {min(times):.1f} ms, max {max(times):.1f} ms; Server-Timing: {timing}")
PY
