"""Ingest (services/ingest.py) through its endpoint on a real server: probing, storing, refusing."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path

import bandwidth
from support.errors import assert_error_body
from support.server import LiveServer


def _call_id() -> str:
    return f"c-{uuid.uuid4()}"


def test_ingest_wav_then_get_list_download(
    live_server: LiveServer, api: bandwidth.RecordingsApi, wav_file: Path
) -> None:
    call_id = _call_id()
    created = live_server.ingest(
        call_id, wav_file, {"from": "+19195551234", "to": "+19195554321", "direction": "inbound", "tag": "t1"}
    )
    assert created["fileFormat"] == "wav"
    assert created["channels"] == 1
    assert created["duration"] == "PT2S"
    assert created["status"] == "complete"
    recording_id = created["recordingId"]

    metadata = api.get_call_recording(live_server.account_id, call_id, recording_id)
    assert metadata.recording_id == recording_id
    assert metadata.var_from == "+19195551234"
    assert metadata.media_url == (
        f"{live_server.url}/api/v2/accounts/{live_server.account_id}/calls/{call_id}/recordings/{recording_id}/media"
    )
    assert metadata.transcription is None

    listed = api.list_call_recordings(live_server.account_id, call_id)
    assert [r.recording_id for r in listed] == [recording_id]

    data = api.download_call_recording(live_server.account_id, call_id, recording_id)
    assert hashlib.sha256(bytes(data)).hexdigest() == hashlib.sha256(wav_file.read_bytes()).hexdigest()


def test_mp3_ingest_and_byte_identical_download(
    live_server: LiveServer, api: bandwidth.RecordingsApi, mp3_file: Path
) -> None:
    call_id = _call_id()
    created = live_server.ingest(call_id, mp3_file, {})
    assert created["fileFormat"] == "mp3"
    response = api.download_call_recording_with_http_info(
        live_server.account_id, call_id, created["recordingId"]
    )
    assert response.status_code == 200
    headers = {k.lower(): v for k, v in (response.headers or {}).items()}
    assert headers["content-type"] == "audio/mpeg"
    assert bytes(response.data) == mp3_file.read_bytes()


def test_ingest_rejects_non_audio_and_duplicates(
    live_server: LiveServer, wav_file: Path, tmp_path: Path
) -> None:
    fake = tmp_path / "fake.wav"
    fake.write_bytes(b"RIFF....WAVEnot really audio" * 10)
    call_id = f"c-{uuid.uuid4()}"
    with live_server.client() as client:
        response = client.post(
            f"/ingest/accounts/{live_server.account_id}/calls/{call_id}/recordings",
            files={"media": ("fake.wav", fake.read_bytes(), "audio/wav")},
        )
        body = assert_error_body(response, 400, "validation")
        assert "media" in body["description"]
        assert (
            client.get(f"/api/v2/accounts/{live_server.account_id}/calls/{call_id}/recordings").json() == []
        )
        recording_id = f"r-{uuid.uuid4()}"
        live_server.ingest(call_id, wav_file, {"recordingId": recording_id})
        response = client.post(
            f"/ingest/accounts/{live_server.account_id}/calls/{call_id}/recordings",
            data={"metadata": json.dumps({"recordingId": recording_id})},
            files={"media": ("a.wav", wav_file.read_bytes(), "audio/wav")},
        )
        assert_error_body(response, 409, "conflict")
        response = client.post(
            f"/ingest/accounts/{live_server.account_id}/calls/{call_id}/recordings",
            data={"metadata": json.dumps({"colour": "blue"})},
            files={"media": ("a.wav", wav_file.read_bytes(), "audio/wav")},
        )
        assert "colour" in assert_error_body(response, 400, "validation")["description"]
