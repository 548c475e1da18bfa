// Serves the built worker in workerd through Miniflare's API, without wrangler
// dev's Node proxy in every request. Usage: node bench/serve.mjs PORT PERSIST_DIR
// PERSIST_DIR is a `wrangler ... --persist-to` folder (its D1 lives in v3/d1).
import { Miniflare } from "miniflare";

const [port, persist] = process.argv.slice(2);
const mf = new Miniflare({
  modules: true,
  scriptPath: "build/index.js",
  modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
  compatibilityDate: "2026-04-01",
  // The id in wrangler.toml: wrangler's local D1 and this one are the same file.
  d1Databases: { DB: "00000000-0000-0000-0000-000000000000" },
  d1Persist: `${persist}/v3/d1`,
  bindings: {
    ENVIRONMENT: "local",
    SECRET_KEY: "bench-secret-key",
    ACCESS_TOKEN_EXPIRE_MINUTES: "11520",
    PASSWORD_HASH_ITERATIONS: process.env.PASSWORD_HASH_ITERATIONS ?? "600000",
    FIRST_SUPERUSER: "admin@example.com",
    FIRST_SUPERUSER_PASSWORD: "bench-admin-password",
  },
  host: "127.0.0.1",
  port: Number(port),
});
await mf.ready;
console.log("ready");
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, async () => {
    await mf.dispose();
    process.exit(0);
  });
}
