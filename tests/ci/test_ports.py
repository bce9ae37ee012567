"""support.ports: every test server starts even when another process takes the port picked for it.

Each server is started with a port chooser whose first pick includes a port this test holds (the race
lost on purpose): the start must fail on it, pick again and serve on other ports.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
import redis

from support import postgres, redis_server
from support.canned_http import CannedResponse, CannedServer
from support.needs import unavailable
from support.ports import PortInUse, free_ports, listens_on, start_on_free_ports
from support.seaweed import SeaweedUnavailable, run_seaweed
from support.server import start_server


class FirstPickTaken:
    """A PortChooser whose first pick puts a held port at ``position``; later picks are free ports."""

    def __init__(self, taken: int, position: int = 0) -> None:
        self.taken, self.position = taken, position
        self.picks: list[list[int]] = []

    def __call__(self, count: int) -> list[int]:
        ports = [port for port in free_ports(count + 1) if port != self.taken][:count]
        if not self.picks:
            ports[self.position] = self.taken
        self.picks.append(ports)
        return ports


@pytest.fixture
def held_port() -> Iterator[int]:
    """A loopback port this test listens on, so no server can have it."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield held.getsockname()[1]


def test_a_lost_race_is_started_again_on_new_ports() -> None:
    chooser = FirstPickTaken(1)

    def start(ports: list[int]) -> list[int]:
        if 1 in ports:
            raise PortInUse("port 1 was taken")
        return ports

    assert start_on_free_ports(start, 3, choose=chooser) == chooser.picks[1]
    assert len(chooser.picks) == 2


def test_races_lost_every_time_end_with_the_last_reason() -> None:
    def start(ports: list[int]) -> None:
        raise PortInUse(f"lost {ports[0]}")

    with pytest.raises(PortInUse, match="3 starts in a row lost a port.*last: lost 7"):
        start_on_free_ports(start, choose=lambda count: [7], attempts=3)


def test_other_failures_are_not_retried() -> None:
    picks: list[int] = []

    def start(ports: list[int]) -> None:
        picks.append(ports[0])
        raise RuntimeError("the binary crashed")

    with pytest.raises(RuntimeError, match="crashed"):
        start_on_free_ports(start)
    assert len(picks) == 1


def test_listens_on_names_the_process_that_holds_the_port(held_port: int) -> None:
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert listens_on(os.getpid(), held_port)
        assert not listens_on(other.pid, held_port)
    finally:
        other.kill()
        other.wait()


def test_callvault_starts_when_its_port_is_taken(tmp_path: Path, held_port: int) -> None:
    chooser = FirstPickTaken(held_port)
    server = start_server(tmp_path / "data", choose_ports=chooser)
    try:
        assert len(chooser.picks) == 2
        assert server.url != f"http://127.0.0.1:{held_port}"
        assert httpx.get(f"{server.url}/healthz", timeout=30).status_code == 200
    finally:
        server.stop()


def test_another_server_answering_on_the_port_is_not_taken_for_callvault(tmp_path: Path) -> None:
    impostor = CannedServer()
    impostor.add("GET", "/healthz", CannedResponse(200, {"status": "ok"}))
    impostor.start()
    try:
        taken = int(impostor.url.rsplit(":", 1)[1])
        chooser = FirstPickTaken(taken)
        server = start_server(tmp_path / "data", choose_ports=chooser)
        try:
            assert len(chooser.picks) == 2
            assert server.url != impostor.url
        finally:
            server.stop()
    finally:
        impostor.stop()


def test_callvault_starts_when_its_sip_port_is_taken(tmp_path: Path, held_port: int) -> None:
    chooser = FirstPickTaken(held_port, position=1)
    server = start_server(tmp_path / "data", sip=True, choose_ports=chooser)
    try:
        assert len(chooser.picks) == 2
        assert server.sip_port == chooser.picks[1][1] != held_port
        with socket.create_connection(("127.0.0.1", server.sip_port), timeout=30):
            pass  # its SIP listener takes TCP connections
    finally:
        server.stop()


def test_seaweed_starts_when_its_master_port_is_taken(tmp_path: Path, held_port: int) -> None:
    chooser = FirstPickTaken(held_port)
    try:
        with run_seaweed(tmp_path / "seaweed", choose_ports=chooser) as s3:
            assert len(chooser.picks) == 2
            assert s3.client().list_buckets()["Buckets"] == []
    except SeaweedUnavailable as error:
        if "binary is missing" not in str(error):
            raise
        unavailable(f"SeaweedFS unavailable: {error}")


def test_redis_starts_when_its_port_is_taken(held_port: int) -> None:
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("no redis-server binary (apt-get install redis-server)")
    chooser = FirstPickTaken(held_port)
    url = redis_server.start_redis(binary, choose_ports=chooser)
    assert len(chooser.picks) == 2
    assert redis.Redis.from_url(url, socket_connect_timeout=30).ping()


def test_postgres_starts_when_its_port_is_taken(held_port: int) -> None:
    initdb = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not initdb or os.geteuid() != 0 or shutil.which("runuser") is None:
        unavailable("no Debian postgresql binaries, or not root, to start a cluster")
    chooser = FirstPickTaken(held_port)
    url = postgres.start_cluster(Path(initdb[-1]).parent, choose_ports=chooser)
    assert len(chooser.picks) == 2
    with psycopg.connect(url, connect_timeout=30) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
