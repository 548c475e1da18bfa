#!/usr/bin/env bash
# `make browser`: /docs and /redoc in headless Chromium (Debian's `chromium`,
# installed by the bootstrap) driven by Playwright (npm playwright-core), against
# a served worker: every operation listed, the OAuth2 password "Authorize" and a
# GET /users/me run from the page, every tag in ReDoc. Screenshots go to
# target/browser; a JUnit report beside the fuzzer's counts in `make test`'s totals.
set -euo pipefail
cd "$(dirname "$0")/.."
# This script runs under scripts/lib/serve.py, which serves it a worker (BASE,
# STATE, SUPERUSER, ...) and stops it when the script ends.
export PASSWORD_HASH_ITERATIONS=1000
[ -n "${USERS_ORGS_SERVED:-}" ] || exec python3 scripts/lib/serve.py -- "scripts/$(basename "$0")" "$@"
mkdir -p target/fuzz-reports target/browser
BASE=$BASE SUPERUSER=$SUPERUSER SUPERUSER_PASSWORD=$SUPERUSER_PASSWORD OUT=target/browser \
  node --test --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=junit --test-reporter-destination=target/fuzz-reports/browser.xml \
  tests/browser/docs.test.mjs
