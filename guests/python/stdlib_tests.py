"""Runs one module of CPython's own tests (`test.<module>`) and prints each
test's outcome, one line each, sorted: `<outcome> <test id>`, where outcome
is `ok`, `skipped`, `expected-failure`, `unexpected-success`, or `fail` /
`error` followed by the exception's class (its message is left out: it may
name a random temporary file; an object's address in a subtest's name is
left out too). Then `tests <n>`.

Usage: stdlib_tests.py TESTS_DIR SCRATCH_DIR MODULE. TESTS_DIR holds the
`test` package; the tests run with SCRATCH_DIR as the working directory
(where `test.support.os_helper.TESTFN` and temporary files go).
"""

import os
import re
import sys
import unittest

tests_dir, scratch, module = sys.argv[1:4]
sys.path.insert(0, tests_dir)
os.chdir(scratch)


class Outcomes(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.lines = []

    def note(self, test, outcome, err=None):
        if err is not None:
            outcome += " " + err[0].__name__
        # A subtest's parameters may show objects' addresses.
        name = re.sub(r" at 0x[0-9a-f]+", " at 0x_", test.id())
        self.lines.append(f"{outcome} {name}")

    def addSuccess(self, test):
        self.note(test, "ok")

    def addError(self, test, err):
        self.note(test, "error", err)

    def addFailure(self, test, err):
        self.note(test, "fail", err)

    def addSkip(self, test, reason):
        self.note(test, "skipped")

    def addExpectedFailure(self, test, err):
        self.note(test, "expected-failure")

    def addUnexpectedSuccess(self, test):
        self.note(test, "unexpected-success")

    def addSubTest(self, test, subtest, err):
        if err is None:
            self.note(subtest, "ok")
        elif issubclass(err[0], test.failureException):
            self.note(subtest, "fail", err)
        else:
            self.note(subtest, "error", err)


suite = unittest.defaultTestLoader.loadTestsFromName(f"test.{module}")
result = Outcomes()
suite.run(result)
for line in sorted(result.lines):
    print(line)
print(f"tests {result.testsRun}")
