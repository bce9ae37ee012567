"""Fixtures of the conformance suites."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.sdk_env import (
    SDK_REQUIREMENT,
    SDK_VENV,
    SDK_VERSION,
    install_official_sdk,
    official_sdk_location,
    sdk_python,
)
from support.needs import unavailable


@pytest.fixture(scope="session")
def official_sdk_python() -> Path:
    """The python of <repo>/.venv-sdk, with bandwidth-sdk 23.3.1 installed (created once, cached)."""
    if official_sdk_location(sdk_python()) is None:
        error = install_official_sdk()
        if error is not None:
            unavailable(f"cannot install {SDK_REQUIREMENT} into {SDK_VENV}: {error}")
    location = official_sdk_location(sdk_python())
    if location is None:
        unavailable(f"{SDK_VENV} does not import bandwidth {SDK_VERSION} after installing {SDK_REQUIREMENT}")
    return sdk_python()
