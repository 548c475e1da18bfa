#!/usr/bin/env bash
# The worker's upload against its budget: issue 29's 350 KB (350,000 bytes; it was 300 KB until the signing keys)
# gzipped, measured as `wrangler deploy` measures it (--dry-run: the bundle
# offline, the static assets not counted). A JUnit report joins `make test`'s
# totals; an upload over the budget fails the stage.
set -euo pipefail
cd "$(dirname "$0")/.."
BUDGET_BYTES=350000
out=build/deploy
rm -rf "$out"
report=$(node_modules/.bin/wrangler deploy --dry-run --outdir "$out" 2>&1)
python3 - "$BUDGET_BYTES" "$report" <<'PY'
import os, re, sys
budget, report = int(sys.argv[1]), sys.argv[2]
m = re.search(r"Total Upload:\s*([\d.]+) KiB\s*/\s*gzip:\s*([\d.]+) KiB", report)
if not m:
    sys.exit("size: wrangler printed no upload size:\n" + report)
raw, gz = float(m.group(1)), float(m.group(2))
ok = gz * 1024 <= budget
line = (f"size: gzipped upload {gz:.2f} KiB ({gz * 1024:,.0f} bytes; {raw:.2f} KiB raw), "
        f"budget {budget:,} bytes: {'within' if ok else 'OVER'}")
print(line)
os.makedirs("target/fuzz-reports", exist_ok=True)
failure = "" if ok else f'<failure message="{line}"/>'
with open("target/fuzz-reports/size.xml", "w") as f:
    f.write(f'<?xml version="1.0"?>\n<testsuites><testsuite name="size" tests="1">'
            f'<testcase classname="size" name="the gzipped upload is within {budget} bytes">'
            f'{failure}</testcase></testsuite></testsuites>\n')
sys.exit(0 if ok else 1)
PY
