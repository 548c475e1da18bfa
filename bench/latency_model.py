#!/usr/bin/env python3
"""A latency model for clients around the world, with and without D1 read replicas.

p50 = edge + local + trips x (to the database)

- edge: the client's round trip to its nearest Cloudflare location (assumed 20 ms;
  Cloudflare gives "about 50 ms from about 95% of the world's Internet-connected
  population" as an upper figure, https://www.cloudflare.com/network/).
- local: the request's p50 measured by `make bench` at 2 connections (worker and local
  D1 together, read from bench/results.md).
- trips: its D1 round trips (Server-Timing, also in bench/results.md).
- to the database: without replicas, the round trip from the client's region to the
  primary (here in Western Europe, Frankfurt); with replicas, a read goes to the
  replica in the client's region (assumed 5 ms), a write still to the primary.

Inter-region round trips: "Latency Between AWS Global Regions", average ms from EU
(Frankfurt), as tabulated at
https://acomputerscientistlearnsaws.blogspot.com/2017/04/aws-regions.html (2017; AWS
regions stand in for D1's location hints, which are near them).

Writes the "## Latency model" section of bench/results.md."""
import os, re, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402

EDGE_MS, REPLICA_MS = 20, 5
# client region (D1 location hint, AWS site): round trip to Frankfurt, ms
REGIONS = [
    ("Western Europe (weur; Ireland)", 19.6),
    ("Eastern North America (enam; N. Virginia)", 88.6),
    ("Western North America (wnam; N. California)", 166.6),
    ("Northeast Asia (apac; Tokyo)", 236.5),
    ("Southeast Asia (apac; Singapore)", 325.9),
    ("Oceania (oc; Sydney)", 323.5),
]
REQUESTS = [  # (label in bench/results.md, shown as, is a write)
    ("GET /api/v1/users/me", "GET /users/me", False),
    ("GET /api/v1/users/?limit=10", "GET /users/?limit=10", False),
    ("GET /api/v1/organizations/ (50 orgs)", "GET /organizations/", False),
]


def measured():
    """(p50 ms at 2 connections, round trips) per request, from make bench's table."""
    text = open(run.RESULTS).read()
    out = {}
    for label, _, _ in REQUESTS:
        m = re.search(rf"\| `{re.escape(label)}` \| 2 \| [\d.]+ \([\d.]+–[\d.]+\) \| ([\d.]+) \| [\d.]+ \| (\d+) \|", text)
        if not m:
            sys.exit(f"latency model: no measurement of {label} in {run.RESULTS}: run make bench first")
        out[label] = (float(m.group(1)), int(m.group(2)))
    return out


def main():
    local = measured()
    # a write: PATCH /users/me is two round trips (the caller, then the update), both at the primary
    write_local, write_trips = local["GET /api/v1/users/me"][0], 2
    lines = [
        "## Latency model",
        "",
        "Modelled p50 in ms for a client in each region, with the primary in Western Europe, without",
        "and with D1 read replicas (`bench/latency_model.py`): the client's round trip to its Cloudflare",
        f"location ({EDGE_MS} ms assumed), the request's p50 measured by `make bench`, and one round trip",
        f"to the database per D1 round trip: to the primary (published inter-region figures), or to the",
        f"replica in the client's region ({REPLICA_MS} ms assumed) for a read. Writes always go to the",
        "primary. Sources and assumptions are in the script; figures rounded to 5 ms.",
        "",
        "| client region | to primary | " + " | ".join(f"`{shown}` without / with replicas" for _, shown, _ in REQUESTS)
        + " | `PATCH /users/me` (any) |",
        "|---|---:|" + "---:|" * len(REQUESTS) + "---:|",
    ]
    r5 = lambda x: int(5 * round(x / 5))
    for region, rtt in REGIONS:
        cells = []
        for label, _, _ in REQUESTS:
            p50, trips = local[label]
            cells.append(f"{r5(EDGE_MS + p50 + trips * rtt)} / {r5(EDGE_MS + p50 + trips * REPLICA_MS)}")
        write = r5(EDGE_MS + write_local + write_trips * rtt)
        lines.append(f"| {region} | {rtt:.0f} | " + " | ".join(cells) + f" | {write} |")
    lines += [
        "",
        "A client that sends back its last `X-D1-Bookmark` reads from its region's replica once the",
        "replica has caught up with that bookmark; right after its own write, D1 may serve the read",
        "from the primary instead, so the first read after a write can cost the left-hand figure.",
        "",
    ]
    run.write_results(section="\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
