#!/usr/bin/env bash
# Builds the worker bundle (build/index.js + wasm) with worker-build --release,
# pointed at the locally installed wasm-bindgen, esbuild and wasm-opt so that
# nothing is downloaded. wrangler's [build] command runs this, so `wrangler dev`,
# `wrangler deploy` and the tests build the same way. Skips all work when the
# bundle is newer than every input.
set -euo pipefail
cd "$(dirname "$0")/.."

# The static assets ([assets] in wrangler.toml): /docs and /redoc, with the
# pinned npm builds of Swagger UI and ReDoc beside them, and the OpenAPI
# document. Cheap: copied every time.
copy_assets() {
  local assets=build/assets
  mkdir -p "$assets/static/swagger-ui" "$assets/static/redoc"
  cp web/docs.html web/redoc.html "$assets/"
  cp web/docs.js "$assets/static/"
  cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css "$assets/static/swagger-ui/"
  # ReDoc's attribution shows a logo from cdn.redoc.ly: point it at a copy here.
  sed 's#https://cdn.redoc.ly/redoc/logo-mini.svg#/static/redoc/logo-mini.svg#g' \
    node_modules/redoc/bundles/redoc.standalone.js > "$assets/static/redoc/redoc.standalone.js"
  cp web/redoc-logo.svg "$assets/static/redoc/logo-mini.svg"
  # The OpenAPI document, whole and as deployed (src/openapi.rs): under /api/,
  # where the worker runs first, so only its route serves them.
  node scripts/lib/openapi.mjs openapi.json "$assets/api/openapi"
}

stamp=build/.inputs
inputs=$( (find src migrations .cargo -type f; echo Cargo.toml; echo Cargo.lock) | sort | xargs sha256sum | sha256sum | cut -d' ' -f1)
if [ -f build/index.js ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs" ] && [ -d node_modules/redoc ]; then
  copy_assets
  exit 0
fi

scripts/bootstrap.sh
copy_assets
eval "$(scripts/bootstrap.sh --env)"
export WASM_BINDGEN_BIN ESBUILD_BIN="$PWD/node_modules/.bin/esbuild" WASM_OPT_BIN="$PWD/node_modules/.bin/wasm-opt"
"$WORKER_BUILD" --release >&2
# wasm-opt for size (-Os, run until nothing changes: 2 KB gzipped under -O3;
# the login's PBKDF2 keeps its speed) with SIMD enabled (see .cargo/config.toml),
# dropping the names section: ~100 KB of function names for stack traces, where a
# panic aborts the isolate anyway and the upload limit is what counts.
"$WASM_OPT_BIN" build/index_bg.wasm -o build/index_bg.wasm -Os --converge --strip-debug --strip-producers --enable-simd \
  --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int --enable-bulk-memory \
  --enable-multivalue --enable-reference-types --enable-exception-handling >&2
echo "$inputs" > "$stamp"
