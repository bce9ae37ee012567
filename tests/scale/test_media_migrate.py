"""`callvault media migrate`: an embedded install's media moves to S3 (SeaweedFS), nothing lost."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

from support.seaweed import SeaweedS3, seaweed_s3  # noqa: F401  (fixture)
from support.server import start_server


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_migrate_files_to_s3_then_serve_from_s3(
    seaweed_s3: SeaweedS3,  # noqa: F811
    tmp_path: Path,
    wav_file: Path,
    mp3_file: Path,
) -> None:
    data_dir = tmp_path / "data"
    s3_env = seaweed_s3.env()
    server = start_server(data_dir, env_overrides=s3_env)
    uploads = {}
    try:
        for path in (wav_file, mp3_file, wav_file):
            call_id = f"c-{uuid.uuid4()}"
            created = server.ingest(call_id, path, {})
            uploads[(call_id, created["recordingId"])] = _sha(path.read_bytes())
    finally:
        server.stop()

    target = f"s3://migrated-{uuid.uuid4().hex[:8]}/media"
    result = subprocess.run(
        [sys.executable, "-m", "callvault", "media", "migrate", "--to", target, "--data-dir", str(data_dir)],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert "copied 3 blob(s)" in result.stderr.replace("\n", " ")

    bucket = target.removeprefix("s3://").split("/")[0]
    objects = seaweed_s3.client().list_objects_v2(Bucket=bucket).get("Contents", [])
    assert len(objects) == 3

    shutil.move(data_dir / "media", tmp_path / "old-media")  # the old store is gone: reads must use S3
    server = start_server(data_dir, env_overrides=s3_env)
    try:
        with server.client() as client:
            for (call_id, recording_id), digest in uploads.items():
                path = f"/api/v2/accounts/{server.account_id}/calls/{call_id}/recordings/{recording_id}/media"
                response = client.get(path)
                assert response.status_code == 200
                assert _sha(response.content) == digest
            new = server.ingest(f"c-{uuid.uuid4()}", wav_file, {})
        assert len(seaweed_s3.client().list_objects_v2(Bucket=bucket).get("Contents", [])) == 4, new
    finally:
        server.stop()

    refused = subprocess.run(
        [sys.executable, "-m", "callvault", "users", "list", "--data-dir", str(data_dir)],
        env={**server.env, "CALLVAULT_MEDIA_URL": str(tmp_path / "elsewhere")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 1
    assert "was migrated to" in refused.stderr and "Traceback" not in refused.stderr
