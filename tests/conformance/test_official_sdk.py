"""The OFFICIAL bandwidth-sdk (23.3.1, from PyPI) against a real callvault server.

The SDK lives in its own virtual environment, ``<repo>/.venv-sdk``, created once and reused, because
it imports as ``bandwidth`` just like our client. `sdk_scenario.py` runs there and exercises every
RecordingsApi method; this test ingests a WAV (then an MP3), runs it and checks its JSON summary.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from support.needs import unavailable
from support.server import LiveServer

REPO = Path(__file__).resolve().parents[2]
SDK_VENV = REPO / ".venv-sdk"
SDK_REQUIREMENT = "bandwidth-sdk==23.3.1"
SDK_VERSION = "23.3.1"
SCENARIO = Path(__file__).resolve().parent / "sdk_scenario.py"
TRANSCRIPTION_WAIT_S = os.environ.get("CALLVAULT_SDK_TRANSCRIPTION_WAIT", "300")


def bandwidth_like_id(prefix: str) -> str:
    """An id shaped like Bandwidth's, e.g. c-15ac29a2-1331029c-2cb0-4a07-b215-b22865662d85."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}-{uuid.uuid4()}"


def isolated_env() -> dict[str, str]:
    """An environment in which `import bandwidth` can only find the venv's official SDK."""
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONNOUSERSITE"] = "1"
    return env


def sdk_python() -> Path:
    return SDK_VENV / "bin" / "python"


def official_sdk_location(python: Path) -> str | None:
    """Where the venv's `bandwidth` comes from, if it is the official SDK of the right version."""
    if not python.exists():
        return None
    probe = "import bandwidth; print(bandwidth.__version__); print(bandwidth.__file__)"
    result = subprocess.run(
        [str(python), "-c", probe], capture_output=True, text=True, env=isolated_env(), timeout=120
    )
    lines = result.stdout.split()
    if result.returncode != 0 or len(lines) != 2 or lines[0] != SDK_VERSION:
        return None
    return lines[1]


def install_official_sdk() -> str | None:
    """Create the venv and pip-install the SDK from the registry; the error text on failure."""
    steps = []
    if not sdk_python().exists():
        steps.append([sys.executable, "-m", "venv", str(SDK_VENV)])
    steps.append(
        [str(sdk_python()), "-m", "pip", "install", "--disable-pip-version-check", "-q", SDK_REQUIREMENT]
    )
    for command in steps:
        try:
            result = subprocess.run(command, capture_output=True, text=True, env=isolated_env(), timeout=900)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"{' '.join(command)}: {error}"
        if result.returncode != 0:
            output = (result.stderr or result.stdout)[-1500:]
            return f"{' '.join(command)} exited {result.returncode}: {output}"
    return None


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


@pytest.mark.parametrize("media_fixture", ["wav_file", "mp3_file"])
def test_official_sdk_drives_every_recordings_method(
    request: pytest.FixtureRequest, official_sdk_python: Path, tmp_path: Path, media_fixture: str
) -> None:
    server: LiveServer = request.getfixturevalue("live_server")
    media_file: Path = request.getfixturevalue(media_fixture)
    call_id, recording_id = bandwidth_like_id("c"), bandwidth_like_id("r")
    ingested = server.ingest(
        call_id,
        Path(media_file),
        {"recordingId": recording_id, "from": "+15555550100", "to": "+15555550199", "direction": "inbound"},
    )
    recording_id = ingested.get("recordingId") or recording_id

    result = subprocess.run(
        [
            str(official_sdk_python), str(SCENARIO),
            "--url", server.url, "--user", server.username, "--password", server.password,
            "--account", server.account_id, "--call", call_id, "--recording", recording_id,
            "--transcription-wait", TRANSCRIPTION_WAIT_S,
        ],
        capture_output=True, text=True, env=isolated_env(), cwd=tmp_path, timeout=600,
    )  # fmt: skip

    assert result.returncode == 0, f"scenario failed:\n{result.stdout}\n{result.stderr[-3000:]}"
    summary = json.loads(result.stdout)
    assert summary["ok"] is True
    assert summary["sdk"]["version"] == SDK_VERSION
    assert Path(summary["sdk"]["file"]).resolve().is_relative_to(SDK_VENV.resolve()), summary["sdk"]
    steps = {step["name"]: step for step in summary["steps"]}
    assert steps["get_recording_transcription"]["outcome"] == "ok", steps["get_recording_transcription"]
    assert steps["delete_recording_transcription"]["outcome"] == "ok"
    assert len(steps) == 19
