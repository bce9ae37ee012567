"""A Redis for tests: the machine's own on 127.0.0.1:6379, else one started from Debian's `redis-server`
on a free loopback port for the rest of the process (nothing kept on disk; started again on another port
when another process takes that one first), else None (see why_not())."""

from __future__ import annotations

import atexit
import shutil
import subprocess
import tempfile
from pathlib import Path

import redis

from support.ports import PortChooser, ServerDidNotStart, free_ports, start_on_free_ports, wait_until_serving

__all__ = ["server_url", "start_redis", "why_not"]

LOCAL_URL = "redis://127.0.0.1:6379/0"
START_TIMEOUT_S = 30.0

_SERVER_URL: str | None = None
_WHY_NOT = ""


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def start_redis(binary: str, *, choose_ports: PortChooser = free_ports) -> str:
    """`redis-server` on a free loopback port (again on another when that one is taken first), stopped
    when this process exits; its URL. Raises ServerDidNotStart with the reason."""
    directory = Path(tempfile.mkdtemp(prefix="callvault-redis-"))
    try:
        process, url = start_on_free_ports(
            lambda ports: _launch(binary, directory, ports[0]), choose=choose_ports
        )
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    atexit.register(_remove, process, directory)
    return url


def _launch(binary: str, directory: Path, port: int) -> tuple[subprocess.Popen[bytes], str]:
    log = directory / f"redis-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=directory,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        wait_until_serving(
            process, log, lambda: _answers(url), port=port, what="redis-server", timeout=START_TIMEOUT_S
        )
    except BaseException:
        _stop(process)
        raise
    return process, url


def _remove(process: subprocess.Popen[bytes], directory: Path) -> None:
    _stop(process)
    shutil.rmtree(directory, ignore_errors=True)


def _start_own() -> str:
    global _WHY_NOT
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if shutil.which(binary) is None:
        _WHY_NOT = "no Redis on 127.0.0.1:6379 and no redis-server binary (apt-get install redis-server)"
        return ""
    try:
        return start_redis(binary)
    except ServerDidNotStart as error:
        _WHY_NOT = str(error)
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
