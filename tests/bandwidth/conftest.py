"""Fixtures of the client tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from support.canned_http import CannedServer


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
