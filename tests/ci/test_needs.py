"""support.needs: a missing backend skips locally and fails in CI, with its reason either way."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parents[1]
NEEDY_TEST = """
from support.needs import unavailable

def test_needs_a_backend():
    unavailable("no FooDB on 127.0.0.1:9999")
"""


def _run_pytest(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_needy.py").write_text(NEEDY_TEST)
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    if ci is not None:
        env["CI"] = ci
    env["PYTHONPATH"] = str(TESTS_DIR)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "test_needy.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("ci", [None, "false", ""])
def test_outside_ci_a_missing_backend_is_a_skip_with_the_reason(tmp_path: Path, ci: str | None) -> None:
    result = _run_pytest(tmp_path, ci)

    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout
    assert "no FooDB on 127.0.0.1:9999" in result.stdout


@pytest.mark.parametrize("ci", ["true", "1"])
def test_in_ci_a_missing_backend_is_a_failure_with_the_reason(tmp_path: Path, ci: str) -> None:
    result = _run_pytest(tmp_path, ci)

    assert result.returncode == 1, result.stdout
    assert "1 failed" in result.stdout
    assert "no FooDB on 127.0.0.1:9999 (CI=true" in result.stdout
