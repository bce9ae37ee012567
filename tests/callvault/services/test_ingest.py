"""Ingest (services/ingest.py) through its endpoint on a real server: probing, storing, refusing."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

import bandwidth
from callvault.domain.errors import ValidationFailed
from callvault.domain.timefmt import format_iso_duration
from callvault.media.files import FileBlobStore
from callvault.media.probe import HEAD_BYTES, probe
from callvault.media.store_url import open_blob_store
from callvault.services.ingest import store_media
from support.audio_files import write_mp3, write_wav
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


# -- uploads streamed to storage as they arrive (api/streamed_upload.py + services/ingest.store_media) ----

BOUNDARY = "cv-test-boundary-7f3a"


def _part(name: str, data: bytes, filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    return f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"


def _body(*parts: bytes, closed: bool = True) -> bytes:
    return b"".join(parts) + (f"--{BOUNDARY}--\r\n".encode() if closed else b"")


def _post(live_server: LiveServer, call_id: str, content: Any) -> httpx.Response:
    with live_server.client() as client:
        return client.post(
            f"/ingest/accounts/{live_server.account_id}/calls/{call_id}/recordings",
            content=content,
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        )


def _partial_writes(live_server: LiveServer) -> list[object]:
    store = open_blob_store(live_server.media_url)
    return list(store.remove_partial_writes(datetime.now(UTC) + timedelta(days=1), dry_run=True))


def test_a_long_wav_with_its_metadata_after_the_media_is_stored_whole(
    live_server: LiveServer, api: bandwidth.RecordingsApi, tmp_path: Path
) -> None:
    wav = write_wav(tmp_path / "long.wav", seconds=600.0, sample_rate=8000, channels=2)
    recording_id = f"r-{uuid.uuid4()}"
    call_id = _call_id()
    metadata = json.dumps({"recordingId": recording_id, "from": "+19195550000"}).encode()
    response = _post(
        live_server, call_id, _body(_part("media", wav.read_bytes(), "long.wav"), _part("metadata", metadata))
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["recordingId"], created["from"], created["channels"]) == (recording_id, "+19195550000", 2)
    assert created["duration"] == "PT10M"
    data = api.download_call_recording(live_server.account_id, call_id, recording_id)
    assert hashlib.sha256(bytes(data)).hexdigest() == hashlib.sha256(wav.read_bytes()).hexdigest()


def test_a_long_mp3_is_probed_once_stored(live_server: LiveServer, tmp_path: Path) -> None:
    mp3 = write_mp3(tmp_path / "long.mp3", seconds=240.0, sample_rate=16000)
    assert mp3.stat().st_size > HEAD_BYTES
    call_id = _call_id()
    response = _post(
        live_server, call_id, _body(_part("metadata", b"{}"), _part("media", mp3.read_bytes(), "a.mp3"))
    )
    assert response.status_code == 201, response.text
    assert response.json()["fileFormat"] == "mp3"
    assert response.json()["duration"] == format_iso_duration(probe(mp3).duration)


@pytest.mark.parametrize(
    ("media", "said"),
    [
        (b"no audio in here " * 200_000, "not a WAV or MP3 file"),
        (b"RIFF\x00\x00\x00\x00AVI LIST" + bytes(3_000_000), "not WAVE audio"),
    ],
    ids=["text", "riff-not-wave"],
)
def test_a_long_upload_that_is_not_audio_is_refused_by_its_first_bytes(
    live_server: LiveServer, media: bytes, said: str
) -> None:
    blobs_before = live_server.blob_count()
    call_id = _call_id()
    response = _post(live_server, call_id, _body(_part("media", media, "x.wav"), _part("metadata", b"{}")))
    assert said in assert_error_body(response, 400, "validation")["description"]
    assert live_server.blob_count() == blobs_before
    assert _partial_writes(live_server) == []


def test_a_body_that_ends_inside_its_media_part_stores_nothing(
    live_server: LiveServer, wav_file: Path, tmp_path: Path
) -> None:
    wav = write_wav(tmp_path / "cut.wav", seconds=120.0, sample_rate=8000, channels=1)
    blobs_before = live_server.blob_count()
    response = _post(
        live_server,
        _call_id(),
        _body(_part("metadata", b"{}"), _part("media", wav.read_bytes()), closed=False),
    )
    assert "ends inside the media part" in assert_error_body(response, 400, "validation")["description"]
    response = _post(live_server, _call_id(), _body(_part("metadata", b"{}")))
    assert "Missing media part" in assert_error_body(response, 400, "validation")["description"]
    assert live_server.blob_count() == blobs_before
    assert _partial_writes(live_server) == []


def test_endless_part_headers_and_too_many_parts_are_refused(live_server: LiveServer) -> None:
    endless_header = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="media"\r\nX-Padding: '.encode()
    response = _post(live_server, _call_id(), endless_header + b"a" * (1 << 20))
    refused = assert_error_body(response, 400, "validation")["description"]
    assert "header size" in refused  # python-multipart's own cap on a part's headers
    response = _post(live_server, _call_id(), _body(*[_part(f"extra{n}", b"x") for n in range(9)]))
    assert "more than 8 parts" in assert_error_body(response, 400, "validation")["description"]


def test_a_client_that_goes_away_mid_upload_leaves_nothing_behind(
    live_server: LiveServer, tmp_path: Path
) -> None:
    wav = write_wav(tmp_path / "gone.wav", seconds=300.0, sample_rate=8000, channels=1).read_bytes()
    blobs_before = live_server.blob_count()

    def body_then_gone() -> Iterator[bytes]:
        yield _part("metadata", b"{}")
        yield f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="media"\r\n\r\n'.encode()
        for offset in range(0, len(wav) // 2, 1 << 16):
            yield wav[offset : offset + (1 << 16)]
        raise ConnectionAbortedError("the client went away")

    with pytest.raises(ConnectionAbortedError):
        _post(live_server, _call_id(), body_then_gone())
    deadline = time.monotonic() + 30
    while _partial_writes(live_server) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _partial_writes(live_server) == []
    assert live_server.blob_count() == blobs_before
    with live_server.client() as client:
        assert client.get("/healthz").status_code == 200


def test_a_duplicate_recording_id_after_the_media_leaves_no_blob(
    live_server: LiveServer, tmp_path: Path
) -> None:
    wav = write_wav(tmp_path / "dup.wav", seconds=60.0, sample_rate=8000, channels=1).read_bytes()
    call_id, recording_id = _call_id(), f"r-{uuid.uuid4()}"
    metadata = json.dumps({"recordingId": recording_id}).encode()
    assert (
        _post(live_server, call_id, _body(_part("media", wav), _part("metadata", metadata))).status_code
        == 201
    )
    blobs_before = live_server.blob_count()
    response = _post(live_server, call_id, _body(_part("media", wav), _part("metadata", metadata)))
    assert_error_body(response, 409, "conflict")
    response = _post(live_server, call_id, _body(_part("media", wav), _part("metadata", b"{not json")))
    assert_error_body(response, 400, "validation")
    assert live_server.blob_count() == blobs_before


def test_store_media_refuses_from_the_head_without_reading_or_writing_the_rest(tmp_path: Path) -> None:
    blobs = FileBlobStore(tmp_path / "media")
    handed_over: list[int] = []

    def pieces() -> Iterator[bytes]:
        for _ in range(1000):  # 64 MiB of text, if anyone read it all
            handed_over.append(1 << 16)
            yield b"x" * (1 << 16)

    with pytest.raises(ValidationFailed, match="not a WAV or MP3 file"):
        store_media(blobs, pieces(), max_upload=1 << 30)
    assert sum(handed_over) <= HEAD_BYTES + (1 << 16)
    assert list(blobs.keys()) == []
    assert list(blobs.remove_partial_writes(datetime.now(UTC) + timedelta(days=1), dry_run=True)) == []
