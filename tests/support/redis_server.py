"""A Redis for tests: the machine's own on 127.0.0.1:6379, else one started from Debian's `redis-server`
on a free loopback port for the rest of the process (nothing kept on disk), else None (see why_not())."""

from __future__ import annotations

import atexit
import shutil
import socket
import subprocess
import tempfile
import time

import redis

__all__ = ["server_url", "why_not"]

LOCAL_URL = "redis://127.0.0.1:6379/0"
START_TIMEOUT_S = 30.0

_SERVER_URL: str | None = None
_WHY_NOT = ""


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_own() -> str:
    global _WHY_NOT
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if shutil.which(binary) is None:
        _WHY_NOT = "no Redis on 127.0.0.1:6379 and no redis-server binary (apt-get install redis-server)"
        return ""
    port = _free_port()
    directory = tempfile.mkdtemp(prefix="callvault-redis-")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=directory,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    atexit.register(_stop, process)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            _WHY_NOT = f"redis-server exited with {process.returncode} on port {port}"
            return ""
        if _answers(url):
            return url
        time.sleep(0.1)
    _stop(process)
    _WHY_NOT = f"redis-server did not answer on port {port} within {START_TIMEOUT_S:.0f} s"
    return ""


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def server_url() -> str | None:
    """A Redis URL for this test process, or None (see why_not())."""
    global _SERVER_URL
    if _SERVER_URL is None:
        _SERVER_URL = LOCAL_URL if _answers(LOCAL_URL) else _start_own()
    return _SERVER_URL or None


def why_not() -> str:
    return _WHY_NOT or "Redis is not reachable"
