"""A real callvault server in a subprocess on 127.0.0.1, for tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from callvault.media.store_url import open_blob_store
from support.ports import PortChooser, free_ports, start_on_free_ports, wait_until_serving

LOCAL_RECEIVERS = "127.0.0.0/8,::1"
"""The tests' webhook receivers listen on loopback, which servers refuse to call unless allowed."""
ACCOUNT = "9900000"
USERNAME = "tester"
PASSWORD = "tester-password-1"
START_TIMEOUT_S = 60.0


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
    sip_port: int | None = None
    """The SIP listener's port (UDP and TCP) of a server started with `sip=True`."""

    @property
    def auth(self) -> tuple[str, str]:
        return (self.username, self.password)

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, auth=self.auth, timeout=60, **kwargs)

    def add_user(self, name: str, password: str, accounts: list[str]) -> None:
        """`callvault users add` against this (running) server's database."""
        add_user(self.data_dir, name, password, accounts, self.env)

    def make_owner(self, *accounts: str) -> LiveServer:
        """`callvault users role` makes the test user the owner of `accounts` (this server's account if
        none), before any request of the test caches its roles; policies, holds and erasure need it."""
        for account in accounts or (self.account_id,):
            args = ["users", "role", self.username, "--account", account, "--role", "owner"]
            command = [sys.executable, "-m", "callvault", *args, "--data-dir", str(self.data_dir)]
            result = subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=120)
            if result.returncode != 0:
                raise RuntimeError(f"callvault users role failed: {result.stderr}")
        return self

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
    sip: bool = False,
    env_overrides: dict[str, str] | None = None,
    extra_users: list[tuple[str, str, list[str]]] | None = None,
    args: list[str] | None = None,
    choose_ports: PortChooser = free_ports,
) -> LiveServer:
    """`callvault serve` on a free port (or `port`), with `sip` also a SIP listener on another one
    (`LiveServer.sip_port`); started again on new ports when another process takes one first."""
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

    def start_on(ports: list[int]) -> LiveServer:
        http_port, *sip_port = ports if port is None else [port, *ports]
        listen = ["--sip", f"127.0.0.1:{sip_port[0]}"] if sip_port else []
        return _launch(data_dir, env, http_port, [*listen, *(args or [])], sip_port[0] if sip_port else None)

    wanted = int(port is None) + int(sip)
    if wanted == 0:
        return start_on([])
    return start_on_free_ports(start_on, wanted, choose=choose_ports)


def _launch(
    data_dir: Path, env: dict[str, str], port: int, args: list[str], sip_port: int | None
) -> LiveServer:
    log_path = data_dir / f"server-{port}.log"
    log_offset = log_path.stat().st_size if log_path.exists() else 0
    with log_path.open("ab") as log:
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
                *args,
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
        sip_port=sip_port,
    )
    try:
        wait_until_serving(
            process,
            log_path,
            lambda: _healthy(server.url),
            port=port,
            what=f"callvault on port {port}" + (f" (SIP {sip_port})" if sip_port else ""),
            timeout=START_TIMEOUT_S,
            log_offset=log_offset,
        )
    except BaseException:
        server.stop()
        raise
    return server


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


ServerFactory = Callable[..., LiveServer]
