"""Unit tests of scripts/totals.py (run by `make test-unit`)."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from totals import totals  # noqa: E402

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="schemathesis" tests="4" failures="1" errors="1">
<testcase name="GET /api/v1/users/"/>
<testcase name="POST /api/v1/users/"><failure message="Undocumented HTTP status code">...</failure></testcase>
<testcase name="GET /api/v1/openapi.json"><skipped/></testcase>
<testcase name="DELETE /api/v1/users/me"><error message="timeout"/></testcase>
</testsuite></testsuites>"""

CLIENTS = """<?xml version="1.0" encoding="UTF-8"?><testsuites><testsuite name="clients">
<testcase classname="clients" name="typescript-sdk"/><testcase classname="clients" name="python-client"/>
</testsuite></testsuites>"""

CARGO = "test result: ok. 78 passed; 0 failed; 0 ignored\ntest result: FAILED. 80 passed; 2 failed;\n"


def stage(name, text, code=0):
    return f"==> stage {name}\n{text}\n<== stage {name} exit {code}\n"


class Totals(unittest.TestCase):
    def report(self, text, name="superuser.xml"):
        d = tempfile.mkdtemp()
        path = os.path.join(d, name)
        with open(path, "w") as f:
            f.write(text)
        self.addCleanup(os.rmdir, d)  # cleanups run last first: the file goes before its folder
        self.addCleanup(os.unlink, path)
        return path

    def test_a_fuzz_run_with_a_planted_failure_counts_its_failed_and_errored_cases(self):
        self.assertEqual(totals(stage("fuzz", "", 1), [self.report(JUNIT)]), (1, 2))

    def test_skipped_cases_are_neither_passed_nor_failed(self):
        passed, failed = totals(stage("fuzz", ""), [self.report(JUNIT)])
        self.assertEqual(passed + failed, 3)

    def test_cargo_and_unittest_lines_add_up_with_the_reports(self):
        log = stage("test-unit", CARGO + "Ran 5 tests in 0.01s\n\nFAILED (failures=1, errors=1)\n", 1)
        log += stage("fuzz", "", 1)
        self.assertEqual(totals(log, [self.report(JUNIT)]), (78 + 80 + 3 + 1, 2 + 2 + 2))

    def test_the_python_client_flow_counts_once(self):
        # the flow is a unittest, and the clients stage's report names it too
        log = stage("clients", "Ran 1 test in 0.42s\n\nOK\nclients: python-client ok")
        self.assertEqual(totals(log, [self.report(CLIENTS, "clients.xml")]), (2, 0))

    def test_a_stage_that_died_before_reporting_is_one_failure(self):
        self.assertEqual(totals(stage("lint", "error: could not compile", 2), []), (0, 1))

    def test_a_stage_failing_without_a_report_counts_even_when_others_failed(self):
        log = stage("test-api", "test result: FAILED. 10 passed; 1 failed;", 101)
        log += stage("lint", "clippy: error", 2)
        log += stage("fuzz", "a 500 in the worker log", 1)
        self.assertEqual(totals(log, []), (10, 1 + 1 + 1))

    def test_a_report_its_run_left_empty_is_one_failure(self):
        # `timeout` stopped a fuzz run before schemathesis wrote its report.
        empty = os.path.join(tempfile.mkdtemp(), "user.xml")
        open(empty, "w").close()
        log = stage("fuzz", "fuzz: as user", 1)
        self.assertEqual(totals(log, [empty]), (0, 1))

    def test_a_failing_stage_that_counted_its_failures_adds_none(self):
        log = stage("test-api", "test result: FAILED. 10 passed; 2 failed;", 101)
        self.assertEqual(totals(log, []), (10, 2))


if __name__ == "__main__":
    unittest.main()
