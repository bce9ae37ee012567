"""What every live audio source says, whatever its wire format: the seam's typed events, and the
parser base class each format implements. Pure: no I/O.

A source is a parser of its wire format (one module beside this one, one line in
:data:`callvault.calls.stream_formats.STREAM_FORMATS`); every parser yields the same events, which one
pump (``api/live_audio.py``, for WebSockets) or the SIP listener (through ``services/siprec.py``)
hands to one recording session (``services/live_audio.LiveAudioSession``).

A parser raises :class:`~callvault.domain.errors.MediaStreamError` with the reason for a frame it
cannot take (the WebSocket closes with 1007 and that reason); any other exception is a bug in
callvault, and the stream closes with 1011 with its recording ``partial``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from callvault.domain.errors import MediaStreamError

__all__ = [
    "StreamAudio",
    "StreamEvent",
    "StreamMark",
    "StreamParser",
    "StreamPaused",
    "StreamResumed",
    "StreamStarted",
    "StreamStopped",
]


@dataclass(frozen=True)
class StreamStarted:
    """The source began: which call, its tracks and their sample rates, where the audio comes from."""

    call_id: str | None
    """The call's id: the platform's own, or None for callvault to choose one (SIPREC)."""
    tracks: dict[str, int]
    """Track name (``inbound``: the caller's side, channel 1; ``outbound``: channel 2) -> sample rate."""
    account_id: str | None = None
    """The account the source names (Bandwidth's start message), checked against the authorised one."""
    from_number: str | None = None
    to_number: str | None = None
    direction: str | None = None
    start_time: datetime | None = None
    """When the call began, when the source says so (else: now)."""
    source: dict[str, Any] = field(default_factory=dict)
    """What to keep in the recording's ``source`` field (its size is capped: ``domain/limits.py``)."""


@dataclass(frozen=True)
class StreamAudio:
    track: str
    samples: np.ndarray
    """int16 mono samples at the track's sample rate."""
    at: int | None = None
    """Where the samples begin on the track's own media clock (samples at its rate), when the source
    says so; None: right after the track's previous samples."""


@dataclass(frozen=True)
class StreamMark:
    """The client asks for the media position reached once everything before this is recorded."""

    name: str


@dataclass(frozen=True)
class StreamPaused:
    """The source paused the recording (a SIPREC hold)."""


@dataclass(frozen=True)
class StreamResumed:
    """The source resumed the recording."""


@dataclass(frozen=True)
class StreamStopped:
    """The source ended normally: the recording is complete."""


StreamEvent = StreamStarted | StreamAudio | StreamMark | StreamPaused | StreamResumed | StreamStopped


class StreamParser:
    """One stream's wire format, frame by frame, into events. Subclasses override what they speak."""

    ends_on_close: bool = False
    """Whether the platform ends a stream by closing the socket (no stop message)."""

    def text(self, message: str) -> list[StreamEvent]:
        raise MediaStreamError("this stream format takes binary frames, not text ones")

    def binary(self, message: bytes) -> list[StreamEvent]:
        raise MediaStreamError("this stream format takes JSON text frames, not binary ones")

    def mark_reply(self, mark: StreamMark, position_seconds: float) -> str:
        """The text frame that answers `mark` (only formats that yield marks answer them)."""
        raise NotImplementedError(f"{type(self).__name__} yields no marks")
