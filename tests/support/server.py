"""A real callvault server in a subprocess on 127.0.0.1, for tests."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from callvault.media.blobstore import open_blob_store

LOCAL_RECEIVERS = "127.0.0.0/8,::1"
"""The tests' webhook receivers listen on loopback, which servers refuse to call unless allowed."""
ACCOUNT = "9900000"
USERNAME = "tester"
PASSWORD = "tester-password-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def add_user(data_dir: Path, name: str, password: str, accounts: list[str], env: dict[str, str]) -> None:
    args = [
        sys.executable,
        "-m",
        "callvault",
        "users",
        "add",
        name,
        "--password",
        password,
        "--data-dir",
        str(data_dir),
    ]
    for account in accounts:
        args += ["--account", account]
    result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    if result.returncode != 0 and "already exists" not in result.stderr:  # a shared database has them
        raise RuntimeError(f"callvault users add failed: {result.stderr}")


@dataclass
class LiveServer:
    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    database_url: str = ""
    media_url: str = ""
    username: str = USERNAME
    password: str = PASSWORD
    account_id: str = ACCOUNT
    env: dict[str, str] = field(default_factory=dict)

    @property
    def auth(self) -> tuple[str, str]:
        return (self.username, self.password)

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, auth=self.auth, timeout=60, **kwargs)

    def add_user(self, name: str, password: str, accounts: list[str]) -> None:
        """`callvault users add` against this (running) server's database."""
        add_user(self.data_dir, name, password, accounts, self.env)

    def ingest(
        self,
        call_id: str,
        media_path: Path,
        metadata: dict[str, Any] | None = None,
        account_id: str | None = None,
    ) -> dict[str, Any]:
        with self.client() as client, media_path.open("rb") as media:
            response = client.post(
                f"/ingest/accounts/{account_id or self.account_id}/calls/{call_id}/recordings",
                data={"metadata": json.dumps(metadata or {})},
                files={"media": (media_path.name, media, "application/octet-stream")},
            )
        assert response.status_code == 201, response.text
        return dict(response.json())

    def db_rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        """Read the server's own database directly (SQLite file or PostgreSQL)."""
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                return [tuple(row) for row in conn.execute(text(sql), params)]
        finally:
            engine.dispose()

    def db_execute(self, sql: str) -> None:
        engine = create_engine(self.database_url)
        try:
            with engine.begin() as conn:
                conn.execute(text(sql))
        finally:
            engine.dispose()

    def blob_exists(self, key: str) -> bool:
        return open_blob_store(self.media_url).exists(key)

    def blob_count(self) -> int:
        return sum(1 for _ in open_blob_store(self.media_url).keys())

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def start_server(
    data_dir: Path,
    *,
    port: int | None = None,
    env_overrides: dict[str, str] | None = None,
    extra_users: list[tuple[str, str, list[str]]] | None = None,
    args: list[str] | None = None,
) -> LiveServer:
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "CALLVAULT_PURGE_GRACE": "1s",
        "CALLVAULT_JOB_POLL_SECONDS": "0.05",
        "CALLVAULT_LOG_LEVEL": "warning",
        "CALLVAULT_CALLBACK_ALLOW": LOCAL_RECEIVERS,
        "PYTHONUNBUFFERED": "1",
    }
    env.update(env_overrides or {})
    if not (data_dir / ".users-made").exists():
        add_user(data_dir, USERNAME, PASSWORD, [ACCOUNT, "9900001"], env)
        for name, password, accounts in extra_users or []:
            add_user(data_dir, name, password, accounts, env)
        (data_dir / ".users-made").write_text("yes")
    log_path = data_dir / f"server-{port}.log"
    log = log_path.open("ab")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "callvault",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
            *(args or []),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = LiveServer(
        url=f"http://127.0.0.1:{port}",
        data_dir=data_dir,
        process=process,
        log_path=log_path,
        env=env,
        database_url=env.get("CALLVAULT_DATABASE_URL") or f"sqlite:///{data_dir / 'callvault.sqlite3'}",
        media_url=env.get("CALLVAULT_MEDIA_URL") or str(data_dir / "media"),
    )
    _wait_ready(server)
    return server


def _wait_ready(server: LiveServer, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"callvault exited with {server.process.returncode}:\n{server.log()}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"callvault did not answer within {timeout} s:\n{server.log()}")


ServerFactory = Callable[..., LiveServer]
