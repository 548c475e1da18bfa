#!/usr/bin/env bash
# Installs everything the build needs, and nothing twice.
#
# - the wasm32-unknown-unknown target (rustup)
# - worker-build and the wasm-bindgen CLI, compiled from crates.io into
#   $TOOLS_DIR/<tool>-<version>, outside the clone, so every clone and CI run on
#   this machine reuses them; nothing is put on the global PATH
# - the npm packages pinned in package-lock.json (wrangler, esbuild, binaryen,
#   redocly, swagger-ui-dist, redoc, playwright-core, the client generator)
# - Debian's chromium, jq and curl, for the browser check of /docs and /redoc and the
#   docs' examples (apt-get, once)
#
# The wasm-bindgen CLI version is read from Cargo.lock: worker-build refuses a
# CLI whose version differs from the crate's.
#
# Prints nothing but progress on stderr; `scripts/bootstrap.sh --env` prints the
# variables that point worker-build at the local tools (used by the Makefile).
set -euo pipefail
cd "$(dirname "$0")/.."

WORKER_BUILD_VERSION=0.8.7
TOOLS_DIR=${USERS_ORGS_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/users-orgs-api/tools}

wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

WB_VERSION=$(wasm_bindgen_version)
[ -n "$WB_VERSION" ] || { echo "bootstrap: no wasm-bindgen in Cargo.lock" >&2; exit 1; }
WB_ROOT="$TOOLS_DIR/wasm-bindgen-cli-$WB_VERSION"
WORKER_BUILD_ROOT="$TOOLS_DIR/worker-build-$WORKER_BUILD_VERSION"

if [ "${1:-}" = "--env" ]; then
  echo "WORKER_BUILD=$WORKER_BUILD_ROOT/bin/worker-build"
  echo "WASM_BINDGEN_BIN=$WB_ROOT/bin/wasm-bindgen"
  echo "WASM_BINDGEN_TEST_RUNNER=$WB_ROOT/bin/wasm-bindgen-test-runner"
  exit 0
fi

log() { echo "bootstrap: $*" >&2; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown >&2
fi

# cargo install into a temporary root, then rename: an interrupted install
# never leaves a folder that looks complete.
install_crate() { # name version root [extra cargo args]
  local name=$1 version=$2 root=$3; shift 3
  if [ -f "$root/.complete" ]; then return; fi
  log "compiling $name $version into $root (several minutes, once per machine)"
  local tmp="$root.partial.$$"
  rm -rf "$tmp"
  cargo install "$name" --version "$version" --root "$tmp" "$@" >&2
  rm -rf "$root"; mv "$tmp" "$root"; touch "$root/.complete"
}

mkdir -p "$TOOLS_DIR"
install_crate worker-build "$WORKER_BUILD_VERSION" "$WORKER_BUILD_ROOT" --locked
# Not --locked: one locked dependency of wasm-bindgen-cli 0.2.130 is yanked.
install_crate wasm-bindgen-cli "$WB_VERSION" "$WB_ROOT"

missing=()
for tool in chromium jq curl; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]} (Debian's packages): the browser check, the docs' examples"
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
fi

if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.bootstrap-lock; then
  log "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund >&2
  cp package-lock.json node_modules/.bootstrap-lock
fi
