"""The OFFICIAL bandwidth-sdk (23.3.1, from PyPI) against a real callvault server.

The SDK lives in its own virtual environment, ``<repo>/.venv-sdk``, created once and reused, because
it imports as ``bandwidth`` just like our client. `sdk_scenario.py` runs there and exercises every
RecordingsApi method; this test ingests a WAV (then an MP3), runs it and checks its JSON summary.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from conformance.sdk_env import SDK_VENV, SDK_VERSION, isolated_env
from support.server import LiveServer

SCENARIO = Path(__file__).resolve().parent / "sdk_scenario.py"
TRANSCRIPTION_WAIT_S = os.environ.get("CALLVAULT_SDK_TRANSCRIPTION_WAIT", "300")


def bandwidth_like_id(prefix: str) -> str:
    """An id shaped like Bandwidth's, e.g. c-15ac29a2-1331029c-2cb0-4a07-b215-b22865662d85."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}-{uuid.uuid4()}"


@pytest.mark.parametrize(
    ("media_fixture", "auth"), [("wav_file", "basic"), ("mp3_file", "basic"), ("wav_file", "oauth2")]
)
def test_official_sdk_drives_every_recordings_method(
    request: pytest.FixtureRequest, official_sdk_python: Path, tmp_path: Path, media_fixture: str, auth: str
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
            "--transcription-wait", TRANSCRIPTION_WAIT_S, "--auth", auth,
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
    assert len(summary["steps"]) >= 29
    names = [step["name"] for step in summary["steps"]]
    assert "list_call_recordings(malformed call)" in names
    assert ("list_call_recordings(tampered token)" in names) == (auth == "oauth2")
