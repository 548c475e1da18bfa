// The wasm tests (tests/wasm.rs) run the crate in Node through wasm-bindgen's
// test runner, and Node has no `cloudflare:*` modules. The crate links
// workers-rs's socket binding (the SMTP provider), so its glue requires
// `cloudflare:sockets`; the pure functions under test never open a socket.
// Loaded with `node --require` by `make test-wasm`.
const Module = require("module");
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === "cloudflare:sockets" ? request : resolve.call(this, request, ...rest);
};
require.cache["cloudflare:sockets"] = {
  id: "cloudflare:sockets",
  filename: "cloudflare:sockets",
  loaded: true,
  exports: {
    connect() {
      throw new Error("no TCP sockets in the Node tests");
    },
  },
};
