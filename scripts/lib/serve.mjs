// Serves the built worker (build/index.js) in workerd through Miniflare's API:
// one process owns the worker and its local D1, so seeding goes through the
// same D1 object as the worker's own queries, serialized by the runtime. The one
// server behind every test and measurement: the Rust tests start it
// (tests/api/helpers), the Python scripts through scripts/lib/serve.py.
//
//   node scripts/lib/serve.mjs --prepare-migrations
//   node scripts/lib/serve.mjs --state DIR [--port P] [--control-port C] [--migrate]
//        [--log FILE] [--remove-state] [--api-key-limit N] [--offline] [--no-consumers]
//        [NAME=VALUE ...]
//
// A port of 0 (the default for --port) is chosen by the system when the socket
// binds, so parallel servers never race for a port probed free beforehand. Once
// every socket listens, the server writes one line to its standard output,
// `{"url": ..., "control": ...}`, and nothing else ever: how callers learn the
// ports, and that the server is ready, without polling. If it dies first, its
// standard output closes empty. Everything workerd (and wrangler) prints goes to
// FILE (appended), or to standard error without --log.
//
// The server stops when its standard input closes (its caller ended, however it
// ended), or on SIGTERM/SIGINT: workerd is stopped, and with --remove-state DIR is
// removed, before the process exits. A server that fails (its migrations, say)
// exits with status 1 and keeps DIR, so its log there can be read.
//
// DIR is a `wrangler ... --persist-to` folder (its D1 lives in DIR/v3/d1). With
// --migrate, a new DIR gets a D1 on which `wrangler d1 migrations apply --local`
// has applied every migration, run once per set of migrations and then copied;
// a DIR that has a D1 already gets the migrations it lacks applied.
// `node scripts/lib/serve.mjs --prepare-migrations` makes that D1 and exits, so
// that servers started together find it made.
// NAME=VALUE pairs are the worker's vars. With --control-port, a second worker on
// 127.0.0.1:C answers `POST /d1` (body: SQL, one or more statements) by running the
// statements as one D1 batch and answering their rows as a JSON array; it is for
// tests and measurements only and is never part of the API worker. With
// --offline, the worker's own outbound fetches (webhook deliveries, an HTTP
// e-mail provider) are answered 502 here instead of leaving the machine: the
// fuzzer registers webhook endpoints at URLs it made up, which must not be called. With
// --no-consumers, the queues take messages but nothing consumes them: the bench
// measures a request's own path without the consumer's work on the same cores. `POST /mark`
// prints its body as a line of the log. `POST /scheduled`
// runs the API worker's scheduled handler once (as a Cron Trigger would; the body, if
// any, is the cron it is given, for a test to find that run's log line) and answers
// its outcome. `POST /explain` (body: `[{sql, args}]`) answers each statement's
// `EXPLAIN QUERY PLAN` rows, bound to its values; `POST /size` the database's size
// in bytes (page count times page size, as D1 reports it); `POST /r2` (body: a
// prefix) the keys of the R2 objects under it; `POST /log` (body: a string) the
// first line workerd printed that contains it, once that line is printed (404
// after 30 s): the worker's log is written after its answer, by another process.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { format } from "node:util";
import { Miniflare, Response } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args.splice(i, 2)[1];
};
const port = Number(option("--port") ?? 0);
const state = option("--state");
const controlPort = option("--control-port");
const logPath = option("--log");
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 && args.splice(i, 1).length === 1;
};
const migrate = flag("--migrate");
const removeState = flag("--remove-state");
const offline = flag("--offline");
const noConsumers = flag("--no-consumers");
const prepareOnly = flag("--prepare-migrations");
// Where --migrate keeps the migrated D1 it copies (see migratedTemplate).
const MIGRATED_DIR = "target/migrated-d1";
// wrangler.toml's [[ratelimits]] API_KEY_LIMITER's limit, for tests that lower it.
const limitOption = option("--api-key-limit");
const apiKeyLimit = limitOption === undefined ? undefined : Number(limitOption);
const bindings = Object.fromEntries(
  args.map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]),
);

// Where everything printed goes: the log file (written synchronously, so that
// nothing is lost when the process exits), or standard error. Standard output
// carries the ready line alone, so wrangler's and Node's own messages
// (console.*) are sent to the log too.
const logFd = logPath === undefined ? 2 : openSync(logPath, "a");
const log = logPath === undefined ? process.stderr : { write: (chunk) => writeSync(logFd, chunk) };
for (const name of ["log", "info", "warn", "error", "debug"]) {
  console[name] = (...parts) => log.write(format(...parts) + "\n");
}
// A reader that took its line and closed the pipe must not bring the server down.
process.stdout.on("error", () => {});

let mf = null;
let controlUrl = null;
let stopping = false;
/** Stops workerd, removes the state with --remove-state, and exits. */
async function stop(code) {
  if (stopping) return;
  stopping = true;
  try {
    // Disposing kills workerd and drops what it printed but this process has
    // not read yet. With a control door (whose log the tests read whole), the
    // door prints one last line: workerd prints in order, so once that line is
    // read, every line before it is in the log.
    if (controlUrl !== null) {
      const mark = `serve: stopping (${process.pid}, ${Date.now()})`;
      await fetch(controlUrl + "/mark", { method: "POST", body: mark }).then((r) => r.arrayBuffer(), () => {});
      await printedLine(mark, 10_000);
    }
    await mf?.dispose();
  } finally {
    // A failure keeps the state, and the log in it, for its caller to read.
    if (removeState && code === 0) rmSync(state, { recursive: true, force: true });
    process.exit(code);
  }
}
process.stdin.on("end", () => stop(0));
process.stdin.on("error", () => stop(0));
process.stdin.resume();
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => stop(0));

/** Applies the migrations not yet applied to the D1 in `dir`; false (said in the log) if they failed. */
function migrated(dir) {
  const applied = spawnSync(
    "node_modules/.bin/wrangler",
    ["d1", "migrations", "apply", "DB", "--local", "--persist-to", dir],
    { stdio: ["ignore", logFd, logFd], env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" } },
  );
  if (applied.status === 0) return true;
  console.error(`serve: the migrations failed (${applied.error ?? `exit ${applied.status}`})`);
  return false;
}

/**
 * A `--persist-to` folder whose local D1 has every migration applied by
 * `wrangler d1 migrations apply`, made once for these migrations and this
 * wrangler and kept in MIGRATED_DIR (null if the migrations failed; their
 * output is in the log). Wrangler starts a workerd per migration, some thirty
 * processes and seconds of CPU: each server copies the result instead. Servers
 * starting together may each apply them; the first to rename its folder into
 * place wins, so a folder found there is always whole.
 */
function migratedTemplate() {
  const hash = createHash("sha256");
  hash.update(readFileSync("node_modules/wrangler/package.json"));
  hash.update(readFileSync("wrangler.toml"));
  for (const name of readdirSync("migrations").sort()) {
    hash.update(name + "\0" + readFileSync(`migrations/${name}`) + "\0");
  }
  const done = `${MIGRATED_DIR}/${hash.digest("hex").slice(0, 16)}`;
  if (existsSync(done)) return done;
  mkdirSync(MIGRATED_DIR, { recursive: true });
  const fresh = mkdtempSync(`${MIGRATED_DIR}/applying-`);
  if (!migrated(fresh)) {
    rmSync(fresh, { recursive: true, force: true });
    return null;
  }
  try {
    renameSync(fresh, done);
  } catch {
    rmSync(fresh, { recursive: true, force: true }); // another server's is in place
  }
  return done;
}

if (prepareOnly) process.exit(migratedTemplate() === null ? 1 : 0);
if (migrate) {
  // A folder a server stopped before has its D1 brought up to date; a new one
  // gets a copy of the migrated D1.
  if (existsSync(`${state}/v3/d1`)) {
    if (!migrated(state)) await stop(1);
  } else {
    const template = migratedTemplate();
    if (template === null) await stop(1);
    cpSync(template, state, { recursive: true });
  }
}

/** Splits SQL into statements at `;` outside quotes and outside a trigger's BEGIN ... END. */
export function splitStatements(sql) {
  const out = [];
  let start = 0, depth = 0, quote = null;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (/[a-z]/i.test(c) && !/[a-z0-9_]/i.test(sql[i - 1] ?? "")) {
      const word = /^[a-z_]+/i.exec(sql.slice(i))[0].toLowerCase();
      if (word === "begin") depth++;
      if (word === "end" && depth > 0) depth--;
      i += word.length - 1;
    } else if (c === ";" && depth === 0) {
      out.push(sql.slice(start, i));
      start = i + 1;
    }
  }
  out.push(sql.slice(start));
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}

// The control door is a second worker in the same workerd, bound to the same
// D1 and to the API worker, listening on its own socket. Nothing of it runs in
// this Node process: Node's D1 proxies make synchronous calls into workerd, and
// a workerd blocked on writing its log to this process (which, blocked in such
// a call, would not read it) would wait for ever.
const control = `
${splitStatements.toString()}
export default {
  async fetch(request, env) {
    const path = new URL(request.url).pathname;
    const body = await request.text();
    try {
      if (path === "/scheduled") {
        // Resolves once the handler has finished (a throw rejects it); older
        // runtimes answer {outcome}, newer ones nothing.
        const result = await env.API.scheduled({ cron: body || "*/30 * * * *" });
        return Response.json(result ?? { outcome: "ok" });
      }
      if (path === "/size") {
        // D1 refuses PRAGMA page_count; every result's meta has the same figure.
        const { meta } = await env.DB.prepare("select 1").run();
        return Response.json({ bytes: meta.size_after });
      }
      if (path === "/log") return env.LOG.fetch("http://log/", { method: "POST", body });
      if (path === "/mark") {
        console.log(body);
        return new Response(null, { status: 204 });
      }
      if (path === "/r2") {
        // The keys of the R2 objects under a prefix (the body).
        const listed = await env.MEDIA.list({ prefix: body });
        return Response.json(listed.objects.map((o) => o.key));
      }
      if (path === "/explain") {
        const plans = [];
        for (const { sql, args } of JSON.parse(body)) {
          try {
            const stmt = env.DB.prepare("explain query plan " + sql);
            plans.push((await (args.length ? stmt.bind(...args) : stmt).all()).results);
          } catch (e) {
            plans.push({ error: String(e) });
          }
        }
        return Response.json(plans);
      }
      const results = await env.DB.batch(splitStatements(body).map((s) => env.DB.prepare(s)));
      return Response.json(results.flatMap((r) => r.results ?? []));
    } catch (e) {
      return new Response(String(e?.stack ?? e), { status: 400 });
    }
  },
};
`;

// Every line workerd prints goes to the log (see above) as it comes; with a
// control door, the last lines are also kept for its /log, which waits for a
// line (a server without one, as under `make bench`, splits and keeps nothing).
const printed = [];
const KEEP_LINES = 100_000;
const waiting = new Set();
function keepLines(stream, out) {
  let partial = "";
  stream.on("data", (chunk) => {
    out.write(chunk);
    if (controlPort === undefined) return;
    const parts = (partial + chunk).split("\n");
    partial = parts.pop();
    for (const line of parts) {
      printed.push(line);
      if (printed.length > KEEP_LINES) printed.splice(0, KEEP_LINES / 2);
      for (const w of waiting) if (line.includes(w.needle)) w.found(line);
    }
  });
}
function printedLine(needle, ms) {
  const line = printed.find((l) => l.includes(needle));
  if (line !== undefined) return Promise.resolve(line);
  return new Promise((resolve) => {
    const w = { needle, found: (l) => done(l) };
    const timer = setTimeout(() => done(null), ms);
    const done = (l) => {
      clearTimeout(timer);
      waiting.delete(w);
      resolve(l);
    };
    waiting.add(w);
  });
}
async function logDoor(request) {
  const line = await printedLine(await request.text(), 30_000);
  return line === null ? new Response("no such line", { status: 404 }) : new Response(line);
}

// The worker as wrangler.toml describes it, read by wrangler's own API: its
// module, compatibility date, D1 (the same id, so wrangler's local D1 and this
// one are the same file), R2, queues, rate limiters and static assets. A binding
// added to wrangler.toml reaches this server without a second edit. Only the
// vars are this server's own: the NAME=VALUE pairs it was given, not
// wrangler.toml's [vars] nor a developer's .dev.vars.
const fromToml = unstable_getMiniflareWorkerOptions("wrangler.toml");
const { bindings: _tomlVars, queueConsumers, ...tomlOptions } = fromToml.workerOptions;
const ratelimits = Object.fromEntries(
  Object.entries(tomlOptions.ratelimits ?? {}).map(([name, options]) => [
    name,
    name === "API_KEY_LIMITER" && apiKeyLimit !== undefined
      ? { ...options, simple: { ...options.simple, limit: apiKeyLimit } }
      : options,
  ]),
);
const { d1Databases, r2Buckets } = tomlOptions;
const workers = [
  {
    ...tomlOptions,
    name: "api",
    modules: true,
    scriptPath: fromToml.main,
    ratelimits,
    bindings,
    ...(noConsumers ? {} : { queueConsumers }),
    ...(offline
      ? { outboundService: () => new Response("serve.mjs --offline: nothing leaves this machine", { status: 502 }) }
      : {}),
  },
];
if (controlPort) {
  workers.push({
    name: "control",
    modules: true,
    script: control,
    compatibilityDate: tomlOptions.compatibilityDate,
    d1Databases,
    r2Buckets,
    serviceBindings: { API: "api", LOG: logDoor },
    unsafeDirectSockets: [{ host: "127.0.0.1", port: Number(controlPort) }],
  });
}

mf = new Miniflare({
  workers,
  d1Persist: `${state}/v3/d1`,
  r2Persist: `${state}/v3/r2`,
  host: "127.0.0.1",
  port,
  handleRuntimeStdio: (stdout, stderr) => {
    keepLines(stdout, log);
    keepLines(stderr, log);
  },
});
const url = (await mf.ready).origin;
controlUrl = controlPort === undefined ? null : (await mf.unsafeGetDirectURL("control")).origin;
const ready = { url, control: controlUrl };
if (!stopping) process.stdout.write(JSON.stringify(ready) + "\n");
