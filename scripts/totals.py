#!/usr/bin/env python3
"""The closing line of `make test`: `total: N passed, N failed`.

Usage: totals.py LOG STATUS [JUNIT_XML ...]

Counts, from LOG, cargo's `test result: ... N passed; N failed` lines,
unittest's `Ran N tests` / `FAILED (failures=F, errors=E)` and the soak's
`soak: N passed, N failed`; and from each JUnit
report (the fuzzer's), one per test case: a case with a <failure> or <error> is
failed, one with <skipped> is neither, any other passed. STATUS is the exit
status of the stages: non-zero with nothing failed counted still counts one
failure (a build error, a stage that died before reporting).
"""
import re
import sys
import xml.etree.ElementTree as ET


def count_log(text):
    passed = failed = 0
    for p, f in re.findall(r"test result: \w+\. (\d+) passed; (\d+) failed", text):
        passed += int(p)
        failed += int(f)
    for p, f in re.findall(r"^soak: (\d+) passed, (\d+) failed$", text, re.M):
        passed += int(p)
        failed += int(f)
    for ran, outcome in re.findall(r"^Ran (\d+) tests? in [^\n]*\n\n(OK|FAILED[^\n]*)", text, re.M):
        bad = sum(int(n) for n in re.findall(r"(?:failures|errors)=(\d+)", outcome))
        passed += int(ran) - bad
        failed += bad
    return passed, failed


def count_junit(path):
    passed = failed = 0
    for case in ET.parse(path).getroot().iter("testcase"):
        tags = {child.tag for child in case}
        if tags & {"failure", "error"}:
            failed += 1
        elif "skipped" not in tags:
            passed += 1
    return passed, failed


def totals(log_text, status, junit_paths):
    passed, failed = count_log(log_text)
    for path in junit_paths:
        p, f = count_junit(path)
        passed += p
        failed += f
    if status != 0 and failed == 0:
        failed = 1
    return passed, failed


if __name__ == "__main__":
    log, status, *reports = sys.argv[1:]
    passed, failed = totals(open(log, errors="replace").read(), int(status), reports)
    print(f"total: {passed} passed, {failed} failed")
