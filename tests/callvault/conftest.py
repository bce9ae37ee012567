"""Speech fixtures (tests/fixtures/speech, made by tests/fixtures/make_speech.py) and a shared model cache."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import bandwidth
from support.server import LiveServer

SPEECH_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "speech"


@pytest.fixture(scope="session")
def speech_manifest() -> dict[str, Any]:
    """Fixture name -> {"file", "language", "text" | "channels"}."""
    manifest: dict[str, Any] = json.loads((SPEECH_DIR / "manifest.json").read_text())
    return manifest


@pytest.fixture(scope="session")
def speech_path(speech_manifest: dict[str, Any]) -> Callable[[str], Path]:
    def path_of(name: str) -> Path:
        return SPEECH_DIR / speech_manifest[name]["file"]

    return path_of


@pytest.fixture(scope="session")
def model_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the session, so the default model is assembled (and hashed) once."""
    return tmp_path_factory.mktemp("whisper-cache")


@pytest.fixture()
def api(live_server: LiveServer) -> bandwidth.RecordingsApi:
    """Our `bandwidth` client, signed in to the session's server."""
    configuration = bandwidth.Configuration(
        host=live_server.url + "/api/v2", username=live_server.username, password=live_server.password
    )
    return bandwidth.RecordingsApi(bandwidth.ApiClient(configuration))
