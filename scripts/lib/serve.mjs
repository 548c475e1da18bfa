// Serves the built worker (build/index.js) in workerd through Miniflare's API:
// one process owns the worker and its local D1, so seeding goes through the
// same D1 object as the worker's own queries, serialized by the runtime.
//
//   node scripts/lib/serve.mjs --port P --state DIR [--control-port C] [NAME=VALUE ...]
//
// DIR is a `wrangler ... --persist-to` folder (its D1 lives in DIR/v3/d1, so
// `wrangler d1 migrations apply --local --persist-to DIR` prepares it).
// NAME=VALUE pairs are the worker's vars. With --control-port, a second server on
// 127.0.0.1 answers `POST /d1` (body: SQL, one or more statements) by running the
// statements as one D1 batch and answering their rows as a JSON array; it is for
// tests and measurements only and is never part of the worker. `POST /scheduled`
// runs the worker's scheduled handler once (as a Cron Trigger would) and answers
// its outcome.
import { Miniflare } from "miniflare";
import http from "node:http";

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args.splice(i, 2)[1];
};
const port = Number(option("--port"));
const state = option("--state");
const controlPort = option("--control-port");
const bindings = Object.fromEntries(
  args.map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]),
);

const mf = new Miniflare({
  modules: true,
  scriptPath: "build/index.js",
  modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
  compatibilityDate: "2026-04-01",
  // The id in wrangler.toml: wrangler's local D1 and this one are the same file.
  d1Databases: { DB: "00000000-0000-0000-0000-000000000000" },
  d1Persist: `${state}/v3/d1`,
  // As wrangler.toml's [[queues.producers]] and [[queues.consumers]].
  queueProducers: { EMAIL_QUEUE: { queueName: "users-orgs-emails" } },
  queueConsumers: { "users-orgs-emails": { maxBatchSize: 10, maxBatchTimeout: 1, maxRetries: 100 } },
  bindings,
  host: "127.0.0.1",
  port,
});
await mf.ready;

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

if (controlPort) {
  const db = await mf.getD1Database("DB");
  http
    .createServer(async (req, res) => {
      let sql = "";
      for await (const chunk of req) sql += chunk;
      if (req.url.startsWith("/scheduled")) {
        const worker = await mf.getWorker();
        const result = await worker.scheduled({ cron: "*/30 * * * *" });
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify(result));
        return;
      }
      try {
        const results = await db.batch(splitStatements(sql).map((s) => db.prepare(s)));
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify(results.flatMap((r) => r.results ?? [])));
      } catch (e) {
        res.writeHead(400, { "Content-Type": "text/plain" });
        res.end(String(e?.stack ?? e));
      }
    })
    .listen(Number(controlPort), "127.0.0.1");
}
console.log(`ready http://127.0.0.1:${port}`);
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, async () => {
    await mf.dispose();
    process.exit(0);
  });
}
