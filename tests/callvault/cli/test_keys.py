"""`callvault keys rotate`, `callvault media encrypt` and the master key's refusals, run as a user would
(subprocesses against a real server and its real files; PostgreSQL+S3 with CALLVAULT_TEST_BACKEND=scale)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from callvault.media.store_url import open_blob_store
from support.server import LiveServer, ServerFactory


def _cli(server: LiveServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "callvault", *args, "--data-dir", str(server.data_dir)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**server.env, "COLUMNS": "400"},
    )


def _download(server: LiveServer, created: dict[str, str]) -> bytes:
    call, recording = created["callId"], created["recordingId"]
    path = f"/api/v2/accounts/{server.account_id}/calls/{call}/recordings/{recording}/media"
    with server.client() as client:
        response = client.get(path)
    assert response.status_code == 200, response.text
    return response.content


def _stored(server: LiveServer, recording_id: str) -> bytes:
    ((key,),) = server.db_rows("SELECT media_key FROM recordings WHERE recording_id = :r", r=recording_id)
    return b"".join(open_blob_store(server.media_url).open(key))


def test_rotation_keeps_every_recording_readable_without_a_restart(
    server_factory: ServerFactory, tmp_path: Path, wav_file: Path, stereo_wav_file: Path
) -> None:
    server = server_factory(tmp_path / "data")
    created = [server.ingest(f"c-{uuid.uuid4()}", path) for path in (wav_file, stereo_wav_file, wav_file)]
    key_file = server.data_dir / "master.key"
    old_key = key_file.read_text()
    stored_before = [_stored(server, c["recordingId"]) for c in created]

    rotated = _cli(server, "keys", "rotate", "--settle", "0")
    assert rotated.returncode == 0, rotated.stdout + rotated.stderr
    assert "re-wrapped 3 data key(s)" in rotated.stderr and "removed old key" in rotated.stderr
    assert key_file.read_text() != old_key and len(key_file.read_text().splitlines()) == 1
    assert [_stored(server, c["recordingId"]) for c in created] == stored_before, "media is not re-encrypted"
    for recording, path in zip(created, (wav_file, stereo_wav_file, wav_file), strict=True):
        assert _download(server, recording) == path.read_bytes()
    after = server.ingest(f"c-{uuid.uuid4()}", wav_file)  # written under the new key by the running server
    assert _download(server, after) == wav_file.read_bytes()

    again = _cli(server, "keys", "rotate", "--settle", "0")
    assert again.returncode == 0 and "re-wrapped 4 data key(s)" in again.stderr, again.stderr
    status = _cli(server, "keys", "status")
    assert status.returncode == 0 and status.stdout.count("wrapped by") == 1, status.stdout


def test_a_missing_master_key_file_is_one_error_and_changes_nothing(
    server_factory: ServerFactory, tmp_path: Path, wav_file: Path
) -> None:
    server = server_factory(tmp_path / "data")
    server.ingest(f"c-{uuid.uuid4()}", wav_file)
    key_file = server.data_dir / "master.key"
    backup = key_file.read_bytes()
    key_file.unlink()
    refused = _cli(server, "users", "list")
    assert refused.returncode == 1
    assert (
        "master key file" in refused.stderr
        and "missing" in refused.stderr
        and "Traceback" not in refused.stderr
    )
    assert not key_file.exists(), "no new key is made over encrypted recordings"
    key_file.write_bytes(backup)
    assert _cli(server, "users", "list").returncode == 0


def test_media_encrypt_migrates_plaintext_in_place_and_resumes(
    server_factory: ServerFactory, tmp_path: Path, wav_file: Path, mp3_file: Path
) -> None:
    plain_server = server_factory(tmp_path / "data", env_overrides={"CALLVAULT_ENCRYPT_MEDIA": "false"})
    created = [plain_server.ingest(f"c-{uuid.uuid4()}", path) for path in (wav_file, mp3_file)]
    assert _stored(plain_server, created[0]["recordingId"]).startswith(b"RIFF"), "stored before encryption"
    assert _download(plain_server, created[0]) == wav_file.read_bytes()

    encrypted = _cli(plain_server, "media", "encrypt")
    assert encrypted.returncode == 0, encrypted.stdout + encrypted.stderr
    assert "encrypted 2 recording(s)" in encrypted.stderr
    for recording, path in zip(created, (wav_file, mp3_file), strict=True):
        stored = _stored(plain_server, recording["recordingId"])
        assert not stored.startswith(b"RIFF") and path.read_bytes()[200:264] not in stored
        assert _download(plain_server, recording) == path.read_bytes()
    resumed = _cli(plain_server, "media", "encrypt")
    assert resumed.returncode == 0 and "encrypted 0 recording(s)" in resumed.stderr


def test_decrypt_refuses_a_malformed_private_key_and_a_file_that_is_not_sealed(tmp_path: Path) -> None:
    not_a_key = tmp_path / "key.pem"
    not_a_key.write_text("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")
    audio = tmp_path / "a.wav.sealed"
    audio.write_bytes(b"RIFF....WAVE")
    env = {**os.environ, "COLUMNS": "400"}
    args = [sys.executable, "-m", "callvault", "decrypt", str(audio), "--private-key", str(not_a_key)]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 1 and "private key cannot be read" in result.stderr, result.stderr
    assert not (tmp_path / "a.wav").exists()
