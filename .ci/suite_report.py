"""How many tests ran and skipped per suite, from the JUnit XML reports of `make test`.

    python .ci/suite_report.py [REPORTS_DIR] [REQUIRED_SUITES_FILE]

Prints one line per test directory of each report (test-reports/*.xml), then checks every line of
.ci/required-suites ("REPORT PATH"): exit 1 when a required suite ran no test, or its report is
missing. Standard library only, so it runs whatever state the venv is in.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parents[1]


def test_file(classname: str) -> str:
    """`tests.callvault.api.test_errors[.TestClass]` -> `tests/callvault/api/test_errors.py`."""
    parts = classname.split(".")
    for index, part in enumerate(parts):
        if part.startswith("test_"):
            return "/".join(parts[: index + 1]) + ".py"
    return "/".join(parts)


def outcomes(report: Path) -> Counter[tuple[str, str]]:
    """(test file, outcome) -> count; outcome is passed, failed or skipped."""
    counts: Counter[tuple[str, str]] = Counter()
    for case in ET.parse(report).getroot().iter("testcase"):
        children = {child.tag for child in case}
        if "skipped" in children:
            outcome = "skipped"
        elif children & {"failure", "error"}:
            outcome = "failed"
        else:
            outcome = "passed"
        counts[(test_file(case.get("classname", "")), outcome)] += 1
    return counts


def under(path: str, suite: str) -> bool:
    return path == suite or PurePosixPath(path).is_relative_to(suite)


def tally(counts: Counter[tuple[str, str]], suite: str) -> Counter[str]:
    """Outcome -> count over the test files under `suite`."""
    return Counter({outcome: n for (path, outcome), n in counts.items() if under(path, suite)})


def print_table(reports: dict[str, Counter[tuple[str, str]]]) -> None:
    print(f"\n{'report':<10} {'suite':<44} {'ran':>5} {'passed':>7} {'failed':>7} {'skipped':>8}")
    for name, counts in reports.items():
        for directory in sorted({str(PurePosixPath(path).parent) for path, _ in counts}):
            files = {path for path, _ in counts if str(PurePosixPath(path).parent) == directory}
            total: Counter[str] = Counter()
            for path in files:
                total.update(tally(counts, path))
            ran = total["passed"] + total["failed"]
            print(
                f"{name:<10} {directory:<44} {ran:>5} {total['passed']:>7} {total['failed']:>7} "
                f"{total['skipped']:>8}"
            )


def required_suites(required_file: Path) -> list[tuple[str, str]]:
    lines = (line.split("#", 1)[0].split() for line in required_file.read_text().splitlines())
    return [(fields[0], fields[1]) for fields in lines if fields]


def main(reports_dir: Path, required_file: Path) -> int:
    reports = {path.stem: outcomes(path) for path in sorted(reports_dir.glob("*.xml"))}
    print_table(reports)
    problems = []
    for report, suite in required_suites(required_file):
        if report not in reports:
            problems.append(f"{report} {suite}: no {reports_dir / report}.xml (its pytest run did not end)")
            continue
        total = tally(reports[report], suite)
        if total["passed"] + total["failed"] == 0:
            problems.append(f"{report} {suite}: must run, ran nothing ({total['skipped']} skipped)")
    for problem in problems:
        print(f"REQUIRED SUITE DID NOT RUN: {problem}")
    if not problems:
        print(f"every required suite ran ({len(required_suites(required_file))} in {required_file.name})")
    return 1 if problems else 0


if __name__ == "__main__":
    arguments = sys.argv[1:]
    reports_dir = Path(arguments[0]) if arguments else ROOT / "test-reports"
    required = Path(arguments[1]) if len(arguments) > 1 else ROOT / ".ci" / "required-suites"
    sys.exit(main(reports_dir, required))
