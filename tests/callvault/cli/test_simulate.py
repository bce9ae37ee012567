"""`callvault call simulate` end to end: a real server, the CLI in its own process."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import av
import httpx

from support.audio_files import write_wav
from support.server import LiveServer


def _simulate(
    live_server: LiveServer, *args: str, password: str | None = None
) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-m",
        "callvault",
        "call",
        "simulate",
        "--account",
        live_server.account_id,
        "--from",
        "+15552220001",
        "--to",
        "+15552220002",
        "--url",
        live_server.url,
        "--username",
        live_server.username,
        "--password",
        password or live_server.password,
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=live_server.env)


def test_simulate_a_paused_two_party_mp3_call(live_server: LiveServer, tmp_path: Path) -> None:
    caller = write_wav(tmp_path / "caller.wav", seconds=3.0, sample_rate=8000, channels=1)
    agent = write_wav(tmp_path / "agent.wav", seconds=2.5, sample_rate=16000, channels=2)

    done = _simulate(
        live_server,
        "--inbound",
        str(caller),
        "--outbound",
        str(agent),
        "--multichannel",
        "--format",
        "mp3",
        "--pause-at",
        "1",
        "--resume-at",
        "2",
        "--speed",
        "0",
        "--tag",
        "simulated",
    )

    assert done.returncode == 0, done.stderr
    recording = json.loads(done.stdout)
    assert (recording["status"], recording["fileFormat"], recording["channels"]) == ("complete", "mp3", 2)
    assert recording["duration"] == "PT2S"
    assert (recording["from"], recording["to"]) == ("+15552220001", "+15552220002")
    assert "streaming the call" in done.stderr
    media = httpx.get(recording["mediaUrl"], auth=live_server.auth, timeout=30)
    with av.open(io.BytesIO(media.content)) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.channels == 2
        decoded = sum(frame.samples for frame in container.decode(stream))
    assert abs(decoded / 8000 - 2.0) < 0.2


def test_simulate_reports_a_refused_login(live_server: LiveServer, tmp_path: Path) -> None:
    caller = write_wav(tmp_path / "caller.wav", seconds=0.5, sample_rate=8000, channels=1)
    done = _simulate(live_server, "--inbound", str(caller), "--speed", "0", password="not-the-password")
    assert done.returncode == 1
    assert "HTTP 401" in done.stderr
    assert done.stdout == ""
