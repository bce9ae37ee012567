"""Fixtures shared by every suite: real servers, real audio files."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.audio_files import write_mp3, write_wav
from support.receiver import webhook_receiver  # noqa: F401  (fixture)
from support.server import LiveServer, start_server

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("callvault-data"))
    yield server
    server.stop()


def _can_bind_port_80() -> bool:
    with socket.socket() as s:
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", 80))
        except OSError:
            return False
    return True


@pytest.fixture(scope="session")
def port80_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    if not _can_bind_port_80():
        pytest.skip("port 80 on 127.0.0.1 cannot be bound here (needs root, and nothing else on it)")
    server = start_server(tmp_path_factory.mktemp("callvault-port80"), port=80)
    yield server
    server.stop()


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
