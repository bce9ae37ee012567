"""Media-stream protocols of CPaaS platforms, turned into one shape: the stream opened (the
platform's call, its tracks and their sample rates), audio for a track, the stream closed. Pure.

* :mod:`.bandwidth`: Bandwidth ``<StartStream>`` (the messages of :mod:`callvault.calls.media_stream`);
* :mod:`.twilio`: Twilio Media Streams (``<Stream>``);
* :mod:`.raw_audio`: a JSON metadata text frame, then binary L16 frames (jambonz ``listen``,
  FreeSWITCH ``mod_audio_fork``).

Every parser raises :class:`~callvault.calls.media_stream.MediaStreamError` with the reason for a
frame it cannot take; the WebSocket closes with 1007 and that reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

__all__ = ["StreamAudio", "StreamClosed", "StreamEvent", "StreamOpened", "StreamParser"]


@dataclass(frozen=True)
class StreamOpened:
    call_id: str
    """The platform's id of the call; callvault's call takes it as its own callId."""
    tracks: dict[str, int]
    """Track name (``inbound``: the caller's side, channel 1; ``outbound``: channel 2) -> sample rate."""
    account_id: str | None = None
    """The account the stream names (Bandwidth's start message), checked against the authorised one."""
    from_number: str | None = None
    to_number: str | None = None
    direction: str | None = None
    source: dict[str, Any] = field(default_factory=dict)
    """What to keep in the recording's ``source`` field."""


@dataclass(frozen=True)
class StreamAudio:
    track: str
    samples: np.ndarray
    """int16 mono samples at the track's sample rate."""
    at: int | None = None
    """Where ``samples[0]`` lies on the stream's media clock: samples at the track's rate since the
    stream's first audio, the same zero for every track (None: right after the track's previous
    audio). The recorder follows it exactly once and bounds the silence of a gap."""


@dataclass(frozen=True)
class StreamClosed:
    pass


StreamEvent = StreamOpened | StreamAudio | StreamClosed


class StreamParser(Protocol):
    ends_on_close: bool
    """Whether the platform ends a stream by closing the socket (no stop message)."""

    def text(self, message: str) -> list[StreamEvent]: ...

    def binary(self, message: bytes) -> list[StreamEvent]: ...
