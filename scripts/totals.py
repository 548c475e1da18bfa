#!/usr/bin/env python3
"""The closing line of `make test`: `total: N passed, N failed`.

Usage: totals.py LOG [JUNIT_XML ...]

LOG is every stage's output, each stage between `==> stage NAME` and
`<== stage NAME exit N` (scripts/test.sh writes them). Within a stage it counts
cargo's `test result: ... N passed; N failed` lines, unittest's `Ran N tests` /
`FAILED (failures=F, errors=E)` and the soak's `soak: N passed, N failed`. Each
JUnit report counts one test case each toward the stage it belongs to (by its file
name: size.xml, browser.xml and clients.xml to their stages, the rest to fuzz): a
case with a <failure> or <error> failed, one with <skipped> is neither, any other
passed. A stage whose report covers it (clients) has its unittest lines left out:
they are the same test counted again. A stage that exited non-zero with no failure
counted for it adds one failure (a lint error, the fuzzer's 5xx grep, a timeout, a
setup hook that died), whatever other stages counted.
"""
import os
import re
import sys
import xml.etree.ElementTree as ET

# Stages whose JUnit report already counts what their unittest lines would.
REPORTED = {"clients"}
REPORT_STAGE = {"size.xml": "size", "browser.xml": "browser", "clients.xml": "clients"}


def count_text(text, unittest=True):
    passed = failed = 0
    for p, f in re.findall(r"test result: \w+\. (\d+) passed; (\d+) failed", text):
        passed += int(p)
        failed += int(f)
    for p, f in re.findall(r"^soak: (\d+) passed, (\d+) failed$", text, re.M):
        passed += int(p)
        failed += int(f)
    if unittest:
        for ran, outcome in re.findall(r"^Ran (\d+) tests? in [^\n]*\n\n(OK|FAILED[^\n]*)", text, re.M):
            bad = sum(int(n) for n in re.findall(r"(?:failures|errors)=(\d+)", outcome))
            passed += int(ran) - bad
            failed += bad
    return passed, failed


def count_junit(path):
    """Passed and failed cases of a JUnit report; one failure for a report that
    does not parse (a run stopped before it wrote it, as `timeout` stops one)."""
    passed = failed = 0
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        print(f"totals: {path} is not a JUnit report (its run did not finish): counted as a failure",
              file=sys.stderr)
        return 0, 1
    for case in root.iter("testcase"):
        tags = {child.tag for child in case}
        if tags & {"failure", "error"}:
            failed += 1
        elif "skipped" not in tags:
            passed += 1
    return passed, failed


def stages(log_text):
    """(name, text, exit status) of each stage in the log, in order."""
    found = re.findall(r"^==> stage (\S+)\n(.*?)^<== stage \1 exit (\d+)$", log_text, re.M | re.S)
    return [(name, text, int(code)) for name, text, code in found]


def totals(log_text, junit_paths):
    counts = {}
    for name, text, code in stages(log_text):
        p, f = count_text(text, unittest=name not in REPORTED)
        counts[name] = [p, f, code]
    for path in junit_paths:
        stage = REPORT_STAGE.get(os.path.basename(path), "fuzz")
        p, f = count_junit(path)
        entry = counts.setdefault(stage, [0, 0, 0])
        entry[0] += p
        entry[1] += f
    passed = failed = 0
    for p, f, code in counts.values():
        passed += p
        failed += f + (1 if code != 0 and f == 0 else 0)
    return passed, failed


if __name__ == "__main__":
    log, *reports = sys.argv[1:]
    passed, failed = totals(open(log, errors="replace").read(), reports)
    print(f"total: {passed} passed, {failed} failed")
