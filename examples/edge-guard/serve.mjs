// Starts the edge guard under wrangler's own API (its wrangler.toml, workerd,
// on a port the system picks), for `make test`'s verifiers stage:
//
//   node examples/edge-guard/serve.mjs JWKS_URL ISSUER
//
// Prints one line `{"url": ...}` once it listens, and stops when its stdin closes.
import { unstable_startWorker } from "wrangler";

const [jwksUrl, issuer] = process.argv.slice(2);
const plain = (value) => ({ type: "plain_text", value });
const worker = await unstable_startWorker({
  config: new URL("wrangler.toml", import.meta.url).pathname,
  bindings: { JWKS_URL: plain(jwksUrl), ISSUER: plain(issuer) },
  dev: {
    server: { hostname: "127.0.0.1", port: 0 },
    inspector: false,
    watch: false,
    logLevel: "error",
  },
});
const url = await worker.url;
process.stdout.write(JSON.stringify({ url: url.origin }) + "\n");
process.stdin.resume();
process.stdin.on("end", async () => {
  await worker.dispose();
  process.exit(0);
});
