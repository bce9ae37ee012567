""".ci/suite_report.py: ran/skipped per suite from JUnit XML; fails when a required suite ran nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "suite_report.py"


def _case(classname: str, name: str, outcome: str = "passed") -> str:
    inner = {
        "passed": "",
        "skipped": '<skipped message="no PostgreSQL"/>',
        "failed": '<failure message="x"/>',
    }
    return f'<testcase classname="{classname}" name="{name}">{inner[outcome]}</testcase>'


def _report(path: Path, *cases: str) -> None:
    path.write_text(
        f'<?xml version="1.0"?><testsuites><testsuite name="pytest">{"".join(cases)}</testsuite></testsuites>'
    )


def _run(reports: Path, required: str) -> subprocess.CompletedProcess[str]:
    (reports / "required").write_text(required)
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(reports), str(reports / "required")],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_counts_per_suite_and_passes_when_every_required_suite_ran(tmp_path: Path) -> None:
    _report(
        tmp_path / "embedded.xml",
        _case("tests.callvault.api.test_errors", "test_a"),
        _case("tests.callvault.api.test_errors", "test_b", "skipped"),
        _case("tests.callvault.api.routes.test_calls.TestCalls", "test_c", "failed"),
    )

    result = _run(tmp_path, "# comment\nembedded tests/callvault/api\n")

    assert result.returncode == 0, result.stdout
    lines = {
        line.split()[1]: line.split()[2:]
        for line in result.stdout.splitlines()
        if line.startswith("embedded")
    }
    assert lines["tests/callvault/api"] == ["1", "1", "0", "1"]  # ran, passed, failed, skipped
    assert lines["tests/callvault/api/routes"] == ["1", "0", "1", "0"]
    assert "every required suite ran" in result.stdout


def test_fails_when_a_required_suite_only_skipped(tmp_path: Path) -> None:
    _report(
        tmp_path / "scale.xml",
        _case("tests.scale.test_scale_out", "test_a", "skipped"),
        _case("tests.callvault.api.test_errors", "test_b"),
    )

    result = _run(tmp_path, "scale tests/callvault/api\nscale tests/scale\n")

    assert result.returncode == 1
    assert "REQUIRED SUITE DID NOT RUN: scale tests/scale: must run, ran nothing (1 skipped)" in result.stdout
    assert "tests/callvault/api:" not in result.stdout


def test_fails_when_a_required_report_is_missing(tmp_path: Path) -> None:
    _report(tmp_path / "embedded.xml", _case("tests.bandwidth.test_models", "test_a"))

    result = _run(tmp_path, "embedded tests/bandwidth\nbrowser tests/e2e\n")

    assert result.returncode == 1
    assert "browser tests/e2e: no " in result.stdout and "browser.xml" in result.stdout
