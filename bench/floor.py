#!/usr/bin/env python3
"""Reads against the runtime's floor (issue 34): the same seed as `make bench`, two
servers on copies of it (the caller cache off, and `CALLER_CACHE_SECONDS=1`), and wrk at
2 connections over each read, in rounds. A round gives every row its 10 s in 5 slices of
2 s, taken row after row (slice 1 of every row, then slice 2..., every other slice in the
reverse order; `run.sliced`): so a slow spell of the machine, which on this VM moves one
row's rate by 20 % from one minute to the next, falls on every row of the round alike, and
the ratios compare rates measured side by side. Reports each row's median and range of req/s and each goal's ratio run by
run, and writes the "Reads at the floor" section of bench/results.md. `make bench` runs
it; alone: `BENCH_SCRIPT=bench/floor.py bench/run.sh`."""
import os, shutil, signal, statistics, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (make bench's helpers: seed, serve, login, wrk)

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SLICES = int(os.environ.get("BENCH_SLICES", "5"))


def seeded_state():
    state = tempfile.mkdtemp(prefix="users-orgs-floor-")
    env = {**os.environ, "CI": "true"}
    subprocess.run([run.WRANGLER, "d1", "migrations", "apply", "DB", "--local", "--persist-to", state],
                   check=True, capture_output=True, env=env)
    seed = os.path.join(state, "seed.sql")
    with open(seed, "w") as f:
        f.write(run.seed_sql())
    subprocess.run([run.WRANGLER, "d1", "execute", "DB", "--local", "--persist-to", state, "--file", seed],
                   check=True, capture_output=True, env=env)
    return state


def start(state, more):
    iterations = os.environ.get("PASSWORD_HASH_ITERATIONS", "600000")
    return run.serve(state, ["ENVIRONMENT=local", f"SECRET_KEY={run.BENCH_SECRET}",
                             f"PASSWORD_HASH_ITERATIONS={iterations}", *more])


def main():
    plain = seeded_state()
    cached = plain + "-cached"
    shutil.copytree(plain, cached)
    servers = []
    try:
        off, base_off, _ = start(plain, [])
        servers.append(off)
        on, base_on, _ = start(cached, ["CALLER_CACHE_SECONDS=1"])
        servers.append(on)
        user = run.login(base_off, run.BENCH_EMAIL, run.BENCH_PASSWORD)
        admin = run.login(base_off, run.ADMIN_EMAIL, run.ADMIN_PASSWORD)
        user_on = run.login(base_on, run.BENCH_EMAIL, run.BENCH_PASSWORD)
        rows = [
            ("no D1 (an unknown path: 404)", base_off, "/api/v1/nope", None),
            ("health check (one D1 round trip)", base_off, "/api/v1/utils/health-check/", None),
            ("`GET /users/me`", base_off, "/api/v1/users/me", user),
            ("`GET /users/me`, `CALLER_CACHE_SECONDS=1`", base_on, "/api/v1/users/me", user_on),
            ("no D1 (404), `CALLER_CACHE_SECONDS=1` server", base_on, "/api/v1/nope", None),
            ("`GET /organizations/` (a member of 50)", base_off, "/api/v1/organizations/", user),
            ("`GET /users/?limit=10` (superuser)", base_off, "/api/v1/users/?limit=10", admin),
        ]
        only = os.environ.get("BENCH_ROWS")  # a quick look at some rows: names holding this text
        if only:
            rows = [row for row in rows if any(o in row[0] for o in only.split(","))]
        rps = {name: [] for name, *_ in rows}
        for i in range(ROUNDS):
            # Each row warms up once, before its first slice of the first round.
            reads = [(base + path, token) for _, base, path, token in rows]
            results = run.sliced(reads, 2, SLICES, warm_up=i == 0)
            for (name, *_), r in zip(rows, results):
                if r["errors"] and "404" not in name:
                    sys.exit(f"floor: {name} failed {r['failed']}")
                rps[name].append(r["rps"])
                print(f"round {i + 1} {name:48} {rps[name][-1]:8.1f} req/s", flush=True)
    finally:
        for s in servers:
            os.killpg(s.pid, signal.SIGTERM)
            s.wait(timeout=30)
        shutil.rmtree(plain, True)
        shutil.rmtree(cached, True)

    def ratio(a, b, goal):
        r = sorted(x / y for x, y in zip(rps[a], rps[b]))
        verdict = "met" if r[0] >= goal else "met at the median" if statistics.median(r) >= goal else "not met"
        return f"median {statistics.median(r):.2f}x, range {r[0]:.2f}–{r[-1]:.2f}x (goal ≥ {goal}x: {verdict})"

    lines = [
        "## Reads at the floor",
        "",
        f"`BENCH_SCRIPT=bench/floor.py bench/run.sh` (run by `make bench`): the seed of `make bench`, two servers",
        "on copies of it (the caller cache off, and `CALLER_CACHE_SECONDS=1`), wrk at 2 connections for "
        f"{run.DURATION} per row and round,",
        f"in {SLICES} slices taken row after row (every other slice in the reverse order); {ROUNDS} rounds.",
        "",
        "| read | req/s median | range |",
        "|---|---:|---|",
    ]
    for name, *_ in rows:
        v = sorted(rps[name])
        lines.append(f"| {name} | {statistics.median(v):.1f} | {v[0]:.1f}–{v[-1]:.1f} |")
    if only:
        print("\n".join(lines))
        return
    me, cache = "`GET /users/me`", "`GET /users/me`, `CALLER_CACHE_SECONDS=1`"
    lines += [
        "",
        "| goal (ratios of req/s, round by round) | measured |",
        "|---|---|",
        f"| cached `/users/me` ÷ the no-D1 route of the same server | {ratio(cache, 'no D1 (404), `CALLER_CACHE_SECONDS=1` server', 0.9)} |",
        f"| `/users/me` ÷ health check | {ratio(me, 'health check (one D1 round trip)', 0.9)} |",
        f"| a member's 50 organizations ÷ `/users/me` | {ratio('`GET /organizations/` (a member of 50)', me, 0.8)} |",
        f"| `GET /users/?limit=10` ÷ `/users/me` | {ratio('`GET /users/?limit=10` (superuser)', me, 0.9)} |",
        "",
    ]
    run.write_results(section="\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
