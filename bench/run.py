#!/usr/bin/env python3
"""Runs the benchmark described in bench/run.sh and writes bench/results.md."""
import atexit, base64, gzip, hashlib, hmac, json, os, re, shutil, signal, statistics, struct, subprocess, sys, tempfile, threading, time
import urllib.error, urllib.parse, urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "lib"))
from serve import serve as _serve, stop  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(ROOT)
WRANGLER = "node_modules/.bin/wrangler"
ITERATIONS = int(os.environ.get("PASSWORD_HASH_ITERATIONS", "600000"))
DURATION = os.environ.get("BENCH_DURATION", "10s")
BENCH_EMAIL, BENCH_PASSWORD = "bench@example.com", "bench-password-1"
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@example.com", "bench-admin-password"
PBKDF2_GOAL = 1.5
BENCH_SECRET = "bench-secret-key"


def serve(state, env, control=False):
    """scripts/lib/serve.py's serve: the server, its URL and its control door's
    URL (or None), once it is ready."""
    try:
        return _serve(state, env, control_port=0 if control else None)
    except RuntimeError as e:
        sys.exit(f"bench: {e}")


def phc(password, salt, iterations):
    dk = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations, 32)
    b64 = lambda b: base64.b64encode(b).decode().rstrip("=")
    return f"$pbkdf2-sha256$i={iterations},l=32${b64(salt)}${b64(dk)}"


def seed_sql():
    """1,000 users (one of them in 50 organizations), in one file."""
    now = "2026-01-01T00:00:00.000000Z"
    h = phc(BENCH_PASSWORD, b"bench-salt-16byt", ITERATIONS)
    lines, bench_id = [], "00000000-0000-4000-8000-000000000001"
    lines.append(f"insert into users (id, email, email_key, hashed_password, full_name, name_key, password_changed_at, created_at, updated_at) "
                 f"values ('{bench_id}', '{BENCH_EMAIL}', '{BENCH_EMAIL}', '{h}', 'Bench User', 'bench user', 0, '{now}', '{now}');")
    # The first superuser exists already, as on any deployment after its first
    # request: the start-up figure then measures no password hashing.
    admin = phc(ADMIN_PASSWORD, b"bench-admin-salt", ITERATIONS)
    lines.append(f"insert into users (id, email, email_key, hashed_password, is_superuser, password_changed_at, created_at, updated_at) "
                 f"values ('00000000-0000-4000-8000-100000000000', '{ADMIN_EMAIL}', '{ADMIN_EMAIL}', '{admin}', 1, 0, '{now}', '{now}');")
    for start in range(2, 1001, 100):  # D1 caps the length of one statement
        values = ",".join(
            f"('00000000-0000-4000-8000-{i:012d}', 'user{i}@example.com', 'user{i}@example.com', '{h}', 'User {i}', 'user {i}', 0, '{now}', '{now}')"
            for i in range(start, min(start + 100, 1001)))
        lines.append(f"insert into users (id, email, email_key, hashed_password, full_name, name_key, password_changed_at, created_at, updated_at) values {values};")
    for j in range(50):
        org, media, owner = f"10000000-0000-4000-8000-{j:012d}", f"20000000-0000-4000-8000-{j:012d}", f"00000000-0000-4000-8000-{j + 2:012d}"
        lines.append(f"insert into media_resources (id, url, resource_type, content_hash, extension, created_at) values "
                     f"('{media}', 'https://cdn.example.com/{j}.png', 'image', '', 'png', '{now}');")
        lines.append(f"insert into organizations (id, name, name_key, owner_id, avatar_media_id, created_at, updated_at) values "
                     f"('{org}', 'Org {j}', 'org {j}', '{owner}', '{media}', '{now}', '{now}');")
        lines.append(f"insert into organization_members (organization_id, user_id, joined_at) values "
                     f"('{org}', '{owner}', '{now}'), ('{org}', '{bench_id}', '{now}');")
    return "\n".join(lines)


def http(method, url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.status, r.read()


def login(base, email, password):
    body = urllib.parse.urlencode({"username": email, "password": password}).encode()
    _, out = http("POST", f"{base}/api/v1/login/access-token", body)
    return json.loads(out)["access_token"]


def wrk(url, connections, token=None, lua=None, slow=False, duration=DURATION, warm_up=True):
    """wrk against `url` for `duration` (after a 2 s warm-up unless `warm_up` is
    false): req/s, p50 and p99 in ms, and failed requests."""
    cmd = ["wrk", f"-t{min(connections, 2)}", f"-c{connections}", f"-d{duration}", "--latency", "--timeout", "30s"]
    if token:
        cmd += ["-H", f"Authorization: Bearer {token}"]
    if lua:
        cmd += ["-s", lua]
    if slow:
        # Logins take most of a second each: wrk stops a warm-up mid-request and
        # leaves that login running in the worker, in front of the measured run.
        # Warm up with one login that is waited for, and measure for longer so
        # that 16 connections complete more than a few.
        login(url.split("/api/")[0], BENCH_EMAIL, BENCH_PASSWORD)
        cmd[cmd.index(f"-d{duration}")] = "-d30s"
    elif warm_up:
        warm = cmd.copy()
        warm[warm.index(f"-d{duration}")] = "-d2s"
        subprocess.run(warm + [url], capture_output=True, check=True)
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    def pct(p):
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    # Socket errors (connect, read, write) and timeouts are failed requests too;
    # `kinds` says which, so a row's failures can be explained.
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    kinds = {"non-2xx": int(non2xx.group(1)) if non2xx else 0}
    if sockets:
        kinds.update(zip(("connect", "read", "write", "timeout"), map(int, sockets.groups())))
    errors = sum(kinds.values())
    kinds = ", ".join(f"{k} {v}" for k, v in kinds.items() if v)
    return {"rps": rps, "p50": pct(50), "p99": pct(99), "errors": errors,
            "failed": f"{errors} ({kinds})" if errors else "0"}


def sliced(reads, connections, slices=5, warm_up=True):
    """Reads measured side by side: `DURATION` each, in `slices` slices taken
    in turn, read after read, so that a slow spell of the machine falls on
    all of them alike (each read warms up once, before its first slice, if
    `warm_up`). Every other slice takes the reads in the reverse order: a
    machine that slows (or speeds up) steadily through a run would otherwise
    favour the first read of every slice over the last. `reads` are (url,
    token); the result is wrk's for each, the slices' mean req/s, median p50
    and p99, and their failed requests summed by kind."""
    seconds = int(DURATION.rstrip("s"))
    runs = [[] for _ in reads]
    for s in range(slices):
        turn = list(zip(reads, runs))
        for (url, token), out in turn if s % 2 == 0 else reversed(turn):
            out.append(wrk(url, connections, token, duration=f"{seconds / slices:g}s", warm_up=warm_up and s == 0))
    return [merged(r) for r in runs]


def failures(runs):
    """The failed requests of wrk runs, summed by kind: (count, "N (kind n, ...)")."""
    kinds = {}
    for r in runs:
        for part in r["failed"].partition("(")[2].rstrip(")").split(", "):
            if part:
                kind, n = part.rsplit(" ", 1)
                kinds[kind] = kinds.get(kind, 0) + int(n)
    errors = sum(kinds.values())
    return errors, f"{errors} ({', '.join(f'{k} {v}' for k, v in kinds.items())})" if errors else "0"


def merged(runs):
    """wrk results of slices of one read, as one."""
    errors, failed = failures(runs)
    return {"rps": statistics.mean(r["rps"] for r in runs), "p50": statistics.median(r["p50"] for r in runs),
            "p99": statistics.median(r["p99"] for r in runs), "errors": errors, "failed": failed}


RESULTS = "bench/results.md"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


def summary(runs, trips_read):
    """One row of the table from its runs: medians, the range of req/s, and
    every failed request of all runs by kind."""
    rps = sorted(r["rps"] for r in runs)
    _, failed = failures(runs)
    return {"rps": statistics.median(rps), "rps_min": rps[0], "rps_max": rps[-1],
            "p50": statistics.median(r["p50"] for r in runs), "p99": statistics.median(r["p99"] for r in runs),
            "trips": trips_read[0], "read": trips_read[1], "failed": failed}


def write_results(head=None, section=None):
    """bench/results.md is `make bench`'s part, then sections (`## ...`), each
    written by one script (bench-scale, the latency model): each script replaces
    its own part and keeps the others."""
    text = open(RESULTS).read() if os.path.exists(RESULTS) else ""
    parts = re.split(r"(?m)^(?=## )", text)
    old_head = "" if not parts or parts[0].startswith("## ") else parts[0]
    sections = [p for p in parts if p.startswith("## ")]
    if section is not None:
        title = section.split("\n", 1)[0]
        titles = [s.split("\n", 1)[0] for s in sections]
        if title in titles:
            sections[titles.index(title)] = section
        else:
            sections.append(section)
    head = old_head if head is None else head
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w") as f:
        f.write("\n\n".join(p.strip("\n") for p in [head, *sections] if p.strip()) + "\n")


def cost(base, path, token=None, method="GET", data=None, headers=None):
    """D1 round trips and rows read of one request, from its Server-Timing."""
    headers = {**(headers or {}), **({"Authorization": f"Bearer {token}"} if token else {})}
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            r.read()
            timing = r.headers["Server-Timing"]
    except urllib.error.HTTPError as e:  # a 304 is one too
        timing = e.headers["Server-Timing"]
    m = re.search(r'd1;desc="(\d+) round trips?, (\d+) rows? read', timing)
    return int(m.group(1)), int(m.group(2))


def sequential_ms(fn, n):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def native_once(binary):
    out = subprocess.run([binary, str(ITERATIONS), "1"], capture_output=True, text=True, check=True).stdout
    return float(re.search(r"median_ms=([\d.]+)", out).group(1))


def pbkdf2_three_ways(base, token, rounds=15):
    """PBKDF2 in the worker (a login minus a `/users/me`, both one D1 read), natively
    with the default sha2 backend, and natively with the software backend, taken in
    turn within each round: this machine's speed drifts by half over minutes, so only
    measurements made side by side compare. Returns medians and the median of the
    per-round worker/software ratios."""
    worker, default, soft, ratios = [], [], [], []
    for _ in range(rounds):
        me = sequential_ms(lambda: http("GET", f"{base}/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}), 3)
        w = sequential_ms(lambda: login(base, BENCH_EMAIL, BENCH_PASSWORD), 1) - me
        s = native_once("target/release/examples/pbkdf2_bench_soft")
        d = native_once("target/release/examples/pbkdf2_bench_default")
        worker.append(w); soft.append(s); default.append(d); ratios.append(w / s)
    q = statistics.quantiles(ratios, n=4)
    return {"worker": statistics.median(worker), "default": statistics.median(default),
            "soft": statistics.median(soft), "ratio": statistics.median(ratios),
            "ratio_min": min(ratios), "ratio_max": max(ratios), "ratio_q1": q[0], "ratio_q3": q[2]}


def known_vs_unknown(base, rounds=15):
    """Failed logins for an existing email (wrong password) and for one that does
    not exist, taken in turn: the unknown email pays a dummy hash of the same
    work factor. Each from its own client address, under the limits."""
    def failed_login(email, i):
        body = urllib.parse.urlencode({"username": email, "password": "not-the-password"}).encode()
        t = time.perf_counter()
        try:
            http("POST", f"{base}/api/v1/login/access-token", body, headers={"CF-Connecting-IP": f"192.0.2.{i}"})
        except urllib.error.HTTPError as e:
            assert e.code == 400, e.code
        return (time.perf_counter() - t) * 1000
    def recovery(email, i):
        t = time.perf_counter()
        http("POST", f"{base}/api/v1/password-recovery/{email}", b"", headers={"CF-Connecting-IP": f"198.51.100.{i}"})
        return (time.perf_counter() - t) * 1000
    known, unknown, known_rec, unknown_rec = [], [], [], []
    for i in range(rounds):
        known.append(failed_login(f"user{i + 2}@example.com", i))
        unknown.append(failed_login(f"nobody{i}@example.com", i))
        known_rec.append(recovery(f"user{i + 2}@example.com", i))
        unknown_rec.append(recovery(f"nobody{i}@example.com", i))
    return {"known": sorted(known), "unknown": sorted(unknown),
            "recovery known": sorted(known_rec), "recovery unknown": sorted(unknown_rec)}


def chained(base, connections, seconds, make_call):
    """`connections` threads, each calling `make_call(state)` in a loop for
    `seconds` (each thread keeps its own state: a refresh token rotates, so one
    token cannot be shared). req/s and p50 ms. (No "worker's own time": Date.now()
    does not advance during CPU work in Workers, so Server-Timing's app minus d1
    reads 0.)"""
    import threading
    times, failed, lock = [], [0], threading.Lock()
    until = time.perf_counter() + seconds
    def run():
        state = make_call(None)
        while time.perf_counter() < until:
            t = time.perf_counter()
            try:
                state, _ = make_call(state)
            except Exception:
                with lock:
                    failed[0] += 1
                state = make_call(None)
                continue
            ms = (time.perf_counter() - t) * 1000
            with lock:
                times.append(ms)
    threads = [threading.Thread(target=run) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"rps": len(times) / seconds, "p50": statistics.median(times), "failed": failed[0]}


def png_of_size(size):
    """A PNG header (IHDR 1024 x 768) padded to `size` bytes: what the upload
    checks (signature, header) without a real image's bulk."""
    import struct, zlib
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    head = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1024, 768, 8, 2, 0, 0, 0))
    return head + os.urandom(size - len(head))


def workerd_pids(root):
    """The workerd processes under `root` (the serve.mjs process)."""
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid=,comm="], capture_output=True, text=True).stdout
    children = {}
    for line in out.splitlines():
        pid, ppid, comm = line.split(None, 2)
        children.setdefault(int(ppid), []).append((int(pid), comm))
    found, todo = [], [root]
    while todo:
        for pid, comm in children.get(todo.pop(), []):
            todo.append(pid)
            if "workerd" in comm:
                found.append(pid)
    return found


def rss_kib(pids):
    total = 0
    for pid in pids:
        try:
            for line in open(f"/proc/{pid}/status"):
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total


def uploads(base, token, server_pid, size=5 << 20, concurrent=8):
    """A 5 MiB upload's time (presign + PUT, median of 5), and workerd's
    resident memory before and at its peak during `concurrent` such uploads."""
    import threading
    body = png_of_size(size)
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def one():
        ask = json.dumps({"filename": "big.png", "content_type": "image/png", "size": size}).encode()
        _, out = http("POST", f"{base}/api/v1/uploads/presigned-url", ask, auth)
        url = json.loads(out)["upload_url"]
        started = time.perf_counter()
        status, _ = http("PUT", url, body, {"Content-Type": "image/png"})
        assert status == 200, status
        return (time.perf_counter() - started) * 1000

    times = sorted(one() for _ in range(5))
    pids = workerd_pids(server_pid)
    baseline = rss_kib(pids)
    peak, done = [baseline], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_kib(pids))
            time.sleep(0.005)
    sampler = threading.Thread(target=sample)
    sampler.start()
    workers = [threading.Thread(target=one) for _ in range(concurrent)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    wall = (time.perf_counter() - started) * 1000
    done.set()
    sampler.join()
    return {"p50": times[len(times) // 2], "min": times[0], "max": times[-1], "baseline": baseline,
            "peak": peak[0], "wall": wall, "concurrent": concurrent, "size": size}


def refresh_vs_me(base):
    """POST /login/refresh (each thread its own session, each token used once)
    next to GET /users/me, at 2 and 16 connections."""
    def login_session():
        body = urllib.parse.urlencode({"username": BENCH_EMAIL, "password": BENCH_PASSWORD}).encode()
        return json.loads(http("POST", f"{base}/api/v1/login/access-token", body)[1])
    def refresh(state):
        if state is None:
            return login_session()
        req = urllib.request.Request(f"{base}/api/v1/login/refresh", method="POST",
                                     data=json.dumps({"refresh_token": state["refresh_token"]}).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read()), r.headers["Server-Timing"]
    def me(state):
        if state is None:
            return login_session()
        req = urllib.request.Request(f"{base}/api/v1/users/me",
                                     headers={"Authorization": f"Bearer {state['access_token']}"})
        with urllib.request.urlopen(req, timeout=60) as r:
            r.read()
            return state, r.headers["Server-Timing"]
    out = {}
    for c in (2, 16):
        out[("refresh", c)] = chained(base, c, 10, refresh)
        out[("me", c)] = chained(base, c, 10, me)
    return out


def hs256_twin(token, secret):
    """`token`'s claims (its session included), signed HS256 under `secret`: the
    origin's scheme, accepted beside the ring while ACCEPT_HS256 is on, so the two
    tokens differ in their signature only."""
    b64 = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")
    signing = b64(b'{"alg":"HS256","typ":"JWT"}') + "." + token.split(".")[1]
    return signing + "." + b64(hmac.new(secret.encode(), signing.encode(), hashlib.sha256).digest())


def eddsa_vs_hs256(base, email, password, secret, runs=3, sequential=300):
    """`/users/me` with an EdDSA token and with its HS256 twin: `runs` wrk runs of
    each at 2 connections, taken in turn (one token each, as a client sends it:
    after its first use the ring remembers the EdDSA token as verified); then,
    one request at a time, `sequential` fresh EdDSA tokens (one refresh each)
    used once (an Ed25519 verification), used again (remembered) and as HS256
    twins, in turn: the medians differ by what a verification costs in the worker."""
    body = urllib.parse.urlencode({"username": email, "password": password}).encode()
    answer = json.loads(http("POST", f"{base}/api/v1/login/access-token", body)[1])
    eddsa = answer["access_token"]
    url = f"{base}/api/v1/users/me"
    rps = {"EdDSA": [], "HS256": []}
    for _ in range(runs):
        for name, token in (("EdDSA", eddsa), ("HS256", hs256_twin(eddsa, secret))):
            r = wrk(url, 2, token)
            assert r["errors"] == 0, (name, r)
            rps[name].append(r["rps"])
    fresh, refresh = [], answer["refresh_token"]
    for _ in range(sequential):
        _, out = http("POST", f"{base}/api/v1/login/refresh", json.dumps({"refresh_token": refresh}).encode(),
                      {"Content-Type": "application/json"})
        fresh.append(json.loads(out)["access_token"])
        refresh = json.loads(out)["refresh_token"]
    ms = {"EdDSA, first use": [], "EdDSA, again": [], "HS256": []}
    for token in fresh:
        for name, t in (("EdDSA, first use", token), ("EdDSA, again", token), ("HS256", hs256_twin(token, secret))):
            started = time.perf_counter()
            status, _ = http("GET", url, headers={"Authorization": f"Bearer {t}"})
            ms[name].append((time.perf_counter() - started) * 1000)
            assert status == 200
    ratios = sorted(e / h for e, h in zip(rps["EdDSA"], rps["HS256"]))
    return {"rps": rps, "ratios": ratios,
            "p50": {k: statistics.median(v) for k, v in ms.items()},
            "q": {k: statistics.quantiles(v, n=4) for k, v in ms.items()}}


def totp_now(secret, ahead=0):
    """RFC 6238 (HMAC-SHA1, 6 digits, 30 s) for a base32 secret, `ahead` steps on."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    h = hmac.new(key, struct.pack(">Q", int(time.time()) // 30 + ahead), hashlib.sha1).digest()
    o = h[19] & 15
    return "%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7fffffff) % 1_000_000)


def mfa_vs_plain(base, admin, rounds=15):
    """A login with MFA on (the password, answered 401 with an `mfa_token`, then a
    recovery code: two requests) against a plain login, one at a time, in turn;
    and each step of the MFA login alone. The second step hashes no password."""
    email, password = "mfa-bench@example.com", "bench-mfa-password"
    auth = lambda t: {"Authorization": f"Bearer {t}", "Content-Type": "application/json"}
    http("POST", f"{base}/api/v1/users/", json.dumps({"email": email, "password": password}).encode(), auth(admin))
    token = login(base, email, password)
    secret = json.loads(http("POST", f"{base}/api/v1/users/me/mfa/totp", None, auth(token))[1])["secret"]
    verified = http("POST", f"{base}/api/v1/users/me/mfa/totp/verify", json.dumps({"code": totp_now(secret)}).encode(), auth(token))
    codes = json.loads(verified[1])["recovery_codes"]
    form = urllib.parse.urlencode({"username": email, "password": password}).encode()
    plain, first, second = [], [], []
    for _ in range(rounds):
        if len(codes) == 1:  # the last one asks for ten more
            codes = json.loads(http("POST", f"{base}/api/v1/users/me/mfa/recovery-codes",
                                    json.dumps({"code": codes[0]}).encode(), auth(token))[1])["recovery_codes"]
        plain.append(sequential_ms(lambda: login(base, BENCH_EMAIL, BENCH_PASSWORD), 1))
        started = time.perf_counter()
        try:
            http("POST", f"{base}/api/v1/login/access-token", form)
            raise SystemExit("bench: a login with MFA on answered 200")
        except urllib.error.HTTPError as e:
            mfa_token = json.loads(e.read())["mfa_token"]
        middle = time.perf_counter()
        body = json.dumps({"mfa_token": mfa_token, "code": codes.pop()}).encode()
        http("POST", f"{base}/api/v1/login/mfa", body, {"Content-Type": "application/json"})
        first.append((middle - started) * 1000)
        second.append((time.perf_counter() - middle) * 1000)
    both = [a + b for a, b in zip(first, second)]
    return {name: statistics.median(v) for name, v in
            (("plain", plain), ("first", first), ("second", second), ("both", both))}


def key_vs_token(base, token, runs=3):
    """An organization read with an API key beside the same read with the
    owner's token: `runs` wrk runs of each at 2 connections, taken in turn."""
    body = json.dumps({"name": "Keyed bench", "avatar_image": "https://cdn.example.com/k.png"}).encode()
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    org = json.loads(http("POST", f"{base}/api/v1/organizations/", body, auth)[1])
    url = f"{base}/api/v1/organizations/{org['id']}"
    key_body = json.dumps({"name": "bench", "scopes": ["organization:read"]}).encode()
    key = json.loads(http("POST", f"{url}/api-keys", key_body, auth)[1])["key"]
    rps = {"API key": [], "token": []}
    for _ in range(runs):
        for name, bearer in (("API key", key), ("token", token)):
            r = wrk(url, 2, bearer)
            assert r["errors"] == 0, (name, r)
            rps[name].append(r["rps"])
    ratios = sorted(k / t for k, t in zip(rps["API key"], rps["token"]))
    return {"rps": rps, "ratios": ratios}


class Receiver:
    """A local webhook receiver: answers every POST 204 and keeps when each
    delivery arrived, so the bench can wait for a count (an event, not a sleep)."""

    def __init__(self):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        self.times, self.cond = [], threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            # HTTP/1.1 keep-alive, as receivers in the field answer: with HTTP/1.0 the
            # server closes each connection as workerd may be reusing it, and about
            # one delivery in ten fails with "Network connection lost".
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()
                with outer.cond:
                    outer.times.append(time.perf_counter())
                    outer.cond.notify_all()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def wait_for(self, n, deadline=600):
        with self.cond:
            if not self.cond.wait_for(lambda: len(self.times) >= n, timeout=deadline):
                raise RuntimeError(f"receiver: {len(self.times)} of {n} deliveries within {deadline} s")
            return list(self.times[:n])


def webhooks_cost(base, admin, state, runs=3, consumer=True, endpoints=1):
    """`POST /organizations/` with no endpoint listening and with `endpoints`
    global endpoints subscribed to `organization.created` (each create then
    writes a delivery to each in its batch and hands them to the queue): `runs` wrk runs of each at
    2 connections, in turn. With `consumer`, after each run with the endpoint the
    bench waits until the receiver has every delivery (the next run starts on an
    idle consumer); deliveries per second are counted from the first to the last
    of them. Without (a server started with --no-consumers), the messages stay
    queued: what is measured is the request's own path."""
    auth = {"Authorization": f"Bearer {admin}", "Content-Type": "application/json"}
    receiver = Receiver()
    hooks = [json.loads(http("POST", f"{base}/api/v1/webhooks/", json.dumps(
        {"url": receiver.url, "event_types": ["organization.created"]}).encode(), auth)[1])["id"]
        for _ in range(endpoints)]
    script = os.path.join(state, "create_org.lua")
    org = json.dumps({"name": "Hooked", "avatar_image": "https://cdn.example.com/a.png"})
    with open(script, "w") as f:
        f.write(f"wrk.method = \"POST\"\nwrk.body = {json.dumps(org)}\n"
                'wrk.headers["Content-Type"] = "application/json"\n')

    def organizations():
        _, out = http("GET", f"{base}/api/v1/organizations/?limit=0", headers=auth)
        return json.loads(out)["count"]

    def fresh_user(i):
        # Each run creates as a user of its own: a create counts its caller's
        # organizations (the per-user cap), which would grow run by run.
        email, password = f"hooked{i}@example.com", "bench-hooked-password"
        http("POST", f"{base}/api/v1/users/", json.dumps({"email": email, "password": password}).encode(), auth)
        return login(base, email, password)

    rps, rates, delivered = {"without": [], "with": []}, [], 0
    for round_ in range(runs):
        for name in ("without", "with"):
            for endpoint in hooks:
                http("PATCH", f"{base}/api/v1/webhooks/{endpoint}",
                     json.dumps({"enabled": name == "with"}).encode(), auth)
            token = fresh_user(f"{round_}-{name}")
            before = organizations()
            r = wrk(f"{base}/api/v1/organizations/", 2, token, script)
            rps[name].append(r["rps"])
            if name == "with" and consumer:
                made = (organizations() - before) * endpoints
                times = receiver.wait_for(delivered + made)[delivered:]
                delivered += made
                rates.append(made / (times[-1] - times[0]))
    receiver.server.shutdown()
    ratios = sorted(w / o for w, o in zip(rps["with"], rps["without"]))
    return {"rps": rps, "ratios": ratios, "rates": sorted(rates), "delivered": delivered}


def webhooks_request_path(env, endpoints=1):
    """webhooks_cost on a second server, on a database of its own, whose queues
    have no consumer: the requests' cost with an endpoint subscribed, without the
    consumer's deliveries competing for this machine's two cores (in production
    the consumer is an invocation of its own)."""
    state = tempfile.mkdtemp(prefix="users-orgs-bench-quiet-")
    try:
        proc, base, _ = _serve(state, env, migrate=True, remove_state=True, no_consumers=True)
    except RuntimeError as e:
        sys.exit(f"bench: {e}")
    try:
        return webhooks_cost(base, login(base, ADMIN_EMAIL, ADMIN_PASSWORD), state, consumer=False,
                             endpoints=endpoints)
    finally:
        stop(proc)


def goal_verdict(p):
    """Met only when every side-by-side round is within the goal; not met when the
    median is over it; otherwise the spread does not decide."""
    if p["ratio_max"] <= PBKDF2_GOAL:
        return "met"
    if p["ratio"] > PBKDF2_GOAL:
        return "not met"
    return "not shown: the spread crosses the goal"


def main():
    state = tempfile.mkdtemp(prefix="users-orgs-bench-")
    # Removed however the run ends (BENCH_PBKDF2_ONLY returns early, a failed assert raises).
    atexit.register(shutil.rmtree, state, True)
    subprocess.run([WRANGLER, "d1", "migrations", "apply", "DB", "--local", "--persist-to", state],
                   check=True, capture_output=True, env={**os.environ, "CI": "true"})
    seed = os.path.join(state, "seed.sql")
    with open(seed, "w") as f:
        f.write(seed_sql())
    subprocess.run([WRANGLER, "d1", "execute", "DB", "--local", "--persist-to", state, "--file", seed],
                   check=True, capture_output=True, env={**os.environ, "CI": "true"})

    started = time.perf_counter()
    iterations = os.environ.get("PASSWORD_HASH_ITERATIONS", "600000")
    # Tokens are EdDSA from the development ring, as locally and in production.
    ring = next(l.split("=", 1)[1].strip().strip("'") for l in open(".dev.vars.example")
                if l.startswith("SIGNING_KEYS="))
    env = ["ENVIRONMENT=local", f"SECRET_KEY={BENCH_SECRET}", f"SIGNING_KEYS={ring}",
           "ACCESS_TOKEN_EXPIRE_MINUTES=11520", f"PASSWORD_HASH_ITERATIONS={iterations}",
           f"FIRST_SUPERUSER={ADMIN_EMAIL}",
           f"FIRST_SUPERUSER_PASSWORD={ADMIN_PASSWORD}",
           # The bench measures hashing and D1, not the brute-force limits
           # (16 concurrent logins of one user from one address are past them).
           "LOGIN_FAILURE_LIMIT=0", "LOGIN_EMAIL_FAILURE_LIMIT=0", "LOGIN_IP_FAILURE_LIMIT=0",
           "SIGNUP_IP_LIMIT_PER_HOUR=0", "PASSWORD_RECOVERY_LIMIT_PER_HOUR=0",
           "PASSWORD_RECOVERY_EMAIL_LIMIT_PER_HOUR=0",
           # The webhooks rows create organizations by the thousand.
           "MAX_ORGANIZATIONS_PER_USER=100000",
           # wrk sends far more than a key's 600 a minute.
           "--api-key-limit", "1000000000"]
    # A quick look at one row: the webhook cost on a server without consumers, as
    # JSON (BENCH_ENDPOINTS: how many endpoints each create fans out to; 1).
    if os.environ.get("BENCH_WEBHOOKS_ONLY"):
        print(json.dumps(webhooks_request_path(env, int(os.environ.get("BENCH_ENDPOINTS", "1")))))
        return
    server, base, _ = serve(state, env)
    try:
        assert http("GET", f"{base}/api/v1/utils/health-check/")[0] == 200
        first_200_ms = (time.perf_counter() - started) * 1000

        admin = login(base, ADMIN_EMAIL, ADMIN_PASSWORD)
        user = login(base, BENCH_EMAIL, BENCH_PASSWORD)
        _, orgs = http("GET", f"{base}/api/v1/organizations/", headers={"Authorization": f"Bearer {user}"})
        assert json.loads(orgs)["count"] == 50, orgs
        _, users = http("GET", f"{base}/api/v1/users/?limit=10", headers={"Authorization": f"Bearer {admin}"})
        assert json.loads(users)["count"] >= 1000

        # First, while nothing else is queued in the worker: the wrk runs below
        # leave it busy for a while (logins above all).
        pbkdf2 = pbkdf2_three_ways(base, user)
        timing = known_vs_unknown(base)
        sessions = refresh_vs_me(base)
        tokens = eddsa_vs_hs256(base, BENCH_EMAIL, BENCH_PASSWORD, BENCH_SECRET)
        keyed = key_vs_token(base, user)
        mfa = mfa_vs_plain(base, admin)
        uploaded = uploads(base, user, server.pid)
        hooks = webhooks_cost(base, admin, state)
        quiet = webhooks_request_path(env)
        if os.environ.get("BENCH_PBKDF2_ONLY"):
            print(json.dumps(pbkdf2))
            return
        lua = os.path.join(state, "login.lua")
        with open(lua, "w") as f:
            body = urllib.parse.urlencode({"username": BENCH_EMAIL, "password": BENCH_PASSWORD})
            f.write(f'wrk.method = "POST"\nwrk.body = "{body}"\n'
                    'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n')
        # A conditional read that matches (304), and a POST replayed by its
        # Idempotency-Key (the first one creates the organization, every other
        # one answers it again).
        etag = urllib.request.urlopen(urllib.request.Request(
            f"{base}/api/v1/users/me", headers={"Authorization": f"Bearer {user}"}), timeout=60).headers["ETag"]
        not_modified = os.path.join(state, "not_modified.lua")
        with open(not_modified, "w") as f:
            f.write(f"wrk.headers[\"If-None-Match\"] = {json.dumps(etag)}\n")
        org = json.dumps({"name": "Replayed", "avatar_image": "https://cdn.example.com/a.png"})
        replay_headers = {"Content-Type": "application/json", "Idempotency-Key": "bench-replay-1"}
        http("POST", f"{base}/api/v1/organizations/", org.encode(),
             {**replay_headers, "Authorization": f"Bearer {admin}"})
        replay = os.path.join(state, "replay.lua")
        with open(replay, "w") as f:
            f.write(f"wrk.method = \"POST\"\nwrk.body = {json.dumps(org)}\n"
                    + "".join(f"wrk.headers[\"{k}\"] = \"{v}\"\n" for k, v in replay_headers.items()))
        targets = [
            ("GET /api/v1/utils/health-check/", "/api/v1/utils/health-check/", None, None, {}),
            ("GET /api/v1/users/me", "/api/v1/users/me", user, None, {}),
            ("GET /api/v1/users/me (If-None-Match: 304)", "/api/v1/users/me", user, not_modified,
             {"headers": {"If-None-Match": etag}}),
            ("GET /api/v1/users/?limit=10", "/api/v1/users/?limit=10", admin, None, {}),
            ("GET /api/v1/organizations/ (50 orgs)", "/api/v1/organizations/", user, None, {}),
            ("POST /api/v1/organizations/ (replayed Idempotency-Key)", "/api/v1/organizations/", admin, replay,
             {"method": "POST", "data": org.encode(), "headers": replay_headers}),
            ("POST /api/v1/login/access-token", "/api/v1/login/access-token", None, lua, None),
        ]
        # Every row runs ROUNDS times, the rows in turn within each round, so a
        # slow spell of the machine touches every row alike; a row reports the
        # median and range of its runs.
        # Each request's cost as wrk's requests meet it: the second of two in a
        # row (a list's page is then kept in the isolate, and unchanged).
        costs = {name: ("", "") if request is None else [cost(base, path, token, **request) for _ in "12"][1]
                 for name, path, token, script, request in targets}
        runs = {}
        for round_ in range(ROUNDS):
            for name, path, token, script, request in targets:
                for c in (2, 16):
                    r = wrk(base + path, c, token, script, slow=request is None)
                    runs.setdefault((name, c), []).append(r)
                    print(f"round {round_ + 1} {name:42} c={c:<3} {r['rps']:8.1f} req/s  p50 {r['p50']:8.2f} ms  "
                          f"p99 {r['p99']:8.2f} ms  failed {r['failed']}", flush=True)
        rows = [(name, c, summary(rs, costs[name])) for (name, c), rs in runs.items()]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    wasm = open("build/index_bg.wasm", "rb").read()
    dry = subprocess.run([WRANGLER, "deploy", "--dry-run", "--outdir", os.path.join(state, "deploy")],
                         capture_output=True, text=True, env={**os.environ, "CI": "true"})
    upload = re.search(r"Total Upload:\s*([\d.]+ KiB)\s*/\s*gzip:\s*([\d.]+ KiB)", dry.stdout + dry.stderr)

    me, health = runs[("GET /api/v1/users/me", 2)], runs[("GET /api/v1/utils/health-check/", 2)]
    ratios = sorted(m["p50"] / h["p50"] for m, h in zip(me, health))
    ratio = (f"median {statistics.median(ratios):.2f}x, range {ratios[0]:.2f}–{ratios[-1]:.2f}x, round by round "
             f"(goal ≤ 1.3x: {'met' if ratios[-1] <= 1.3 else 'met at the median' if statistics.median(ratios) <= 1.3 else 'not met'})")
    lines = [
        "# Benchmark results",
        "",
        f"`make bench` on {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}: release build served by workerd through",
        "Miniflare's API (no wrangler dev proxy), local D1 seeded with 1,000 users and one user in 50",
        f"organizations; wrk {DURATION} per run after a 2 s warm-up (login: 30 s after one login), {ROUNDS} runs of each row taken in turn. Login hashes at",
        f"{ITERATIONS:,} PBKDF2 iterations, each one blocking the isolate, so its req/s is the hashing rate of one isolate.",
        "",
        "| endpoint | connections | req/s, median (range) | p50 ms, median | p99 ms, median | D1 round trips | rows read (the second of two requests) | failed, all runs (non-2xx, socket errors, timeouts) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [f"| `{n}` | {c} | {r['rps']:.1f} ({r['rps_min']:.1f}–{r['rps_max']:.1f}) | {r['p50']:.2f} | {r['p99']:.2f} | "
              f"{r['trips']} | {r['read']} | {r['failed']} |"
              for n, c, r in rows]
    lines += [
        "",
        "| measure | value |",
        "|---|---|",
        f"| p50 `/users/me` ÷ p50 health check, 2 connections | {ratio} |",
        f"| wasm size | {len(wasm) / 1024:.1f} KiB raw, {len(gzip.compress(wasm, 9)) / 1024:.1f} KiB gzipped |",
        f"| whole upload (`wrangler deploy --dry-run`) | {upload.group(1) + ' / gzip ' + upload.group(2) if upload else 'n/a'} (budget ≤ 350 KB gzipped, issue 29; `make size` holds it in `make test`) |",
        f"| start of the server to its first 200 (health check; the first superuser exists, so no hashing) | {first_200_ms:.0f} ms |",
        f"| PBKDF2 in the worker (a login − a `/users/me`), median of 15 | {pbkdf2['worker']:.0f} ms |",
        f"| PBKDF2 native, default sha2 backend, median of 15 | {pbkdf2['default']:.0f} ms |",
        f"| PBKDF2 native, software sha2 (`force-soft`), median of 15 | {pbkdf2['soft']:.0f} ms |",
        f"| worker ÷ native software, 15 side-by-side rounds before any load | median {pbkdf2['ratio']:.2f}x, quartiles {pbkdf2['ratio_q1']:.2f}–{pbkdf2['ratio_q3']:.2f}, range {pbkdf2['ratio_min']:.2f}–{pbkdf2['ratio_max']:.2f}; goal ≤ {PBKDF2_GOAL}x: {goal_verdict(pbkdf2)} |",
        "",
        f"Uploads of {uploaded['size'] >> 20} MiB (presign, then the PUT streamed into the local R2): one PUT takes",
        f"{uploaded['p50']:.0f} ms (median of 5; {uploaded['min']:.0f}–{uploaded['max']:.0f}). During {uploaded['concurrent']} concurrent ones"
        f" ({uploaded['wall']:.0f} ms in all), workerd's resident memory went from {uploaded['baseline'] / 1024:.1f} MiB to a",
        f"peak of {uploaded['peak'] / 1024:.1f} MiB (+{(uploaded['peak'] - uploaded['baseline']) / 1024:.1f} MiB for {uploaded['concurrent'] * uploaded['size'] / 2**20:.0f} MiB sent; the whole",
        "process, both workers and the local R2 included; the isolate limit is 128 MB).",
        "",
        "`GET /api/v1/users/me` with the login's EdDSA token and with its HS256 twin (the same claims,",
        "session included, signed under SECRET_KEY), three wrk runs of each at 2 connections, in turn:",
        "",
        "| token | req/s, runs 1–3 |",
        "|---|---|",
    ]
    for name in ("EdDSA", "HS256"):
        lines.append(f"| {name} | {', '.join(f'{r:.1f}' for r in tokens['rps'][name])} |")
    r, p = tokens["ratios"], tokens["p50"]
    lines += [
        "",
        f"EdDSA ÷ HS256 req/s, run by run: median {r[len(r) // 2]:.2f}x, range {r[0]:.2f}–{r[-1]:.2f}x (goal ≥ 0.9x: "
        f"{'met' if r[0] >= 0.9 else 'met at the median' if r[len(r) // 2] >= 0.9 else 'not met'}).",
        "A client sends one token many times: after its first use the ring remembers it as verified",
        "(`src/keyring/`). The first use pays the Ed25519 check (WebCrypto's); 300 fresh tokens (one refresh each),",
        "one request at a time, each used once, again, and as its HS256 twin, in turn:",
        "",
        "| request | p50 ms | quartiles ms |",
        "|---|---:|---|",
    ]
    for name, q in tokens["q"].items():
        lines.append(f"| {name} | {p[name]:.2f} | {q[0]:.2f}–{q[2]:.2f} |")
    lines += [
        "",
        f"One Ed25519 verification costs the worker about {p['EdDSA, first use'] - p['EdDSA, again']:.2f} ms "
        f"(first use − again); HS256 − again: {p['HS256'] - p['EdDSA, again']:+.2f} ms.",
        "",
        "`GET /api/v1/organizations/{id}` with an API key (`organization:read`) and with the owner's",
        "token, three wrk runs of each at 2 connections, in turn:",
        "",
        "| bearer | req/s, runs 1–3 |",
        "|---|---|",
    ]
    for name in ("API key", "token"):
        lines.append(f"| {name} | {', '.join(f'{r:.1f}' for r in keyed['rps'][name])} |")
    k = keyed["ratios"]
    lines += [
        "",
        f"API key ÷ token req/s, run by run: median {k[len(k) // 2]:.2f}x, range {k[0]:.2f}–{k[-1]:.2f}x (goal ≥ 0.95x: "
        f"{'met' if k[0] >= 0.95 else 'met at the median' if k[len(k) // 2] >= 0.95 else 'not met'}).",
        "",
        f"A login with MFA on, one at a time, {15} rounds taken in turn with a plain login (medians, ms):",
        "",
        "| login | ms |",
        "|---|---:|",
        f"| plain (`/login/access-token`, 200) | {mfa['plain']:.0f} |",
        f"| MFA, step 1 (`/login/access-token`, 401 with `mfa_token`) | {mfa['first']:.0f} |",
        f"| MFA, step 2 (`/login/mfa` with a recovery code) | {mfa['second']:.1f} |",
        f"| MFA, both steps | {mfa['both']:.0f} ({mfa['both'] / mfa['plain']:.2f}x the plain login) |",
        "",
        "The second step hashes no password: it costs what a D1 read and a write cost.",
        "",
        "`POST /api/v1/organizations/` with no webhook endpoint listening and with a global one",
        "subscribed to `organization.created` (each create then writes its delivery in the same",
        "batch and hands it to `WEBHOOK_QUEUE`), three wrk runs of each at 2 connections, in turn:",
        "",
        "| endpoint | req/s, runs 1–3 |",
        "|---|---|",
        f"| none | {', '.join(f'{r:.1f}' for r in hooks['rps']['without'])} |",
        f"| subscribed | {', '.join(f'{r:.1f}' for r in hooks['rps']['with'])} |",
        "",
        f"With ÷ without, run by run: median {hooks['ratios'][1]:.2f}x, range {hooks['ratios'][0]:.2f}–"
        f"{hooks['ratios'][-1]:.2f}x (goal ≥ 0.9x: {'met' if hooks['ratios'][0] >= 0.9 else 'met at the median' if hooks['ratios'][1] >= 0.9 else 'not met'}).",
        f"The consumer delivered the {hooks['delivered']:,} deliveries those runs made to a local receiver at "
        f"{', '.join(f'{r:.0f}' for r in hooks['rates'])} per second (each run's, first to last delivery).",
        "",
        "The consumer runs in the same workerd process, on the same two cores, as the requests measured.",
        "The same runs on a second server whose queues have no consumer (`serve.mjs --no-consumers`, a",
        "database of its own): the requests' own path, as in production, where the consumer is an",
        "invocation of its own:",
        "",
        "| endpoint, no consumer | req/s, runs 1–3 |",
        "|---|---|",
        f"| none | {', '.join(f'{r:.1f}' for r in quiet['rps']['without'])} |",
        f"| subscribed | {', '.join(f'{r:.1f}' for r in quiet['rps']['with'])} |",
        "",
        f"With ÷ without, run by run: median {quiet['ratios'][1]:.2f}x, range {quiet['ratios'][0]:.2f}–"
        f"{quiet['ratios'][-1]:.2f}x (goal ≥ 0.9x: {'met' if quiet['ratios'][0] >= 0.9 else 'met at the median' if quiet['ratios'][1] >= 0.9 else 'not met'}).",
        "What a subscribed create adds is its delivery row, in the batch the create already sends, and its id in",
        "the isolate's next hand-over to the queue, after the answer: one `sendBatch` per 20 ms (`src/queues.rs`).",
        "",
        "Refresh next to `/users/me`, from Python threads (each with its own session, as a",
        "refresh token rotates), 10 s each:",
        "",
        "| request | connections | req/s | p50 ms | failed |",
        "|---|---:|---:|---:|---:|",
    ]
    for (name, c), r in sessions.items():
        label = "POST /api/v1/login/refresh" if name == "refresh" else "GET /api/v1/users/me"
        lines.append(f"| `{label}` | {c} | {r['rps']:.1f} | {r['p50']:.2f} | {r['failed']} |")
    lines += [
        "",
        "Failed logins, 15 for existing emails and 15 for unknown ones, taken in turn (ms):",
        "",
        "| email | min | median | max |",
        "|---|---:|---:|---:|",
    ]
    for kind in ("known", "unknown"):
        t = timing[kind]
        lines.append(f"| {kind} | {t[0]:.0f} | {statistics.median(t):.0f} | {t[-1]:.0f} |")
    def overlap(a, b):
        return max(timing[a][0], timing[b][0]) <= min(timing[a][-1], timing[b][-1])
    lines += [
        "",
        f"The two ranges {'overlap' if overlap('known', 'unknown') else 'do not overlap'}: an unknown email pays a dummy hash of the same work factor.",
        "",
        "Password-recovery requests, 15 for existing emails and 15 for unknown ones, taken in turn (ms):",
        "",
        "| email | min | median | max |",
        "|---|---:|---:|---:|",
    ]
    for kind in ("recovery known", "recovery unknown"):
        t = timing[kind]
        lines.append(f"| {kind.split()[1]} | {t[0]:.1f} | {statistics.median(t):.1f} | {t[-1]:.1f} |")
    lines += [
        "",
        f"The two ranges {'overlap' if overlap('recovery known', 'recovery unknown') else 'do not overlap'}: "
        "recovery writes the same request row for every address; the queue consumer decides.",
        "",
    ]
    write_results(head="\n".join(lines))
    print("\n".join(lines[-22:]))


if __name__ == "__main__":
    main()
