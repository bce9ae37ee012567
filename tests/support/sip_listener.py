"""A SIPREC listener (callvault.api.sip.server) on its own event loop thread, with the use cases
behind it replaced by an in-memory `SessionRecordings`, so tests see exactly what the listener asks
of the services."""

from __future__ import annotations

import asyncio
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from callvault.api.sip.rtp_ports import RtpPortPool
from callvault.api.sip.server import SipServer
from callvault.calls.siprec.metadata import RecordingMetadata
from callvault.calls.siprec.sip import SipResponse
from callvault.domain.sources import SipSource
from support.ports import raise_if_address_in_use, start_on_free_ports


@dataclass
class FakeCall:
    call_id: str
    tracks: tuple[str, ...]
    events: list[str] = field(default_factory=list)
    audio: dict[str, list[np.ndarray]] = field(default_factory=dict)
    state_delay: float = 0.0  # how long holding or resuming takes (a slow database)
    state_error: Exception | None = None  # what holding or resuming raises (a database gone away)
    threads: list[str] = field(default_factory=list)  # the threads hold, resume and end ran on

    def add_audio(self, track: str, samples: np.ndarray, *, at: int | None = None) -> None:
        self.audio.setdefault(track, []).append(samples)

    def hold(self) -> None:
        self.threads.append(threading.current_thread().name)
        time.sleep(self.state_delay)
        if self.state_error is not None:
            raise self.state_error
        self.events.append("hold")

    def resume(self) -> None:
        self.threads.append(threading.current_thread().name)
        time.sleep(self.state_delay)
        self.events.append("resume")

    def end(self) -> None:
        self.threads.append(threading.current_thread().name)
        self.events.append("end")

    def samples(self, track: str) -> np.ndarray:
        return np.concatenate(self.audio.get(track, [np.zeros(0, dtype=np.int16)]))


class FakeCalls:
    def __init__(self, sources: list[SipSource]) -> None:
        self.sources = sources
        self.calls: list[FakeCall] = []
        self.metadata: list[RecordingMetadata] = []
        self.opened_for: list[SipSource] = []
        self.lookups = 0
        self.failing_lookups = 0  # how many more source lookups raise (a database gone away)
        self.ended: list[Callable[[], None]] = []
        self.open_delay = 0.0  # how long creating the call takes (a slow database)
        self.state_delay = 0.0  # how long each call's hold and resume take
        self.open_error: Exception | None = None
        self.open_threads: list[str] = []

    def sources_for(self, address: str) -> list[SipSource]:
        self.lookups += 1
        if self.failing_lookups > 0:
            self.failing_lookups -= 1
            raise RuntimeError("the database went away")
        return [source for source in self.sources if source.matches_address(address)]

    def open(
        self,
        source: SipSource,
        metadata: RecordingMetadata,
        tracks: tuple[str, ...],
        sip_call_id: str,
        on_ended: Callable[[], None],
    ) -> FakeCall:
        self.open_threads.append(threading.current_thread().name)
        time.sleep(self.open_delay)
        if self.open_error is not None:
            raise self.open_error
        call = FakeCall(f"c-{len(self.calls)}", tracks, state_delay=self.state_delay)
        self.calls.append(call)
        self.metadata.append(metadata)
        self.opened_for.append(source)
        self.ended.append(on_ended)
        return call


class Listener:
    """A SipServer on its own event loop thread, on ports started again when another process wins one."""

    def __init__(
        self,
        calls: FakeCalls,
        rtp_ports: int = 20,
        tls_context: ssl.SSLContext | None = None,
        **kwargs: object,
    ) -> None:
        self.calls = calls
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server = start_on_free_ports(
            lambda ports: self._serve_on(ports, rtp_ports, tls_context, kwargs), 2
        )

    def _serve_on(
        self,
        ports: list[int],
        rtp_ports: int,
        tls_context: ssl.SSLContext | None,
        kwargs: dict[str, object],
    ) -> SipServer:
        low = 30000 + (ports[0] % 200) * 20 if rtp_ports <= 20 else 40000 + (ports[0] % 40) * 500
        server = SipServer(
            self.calls,
            host="127.0.0.1",
            port=ports[0],
            media_address="127.0.0.1",
            rtp_ports=RtpPortPool("127.0.0.1", low, low + rtp_ports - 1),
            tls=(ports[1], tls_context) if tls_context else None,
            **kwargs,  # type: ignore[arg-type]
        )
        try:
            self.run(server.start())
        except OSError as error:
            self.run(server.stop())
            raise_if_address_in_use(error, "the SIP listener")
            raise
        return server

    def run(self, coroutine: object) -> object:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(10)  # type: ignore[arg-type]

    def close(self) -> None:
        self.run(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def answered_ports(response: SipResponse) -> list[int]:
    return [int(line.split()[1]) for line in response.body.decode().splitlines() if line.startswith("m=")]


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError("condition not reached")
