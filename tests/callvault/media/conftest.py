"""Fixtures of the media tests: stores on tmp dirs, a real SeaweedFS, generated audio."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

TESTS_DIR = Path(__file__).resolve().parents[2]
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))  # for `support.*` (tests/ is not a package)

from callvault.media.files import FileBlobStore  # noqa: E402
from support.seaweed import s3_bucket, seaweed_s3  # noqa: E402,F401  (pytest fixtures)

FIXTURE_AUDIO_DIR = TESTS_DIR / "fixtures" / "audio"


def _load_make_tones() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "callvault_test_make_tones", TESTS_DIR / "fixtures" / "make_tones.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_tones = _load_make_tones()


@pytest.fixture
def file_store(tmp_path: Path) -> FileBlobStore:
    return FileBlobStore(tmp_path / "blobs")


@pytest.fixture
def fixture_audio_dir() -> Path:
    return FIXTURE_AUDIO_DIR


@pytest.fixture
def tones() -> ModuleType:
    """tests/fixtures/make_tones.py: ``tones.tone(rate, seconds, frequencies)`` and ``make_tones(dir)``."""
    return make_tones
