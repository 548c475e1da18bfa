# Two entry points (see README.md): `make dev` serves the API locally, `make test` runs every test.
# Everything installs itself through scripts/bootstrap.sh; compiled tools are cached outside the clone.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PORT ?= 8787
# Local D1 for `make dev` (the tests make their own, fresh, per run).
DEV_STATE ?= .wrangler/state
WRANGLER := node_modules/.bin/wrangler

.PHONY: help bootstrap build dev mail test lint test-unit test-wasm test-api test-logs soak verifiers fuzz browser clients bench bench-scale fmt clippy deploy-dry-run size keygen clean docs-check ops-check backup restore compat

help:
	@echo "make dev    bootstrap, build, migrate a local D1, start wrangler dev on 127.0.0.1:$(PORT)"
	@echo "make test   bootstrap, build once, lint, check the upload size, run native unit, wasm and HTTP tests,"
	@echo "            the soak, the token verifiers, the runbook and backups, the previous release on our"
	@echo "            schema, the fuzzer, the browser check and the generated clients (docs/testing.md)"
	@echo "make lint | size | test-unit | test-wasm | test-api | test-logs | soak | verifiers | ops-check | compat"
	@echo "          | fuzz | browser | clients      one stage of it (docs-check: the docs' code alone)"
	@echo "make backup [FILE=...] | make restore FILE=...   the local D1 to SQL and back (docs/operations.md)"
	@echo "make mail   a local SMTP catcher on 127.0.0.1:1025"
	@echo "make keygen a new Ed25519 signing key (a private JWK) for SIGNING_KEYS (docs/operations.md)"
	@echo "make bench  benchmarks (writes bench/results.md)"
	@echo "make bench-scale  the same at 100,000 users (appends to bench/results.md)"

bootstrap:
	@scripts/bootstrap.sh

build: bootstrap
	@scripts/build.sh

.dev.vars:
	cp .dev.vars.example .dev.vars

dev: build .dev.vars
	$(WRANGLER) d1 migrations apply DB --local --persist-to $(DEV_STATE)
	@set -a; source .dev.vars; set +a; \
	echo; echo "  API:         http://127.0.0.1:$(PORT)/api/v1/"; \
	echo "  Health:      http://127.0.0.1:$(PORT)/api/v1/utils/health-check/"; \
	echo "  OpenAPI:     http://127.0.0.1:$(PORT)/api/v1/openapi.json"; \
	echo "  Superuser:   $$FIRST_SUPERUSER / $$FIRST_SUPERUSER_PASSWORD (from .dev.vars)"; echo
	$(WRANGLER) dev --ip 127.0.0.1 --port $(PORT) --persist-to $(DEV_STATE) --show-interactive-dev-session=false --test-scheduled

test: build
	scripts/test.sh

# A new signing key for the SIGNING_KEYS ring, as one line of JSON (KID=... names it).
keygen:
	@node scripts/keygen.mjs $(KID)

# A local SMTP server on 127.0.0.1:1025 that prints every message it gets
# (aiosmtpd from PyPI): run `make dev` with EMAIL_PROVIDER=smtp, SMTP_HOST=127.0.0.1,
# SMTP_PORT=1025, SMTP_TLS=false in .dev.vars to see the mail there.
mail:
	scripts/mail_catcher.sh 1025

# Pure modules, natively, and the scripts' own unit tests.
test-unit:
	cargo test --lib
	python3 -m unittest scripts/test_totals.py

# The same pure modules compiled to wasm32 and run in Node by wasm-bindgen-test-runner
# (with a stand-in for the Workers-only `cloudflare:sockets` module; see the shim).
test-wasm: bootstrap
	eval "$$(scripts/bootstrap.sh --env)"; \
	NODE_OPTIONS="--require $(CURDIR)/tests/support/node-cloudflare-shim.cjs" \
	CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER="$$WASM_BINDGEN_TEST_RUNNER" \
	cargo test --target wasm32-unknown-unknown --test wasm

# HTTP tests against the built worker in workerd (Miniflare's API) with a fresh local D1.
# The HTTP tests; their shared worker's whole log is kept in API_TEST_LOG for the
# stage after them (removed first: a run that does not start leaves no old log behind).
API_TEST_LOG ?= $(CURDIR)/target/api-worker.log
test-api:
	rm -f $(API_TEST_LOG)
	node scripts/lib/serve.mjs --prepare-migrations
	API_TEST_LOG=$(API_TEST_LOG) cargo test --test api -- --test-threads=8

# Checks that read the whole log of the last `make test-api` run, once it has ended:
# every status an operation answered is declared, every operation was called, and
# every statement uses an index (tests/logs).
test-logs:
	API_TEST_LOG=$(API_TEST_LOG) cargo test --test logs

# Two phases of mixed traffic at 16 connections (the second kills and restarts the
# worker midway), each followed by the invariants checked in D1. `make test` runs it
# at SOAK_SECONDS=10; alone it runs 120 s per phase.
soak: build
	python3 scripts/soak.py

# Our tokens checked by verifiers nobody here wrote: the example edge Worker (jose)
# and the example Python script (PyJWT), against the local worker's JWKS.
verifiers: build
	@source scripts/lib/pytool.sh && pytool PyJWT 2.15.1 cryptography==50.0.2 && \
	"$$PYTOOL/bin/python" -m unittest -v tests/verifiers/test_verifiers.py

# Webhook deliveries received by a local receiver that checks each with the
# standardwebhooks package from PyPI, the retry schedule run in seconds.
webhooks: build
	@source scripts/lib/pytool.sh && pytool standardwebhooks 1.1.0 && \
	"$$PYTOOL/bin/python" -m unittest -v tests/webhooks/test_webhooks.py

# The previous release (CHANGELOG.md), built from git, on the current migrations: its own
# generated-client flows must pass (scripts/compat.sh).
compat: bootstrap
	scripts/compat.sh

# The local D1 (DEV_STATE, what `make dev` serves) to a SQL file, and a SQL file into a
# fresh local D1: scripts/backup.py says how the FTS5 search indexes travel.
BACKUP_DIR ?= backups
FILE ?= $(BACKUP_DIR)/users-orgs-api-$(shell date -u +%Y%m%dT%H%M%SZ).sql
backup: bootstrap
	python3 scripts/backup.py backup --state $(DEV_STATE) --out $(FILE)

restore: bootstrap
	@[ -f "$(FILE)" ] || { echo "restore: FILE=<a backup's .sql> is required" >&2; exit 2; }
	python3 scripts/backup.py restore --state $(DEV_STATE) $(FILE)

# The runbook's commands (docs/operations.md) and everything else docs/ shows, run as
# written (tests/docs), and a backup restored into a fresh D1 (tests/ops).
ops-check: build
	@python3 -m unittest -v tests/docs/test_docs.py tests/ops/test_backup.py

# The code of README.md and docs/ run as written: `make dev` as a reader starts it, every
# ```sh block against it, and the account-only blocks' wrangler commands checked.
docs-check: build
	@python3 -m unittest -v tests/docs/test_docs.py

# schemathesis against the served OpenAPI document, as a superuser, as a user, and as an
# organization's owner with its ids filled in (bounded).
fuzz: build
	scripts/fuzz.sh

# /docs and /redoc in headless Chromium (Playwright); screenshots in target/browser.
browser: build
	scripts/browser.sh

# The TypeScript and Python clients generated from the served document, driven through a flow.
clients: build
	scripts/clients.sh

# Throughput, latency, sizes and login cost; writes bench/results.md (see bench/run.sh).
bench: build
	bench/run.sh
	BENCH_SCRIPT=bench/floor.py bench/run.sh
	python3 bench/latency_model.py >/dev/null

# The same at 100,000 users, 20,000 organizations and 1,000,000 resource rows
# (seeded with SQL), with rows read per request and bytes per row; writes the
# "At scale" section of bench/results.md (see bench/scale.py).
bench-scale: build
	BENCH_SCRIPT=bench/scale.py bench/run.sh

fmt:
	cargo fmt

# Formatting, and clippy for the wasm target and for the native one (unit and HTTP tests, tools).
lint: clippy
	cargo fmt --check
	node_modules/.bin/redocly lint openapi.json --config redocly.yaml
	python3 scripts/docs_check.py
	python3 scripts/gates_check.py
	python3 scripts/imports_check.py

clippy:
	cargo clippy --target wasm32-unknown-unknown --all-targets -- -D warnings
	cargo clippy --all-targets -- -D warnings

# The deployable bundle, built without network access.
deploy-dry-run: build
	$(WRANGLER) deploy --dry-run --outdir build/deploy

# The gzipped upload against its budget (350 KB, as wrangler measures it).
size: build
	scripts/size.sh

clean:
	rm -rf build target/wasm32-unknown-unknown
