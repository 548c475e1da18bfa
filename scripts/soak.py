#!/usr/bin/env python3
"""`make soak`: mixed traffic at 16 connections against the running worker, then
the invariants checked in D1; then the same load with the worker killed and
started again in the middle, and the invariants again.

Settings: SOAK_SECONDS (per phase, default 120), SOAK_CONNECTIONS (16).
Exits non-zero on any response >= 500 or any broken invariant. Prints the
request count and status mix of each phase, and a closing `soak: N passed,
N failed` line (one check per invariant and phase, plus four per phase: no
5xx, no traffic thread died, every connection sent requests, some 200s; and
for the restart phase, 200s again after the restart).
"""
import collections, http.client, json, os, random, socket, subprocess, sys, tempfile, threading, time
import urllib.error, urllib.parse, urllib.request, uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from serve import kill, serve  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(ROOT)
SECONDS = float(os.environ.get("SOAK_SECONDS", "120"))
CONNECTIONS = int(os.environ.get("SOAK_CONNECTIONS", "16"))
ADMIN, ADMIN_PASSWORD = "admin@example.com", "soak-admin-password"
# The resource tables, read from the served document (checked against the
# source's one list by a unit test) once the worker runs.
TABLES = []
AVATAR = "https://cdn.example.com/a.png"


class Worker:
    def __init__(self):
        self.state = tempfile.mkdtemp(prefix="users-orgs-soak-")
        # The first start lets the system pick both ports as they bind (serve.mjs
        # says which); a restart takes the same ones again, as
        # a restarted server keeps its address for the clients still running.
        self.port = self.control = 0
        self.proc = None

    def start(self):
        log = os.path.join(self.state, "worker.log")
        try:
            self.proc, self.base, control = serve(
                self.state, ["ENVIRONMENT=local", "SECRET_KEY=soak-secret-key-0123456789abcdef",
                             "PASSWORD_HASH_ITERATIONS=1000", f"FIRST_SUPERUSER={ADMIN}",
                             f"FIRST_SUPERUSER_PASSWORD={ADMIN_PASSWORD}"],
                # The first start gets the migrated D1; a restart keeps its own.
                port=self.port, control_port=self.control, log=log, migrate=self.port == 0)
        except RuntimeError as e:
            sys.exit(f"soak: {e}:\n" + open(log).read())
        self.port = int(self.base.rsplit(":", 1)[1])
        self.control = int(control.rsplit(":", 1)[1])
        # Both sockets listen: an unknown path touches no D1, the door does.
        self.d1("select 1")
        if call("GET", self.base + "/api/v1/ready-probe")[0] != 404:
            sys.exit("soak: the worker's probe did not answer 404")

    def kill(self):
        kill(self.proc)

    def d1(self, sql):
        req = urllib.request.Request(f"http://127.0.0.1:{self.control}/d1", data=sql.encode(), method="POST")
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read())


def call(method, url, body=None, token=None, form=None, ip=None):
    headers = {}
    data = None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    elif form is not None:
        data, headers["Content-Type"] = urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    headers["CF-Connecting-IP"] = ip or f"198.51.{random.randint(0, 255)}.{random.randint(0, 255)}"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, None


def setup(w):
    """Users (with tokens), organizations with members, and personal resources."""
    base = w.base
    doc = call("GET", base + "/api/v1/openapi.json")[1]
    TABLES.extend(doc["components"]["schemas"]["ResourceMigrationCounts"]["properties"])
    admin = call("POST", base + "/api/v1/login/access-token", form={"username": ADMIN, "password": ADMIN_PASSWORD})[1]["access_token"]
    users = []
    for _ in range(24):
        email = f"soak-{uuid.uuid4().hex}@example.com"
        uid = call("POST", base + "/api/v1/users/signup", {"email": email, "password": "password123"})[1]["id"]
        token = call("POST", base + "/api/v1/login/access-token", form={"username": email, "password": "password123"})[1]["access_token"]
        users.append({"id": uid, "email": email, "token": token})
    orgs = []
    for i in range(8):
        owner = users[i]
        org = call("POST", base + "/api/v1/organizations/", {"name": f"Soak {i}", "avatar_image": AVATAR}, owner["token"])[1]
        orgs.append(org["id"])
        for m in users[8 + 2 * i: 10 + 2 * i]:
            call("POST", base + f"/api/v1/organizations/{org['id']}/members", {"user_id": m["id"]}, owner["token"])
    seeded = 0
    for u in users:
        for t in TABLES[:4]:
            w.d1(f"insert into {t} (id, owner_id, organization_id, name, created_at, updated_at) "
                 f"select lower(hex(randomblob(16))), '{u['id']}', null, 'r' || value, 't', 't' "
                 f"from json_each('[1,2,3,4,5]')")
            seeded += 5
    return admin, users, orgs, seeded


def traffic(base, admin, users, orgs, until, statuses, lock, seen, restarted, down):
    """One connection's loop. `seen` is this thread's own record: its request
    count, the statuses it saw after `restarted` was set, and how it died, if
    it did (an exception other than a dropped connection ends the thread: the
    phase then fails, rather than going on with fewer connections). While
    `down` is set (from just before the worker is killed until it serves
    again), an answer cut off mid-body (`IncompleteRead`) is a dropped
    connection too; at any other time it would be a truncated response."""
    try:
        _traffic(base, admin, users, orgs, until, statuses, lock, seen, restarted, down)
    except Exception as e:  # noqa: BLE001 (any death is reported)
        seen["died"] = f"{type(e).__name__}: {e}"


def _traffic(base, admin, users, orgs, until, statuses, lock, seen, restarted, down):
    rnd = random.Random()
    while time.time() < until:
        u, org = rnd.choice(users), rnd.choice(orgs)
        other = rnd.choice(users)
        op = rnd.randrange(11)
        try:
            if op == 0:
                s = call("GET", base + "/api/v1/users/me", token=u["token"])[0]
            elif op == 1:
                s = call("GET", base + "/api/v1/organizations/", token=u["token"])[0]
            elif op == 2:
                s = call("GET", base + f"/api/v1/organizations/{org}/members", token=u["token"])[0]
            elif op == 3:
                s = call("POST", base + "/api/v1/users/signup",
                         {"email": f"s-{uuid.uuid4().hex}@example.com", "password": "password123"})[0]
            elif op == 4:
                pw = "password123" if rnd.random() < 0.5 else "wrong-password"
                s = call("POST", base + "/api/v1/login/access-token", form={"username": u["email"], "password": pw})[0]
            elif op == 5:
                s = call("POST", base + "/api/v1/organizations/", {"name": "w", "avatar_image": AVATAR}, u["token"])[0]
            elif op == 6:
                s = call("PUT", base + f"/api/v1/organizations/{org}", {"name": f"n{rnd.random()}"}, admin)[0]
            elif op == 7:
                s = call("POST", base + f"/api/v1/organizations/{org}/members", {"user_id": other["id"]}, admin)[0]
            elif op == 8:
                s = call("DELETE", base + f"/api/v1/organizations/{org}/members/{other['id']}", token=admin)[0]
            elif op == 9:
                s = call("PUT", base + f"/api/v1/organizations/{org}", {"owner_id": other["id"]}, admin)[0]
            else:
                body = {"user_id": other["id"], **{f"migrate_{t}": True for t in TABLES[:4]}}
                s = call("POST", base + f"/api/v1/organizations/{org}/migrate-resources", body, admin)[0]
        except (urllib.error.URLError, ConnectionError, socket.timeout, TimeoutError):
            s = "connection error"
            time.sleep(0.05)  # the worker is down: a client backs off rather than spin
        except http.client.IncompleteRead:
            if not down.is_set():
                raise
            s = "connection error"
        with lock:
            statuses[s] += 1
            seen["requests"] += 1
            if restarted.is_set():
                seen["after"][s] += 1


def invariants(w, seeded):
    checks = {
        "every owner is a member":
            "select count(*) as n from organizations o where not exists (select 1 from organization_members m "
            "where m.organization_id = o.id and m.user_id = o.owner_id)",
        "no membership points at a missing user or organization":
            "select count(*) as n from organization_members m where not exists (select 1 from users u where u.id = m.user_id) "
            "or not exists (select 1 from organizations o where o.id = m.organization_id)",
        "every resource's organization exists":
            " + ".join(f"(select count(*) from {t} r where r.organization_id is not null and not exists "
                       f"(select 1 from organizations o where o.id = r.organization_id))" for t in TABLES)
            .join(["select ", " as n"]),
        "no resource was lost or made up (counts match the seed)":
            "select " + " + ".join(f"(select count(*) from {t})" for t in TABLES) + f" - {seeded} as n",
        "the foreign keys hold": "select count(*) as n from pragma_foreign_key_check",
        # the counts the lists answer, kept by triggers (migration 0022), against a walk
        "every organization's member and event counts are its rows":
            "select count(*) as n from organizations o where member_count <> (select count(*) from "
            "organization_members m where m.organization_id = o.id) or event_count <> "
            "(select count(*) from events e where e.organization_id = o.id)",
        "every user's organization count is their memberships":
            "select count(*) as n from users u where organization_count <> "
            "(select count(*) from organization_members m where m.user_id = u.id)",
    }
    failed = []
    for name, sql in checks.items():
        n = w.d1(sql)[0]["n"]
        print(f"  invariant: {name}: {'ok' if n == 0 else f'{n} violations'}")
        if n != 0:
            failed.append(name)
    return len(checks), failed


def phase(name, w, admin, users, orgs, seeded, restart=False):
    statuses, lock = collections.Counter(), threading.Lock()
    restarted, down = threading.Event(), threading.Event()
    until = time.time() + SECONDS
    seen = [{"requests": 0, "after": collections.Counter(), "died": None} for _ in range(CONNECTIONS)]
    threads = [threading.Thread(target=traffic,
                                args=(w.base, admin, users, orgs, until, statuses, lock, seen[i], restarted, down))
               for i in range(CONNECTIONS)]
    for t in threads:
        t.start()
    if restart:
        time.sleep(SECONDS / 2)
        down.set()
        w.kill()
        print(f"  worker killed at {SECONDS / 2:.0f} s; starting it again")
        w.start()
        restarted.set()
        down.clear()
    for t in threads:
        t.join()
    total = sum(statuses.values())
    mix = ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items(), key=lambda kv: str(kv[0])))
    print(f"soak {name}: {total} requests in {SECONDS:.0f} s at {CONNECTIONS} connections; {mix}")
    server_errors = sum(v for k, v in statuses.items() if isinstance(k, int) and k >= 500)
    n, failed = invariants(w, seeded)
    if server_errors:
        failed.append(f"{server_errors} responses >= 500")
    # The traffic itself: every connection lived and sent requests, and the
    # phase saw successes (after the restart too: a worker that came back
    # answering 401 to everything must fail here).
    died = [f"connection {i}: {x['died']}" for i, x in enumerate(seen) if x["died"]]
    if died:
        failed.append(f"{name}: traffic threads died: {'; '.join(died)}")
    idle = [i for i, x in enumerate(seen) if x["requests"] == 0]
    if idle:
        failed.append(f"{name}: connections {idle} sent no request")
    if statuses[200] == 0:
        failed.append(f"{name}: no 200 at all")
    checks = n + 4
    if restart:
        after = sum((x["after"] for x in seen), collections.Counter())
        print(f"  after the restart: {dict(after)}")
        if after[200] == 0:
            failed.append(f"{name}: no 200 after the restart")
        checks += 1
    print(f"  requests per connection: min {min(x['requests'] for x in seen)}, "
          f"max {max(x['requests'] for x in seen)}")
    return checks, failed


def main():
    w = Worker()
    w.start()
    try:
        admin, users, orgs, seeded = setup(w)
        checks, failures = 0, []
        for name, restart in (("steady", False), ("with a restart", True)):
            n, failed = phase(name, w, admin, users, orgs, seeded, restart)
            checks += n
            failures += failed
    finally:
        w.kill()
        subprocess.run(["rm", "-rf", w.state])
    for f in failures:
        print(f"soak: FAILED: {f}")
    print(f"soak: {checks - len(failures)} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
