"""Fixtures of the client tests."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
for path in (HERE.parents[1] / "src", HERE):  # the client package, and canned_http for any import mode
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from canned_http import CannedServer  # noqa: E402


@pytest.fixture
def canned_server() -> Iterator[CannedServer]:
    server = CannedServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def make_api(canned_server: CannedServer) -> Iterator[Callable[..., Any]]:
    """Build a RecordingsApi pointed at the canned server; extra kwargs go to Configuration."""
    import bandwidth

    clients: list[bandwidth.ApiClient] = []

    def build(**config: Any) -> bandwidth.RecordingsApi:
        config.setdefault("host", canned_server.url)
        config.setdefault("username", "alice")
        config.setdefault("password", "s3cret")
        client = bandwidth.ApiClient(bandwidth.Configuration(**config))
        clients.append(client)
        return bandwidth.RecordingsApi(client)

    yield build
    for client in clients:
        client.close()
