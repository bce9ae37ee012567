"""download_call_recording_to_file: streamed to disk, atomic, byte-identical."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

import bandwidth
from bandwidth import exceptions
from support.canned_http import CannedResponse, CannedServer

ACCOUNT = "9900000"
CALL = "c-1"
RECORDING = "r-1"
MEDIA_PATH = f"/accounts/{ACCOUNT}/calls/{CALL}/recordings/{RECORDING}/media"
MakeApi = Callable[..., bandwidth.RecordingsApi]
BODY_SIZE = 8 * 1024 * 1024 + 123  # not a multiple of any chunk size


@pytest.fixture
def media_file(tmp_path: Path) -> Path:
    """A multi-MB file of random bytes served by the canned server."""
    source = tmp_path / "served" / "recording.wav"
    source.parent.mkdir()
    source.write_bytes(os.urandom(BODY_SIZE))
    return source


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def test_streams_a_multi_megabyte_body_to_disk_byte_identical(
    canned_server: CannedServer, make_api: MakeApi, media_file: Path, tmp_path: Path
) -> None:
    canned_server.add("GET", MEDIA_PATH, CannedResponse(200, media_file, {"Content-Type": "audio/vnd.wave"}))
    target = tmp_path / "out" / "copy.wav"
    target.parent.mkdir()

    api = make_api()
    written = api.download_call_recording_to_file(ACCOUNT, CALL, RECORDING, target, chunk_size=256 * 1024)

    assert written == BODY_SIZE
    assert target.stat().st_size == BODY_SIZE
    assert sha256(target) == sha256(media_file)
    assert os.listdir(target.parent) == ["copy.wav"]  # no temporary file left behind


def test_download_to_file_never_holds_the_whole_body_in_memory(
    canned_server: CannedServer, make_api: MakeApi, media_file: Path, tmp_path: Path
) -> None:
    canned_server.add("GET", MEDIA_PATH, CannedResponse(200, media_file))
    api = make_api()
    target = tmp_path / "copy.wav"

    tracemalloc.start()
    try:
        api.download_call_recording_to_file(ACCOUNT, CALL, RECORDING, str(target), chunk_size=256 * 1024)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert target.stat().st_size == BODY_SIZE
    assert peak < BODY_SIZE // 4, f"peak traced memory {peak} bytes for a {BODY_SIZE}-byte body"


def test_an_error_status_raises_and_creates_no_file(
    canned_server: CannedServer, make_api: MakeApi, tmp_path: Path
) -> None:
    not_found = {"type": "not-found", "description": "no media"}
    canned_server.add("GET", MEDIA_PATH, CannedResponse(404, not_found))
    target = tmp_path / "copy.wav"

    with pytest.raises(exceptions.NotFoundException) as raised:
        make_api().download_call_recording_to_file(ACCOUNT, CALL, RECORDING, target)

    assert raised.value.data is not None and raised.value.data.description == "no media"
    assert os.listdir(tmp_path) == []


def test_a_truncated_body_leaves_the_existing_file_untouched(
    canned_server: CannedServer, make_api: MakeApi, tmp_path: Path
) -> None:
    partial = b"RIFF" + b"\x00" * 5000
    headers = {"Content-Length": str(len(partial) * 10), "Connection": "close"}
    canned_server.add("GET", MEDIA_PATH, CannedResponse(200, partial, headers))
    target = tmp_path / "copy.wav"
    target.write_bytes(b"previous content")

    with pytest.raises(Exception):  # noqa: B017 (urllib3 raises ProtocolError / IncompleteRead)
        make_api().download_call_recording_to_file(ACCOUNT, CALL, RECORDING, target, _request_timeout=5.0)

    assert target.read_bytes() == b"previous content"
    assert os.listdir(tmp_path) == ["copy.wav"]


def test_download_to_file_replaces_an_existing_file(
    canned_server: CannedServer, make_api: MakeApi, media_file: Path, tmp_path: Path
) -> None:
    canned_server.add("GET", MEDIA_PATH, CannedResponse(200, media_file))
    target = tmp_path / "copy.wav"
    target.write_bytes(b"old")

    make_api().download_call_recording_to_file(ACCOUNT, CALL, RECORDING, target)

    assert sha256(target) == sha256(media_file)


def test_chunk_size_must_be_positive(make_api: MakeApi, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="chunk_size"):
        make_api().download_call_recording_to_file(ACCOUNT, CALL, RECORDING, tmp_path / "x", chunk_size=0)
