"""The media sweep (services/media_sweep.py): what killed processes left goes, nothing else does."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from callvault.domain.jobs import SWEEP_MEDIA_JOB
from callvault.media.blobstore import BlobStore
from callvault.media.encrypted import EncryptedBlobStore
from callvault.media.files import FileBlobStore
from callvault.media.s3 import S3BlobStore
from callvault.media.store_url import open_blob_store
from callvault.services.container import Services, build_services
from callvault.services.media_sweep import schedule_sweep, sweep_media
from callvault.settings import Settings
from callvault.store import jobs_repo
from support.server import LiveServer, ServerFactory


def _leave_partial_write(blobs: BlobStore) -> None:
    """What a process killed mid-write leaves: a temp file, or an S3 multipart upload with a part."""
    if isinstance(blobs, FileBlobStore):
        (blobs.root / "ab").mkdir(exist_ok=True)
        (blobs.root / "ab" / ".tmp-killed.part").write_bytes(b"x" * 100)
        return
    assert isinstance(blobs, S3BlobStore)
    key = f"{blobs.prefix}/ab/cd/killed.wav"
    upload = blobs.client.create_multipart_upload(Bucket=blobs.bucket, Key=key)
    blobs.client.upload_part(
        Bucket=blobs.bucket, Key=key, UploadId=upload["UploadId"], PartNumber=1, Body=b"x"
    )


def _partial_writes_left(blobs: BlobStore) -> int:
    if isinstance(blobs, FileBlobStore):
        return len(list(blobs.root.rglob(".tmp-*")))
    assert isinstance(blobs, S3BlobStore)
    uploads = blobs.client.list_multipart_uploads(Bucket=blobs.bucket, Prefix=f"{blobs.prefix}/")
    return len(uploads.get("Uploads", []))


def _sweep_cli(server: LiveServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "callvault", "media", "sweep", "--data-dir", str(server.data_dir), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=server.env,
    )


def test_media_sweep_removes_orphans_and_partial_writes_only(
    server_factory: ServerFactory, tmp_path: Path, wav_file: Path
) -> None:
    server = server_factory(tmp_path / "data", env_overrides={"CALLVAULT_PURGE_GRACE": "1h"})
    blobs = open_blob_store(server.media_url)
    kept = server.ingest(f"c-{uuid.uuid4()}", wav_file)
    deleted_call = f"c-{uuid.uuid4()}"
    deleted = server.ingest(deleted_call, wav_file)
    with server.client() as client:
        path = (
            f"/api/v2/accounts/{server.account_id}/calls/{deleted_call}/recordings/{deleted['recordingId']}"
        )
        assert client.delete(path).status_code == 204
    orphan = blobs.write(blobs.new_key(".wav"), [b"RIFF a write whose row never committed"])
    _leave_partial_write(blobs)
    before = sorted(blobs.keys())
    assert len(before) == 3

    dry = _sweep_cli(server, "--dry-run", "--older-than", "0s")
    assert dry.returncode == 0, dry.stderr
    assert f"orphan blob\t{orphan.key}\t{orphan.size}" in dry.stdout
    assert "partial write\t" in dry.stdout
    assert "would remove 1 partial write(s) and 1 orphan blob(s)" in dry.stderr
    assert sorted(blobs.keys()) == before and _partial_writes_left(blobs) == 1

    done = _sweep_cli(server, "--older-than", "0s")
    assert done.returncode == 0, done.stderr
    assert "removed 1 partial write(s) and 1 orphan blob(s)" in done.stderr
    assert sorted(blobs.keys()) == sorted(set(before) - {orphan.key})
    assert _partial_writes_left(blobs) == 0
    with server.client() as client:
        recording = (
            f"/api/v2/accounts/{server.account_id}/calls/{kept['callId']}/recordings/{kept['recordingId']}"
        )
        assert client.get(f"{recording}/media").content == wav_file.read_bytes()

    refused = _sweep_cli(server, "--older-than", "soon")
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert "--older-than: not a duration" in refused.stderr


@pytest.fixture()
def services(tmp_path: Path) -> Iterator[Services]:
    built = build_services(Settings(data_dir=tmp_path, run_workers=False))
    yield built
    built.close()


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_nothing_younger_than_the_sweep_age_is_touched(services: Services) -> None:
    assert isinstance(services.blobs, EncryptedBlobStore) and isinstance(services.blobs.inner, FileBlobStore)
    blobs = services.blobs.inner  # the directory under the encrypting wrapper: sizes as stored
    old_orphan = blobs.write(blobs.new_key(".wav"), [b"old"]).key
    new_orphan = blobs.write(blobs.new_key(".wav"), [b"new"]).key
    _age(blobs.root / old_orphan, 7200)
    (blobs.root / "ab").mkdir(exist_ok=True)
    old_temp, new_temp = blobs.root / "ab" / ".tmp-old.part", blobs.root / "ab" / ".tmp-new.part"
    old_temp.write_bytes(b"12345")
    new_temp.write_bytes(b"12345")
    _age(old_temp, 7200)

    report = sweep_media(services.store, services.blobs, older_than_seconds=3600)

    assert [entry.key for entry in report.orphan_blobs] == [old_orphan]
    assert [item.name for item in report.partial_writes] == ["ab/.tmp-old.part"]
    assert report.bytes_freed == 3 + 5
    assert sorted(blobs.keys()) == [new_orphan]
    assert new_temp.exists() and not old_temp.exists()


def test_one_sweep_is_queued_at_a_time_and_start_up_brings_it_forward(services: Services) -> None:
    schedule_sweep(services.store, delay_seconds=3600)
    schedule_sweep(services.store, delay_seconds=7200)
    with services.store.read() as conn:
        [later] = jobs_repo.list_jobs(conn, SWEEP_MEDIA_JOB)
    schedule_sweep(services.store, delay_seconds=0)
    with services.store.read() as conn:
        [now] = jobs_repo.list_jobs(conn, SWEEP_MEDIA_JOB)
    assert now.id == later.id
    assert (later.run_after - now.run_after).total_seconds() > 3500
