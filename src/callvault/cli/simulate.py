"""Drive a whole live call through callvault's public API, as a telephony platform would.

:class:`CallsClient` speaks the HTTP side (create a call, BXML, pause/resume, hang up, read the
recordings); :class:`MediaStream` is the call's media WebSocket (Bandwidth's media-stream messages,
20 ms packets, plus callvault's ``mark`` to learn the media position the server has reached).
:func:`simulate_call` plays one or two audio files as the call's two tracks and returns the
resulting recording's metadata; ``callvault call simulate`` is its command line.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal
from xml.sax.saxutils import quoteattr

import av
import httpx
import numpy as np
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from callvault.calls.media_stream import (
    L16_16K,
    PCMU_8K,
    TrackFormat,
    build_media,
    build_start,
    build_stop,
    encode_samples,
)

__all__ = [
    "PACKET_SECONDS",
    "CallsClient",
    "MediaStream",
    "SimulationError",
    "SimulationPlan",
    "decode_mono",
    "simulate_call",
    "start_recording_bxml",
]

PACKET_SECONDS = 0.02
"""Bandwidth sends 20 ms media packets."""

Codec = Literal["pcmu", "l16"]


class SimulationError(RuntimeError):
    """The server refused a step of the simulated call; the message says which and why."""


def _check(response: httpx.Response, step: str) -> httpx.Response:
    if response.is_success:
        return response
    try:
        description = response.json().get("description", response.text)
    except ValueError:
        description = response.text
    raise SimulationError(f"{step} failed: HTTP {response.status_code}: {description}")


def start_recording_bxml(**attributes: str | bool | None) -> str:
    """`<Bxml><StartRecording .../></Bxml>` with the given attributes (booleans as true/false)."""
    rendered = " ".join(
        f"{name}={quoteattr(str(value).lower() if isinstance(value, bool) else str(value))}"
        for name, value in attributes.items()
        if value is not None
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><Bxml><StartRecording {rendered}/></Bxml>'


class CallsClient:
    """The HTTP calls API of one account."""

    def __init__(self, base_url: str, username: str, password: str, account_id: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.username, self.password = username, password
        self.account_id = account_id
        self.http = httpx.Client(base_url=self.base_url, auth=(username, password), timeout=60)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> CallsClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _call_path(self, call_id: str, suffix: str = "") -> str:
        return f"/accounts/{self.account_id}/calls/{call_id}{suffix}"

    def create_call(
        self, from_: str, to: str, *, application_id: str = "callvault-simulate", **extra: Any
    ) -> dict[str, Any]:
        body = {"from": from_, "to": to, "applicationId": application_id, **extra}
        response = self.http.post(f"/accounts/{self.account_id}/calls", json=body)
        return dict(_check(response, "creating the call").json())

    def get_call(self, call_id: str) -> dict[str, Any]:
        return dict(_check(self.http.get(self._call_path(call_id)), "reading the call").json())

    def put_bxml(self, call_id: str, document: str) -> httpx.Response:
        headers = {"Content-Type": "application/xml"}
        return self.http.put(self._call_path(call_id, "/bxml"), content=document.encode(), headers=headers)

    def start_recording(self, call_id: str, **attributes: str | bool | None) -> None:
        _check(self.put_bxml(call_id, start_recording_bxml(**attributes)), "StartRecording")

    def set_recording_state(self, call_id: str, state: Literal["paused", "recording"]) -> None:
        response = self.http.put(self._call_path(call_id, "/recording"), json={"state": state})
        _check(response, f"setting the recording {state}")

    def hang_up(self, call_id: str) -> None:
        _check(self.http.post(self._call_path(call_id), json={"state": "completed"}), "hanging up")

    def recordings(self, call_id: str) -> list[dict[str, Any]]:
        response = self.http.get(self._call_path(call_id, "/recordings"))
        return list(_check(response, "listing the recordings").json())

    def wait_for_recordings(
        self, call_id: str, count: int = 1, timeout: float = 30.0
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            found = self.recordings(call_id)
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def download(self, media_url: str) -> bytes:
        return _check(self.http.get(media_url), "downloading the media").content

    def media_stream(self, call_id: str, tracks: Mapping[str, TrackFormat]) -> MediaStream:
        return MediaStream(self.base_url, self.username, self.password, self.account_id, call_id, tracks)


def _reason(exc: InvalidStatus) -> str:
    try:
        return str(json.loads(exc.response.body or b"{}").get("description", ""))
    except ValueError:
        return ""


def _ws_url(base_url: str, account_id: str, call_id: str) -> str:
    scheme, _, rest = base_url.partition("://")
    ws_scheme = "wss" if scheme == "https" else "ws"
    return f"{ws_scheme}://{rest}/ingest/accounts/{account_id}/calls/{call_id}/media"


class MediaStream:
    """A call's media WebSocket: `start` on enter, 20 ms `media` packets per track, `stop`."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        account_id: str,
        call_id: str,
        tracks: Mapping[str, TrackFormat],
    ) -> None:
        self.url = _ws_url(base_url, account_id, call_id)
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        self._headers = {"Authorization": f"Basic {token}"}
        self.account_id, self.call_id = account_id, call_id
        self.tracks = dict(tracks)
        self._sequence = dict.fromkeys(self.tracks, 0)
        self._ws: ClientConnection | None = None
        self._exits = contextlib.ExitStack()

    def __enter__(self) -> MediaStream:
        self.open()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def ws(self) -> ClientConnection:
        if self._ws is None:
            raise SimulationError("the media stream is not open")
        return self._ws

    def open(self) -> None:
        try:
            connection = connect(
                self.url, additional_headers=self._headers, compression=None, open_timeout=30
            )
            self._ws = self._exits.enter_context(connection)
        except InvalidStatus as exc:
            status = exc.response.status_code
            raise SimulationError(f"the media stream was refused: HTTP {status}: {_reason(exc)}") from None
        stream_id = f"s-{uuid.uuid4()}"
        self.ws.send(
            build_start(
                account_id=self.account_id, call_id=self.call_id, stream_id=stream_id, tracks=self.tracks
            )
        )

    def packet_samples(self, track: str) -> int:
        return round(self.tracks[track].sample_rate * PACKET_SECONDS)

    def send_packet(self, track: str, samples: np.ndarray) -> None:
        """One `media` message carrying int16 mono `samples` of `track` (at its own rate)."""
        payload = encode_samples(self.tracks[track], np.ascontiguousarray(samples, dtype=np.int16))
        self.ws.send(build_media(track, self._sequence[track], payload))
        self._sequence[track] += 1

    def send_audio(self, audio: Mapping[str, np.ndarray]) -> None:
        """Send each track's samples in 20 ms packets, the tracks interleaved packet by packet."""
        longest = max(len(samples) / self.packet_samples(track) for track, samples in audio.items())
        for index in range(int(np.ceil(longest))):
            for track, samples in audio.items():
                size = self.packet_samples(track)
                packet = samples[index * size : (index + 1) * size]
                if len(packet):
                    self.send_packet(track, packet)

    def mark(self, name: str | None = None, timeout: float = 30.0) -> float:
        """Wait until the server has recorded everything sent so far; the recording's media position."""
        label = name or uuid.uuid4().hex
        self.ws.send(json.dumps({"eventType": "mark", "name": label}))
        deadline = time.monotonic() + timeout
        while True:
            reply = json.loads(self.ws.recv(timeout=max(deadline - time.monotonic(), 0.001)))
            if reply.get("eventType") == "mark" and reply.get("name") == label:
                return float(reply["position"])

    def stop(self, timeout: float = 30.0) -> None:
        """Send `stop` and wait for the server to close (the recording is stored by then)."""
        self.ws.send(build_stop())
        self.wait_closed(timeout)

    def wait_closed(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self.ws.recv(timeout=max(deadline - time.monotonic(), 0.001))
        except ConnectionClosed:
            return
        except TimeoutError:
            raise SimulationError("the server did not close the media stream") from None

    def close(self) -> None:
        """Close the WebSocket (without `stop`, the server takes it as a stream that broke off)."""
        if self._ws is not None:
            self._ws.close()
            self._exits.close()


def decode_mono(path: Path, sample_rate: int, block_seconds: float = 1.0) -> Iterator[np.ndarray]:
    """Decode any audio file PyAV reads to int16 mono at `sample_rate`, in blocks (streamed)."""
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise SimulationError(f"{path} has no audio stream")
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="s16", layout="mono", rate=sample_rate)
            pending: list[np.ndarray] = []
            held = 0
            block = round(block_seconds * sample_rate)
            frames: Iterator[av.AudioFrame | None] = itertools.chain(container.decode(stream), [None])
            for frame in frames:
                for out in resampler.resample(frame):
                    pending.append(out.to_ndarray().reshape(-1).astype(np.int16))
                    held += pending[-1].size
                if held >= block or (frame is None and held):
                    yield np.concatenate(pending)
                    pending, held = [], 0
    except av.FFmpegError as exc:
        raise SimulationError(f"cannot decode {path}: {exc}") from exc


@dataclass(frozen=True)
class SimulationPlan:
    account_id: str
    from_: str
    to: str
    inbound: Path
    outbound: Path | None = None
    multichannel: bool = False
    file_format: Literal["wav", "mp3"] = "wav"
    pause_at: float | None = None
    resume_at: float | None = None
    speed: float = 1.0
    codec: Codec = "pcmu"
    application_id: str = "callvault-simulate"
    tag: str | None = None

    def track_format(self) -> TrackFormat:
        if self.codec == "l16":
            return L16_16K
        return PCMU_8K


ProgressCallback = Callable[[float], None]


class _Player:
    """Plays the tracks' packets in lockstep at `speed` times real time, pausing where planned."""

    def __init__(self, plan: SimulationPlan, client: CallsClient, call_id: str, stream: MediaStream) -> None:
        self.plan, self.client, self.call_id, self.stream = plan, client, call_id, stream
        self.position = 0.0
        self._paused = self._resumed = False
        self._started = time.monotonic()

    def play(self, sources: Mapping[str, Iterator[np.ndarray]], on_progress: ProgressCallback) -> None:
        buffers = {track: np.zeros(0, dtype=np.int16) for track in sources}
        live = dict(sources)
        while live or any(len(b) for b in buffers.values()):
            for track in list(live):
                size = self.stream.packet_samples(track)
                while len(buffers[track]) < size and track in live:
                    chunk = next(live[track], None)
                    if chunk is None:
                        del live[track]
                    else:
                        buffers[track] = np.concatenate([buffers[track], chunk])
            packets = {t: b[: self.stream.packet_samples(t)] for t, b in buffers.items() if len(b)}
            if not packets:
                break
            self._before_packet()
            for track, packet in packets.items():
                self.stream.send_packet(track, packet)
                buffers[track] = buffers[track][len(packet) :]
            self.position += PACKET_SECONDS
            on_progress(PACKET_SECONDS)
            self._pace()

    def _before_packet(self) -> None:
        plan = self.plan
        if plan.pause_at is not None and not self._paused and self.position >= plan.pause_at - 1e-9:
            self.stream.mark()
            self.client.set_recording_state(self.call_id, "paused")
            self._paused = True
        if (
            plan.resume_at is not None
            and self._paused
            and not self._resumed
            and self.position >= plan.resume_at - 1e-9
        ):
            self.stream.mark()
            self.client.set_recording_state(self.call_id, "recording")
            self._resumed = True

    def _pace(self) -> None:
        if self.plan.speed <= 0:
            return
        ahead = self._started + self.position / self.plan.speed - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)


def simulate_call(
    client: CallsClient, plan: SimulationPlan, on_progress: ProgressCallback = lambda _s: None
) -> dict[str, Any]:
    """Create a call, StartRecording, stream the files, pause/resume as planned, stop, hang up;
    returns the recording's metadata."""
    call = client.create_call(plan.from_, plan.to, application_id=plan.application_id, tag=plan.tag)
    call_id = call["callId"]
    client.start_recording(call_id, fileFormat=plan.file_format, multiChannel=plan.multichannel, tag=plan.tag)
    track_format = plan.track_format()
    files = {"inbound": plan.inbound, **({"outbound": plan.outbound} if plan.outbound else {})}
    sources = {track: decode_mono(path, track_format.sample_rate) for track, path in files.items()}
    with client.media_stream(call_id, dict.fromkeys(files, track_format)) as stream:
        _Player(plan, client, call_id, stream).play(sources, on_progress)
        stream.stop()
    client.hang_up(call_id)
    found = client.wait_for_recordings(call_id)
    if not found:
        raise SimulationError(f"call {call_id} ended without a recording")
    return found[-1]
