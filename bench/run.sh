#!/usr/bin/env bash
# `make bench`: release build, a fresh seeded local D1, the worker under
# Miniflare, wrk against five endpoints at 2 and 16 connections, sizes, start-up
# time and PBKDF2 cost three ways. Writes bench/results.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
if ! command -v wrk >/dev/null; then
  echo "bench: installing wrk (Debian package)" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get install -y wrk >/dev/null 2>&1 || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y wrk >/dev/null; }
fi
if [ -z "${BENCH_SCRIPT:-}" ]; then
  cargo build --release --example pbkdf2_bench >/dev/null 2>&1
  cp target/release/examples/pbkdf2_bench target/release/examples/pbkdf2_bench_default
  cargo build --release --features soft-sha2 --example pbkdf2_bench >/dev/null 2>&1
  cp target/release/examples/pbkdf2_bench target/release/examples/pbkdf2_bench_soft
fi
exec python3 "${BENCH_SCRIPT:-bench/run.py}" "$@"
