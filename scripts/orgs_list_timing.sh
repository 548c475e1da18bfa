#!/usr/bin/env bash
# Median wall time of GET /api/v1/organizations/ under `wrangler dev` for a user
# who belongs to 50 organizations: N sequential requests (default 30).
PASSWORD_HASH_ITERATIONS=${PASSWORD_HASH_ITERATIONS:-1000}
source "$(dirname "$0")/lib/devserver.sh"
python3 - "$BASE" "${1:-30}" <<'PY'
import json, statistics, sys, time, urllib.request, urllib.parse, uuid
base, n = sys.argv[1], int(sys.argv[2])

def call(method, path, body=None, token=None, form=None):
    data = json.dumps(body).encode() if body is not None else (urllib.parse.urlencode(form).encode() if form else None)
    req = urllib.request.Request(base + path, data=data, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read()), r.headers.get("Server-Timing")

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
print(f"GET /api/v1/organizations/ for a member of 50 organizations, {n} sequential under wrangler dev:")
print(f"median {statistics.median(times):.1f} ms, min {min(times):.1f} ms, max {max(times):.1f} ms; Server-Timing: {timing}")
PY
