#!/usr/bin/env python3
"""Reads compared request by request: the seed of `make bench`, one server, and
the paths given, each requested in turn one at a time (the first path of each
turn moves on by one), so that a slow spell of the machine falls on every path
alike. Reports each path's median time and its difference from the first path's,
and the ratio of their rates. Small differences (0.01 ms) show after a few
thousand requests each, where wrk runs of a row at a time move by 20 % on this
machine: the LIMIT that SQLite compiled twice (`crate::db`) was found this way,
with variants of one list picked by a query parameter in a scratch build.

    BENCH_SCRIPT=bench/pair.py bench/run.sh /api/v1/users/me admin:/api/v1/users/?limit=10

A path is requested as the bench user, or as the superuser with `admin:` before
it. BENCH_REQUESTS (default 4000) per path, after 200 to warm up; the server's
environment takes BENCH_ENV (`NAME=value` pairs, space-separated). Writes nothing
to bench/results.md."""
import http.client, os, shutil, signal, statistics, sys, time, urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import floor, run  # noqa: E402  (the floor's seed and server; make bench's helpers)

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "4000"))
WARM_UP = 200


def main():
    paths = sys.argv[1:]
    if not paths:
        sys.exit(__doc__)
    state = floor.seeded_state()
    server, base, _ = floor.start(state, os.environ.get("BENCH_ENV", "").split())
    try:
        tokens = {False: run.login(base, run.BENCH_EMAIL, run.BENCH_PASSWORD),
                  True: run.login(base, run.ADMIN_EMAIL, run.ADMIN_PASSWORD)}
        reads = []
        for p in paths:
            admin = p.startswith("admin:")
            path = p.removeprefix("admin:")
            reads.append((p, path, {"Authorization": f"Bearer {tokens[admin]}"}))
        url = urllib.parse.urlparse(base)
        conn = http.client.HTTPConnection(url.hostname, url.port)
        times = {p: [] for p, *_ in reads}
        for i in range(WARM_UP + REQUESTS):
            k = i % len(reads)
            for name, path, headers in reads[k:] + reads[:k]:
                start = time.perf_counter()
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                took = (time.perf_counter() - start) * 1000
                if response.status >= 400:
                    sys.exit(f"pair: {name} answered {response.status}")
                if i >= WARM_UP:
                    times[name].append(took)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(state, True)
    first = statistics.median(times[paths[0]])
    print(f"{REQUESTS} requests of each path, in turn, one at a time; medians")
    for name in paths:
        median = statistics.median(times[name])
        print(f"{median:8.4f} ms  {median - first:+8.4f} ms  {first / median:6.3f}x  {name}")


if __name__ == "__main__":
    main()
