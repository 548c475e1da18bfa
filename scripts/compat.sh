#!/usr/bin/env bash
# `make compat`: the previous release must keep working on the current schema.
# Takes the newest release in CHANGELOG.md whose commit is not the one under test,
# extracts that commit from git (target/compat/<version>), puts the current
# migrations/ in place of its own, and runs its own `scripts/clients.sh`: its worker,
# built from its source, serves a fresh local D1 migrated with *our* migrations, and
# its generated-client flows run against it. The Cargo target folder, the tool cache
# and (when the lock files match) node_modules are shared with the main build, so
# only that release's crate compiles. A migration that drops or renames what the
# release reads fails its flows here.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
head=$(git rev-parse HEAD)
read -r version commit < <(python3 - "$head" <<'PY'
import re, sys
text = open("CHANGELOG.md").read()
for version, body in re.findall(r"^## (\d+\.\d+\.\d+)\b[^\n]*\n(.*?)(?=^## |\Z)", text, re.M | re.S):
    m = re.search(r"^Commit: ([0-9a-f]{40})$", body, re.M)
    if m and m.group(1) != sys.argv[1]:
        print(version, m.group(1))
        break
else:
    sys.exit("compat: CHANGELOG.md names no release other than HEAD")
PY
)
git cat-file -e "$commit^{commit}" 2>/dev/null || { echo "compat: release $version ($commit) is not in this clone's history" >&2; exit 1; }
tree=target/compat/$version
if [ ! -f "$tree/.extracted" ] || [ "$(cat "$tree/.extracted")" != "$commit" ]; then
  rm -rf "$tree"
  mkdir -p "$tree"
  git archive "$commit" | tar -x -C "$tree"
  echo "$commit" > "$tree/.extracted"
fi
# Its code, our schema.
rm -rf "$tree/migrations"
cp -r migrations "$tree/migrations"
if cmp -s package-lock.json "$tree/package-lock.json"; then
  [ -e "$tree/node_modules" ] || ln -s "$root/node_modules" "$tree/node_modules"
elif [ ! -d "$tree/node_modules" ] || [ -L "$tree/node_modules" ]; then
  rm -f "$tree/node_modules"
  (cd "$tree" && npm ci --no-audit --no-fund >&2)
fi
echo "compat: release $version ($commit) on migrations $(ls migrations | head -1) to $(ls migrations | tail -1)" >&2
run_flows() { (cd "$tree" && CARGO_TARGET_DIR="$root/target" scripts/clients.sh); }
run_flows
# The check bites: with a migration that renames a column the release reads (a
# contract step taken one release too early), the same flows must fail.
probe=$tree/migrations/9999_compat_probe.sql
echo "alter table organizations rename column description to summary;" > "$probe"
if run_flows >"$tree/probe.log" 2>&1; then
  echo "compat: the flows passed on a schema that renamed organizations.description: they check nothing" >&2
  exit 1
fi
rm -f "$probe"
echo "compat: release $version works on the current migrations (and fails, as it must, on a rename)" >&2
