"""Fixtures shared by every suite: real servers, real audio files.

`CALLVAULT_TEST_BACKEND=scale` runs the server suites on PostgreSQL + S3 (SeaweedFS) instead of the
embedded SQLite + files; `make test` runs them both ways. A backend that cannot be had skips the tests
that need it with the reason, and fails them in CI (`support.needs`).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

from support import postgres, redis_server
from support.audio_files import write_mp3, write_wav
from support.needs import unavailable
from support.receiver import webhook_receiver  # noqa: F401  (fixture)
from support.seaweed import SeaweedUnavailable, run_seaweed
from support.server import LiveServer, ServerFactory, start_server

FIXTURES = Path(__file__).parent / "fixtures"
BACKEND = os.environ.get("CALLVAULT_TEST_BACKEND", "embedded")


@pytest.fixture(scope="session")
def backend_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Environment that points servers at the scale backend's shared services ({} when embedded)."""
    if BACKEND != "scale":
        yield {}
        return
    if postgres.server_url() is None:
        unavailable(f"scale backend: {postgres.why_not()}")
    try:
        with run_seaweed(tmp_path_factory.mktemp("seaweed")) as s3:
            os.environ.update(s3.env())
            yield s3.env()
    except SeaweedUnavailable as error:
        unavailable(f"scale backend: SeaweedFS unavailable: {error}")


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """A PostgreSQL admin conninfo (the machine's, or a throwaway cluster started for the session)."""
    url = postgres.server_url()
    if url is None:
        unavailable(postgres.why_not())
    return url


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A Redis URL (the machine's on 6379, or a `redis-server` started for the session)."""
    url = redis_server.server_url()
    if url is None:
        unavailable(redis_server.why_not())
    return url


@contextmanager
def _servers(backend_services: dict[str, str]) -> Iterator[ServerFactory]:
    """A factory of servers on the selected backend (each with its own database and bucket prefix),
    every one stopped, and its database dropped, when the block ends."""
    with ExitStack() as stack:

        def make(data_dir: Path, *, env_overrides: dict[str, str] | None = None, **kwargs: Any) -> LiveServer:
            env = dict(backend_services)
            if BACKEND == "scale":
                env["CALLVAULT_DATABASE_URL"] = stack.enter_context(postgres.fresh_database())
                env["CALLVAULT_MEDIA_URL"] = f"s3://callvault-test/{uuid.uuid4().hex[:12]}"
            env.update(env_overrides or {})
            server = start_server(data_dir, env_overrides=env, **kwargs)
            stack.callback(server.stop)
            return server

        yield make


# One factory per scope, so that a server lives as long as the fixture or test that asked for it
# (a test's servers kept until the session ended held ~100 idle PostgreSQL connections at once).
@pytest.fixture()
def server_factory(backend_services: dict[str, str]) -> Iterator[ServerFactory]:
    """Servers stopped when the test ends."""
    with _servers(backend_services) as make:
        yield make


@pytest.fixture(scope="module")
def module_server_factory(backend_services: dict[str, str]) -> Iterator[ServerFactory]:
    """Servers stopped when the module's tests are done."""
    with _servers(backend_services) as make:
        yield make


@pytest.fixture(scope="session")
def session_server_factory(backend_services: dict[str, str]) -> Iterator[ServerFactory]:
    """Servers kept for the whole session."""
    with _servers(backend_services) as make:
        yield make


@pytest.fixture(scope="session")
def live_server(
    session_server_factory: ServerFactory, tmp_path_factory: pytest.TempPathFactory
) -> LiveServer:
    return session_server_factory(tmp_path_factory.mktemp("callvault-data"))


def _can_bind_port_80() -> bool:
    with socket.socket() as s:
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", 80))
        except OSError:
            return False
    return True


@pytest.fixture(scope="session")
def port80_server(
    session_server_factory: ServerFactory, tmp_path_factory: pytest.TempPathFactory
) -> LiveServer:
    if not _can_bind_port_80():
        unavailable("port 80 on 127.0.0.1 cannot be bound here (needs root, and nothing else on it)")
    return session_server_factory(tmp_path_factory.mktemp("callvault-port80"), port=80)


@pytest.fixture(scope="session")
def wav_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("audio") / "tone.wav"
    write_wav(path, seconds=2.0, sample_rate=8000, channels=1)
    return path


@pytest.fixture(scope="session")
def stereo_wav_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("audio") / "stereo.wav"
    write_wav(path, seconds=1.5, sample_rate=16000, channels=2)
    return path


@pytest.fixture(scope="session")
def mp3_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("audio") / "tone.mp3"
    write_mp3(path, seconds=3.0, sample_rate=16000)
    return path
