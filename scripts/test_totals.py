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

CARGO = "test result: ok. 78 passed; 0 failed; 0 ignored\ntest result: FAILED. 80 passed; 2 failed;\n"


class Totals(unittest.TestCase):
    def report(self, text):
        f = tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False)
        f.write(text)
        f.close()
        self.addCleanup(os.unlink, f.name)
        return f.name

    def test_a_fuzz_run_with_a_planted_failure_counts_its_failed_and_errored_cases(self):
        self.assertEqual(totals("", 1, [self.report(JUNIT)]), (1, 2))

    def test_skipped_cases_are_neither_passed_nor_failed(self):
        passed, failed = totals("", 0, [self.report(JUNIT)])
        self.assertEqual(passed + failed, 3)

    def test_cargo_and_unittest_lines_add_up_with_the_reports(self):
        log = CARGO + "Ran 5 tests in 0.01s\n\nFAILED (failures=1, errors=1)\n"
        self.assertEqual(totals(log, 1, [self.report(JUNIT)]), (78 + 80 + 3 + 1, 2 + 2 + 2))

    def test_a_stage_that_died_before_reporting_is_one_failure(self):
        self.assertEqual(totals("", 2, []), (0, 1))


if __name__ == "__main__":
    unittest.main()
