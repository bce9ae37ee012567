"""Killed processes lose nothing and leave nothing behind.

Each test SIGKILLs a real server at a bad moment (mid-upload, mid-live-call, mid-webhook), starts it
again on the same data dir, and checks that nothing visible is half-written, nothing is lost and
nothing is left on disk. (A worker killed mid-transcription: tests/callvault/jobs/test_transcribe_job.py.)
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from callvault.calls.media_stream import L16_8K
from callvault.cli.simulate import CallsClient
from callvault.media.audio import WavWriter
from callvault.media.probe import probe
from support.receiver import ScriptedResponse, WebhookReceiver
from support.server import LiveServer, start_server

pytestmark = [pytest.mark.scale, pytest.mark.timeout(600)]  # two or three server starts each

CRASH_ENV = {
    "CALLVAULT_SWEEP_AGE": "1s",
    "CALLVAULT_MEDIA_OWNER_TIMEOUT": "1.5s",
    "CALLVAULT_JOB_LEASE_SECONDS": "2s",
}


ServerStarter = Callable[..., LiveServer]


@pytest.fixture()
def servers() -> Iterator[ServerStarter]:
    """Starts servers (on CRASH_ENV unless given an env) and stops whatever still runs afterwards."""
    started: list[LiveServer] = []

    def start(data_dir: Path, env: dict[str, str] | None = None) -> LiveServer:
        server = start_server(data_dir, env_overrides=CRASH_ENV if env is None else env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def _kill(server: LiveServer) -> None:
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait(10)


def _temp_files(server: LiveServer) -> list[Path]:
    return sorted((server.data_dir / "media").rglob(".tmp-*"))


def _spools(server: LiveServer) -> list[Path]:
    live = server.data_dir / "live"
    return sorted(live.iterdir()) if live.exists() else []


def _wait_until(condition: object, timeout: float, what: str) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.05)


def _calls(server: LiveServer) -> CallsClient:
    return CallsClient(server.url, server.username, server.password, server.account_id)


def _silence_wav(path: Path, megabytes: int) -> Path:
    with path.open("wb") as f:
        writer = WavWriter(f, 8000, 1)
        block = np.zeros((1 << 19, 1), dtype=np.int16)  # 1 MiB
        for _ in range(megabytes):
            writer.write(block)
        writer.close()
    return path


def test_killed_mid_upload_leaves_no_temp_file_after_a_restart(
    servers: ServerStarter, tmp_path: Path
) -> None:
    server = servers(tmp_path / "data")
    big = _silence_wav(tmp_path / "big.wav", 200)
    killed_with_temp = threading.Event()

    def kill_when_the_blob_is_half_written() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and server.process.poll() is None:
            if _temp_files(server):
                _kill(server)
                killed_with_temp.set()
                return
            time.sleep(0.002)

    watcher = threading.Thread(target=kill_when_the_blob_is_half_written)
    watcher.start()
    call_id = f"c-{uuid.uuid4()}"
    with pytest.raises(httpx.HTTPError), big.open("rb") as media, server.client() as client:
        client.post(
            f"/ingest/accounts/{server.account_id}/calls/{call_id}/recordings",
            data={"metadata": "{}"},
            files={"media": ("big.wav", media, "audio/wav")},
        )
    watcher.join()
    assert killed_with_temp.is_set(), "the server finished the upload before the kill"
    assert _temp_files(server), "the kill left no temp file"

    restarted = servers(server.data_dir, server.env)
    _wait_until(lambda: not _temp_files(restarted), 30, "the start-up sweep removed the temp file")
    with restarted.client() as client:
        listed = client.get(f"/api/v2/accounts/{restarted.account_id}/recordings").json()
    assert [r for r in listed if r["callId"] == call_id] == []
    assert restarted.blob_count() == 0


def test_an_orphan_blob_of_a_killed_upload_is_swept_at_restart(
    servers: ServerStarter, tmp_path: Path, wav_file: Path
) -> None:
    """The crash window between the blob's write and its row's commit leaves a blob no row names."""
    server = servers(tmp_path / "data")
    kept = server.ingest(f"c-{uuid.uuid4()}", wav_file)
    _kill(server)
    media = server.data_dir / "media"
    orphan = media / "ab" / "cd" / f"{uuid.uuid4().hex}.wav"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(wav_file.read_bytes())

    restarted = servers(server.data_dir, server.env)
    _wait_until(lambda: not orphan.exists(), 30, "the start-up sweep removed the orphan blob")
    assert restarted.blob_count() == 1
    with restarted.client() as client:
        path = f"/api/v2/accounts/{restarted.account_id}/calls/{kept['callId']}/recordings"
        [listed] = client.get(path).json()
        assert client.get(f"{path}/{listed['recordingId']}/media").content == wav_file.read_bytes()
    assert "orphan blob" in restarted.log()


def _stream_then_kill(server: LiveServer, seconds: int, **recording: str) -> str:
    """A live call recording `seconds` of audio through `server`, which is then SIGKILLed."""
    with _calls(server) as calls:
        call_id = str(calls.create_call("+15551230001", "+15551230002")["callId"])
        calls.start_recording(call_id, **recording)
        stream = calls.media_stream(call_id, {"inbound": L16_8K})
        stream.open()
        tone = (3000 * np.sin(np.arange(seconds * 8000) / 6)).astype(np.int16)
        stream.send_audio({"inbound": tone})
        assert stream.mark() == float(seconds)
        _kill(server)
    return call_id


@pytest.mark.parametrize("file_format", ["wav", "mp3"])
def test_killed_mid_live_call_the_restart_finishes_the_recording_from_its_spool(
    servers: ServerStarter, tmp_path: Path, file_format: str
) -> None:
    server = servers(tmp_path / "data")
    call_id = _stream_then_kill(server, 200, fileFormat=file_format)
    [spool] = _spools(server)
    assert spool.stat().st_size >= 200 * 8000 * 2

    restarted = servers(server.data_dir, server.env)
    with _calls(restarted) as calls:
        [recording] = calls.wait_for_recordings(call_id, timeout=30)
        assert (recording["status"], recording["fileFormat"]) == ("partial", file_format)
        media = calls.download(recording["mediaUrl"])
        assert calls.get_call(call_id)["state"] == "answered"
        calls.hang_up(call_id)
        assert calls.get_call(call_id)["state"] == "disconnected"
        assert len(calls.recordings(call_id)) == 1
    downloaded = tmp_path / f"recovered.{file_format}"
    downloaded.write_bytes(media)
    if file_format == "wav":
        assert recording["duration"] == "PT3M20S"
        assert probe(downloaded).duration == 200.0
    else:
        assert probe(downloaded).duration == pytest.approx(200.0, abs=0.25)
    assert _spools(restarted) == []


def test_killed_mid_webhook_the_restart_delivers_it(servers: ServerStarter, tmp_path: Path) -> None:
    with WebhookReceiver() as receiver:
        receiver.script("/recorded", [ScriptedResponse(200, delay=20)], then=200)
        server = servers(tmp_path / "data")
        with _calls(server) as calls:
            call_id = str(calls.create_call("+15551230001", "+15551230002")["callId"])
            calls.start_recording(call_id, recordingAvailableUrl=receiver.url("/recorded"))
            with calls.media_stream(call_id, {"inbound": L16_8K}) as stream:
                stream.send_audio({"inbound": np.zeros(8000, dtype=np.int16)})
                stream.stop()
            [first] = receiver.wait_for(1, timeout=30)
            _kill(server)

        restarted = servers(server.data_dir, server.env)
        [_, second] = receiver.wait_for(2, timeout=30)
        assert second.json == first.json
        assert second.json["recordingId"] and second.json["status"] == "complete"
        _wait_until(
            lambda: restarted.db_rows("SELECT state FROM jobs WHERE kind = 'webhook'") == [("done",)],
            15,
            "the webhook job is done",
        )
        with _calls(restarted) as calls:
            [recording] = calls.recordings(call_id)
        assert recording["recordingId"] == second.json["recordingId"]
        assert recording["duration"] == "PT1S"
        assert _spools(restarted) == [] and _temp_files(restarted) == []
