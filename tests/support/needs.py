"""What a test cannot do without: a backend (PostgreSQL, SeaweedFS, Redis), a document, a port.

Locally a test whose backend is missing skips with the reason, so a developer without PostgreSQL can
still run the rest. In CI (`CI=true`) the same call fails the test with the same reason: a green CI
run has run every suite, never skipped one quietly.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

__all__ = ["in_ci", "unavailable"]


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def unavailable(reason: str) -> NoReturn:
    """Skip (locally) or fail (CI) the current test because `reason` keeps it from running."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: a missing backend fails the run instead of skipping)", pytrace=False)
    pytest.skip(reason)
