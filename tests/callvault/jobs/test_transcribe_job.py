"""Transcriptions end to end: request, real engine in the server's job threads, webhook, read, delete."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support.receiver import WebhookReceiver
from support.server import LiveServer, ServerFactory
from support.wer import word_error_rate

SPEECH = Path(__file__).resolve().parents[2] / "fixtures" / "speech"
pytestmark = pytest.mark.slow


def _wait_for_status(server: LiveServer, path: str, wanted: str, timeout: float = 240) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    with server.client() as client:
        while time.monotonic() < deadline:
            body = client.get(path).json()
            transcription = body.get("transcription") or {}
            if transcription.get("status") == wanted:
                return dict(body)
            time.sleep(0.5)
    raise AssertionError(f"transcription never reached {wanted!r}: {body}\n{server.log()[-3000:]}")


def _request(server: LiveServer, path: str, body: dict[str, object]) -> httpx.Response:
    with server.client() as client:
        return client.post(f"{path}/transcription", json=body)


def test_transcribe_english_with_webhook_then_delete(
    live_server: LiveServer, webhook_receiver: WebhookReceiver
) -> None:
    call_id = f"c-{uuid.uuid4()}"
    created = live_server.ingest(
        call_id,
        SPEECH / "english_16k.wav",
        {"from": "+15551230001", "to": "+15551230002", "direction": "outbound"},
    )
    path = f"/api/v2/accounts/{live_server.account_id}/calls/{call_id}/recordings/{created['recordingId']}"
    response = _request(
        live_server,
        path,
        {
            "callbackUrl": webhook_receiver.url("/transcribed"),
            "username": "hook",
            "password": "hook-pass",
            "tag": "t-42",
        },
    )
    assert response.status_code == 204, response.text

    metadata = _wait_for_status(live_server, path, "available")
    transcription = metadata["transcription"]
    assert isinstance(transcription, dict)
    assert transcription["url"] == f"{live_server.url}{path}/transcription"
    assert transcription["completedTime"].endswith("Z")

    (hook,) = webhook_receiver.wait_for(1, timeout=30)
    assert hook.method == "POST"
    assert hook.basic_auth == ("hook", "hook-pass")
    body = hook.json
    assert body["eventType"] == "transcriptionAvailable"
    assert body["recordingId"] == created["recordingId"]
    assert body["callId"] == call_id
    assert body["tag"] == "t-42"
    assert body["from"] == "+15551230001"
    assert body["mediaUrl"] == f"{live_server.url}{path}/media"
    assert body["transcription"]["status"] == "available"
    assert body["transcription"]["id"] == transcription["id"]

    with live_server.client() as client:
        got = client.get(f"{path}/transcription")
        assert got.status_code == 200
        transcripts = got.json()["transcripts"]
        assert len(transcripts) == 1
        spoken = "Hello, I am calling about my account, the bill for last month was much higher than usual."
        # the int8 model's words differ slightly between CPUs ("the real for last month" on some)
        assert word_error_rate(spoken, transcripts[0]["text"]) <= 0.15, transcripts[0]["text"]
        assert 0.0 <= transcripts[0]["confidence"] <= 1.0
        assert got.json()["clips"], "clips carry timing per speech segment"

        assert client.delete(f"{path}/transcription").status_code == 204
        assert client.get(f"{path}/transcription").status_code == 404
        assert "transcription" not in client.get(path).json()
        assert client.delete(f"{path}/transcription").status_code == 404


def test_too_short_recording_ends_file_size_too_small(
    live_server: LiveServer, webhook_receiver: WebhookReceiver
) -> None:
    call_id = f"c-{uuid.uuid4()}"
    created = live_server.ingest(call_id, SPEECH / "short_0_3s_16k.wav", {})
    path = f"/api/v2/accounts/{live_server.account_id}/calls/{call_id}/recordings/{created['recordingId']}"
    hook_url = webhook_receiver.url("/short")
    assert _request(live_server, path, {"callbackUrl": hook_url, "callbackMethod": "GET"}).status_code == 204
    _wait_for_status(live_server, path, "file-size-too-small", timeout=60)
    (hook,) = webhook_receiver.wait_for(1, timeout=30)
    assert hook.method == "GET"
    assert hook.query["transcription.status"] == "file-size-too-small"
    with live_server.client() as client:
        assert client.get(f"{path}/transcription").status_code == 404


@pytest.fixture()
def server_without_workers(server_factory: ServerFactory, tmp_path: Path) -> Iterator[LiveServer]:
    server = server_factory(
        tmp_path / "data",
        env_overrides={"CALLVAULT_RUN_WORKERS": "false", "CALLVAULT_JOB_LEASE_SECONDS": "4"},
    )
    yield server
    server.stop()


def _start_worker(server: LiveServer) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "callvault",
            "worker",
            "--data-dir",
            str(server.data_dir),
            "--concurrency",
            "1",
        ],
        env={**server.env, "CALLVAULT_JOB_LEASE_SECONDS": "4"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _job_state(server: LiveServer) -> str | None:
    rows = server.db_rows("SELECT state FROM jobs WHERE kind = 'transcribe' ORDER BY id DESC")
    return str(rows[0][0]) if rows else None


def test_killed_worker_mid_job_still_ends_available(server_without_workers: LiveServer) -> None:
    server = server_without_workers
    call_id = f"c-{uuid.uuid4()}"
    created = server.ingest(call_id, SPEECH / "english_8k.wav", {})
    path = f"/api/v2/accounts/{server.account_id}/calls/{call_id}/recordings/{created['recordingId']}"
    assert _request(server, path, {}).status_code == 204

    first = _start_worker(server)
    deadline = time.monotonic() + 60
    while _job_state(server) != "running" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _job_state(server) == "running"
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)

    second = _start_worker(server)
    try:
        metadata = _wait_for_status(server, path, "available")
    finally:
        second.terminate()
        second.wait(20)
    assert metadata["transcription"]
    with server.client() as client:
        assert "account" in client.get(f"{path}/transcription").json()["transcripts"][0]["text"].lower()
