"""Encryption at rest against a real server (SQLite+files, and PostgreSQL+S3 with
CALLVAULT_TEST_BACKEND=scale): the stored blobs reveal no audio, downloads and ranges give the exact
bytes, a damaged blob is an error envelope and never audio, and a customer-held account's recordings
come out sealed, for its private key only."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from callvault.media.chunked_cipher import CHUNK_OVERHEAD, DEFAULT_CHUNK_SIZE, HEADER_SIZE
from callvault.media.store_url import open_blob_store
from support.audio_files import write_wav
from support.server import LiveServer, ServerFactory

UNIT = DEFAULT_CHUNK_SIZE + CHUNK_OVERHEAD


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory, tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    return module_server_factory(tmp_path_factory.mktemp("callvault-encrypted"))


@pytest.fixture(scope="module")
def long_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 5 chunks of 16-bit PCM, so ranges cross chunk boundaries."""
    return write_wav(
        tmp_path_factory.mktemp("audio") / "long.wav", seconds=20.5, sample_rate=8000, channels=1
    )


def _path(server: LiveServer, created: dict[str, Any]) -> str:
    return (
        f"/api/v2/accounts/{server.account_id}/calls/{created['callId']}/recordings/{created['recordingId']}"
    )


def _media_key(server: LiveServer, recording_id: str) -> str:
    ((key,),) = server.db_rows("SELECT media_key FROM recordings WHERE recording_id = :r", r=recording_id)
    return str(key)


def _stored(server: LiveServer, key: str) -> bytes:
    return b"".join(open_blob_store(server.media_url).open(key))


def _replace_stored(server: LiveServer, key: str, data: bytes) -> None:
    open_blob_store(server.media_url).write(key, [data])


def test_stored_blobs_reveal_no_audio_and_downloads_are_exact(server: LiveServer, long_wav: Path) -> None:
    plain = long_wav.read_bytes()
    created = server.ingest(f"c-{uuid.uuid4()}", long_wav)
    stored = _stored(server, _media_key(server, created["recordingId"]))
    assert b"RIFF" not in stored and b"WAVE" not in stored and b"data" not in stored[:64]
    assert plain[1000:1064] not in stored, "no run of the PCM is stored as it is"
    with server.client() as client:
        whole = client.get(_path(server, created) + "/media")
        assert whole.status_code == 200 and whole.content == plain
        assert whole.headers["content-length"] == str(len(plain))
        size = len(plain)
        boundary = DEFAULT_CHUNK_SIZE
        for first, last in [
            (0, 0),
            (boundary - 1, boundary),
            (boundary - 10, 2 * boundary + 10),
            (3 * boundary, 3 * boundary),
            (size - 5, size - 1),
            (boundary + 7, None),
        ]:
            spec = f"bytes={first}-{'' if last is None else last}"
            response = client.get(_path(server, created) + "/media", headers={"Range": spec})
            assert response.status_code == 206, response.text
            assert response.content == plain[first : None if last is None else last + 1], spec
        suffix = client.get(_path(server, created) + "/media", headers={"Range": "bytes=-100"})
        assert suffix.content == plain[-100:]


def test_the_master_key_file_is_private_and_beside_the_data(server: LiveServer) -> None:
    key_file = server.data_dir / "master.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert not key_file.resolve().is_relative_to((server.data_dir / "media").resolve())
    assert key_file.read_text().startswith("cvmk1:")
    assert server.log().count("Created the master key file") == 1, "the first start says so, once"
    assert "Back it up" in server.log()


@pytest.mark.parametrize("where", ["first chunk", "later chunk", "header"])
def test_a_flipped_byte_is_an_error_envelope_never_audio(
    server: LiveServer, long_wav: Path, where: str
) -> None:
    created = server.ingest(f"c-{uuid.uuid4()}", long_wav)
    key = _media_key(server, created["recordingId"])
    stored = bytearray(_stored(server, key))
    position = {"first chunk": HEADER_SIZE + 500, "later chunk": HEADER_SIZE + 2 * UNIT + 40, "header": 10}[
        where
    ]
    stored[position] ^= 0x01
    _replace_stored(server, key, bytes(stored))
    in_damaged_chunk = f"bytes={2 * DEFAULT_CHUNK_SIZE + 5}-{2 * DEFAULT_CHUNK_SIZE + 100}"
    with server.client() as client:
        headers = {"Range": in_damaged_chunk} if where == "later chunk" else {}
        response = client.get(_path(server, created) + "/media", headers=headers)
        assert response.status_code == 500
        body = response.json()
        assert body["type"] == "internal-error" and "integrity" in body["description"]
        if where == "later chunk":  # the whole download: its first MiB is checked before it starts
            whole = client.get(_path(server, created) + "/media")
            assert whole.status_code == 500 and "integrity" in whole.json()["description"]
            untouched = client.get(_path(server, created) + "/media", headers={"Range": "bytes=0-99"})
            assert untouched.status_code == 206 and untouched.content == long_wav.read_bytes()[:100]


def test_a_download_stops_before_a_damaged_chunk_past_its_first_mib(
    server: LiveServer, tmp_path: Path
) -> None:
    longer = write_wav(tmp_path / "longer.wav", seconds=100, sample_rate=8000, channels=1)  # 1.6 MB
    created = server.ingest(f"c-{uuid.uuid4()}", longer)
    key = _media_key(server, created["recordingId"])
    stored = bytearray(_stored(server, key))
    damaged = 20  # past the 16 chunks of the first 1 MiB piece
    stored[HEADER_SIZE + damaged * UNIT + 40] ^= 0x01
    _replace_stored(server, key, bytes(stored))
    received = bytearray()
    with (
        server.client() as client,
        pytest.raises(httpx.HTTPError),
        client.stream("GET", _path(server, created) + "/media") as stream,
    ):
        assert stream.status_code == 200
        for piece in stream.iter_bytes():
            received += piece
    assert 0 < len(received) <= damaged * DEFAULT_CHUNK_SIZE
    assert bytes(received) == longer.read_bytes()[: len(received)]


@pytest.mark.parametrize("cut", [UNIT, 1000])
def test_a_truncated_blob_is_an_error(server: LiveServer, long_wav: Path, cut: int) -> None:
    created = server.ingest(f"c-{uuid.uuid4()}", long_wav)
    key = _media_key(server, created["recordingId"])
    stored = _stored(server, key)
    _replace_stored(server, key, stored[: len(stored) - cut])
    last_bytes = f"bytes={os.path.getsize(long_wav) - 10}-"
    with server.client() as client:
        response = client.get(_path(server, created) + "/media", headers={"Range": last_bytes})
    assert response.status_code == 500 and "integrity" in response.json()["description"]


def _key_pair(tmp_path: Path) -> tuple[str, Path]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    private_path = tmp_path / f"private-{uuid.uuid4().hex[:6]}.pem"
    private_path.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return pem.decode(), private_path


def _decrypt(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "callvault", "decrypt", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "400"},
    )


def test_customer_held_recordings_open_only_with_the_private_key(
    server_factory: ServerFactory, tmp_path: Path, wav_file: Path
) -> None:
    server = server_factory(tmp_path / "data")
    # choosing who holds the keys is an account policy (`govern`): the test user is the owner
    server.make_owner()
    account = f"/api/v2/accounts/{server.account_id}/encryption"
    public_pem, private_path = _key_pair(tmp_path)
    _, other_private = _key_pair(tmp_path)
    with server.client() as client:
        assert client.get(account).json() == {"mode": "server-held"}
        for bad in [
            {"mode": "customer-held", "publicKey": "-----BEGIN PUBLIC KEY-----\nnope\n"},
            {"mode": "x"},
        ]:
            refused = client.put(account, json=bad)
            assert refused.status_code == 400 and refused.json()["type"] == "validation", refused.text
        assert client.get(account).json() == {"mode": "server-held"}, "a refused key changes nothing"
        set_key = client.put(account, json={"mode": "customer-held", "publicKey": public_pem})
        assert set_key.status_code == 200 and set_key.json()["mode"] == "customer-held"

    created = server.ingest(f"c-{uuid.uuid4()}", wav_file)
    with server.client() as client:
        download = client.get(_path(server, created) + "/media")
        assert download.status_code == 200
        assert download.headers["content-type"] == "application/vnd.callvault.sealed-media"
        assert download.content.startswith(b"CVSEALED")
        assert b"RIFF" not in download.content
        transcribe = client.post(_path(server, created) + "/transcription", json={})
        assert transcribe.status_code == 409 and "sealed" in transcribe.json()["description"]
        assert client.put(account, json={"mode": "server-held"}).json() == {"mode": "server-held"}
        still_sealed = client.get(_path(server, created) + "/media")
        assert still_sealed.content.startswith(b"CVSEALED"), "sealed stays sealed"

    sealed = tmp_path / f"{created['recordingId']}.wav.sealed"
    sealed.write_bytes(download.content)
    wrong = _decrypt(str(sealed), "--private-key", str(other_private), "-o", str(tmp_path / "wrong.wav"))
    assert wrong.returncode == 1 and "sealed to public key" in wrong.stderr
    assert not (tmp_path / "wrong.wav").exists()
    ok = _decrypt(str(sealed), "--private-key", str(private_path))
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / f"{created['recordingId']}.wav").read_bytes() == wav_file.read_bytes()
    ((master,),) = server.db_rows(
        "SELECT count(*) FROM media_keys WHERE blob_key = :k AND master_wrapped IS NOT NULL",
        k=_media_key(server, created["recordingId"]),
    )
    assert master == 0, "the server keeps no copy of a sealed recording's data key"
