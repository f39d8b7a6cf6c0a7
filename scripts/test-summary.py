#!/usr/bin/env python3
"""Prints 'N passed, N failed, N skipped' over every test case meson ran,
in one or several runs (a JUnit file and a testlog.json for each: the plain
build, the sanitizer build):
    test-summary.py JUNIT JSON [JUNIT JSON ...]

GoogleTest executables run with meson's gtest protocol, so the JUnit file
holds one <testcase> per test case, in <testsuite> elements named
"<project>.<project>:<suite> / <test>.<case group>". A test executable that
crashed or timed out without reporting a failing case of its own counts as
one more failure (its result comes from testlog.json).
A run whose files are missing (it never started: its build failed) counts
as one failure. Exit status 1 when anything failed or nothing ran.
"""
import collections
import json
import sys
import xml.etree.ElementTree as ET


def count(junit_path, json_path):
    """(passed, failed, skipped) of one meson test run."""
    passed = failed = skipped = 0
    failures_by_test = collections.Counter()
    try:
        root = ET.parse(junit_path).getroot()
        for suite in root.iter("testsuite"):
            name = suite.get("name", "")
            for case in suite.iter("testcase"):
                if case.find("failure") is not None or case.find("error") is not None:
                    failed += 1
                    failures_by_test[name] += 1
                elif case.find("skipped") is not None or case.get("status") == "notrun":
                    skipped += 1
                else:
                    passed += 1
    except ET.ParseError:
        failed += 1  # torn: the run did not finish
    except OSError:
        return 0, 1, 0  # never ran
    try:
        with open(json_path) as f:
            for line in f:
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a blank or torn line: nothing to count

                if entry.get("result") in ("OK", "SKIP", "EXPECTEDFAIL"):
                    continue
                test = entry.get("name", "").split(" / ")[-1]
                marker = " / " + test + "."
                if not any(marker in suite and n for suite, n in failures_by_test.items()):
                    failed += 1  # died (crash, timeout) without a failing case to show
    except OSError:
        pass
    return passed, failed, skipped


def main(paths):
    if not paths or len(paths) % 2:
        print("usage: test-summary.py JUNIT JSON [JUNIT JSON ...]", file=sys.stderr)
        return 2
    totals = [0, 0, 0]
    for junit_path, json_path in zip(paths[::2], paths[1::2]):
        for i, n in enumerate(count(junit_path, json_path)):
            totals[i] += n
    passed, failed, skipped = totals
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
