"""Rate limits shared through Redis between server processes, and `serve --workers N`."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from support.server import start_server

pytestmark = pytest.mark.scale


def _statuses(urls: list[str], auth: tuple[str, str], count: int) -> list[int]:
    statuses = []
    with httpx.Client(auth=auth, timeout=30) as client:
        for index in range(count):
            statuses.append(
                client.get(f"{urls[index % len(urls)]}/api/v2/accounts/9900000/recordings").status_code
            )
    return statuses


def _statuses_through_two_servers(tmp_path: Path, env: dict[str, str], prefix: str, count: int) -> list[int]:
    """Two servers on one database, a fresh user, `count` requests alternating between them."""
    user = (f"{prefix}-{uuid.uuid4().hex[:8]}", f"{prefix}-password")
    env = {
        **env,
        "CALLVAULT_RATE_LIMIT": "8/minute",
        "CALLVAULT_MEDIA_URL": str(tmp_path / "media"),
        "CALLVAULT_MASTER_KEY_FILE": str(tmp_path / "master.key"),  # servers on one database share it
    }
    users = [(user[0], user[1], ["9900000"])]
    first = start_server(tmp_path / "a", env_overrides=env, extra_users=users)
    try:
        env["CALLVAULT_DATABASE_URL"] = first.database_url
        second = start_server(tmp_path / "b", env_overrides=env, extra_users=users)
        try:
            return _statuses([first.url, second.url], user, count)
        finally:
            second.stop()
    finally:
        first.stop()


def test_two_processes_share_one_limit_through_redis(tmp_path: Path, redis_url: str) -> None:
    statuses = _statuses_through_two_servers(tmp_path, {"CALLVAULT_REDIS_URL": redis_url}, "limited", 12)
    assert statuses[:8] == [200] * 8, statuses
    assert statuses[8:] == [429] * 4, "each process alone would still be under its limit"


def test_without_redis_each_process_counts_alone(tmp_path: Path) -> None:
    assert _statuses_through_two_servers(tmp_path, {}, "alone", 16) == [200] * 16


def test_serve_with_several_worker_processes(tmp_path: Path, wav_file: Path) -> None:
    server = start_server(tmp_path / "data", args=["--workers", "2"])
    try:
        recording = server.ingest("c-workers", wav_file, {})
        with server.client() as client:
            for _ in range(10):
                response = client.get(
                    f"/api/v2/accounts/9900000/calls/c-workers/recordings/{recording['recordingId']}"
                )
                assert response.status_code == 200
        children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children").read_text().split()
        assert len(children) >= 2, "uvicorn runs one process per worker"
    finally:
        server.stop()
