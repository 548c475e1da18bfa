#!/usr/bin/env python3
"""`make bench-scale`: the release build on a D1 seeded with SQL (no API calls) with
100,000 users, 20,000 organizations (one user a member of 50, one organization with every
user a member and 100,000 events) and 1,000,000 resource rows across the 13 tables; wrk per read endpoint, rows read per request (Server-Timing),
bytes per row (page count × page size, D1's `size_after`, before and after each part of the seed), and
`migrate-resources` of a user who owns 100,000 rows of every type. Beside it, a second server
on the same shape at a hundredth of the size (1,000 users, 200 organizations, the member of 50
and the organization of every user with its 1,000 events): each read runs on both in turn, and
its ratio at scale ÷ small is issue 34's goal (≥ 0.8x). Writes the "At scale" section of
bench/results.md (the rest of the file is `make bench`'s)."""
import json, os, signal, statistics, subprocess, sys, tempfile, time, urllib.error, urllib.parse, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (make bench's helpers: http, login, wrk, phc, serve)

USERS, ORGS, MEMBER_OF, RESOURCE_ROWS, MIGRATED_PER_TYPE = 100_000, 20_000, 50, 1_000_000, 100_000
SMALL = 100  # the small set: every count a hundredth (but the member's 50 organizations)
ITERATIONS = 1000  # the bench measures reads; hashing is make bench's
TABLES = ["products", "subjects", "styles", "generations", "shootings", "shot_types", "stylists",
          "background_presets", "resolution_presets", "product_type_shot_types", "external_integrations",
          "shooting_guidelines", "export_configurations"]
BENCH_ID, ADMIN_ID, MOVER_ID = (f"00000000-0000-4000-8000-{n:012d}" for n in (900_000_001, 900_000_002, 900_000_003))
MARK = "## At scale"
BIG = 2  # the organization every user is a member of, with EVENTS events
EVENTS = 100_000


def shape(divisor):
    """The seed's counts at 1/`divisor` of the full size."""
    return {"users": USERS // divisor, "orgs": ORGS // divisor, "events": EVENTS // divisor,
            "resource_rows": RESOURCE_ROWS // divisor, "migrated": MIGRATED_PER_TYPE // divisor}


def uid(expr):
    """SQL for the id of user number `expr` (1-based)."""
    return f"printf('00000000-0000-4000-8000-%012d', {expr})"


def oid(expr):
    return f"printf('10000000-0000-4000-8000-%012d', {expr})"


def at(expr):
    """Distinct times, one second apart, in 2024: newest is the highest number."""
    return f"strftime('%Y-%m-%dT%H:%M:%S.000000Z', 1704067200 + ({expr}), 'unixepoch')"


def numbers(n):
    return f"with recursive n(i) as (select 1 union all select i + 1 from n where i < {n})"


def seed_steps(n):
    """The seed in steps, `n` its counts (`shape`)."""
    users, orgs, events = n["users"], n["orgs"], n["events"]
    h = run.phc(run.BENCH_PASSWORD, b"bench-salt-16byt", ITERATIONS)
    admin = run.phc(run.ADMIN_PASSWORD, b"bench-admin-salt", ITERATIONS)
    now = "2025-01-01T00:00:00.000000Z"
    yield "users", users + 3, [
        f"{numbers(users)} insert into users (id, email, email_key, hashed_password, full_name, name_key, "
        f"password_changed_at, created_at, updated_at) select {uid('i')}, 'user' || i || '@example.com', "
        f"'user' || i || '@example.com', '{h}', 'User ' || i, 'user ' || i, 0, {at('i')}, {at('i')} from n",
        f"insert into users (id, email, email_key, hashed_password, full_name, name_key, is_superuser, "
        f"password_changed_at, created_at, updated_at) values "
        f"('{BENCH_ID}', '{run.BENCH_EMAIL}', '{run.BENCH_EMAIL}', '{h}', 'Bench User', 'bench user', 0, 0, '{now}', '{now}'), "
        f"('{ADMIN_ID}', '{run.ADMIN_EMAIL}', '{run.ADMIN_EMAIL}', '{admin}', null, null, 1, 0, '{now}', '{now}'), "
        f"('{MOVER_ID}', 'mover@example.com', 'mover@example.com', '{h}', 'Mover', 'mover', 0, 0, '{now}', '{now}')",
    ]
    yield "organizations", orgs, [
        f"{numbers(orgs)} insert into organizations (id, name, name_key, owner_id, created_at, updated_at) "
        f"select {oid('i')}, 'Org ' || i, 'org ' || i, {uid('i')}, {at('i')}, {at('i')} from n",
    ]
    yield "memberships", orgs * 2 + MEMBER_OF + 1 + users - 2, [
        f"{numbers(orgs)} insert into organization_members (organization_id, user_id, joined_at, role) "
        f"select {oid('i')}, {uid('i')}, {at('i')}, 'owner' from n",
        # a second member in every organization, and the bench user in 50 of them
        f"{numbers(orgs)} insert into organization_members (organization_id, user_id, joined_at, role) "
        f"select {oid('i')}, {uid(f'i + {orgs}')}, {at('i')}, 'member' from n",
        f"{numbers(MEMBER_OF)} insert into organization_members (organization_id, user_id, joined_at, role) "
        f"select {oid(f'i * {orgs // MEMBER_OF}')}, '{BENCH_ID}', {at('i')}, 'member' from n",
        # the mover is a member of the organization its rows move to
        f"insert into organization_members (organization_id, user_id, joined_at, role) "
        f"values ({oid(1)}, '{MOVER_ID}', '{now}', 'member')",
        # every user in one organization (its owner and second member are already)
        f"{numbers(users)} insert into organization_members (organization_id, user_id, joined_at, role) "
        f"select {oid(BIG)}, {uid('i')}, {at('i')}, 'member' from n where i not in ({BIG}, {BIG + orgs})",
    ]
    yield "events", events, [
        f"{numbers(events)} insert into events (id, type, occurred_at, organization_id, actor_type, actor_id, "
        f"subject_type, subject_id, data) select 'e-' || i, 'organization.updated', {at('i')}, {oid(BIG)}, "
        f"'user', {uid(BIG)}, 'organization', {oid(BIG)}, '{{\"name\":\"Org ' || i || '\"}}' from n",
    ]
    per = n["resource_rows"] // len(TABLES)
    # a third of the rows belong to an organization, the rest are personal
    yield "resource rows", per * len(TABLES), [
        f"{numbers(per)} insert into {t} (id, owner_id, organization_id, name, created_at, updated_at) "
        f"select '{k:02d}-' || i, {uid(f'1 + i % {users}')}, case when i % 3 = 0 then {oid(f'1 + i % {orgs}')} end, "
        f"'{t} ' || i, {at('i')}, {at('i')} from n"
        for k, t in enumerate(TABLES)
    ]
    yield "sessions", users, [
        f"{numbers(users)} insert into sessions (id, user_id, created_at, last_used_at, expires_at) "
        f"select 's-' || i, {uid('i')}, {at('i')}, {at('i')}, 4102444800 from n",
    ]
    yield "mover's rows", n["migrated"] * len(TABLES), [
        f"{numbers(n['migrated'])} insert into {t} (id, owner_id, organization_id, name, created_at, updated_at) "
        f"select 'm{k:02d}-' || i, '{MOVER_ID}', null, '{t} ' || i, {at('i')}, {at('i')} from n"
        for k, t in enumerate(TABLES)
    ]


def door(control, sql):
    _, out = run.http("POST", f"{control}/d1", sql.encode())
    return json.loads(out)


def db_bytes(control):
    """Page count times page size: D1 refuses PRAGMA page_count, and reports the
    same figure as every result's `size_after`."""
    return json.loads(run.http("POST", f"{control}/size")[1])["bytes"]


def seeded_server(n):
    """A server on its own local D1 seeded with counts `n`: the process, its URL,
    its control door, its state folder, and each seed step's size and time."""
    state = tempfile.mkdtemp(prefix="users-orgs-scale-")
    subprocess.run([run.WRANGLER, "d1", "migrations", "apply", "DB", "--local", "--persist-to", state],
                   check=True, capture_output=True, env={**os.environ, "CI": "true"})
    server, base, control = run.serve(state, ["ENVIRONMENT=local", "SECRET_KEY=bench-secret-key",
                               "ACCESS_TOKEN_EXPIRE_MINUTES=11520", f"PASSWORD_HASH_ITERATIONS={ITERATIONS}",
                               "LOGIN_FAILURE_LIMIT=0", "LOGIN_EMAIL_FAILURE_LIMIT=0", "LOGIN_IP_FAILURE_LIMIT=0"],
                                      control=True)
    sizes = []
    before = db_bytes(control)
    for name, count, statements in seed_steps(n):
        t = time.perf_counter()
        for sql in statements:
            door(control, sql)
        seconds = time.perf_counter() - t
        after = db_bytes(control)
        sizes.append((name, count, after - before, seconds))
        print(f"seeded {name}: {count:,} rows, {(after - before) / count:.0f} bytes each, {seconds:.1f} s", flush=True)
        before = after
    return server, base, control, state, sizes, before


def targets(base, n):
    """The reads measured, with the token each needs, on the server at `base`
    seeded with counts `n`."""
    admin = run.login(base, run.ADMIN_EMAIL, run.ADMIN_PASSWORD)
    user = run.login(base, run.BENCH_EMAIL, run.BENCH_PASSWORD)
    mine = json.loads(run.http("GET", f"{base}/api/v1/organizations/",
                               headers={"Authorization": f"Bearer {user}"})[1])
    assert mine["count"] == MEMBER_OF, mine["count"]
    step = n["users"] // 100
    page = json.loads(run.http("GET", base + f"/api/v1/users/?limit={step}", headers={"Authorization": f"Bearer {admin}"})[1])
    for _ in range(49):  # half of the users deep
        page = json.loads(run.http("GET", base + f"/api/v1/users/?limit={step}&cursor={page['next_cursor']}",
                                   headers={"Authorization": f"Bearer {admin}"})[1])
    deep = f"/api/v1/users/?limit=10&cursor={page['next_cursor']}"
    big = "10000000-0000-4000-8000-%012d" % BIG
    return [
        ("GET /api/v1/users/me", "/api/v1/users/me", user),
        ("GET /api/v1/users/?limit=10", "/api/v1/users/?limit=10", admin),
        ("GET /api/v1/users/?limit=10, a cursor half of the users deep", deep, admin),
        ("GET /api/v1/users/?search=user4242&limit=10", "/api/v1/users/?search=user4242&limit=10", admin),
        ("GET /api/v1/users/?search=42&limit=10 (two characters)", "/api/v1/users/?search=42&limit=10", admin),
        ("GET /api/v1/organizations/ (a member of 50)", "/api/v1/organizations/", user),
        ("GET /api/v1/organizations/?limit=10 (superuser)", "/api/v1/organizations/?limit=10", admin),
        ("GET /api/v1/organizations/?search=org 777", "/api/v1/organizations/?search=org%20777", admin),
        ("GET /api/v1/organizations/?search=7&limit=10 (one character)", "/api/v1/organizations/?search=7&limit=10", admin),
        ("GET /api/v1/organizations/{id}/members?limit=10 (every user)", f"/api/v1/organizations/{big}/members?limit=10", admin),
        ("GET /api/v1/organizations/{id}/events?limit=10 (as many as users)", f"/api/v1/organizations/{big}/events?limit=10", admin),
    ]


def main():
    full, small = shape(1), shape(SMALL)
    servers = []
    try:
        server, base, control, state, sizes, total_bytes = seeded_server(full)
        servers.append((server, state))
        seed_seconds = sum(s for *_, s in sizes)
        small_server, small_base, _, small_state, _, _ = seeded_server(small)
        servers.append((small_server, small_state))
        big_targets, small_targets = targets(base, full), targets(small_base, small)
        pairs = list(zip(big_targets, small_targets))
        costs = [(run.cost(base, path, token), run.cost(small_base, small_path, small_token)[1])
                 for (_, path, token), (_, small_path, small_token) in pairs]
        # Each read on the small set and at scale side by side, in slices taken
        # in turn (run.sliced), so that a slow spell of the machine falls
        # on both alike; at 2 connections in rounds (each round runs every row
        # once), as the goal is judged, at 16 once.
        runs = {}
        for rnd in range(run.ROUNDS):
            for i, ((name, path, token), (_, small_path, small_token)) in enumerate(pairs):
                for c in (2, 16) if rnd == 0 else (2,):
                    s, r = run.sliced([(small_base + small_path, small_token), (base + path, token)], c)
                    runs.setdefault((i, c), []).append((r, s))
                    print(f"round {rnd + 1} {name:60} c={c:<3} {r['rps']:8.1f} req/s (small: {s['rps']:8.1f}, "
                          f"{r['rps'] / s['rps']:.2f}x)  p50 {r['p50']:7.2f} ms  failed {r['errors']}", flush=True)
        rows = []
        for i, (name, *_) in enumerate(big_targets):
            (trips, read), small_read = costs[i]
            for c in (2, 16):
                rows.append((name, c, runs[(i, c)], trips, read, small_read))
        admin = run.login(base, run.ADMIN_EMAIL, run.ADMIN_PASSWORD)

        # migrate-resources of a user who owns 100,000 rows of every type: one batch
        body = json.dumps({"user_id": MOVER_ID, **{f"migrate_{t}": True for t in TABLES}}).encode()
        t = time.perf_counter()
        req = urllib.request.Request(f"{base}/api/v1/organizations/{'10000000-0000-4000-8000-000000000001'}/migrate-resources",
                                     data=body, method="POST",
                                     headers={"Authorization": f"Bearer {admin}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=600) as r:
                status, out, timing = r.status, r.read().decode(), r.headers["Server-Timing"]
        except urllib.error.HTTPError as e:
            status, out, timing = e.code, e.read().decode(), e.headers.get("Server-Timing", "")
        migrate_seconds = time.perf_counter() - t
        moved = door(control, f"select count(*) as n from products where owner_id = '{MOVER_ID}' and organization_id is not null")[0]["n"]
        print(f"migrate-resources: {status} in {migrate_seconds:.1f} s, {timing}, products moved {moved}", flush=True)
    finally:
        for server, state in servers:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)
            subprocess.run(["rm", "-rf", state])

    lines = [
        MARK,
        "",
        f"`make bench-scale` on {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}: the same release build and server,",
        f"local D1 seeded with SQL in {seed_seconds:.0f} s: {USERS:,} users, {ORGS:,} organizations (two members each, one",
        f"user in {MEMBER_OF}, and one with every user and {EVENTS:,} events), {RESOURCE_ROWS:,} resource rows across the",
        f"13 tables, {USERS:,} sessions, and one user owning",
        f"{MIGRATED_PER_TYPE:,} personal rows of every type. Beside it, the small set: the same shape at a",
        f"hundredth of the size ({small['users']:,} users, {small['orgs']:,} organizations, the member of {MEMBER_OF}, the",
        f"organization of every user with {small['events']:,} events). wrk {run.DURATION} per row after a 2 s warm-up, each",
        f"read on the small set and at scale side by side, in 5 slices of it taken in turn: at 2 connections in {run.ROUNDS} rounds (each running every row",
        "once; medians, and the range of the ratios round by round), at 16 connections once.",
        "",
        "| endpoint | connections | req/s | small set | at scale ÷ small (goal ≥ 0.8x) | p50 ms | p99 ms | D1 round trips | rows read (small set) | failed |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    median = statistics.median
    for n, c, pairs_run, trips, read, small_read in rows:
        ratios = sorted(r["rps"] / s["rps"] for r, s in pairs_run)
        spread = f" ({ratios[0]:.2f}–{ratios[-1]:.2f}x)" if len(ratios) > 1 else ""
        lines.append(
            f"| `{n}` | {c} | {median([r['rps'] for r, _ in pairs_run]):.1f} | "
            f"{median([s['rps'] for _, s in pairs_run]):.1f} | {median(ratios):.2f}x{spread} | "
            f"{median([r['p50'] for r, _ in pairs_run]):.2f} | {median([r['p99'] for r, _ in pairs_run]):.2f} | "
            f"{trips} | {read} ({small_read}) | {sum(r['errors'] for r, _ in pairs_run)} |")
    lines += [
        "",
        "Bytes per row, from the database size (page count × page size; D1 refuses `PRAGMA page_count`",
        "and reports the same as `size_after`) before and after each part of the seed (indexes, the",
        "FTS5 trigram index and the counters included):",
        "",
        "| rows | count | bytes each | seeded in |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {n} | {c:,} | {b / c:.0f} | {s:.1f} s |" for n, c, b, s in sizes]
    lines += [
        "",
        f"Whole database: {total_bytes / 2**20:.0f} MiB.",
        "",
        f"`migrate-resources` of the user with {MIGRATED_PER_TYPE:,} rows of each of the 13 types (all 13 selected),",
        f"as one D1 batch: {status} in {migrate_seconds:.1f} s; `Server-Timing`: `{timing}`; products moved: {moved:,}.",
        "",
    ]
    run.write_results(section="\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
