#!/usr/bin/env bash
# Wall time of POST /organizations/{id}/migrate-resources (worker under Miniflare):
# 10,000 personal rows spread over all 13 types, then 50,000 products.
PASSWORD_HASH_ITERATIONS=${PASSWORD_HASH_ITERATIONS:-1000}
source "$(dirname "$0")/lib/devserver.sh"
PYTHONPATH=scripts/lib python3 - "$BASE" "$SUPERUSER" "$SUPERUSER_PASSWORD" "$CONTROL_PORT" <<'PY'
import sys, time, urllib.request, uuid
from api import client
base, user, password, control_port = sys.argv[1:5]

api_call = client(base)

def call(*args, **kwargs):
    return api_call(*args, **kwargs)[0]

# The resource tables, in the order the served document (checked against the
# source's one list by a unit test) gives them.
TABLES = list(call("GET", "/api/v1/openapi.json")["components"]["schemas"]["ResourceMigrationCounts"]["properties"])

def d1(sql):
    urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{control_port}/d1", data=sql.encode()))

def seed(table, owner, n):
    return (f"insert into {table} (id, owner_id, organization_id, name, created_at, updated_at) "
            f"with recursive k(i) as (select 1 union all select i + 1 from k where i < {n}) "
            f"select lower(hex(randomblob(16))), '{owner}', null, 'r' || i, 't', 't' from k;")

admin = call("POST", "/api/v1/login/access-token", form={"username": user, "password": password})["access_token"]

def scenario(name, rows_by_table):
    email = f"m-{uuid.uuid4().hex}@example.com"
    u = call("POST", "/api/v1/users/signup", {"email": email, "password": "password123"})
    org = call("POST", "/api/v1/organizations/", {"name": name, "avatar_image": "https://x.example.com/a.png"}, admin)
    call("POST", f"/api/v1/organizations/{org['id']}/members", {"user_id": u["id"]}, admin)
    d1(" ".join(seed(t, u["id"], n) for t, n in rows_by_table.items()))
    body = {"user_id": u["id"], **{f"migrate_{t}": True for t in rows_by_table}}
    t0 = time.perf_counter()
    r = call("POST", f"/api/v1/organizations/{org['id']}/migrate-resources", body, admin)
    ms = (time.perf_counter() - t0) * 1000
    assert r["total_migrated"] == sum(rows_by_table.values()), r
    print(f"{name}: moved {r['total_migrated']} rows in {ms:.0f} ms (one request, one D1 batch)")

spread = {t: 10_000 // 13 + (1 if i < 10_000 % 13 else 0) for i, t in enumerate(TABLES)}
scenario("10,000 rows over 13 types", spread)
scenario("50,000 products", {"products": 50_000})
PY
