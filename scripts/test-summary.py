#!/usr/bin/env python3
"""Prints 'N passed, N failed, N skipped' over every test case meson ran.

GoogleTest executables run with meson's gtest protocol, so the JUnit file
holds one <testcase> per test case, in <testsuite> elements named
"<project>.<project>:<suite> / <test>.<case group>". A test executable that
crashed or timed out without reporting a failing case of its own counts as
one more failure (its result comes from testlog.json).
Exit status 1 when anything failed or nothing ran.
"""
import collections
import json
import sys
import xml.etree.ElementTree as ET


def main(junit_path, json_path):
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
    except (OSError, ET.ParseError):
        pass
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
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
