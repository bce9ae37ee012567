"""The one pump of live audio (api/live_audio.py) on a real server in this process, so that a test can
register a stream format: a parser that fails mid-call (a bug, not a bad frame) closes the stream
with 1011, logs the cause and leaves the recording `partial` with the audio before the failure."""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import uvicorn
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from callvault.api.app import create_app
from callvault.calls.stream_formats import STREAM_FORMATS
from callvault.calls.stream_formats.events import StreamEvent
from callvault.calls.stream_formats.raw_audio import RawAudioStream
from callvault.services.auth import add_user
from callvault.services.container import Services, build_services
from callvault.settings import Settings
from callvault.store import calls_repo, recordings_repo

ACCOUNT = "9900000"
USER, PASSWORD = "seam-tester", "seam-tester-password"


class FailsOnItsThirdAudioFrame(RawAudioStream):
    """Raw L16 that hits a bug in callvault on the third audio frame."""

    def __init__(self) -> None:
        super().__init__()
        self.frames = 0

    def binary(self, message: bytes) -> list[StreamEvent]:
        self.frames += 1
        if self.frames == 3:
            raise NotImplementedError("a code path nobody wrote")
        return super().binary(message)


class InProcessServer:
    def __init__(self, services: Services) -> None:
        config = uvicorn.Config(
            create_app(services.settings, services),
            host="127.0.0.1",
            port=0,
            ws="wsproto",
            log_level="warning",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "the server did not start"
            time.sleep(0.05)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"ws://127.0.0.1:{port}"

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=60)


@pytest.fixture()
def services(tmp_path: Path) -> Iterator[Services]:
    built = build_services(Settings(data_dir=tmp_path, run_workers=False))
    add_user(built.store, USER, PASSWORD, [ACCOUNT])
    yield built
    built.close()


def poll(condition: object, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not callable(condition) or not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_parser_that_fails_mid_call_closes_1011_and_leaves_a_partial_recording(
    services: Services, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(STREAM_FORMATS, "failing", FailsOnItsThirdAudioFrame)
    second = np.arange(8000, dtype=np.int16)
    auth = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    with (
        caplog.at_level(logging.ERROR, logger="callvault.calls"),
        InProcessServer(services) as base,
        connect(
            f"{base}/ingest/accounts/{ACCOUNT}/streams/failing", additional_headers={"Authorization": auth}
        ) as ws,
    ):
        ws.send('{"callSid": "c-bug-1", "sampleRate": 8000}')
        ws.send(second.astype("<i2").tobytes())
        ws.send(second.astype("<i2").tobytes())
        ws.send(second.astype("<i2").tobytes())  # the parser fails on this one
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=30)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1011

        def stored() -> list[object]:
            with services.store.read() as conn:
                return list(recordings_repo.list_call_recordings(conn, ACCOUNT, "c-bug-1"))

        poll(stored, "the recording")
    with services.store.read() as conn:
        [recording] = recordings_repo.list_call_recordings(conn, ACCOUNT, "c-bug-1")
        call = calls_repo.get_call(conn, ACCOUNT, "c-bug-1")
    assert (recording.status, recording.duration_seconds) == ("partial", 2.0)
    assert call is not None and call.state == "completed"  # the stream opened it; it ended with it
    [failure] = [r for r in caplog.records if r.levelno == logging.ERROR and "c-bug-1" in r.getMessage()]
    assert "1011" in failure.getMessage() and "a code path nobody wrote" in failure.getMessage()
    assert failure.exc_info is not None and failure.exc_info[0] is NotImplementedError
