"""Bandwidth media-stream WebSocket messages: parse, decode, build. Pure: no I/O.

Call audio reaches callvault the way Bandwidth's ``<StartStream>`` delivers it to an application:
one JSON text message per WebSocket frame, told apart by ``eventType``. The shapes follow
Bandwidth's unidirectional stream (dev.bandwidth.com, "StartStream", and the JSON read by
Bandwidth's own samples, e.g. Bandwidth-Samples/openai-realtime-websockets-python):

``start`` (first message)::

    {"eventType": "start",
     "metadata": {"accountId": "9900000", "callId": "c-...", "streamId": "s-...",
                  "streamName": "live_audience",
                  "tracks": [{"name": "inbound",
                              "mediaFormat": {"encoding": "audio/PCMU", "sampleRate": 8000}},
                             {"name": "outbound",
                              "mediaFormat": {"encoding": "audio/PCMU", "sampleRate": 8000}}]},
     "streamParams": {}}

``media`` (one per packet; the payload sits at the top level, not under ``media``)::

    {"eventType": "media", "track": "inbound", "sequenceNumber": 12, "payload": "<base64>"}

``stop`` (last message)::

    {"eventType": "stop", "metadata": {...}}

``mark`` (a callvault extension, from the client; any time)::

    {"eventType": "mark", "name": "after-greeting"}

answered with ``{"eventType": "mark", "name": "after-greeting", "position": 3.0}`` once every
message before it has been recorded: the media position reached, in seconds, so a client that sends
faster than real time knows where a following command will act.

Rules callvault applies:

* ``track`` is ``inbound`` (audio the platform receives from the call) or ``outbound`` (audio it
  sends to the call); each track names its own ``mediaFormat`` in the ``start`` message.
* ``sequenceNumber`` is a non-negative integer; a decimal string (as some clients send) is accepted.
* Other keys (``streamParams``, ``metadata`` on ``stop``, ...) are ignored; ``streamName`` defaults
  to ``streamId`` like Bandwidth's own default.
* Supported formats: ``audio/PCMU`` at 8000 Hz (G.711 mu-law, one byte a sample: Bandwidth's
  stream format) and ``audio/L16`` at 8000 or 16000 Hz (a callvault extension for wideband
  simulations). L16 is signed 16-bit **big-endian** (network byte order), as the audio/L16 media
  type defines it (RFC 2586, RFC 3551 section 4.5.11). Bandwidth's little-endian PCM exists only on
  the other direction (``playAudio`` with ``audio/pcm;...;endian=little``), which callvault does
  not receive.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

import numpy as np

from callvault.domain.errors import MediaStreamError, ValidationFailed
from callvault.domain.json_text import load_json
from callvault.media.audio import mulaw_decode, mulaw_encode

__all__ = [
    "L16_8K",
    "L16_16K",
    "MAX_PAYLOAD_BYTES",
    "MarkEvent",
    "PCMU_8K",
    "SUPPORTED_FORMATS",
    "TRACK_NAMES",
    "MediaEvent",
    "StartEvent",
    "StopEvent",
    "StreamTrack",
    "TrackFormat",
    "build_mark",
    "build_media",
    "build_start",
    "build_stop",
    "decode_payload",
    "encode_samples",
    "mulaw_decode",
    "mulaw_encode",
    "parse_message",
]

TRACK_NAMES = ("inbound", "outbound")
MAX_PAYLOAD_BYTES = 1024 * 1024
"""Largest decoded payload accepted in one media message (Bandwidth sends 20 ms packets)."""
MAX_MARK_NAME = 256


@dataclass(frozen=True)
class TrackFormat:
    """The ``mediaFormat`` of one track."""

    encoding: str
    sample_rate: int


PCMU_8K = TrackFormat("audio/PCMU", 8000)
L16_8K = TrackFormat("audio/L16", 8000)
L16_16K = TrackFormat("audio/L16", 16000)
SUPPORTED_FORMATS = frozenset({PCMU_8K, L16_8K, L16_16K})


@dataclass(frozen=True)
class StreamTrack:
    """One entry of ``metadata.tracks``."""

    name: str
    media_format: TrackFormat


@dataclass(frozen=True)
class StartEvent:
    account_id: str
    call_id: str
    stream_id: str
    stream_name: str
    tracks: tuple[StreamTrack, ...]

    def format_of(self, track: str) -> TrackFormat:
        """The media format of ``track``; raises :class:`MediaStreamError` if the stream lacks it."""
        for entry in self.tracks:
            if entry.name == track:
                return entry.media_format
        raise MediaStreamError(f"track {track!r} is not part of stream {self.stream_id!r}")


@dataclass(frozen=True)
class MediaEvent:
    track: str
    sequence_number: int
    payload: bytes


@dataclass(frozen=True)
class StopEvent:
    pass


@dataclass(frozen=True)
class MarkEvent:
    name: str


StreamEvent = StartEvent | MediaEvent | StopEvent | MarkEvent


# --- parsing -----------------------------------------------------------------------------------


def parse_message(text: str | bytes) -> StreamEvent:
    """Parse one WebSocket text message; raises :class:`MediaStreamError` with the reason."""
    message = _load_json_object(text)
    event_type = message.get("eventType")
    if event_type == "media":
        return _parse_media(message)
    if event_type == "start":
        return _parse_start(message)
    if event_type == "stop":
        return StopEvent()
    if event_type == "mark":
        return _parse_mark(message)
    if event_type is None:
        raise MediaStreamError("media-stream message has no 'eventType'")
    raise MediaStreamError(
        f"unknown media-stream eventType {str(event_type)[:40]!r}; expected start, media, mark or stop"
    )


def _load_json_object(text: str | bytes) -> dict[str, Any]:
    try:
        message = load_json(text, "media-stream message")
    except ValidationFailed as exc:
        raise MediaStreamError(exc.description) from None
    if not isinstance(message, dict):
        raise MediaStreamError("media-stream message must be a JSON object")
    return message


def _parse_start(message: Mapping[str, Any]) -> StartEvent:
    metadata = message.get("metadata")
    if not isinstance(metadata, dict):
        raise MediaStreamError("start event needs a 'metadata' object")
    stream_id = _required_string(metadata, "streamId", "metadata")
    stream_name = metadata.get("streamName", stream_id)
    if not isinstance(stream_name, str):
        raise MediaStreamError("metadata.streamName must be a string")
    return StartEvent(
        account_id=_required_string(metadata, "accountId", "metadata"),
        call_id=_required_string(metadata, "callId", "metadata"),
        stream_id=stream_id,
        stream_name=stream_name,
        tracks=_parse_tracks(metadata.get("tracks")),
    )


def _parse_tracks(tracks: Any) -> tuple[StreamTrack, ...]:
    if not isinstance(tracks, list) or not tracks:
        raise MediaStreamError("metadata.tracks must be a non-empty list")
    parsed = tuple(_parse_track(entry) for entry in tracks)
    names = [track.name for track in parsed]
    if len(set(names)) != len(names):
        raise MediaStreamError(f"metadata.tracks names a track twice: {names}")
    return parsed


def _parse_track(entry: Any) -> StreamTrack:
    if not isinstance(entry, dict):
        raise MediaStreamError("each entry of metadata.tracks must be an object with name and mediaFormat")
    name = _track_name(entry.get("name"))
    media_format = entry.get("mediaFormat")
    if not isinstance(media_format, dict):
        raise MediaStreamError(f"track {name!r} needs a 'mediaFormat' object")
    encoding = media_format.get("encoding")
    sample_rate = media_format.get("sampleRate")
    if not isinstance(encoding, str) or not _is_int(sample_rate):
        raise MediaStreamError(
            f"track {name!r}: mediaFormat needs a string encoding and an integer sampleRate"
        )
    track_format = TrackFormat(encoding, sample_rate)
    if track_format not in SUPPORTED_FORMATS:
        supported = ", ".join(f"{f.encoding}@{f.sample_rate}" for f in sorted(SUPPORTED_FORMATS, key=str))
        raise MediaStreamError(
            f"track {name!r}: unsupported media format {encoding}@{sample_rate}; supported: {supported}"
        )
    return StreamTrack(name, track_format)


def _parse_media(message: Mapping[str, Any]) -> MediaEvent:
    track = _track_name(message.get("track"))
    return MediaEvent(
        track=track,
        sequence_number=_sequence_number(message.get("sequenceNumber")),
        payload=_payload(message.get("payload")),
    )


def _parse_mark(message: Mapping[str, Any]) -> MarkEvent:
    name = message.get("name", "")
    if not isinstance(name, str) or len(name) > MAX_MARK_NAME:
        raise MediaStreamError(f"mark event needs a 'name' string of at most {MAX_MARK_NAME} characters")
    return MarkEvent(name)


def _track_name(name: Any) -> str:
    if name not in TRACK_NAMES:
        raise MediaStreamError(f"unknown track {name!r}; expected one of {', '.join(TRACK_NAMES)}")
    return str(name)


def _sequence_number(value: Any) -> int:
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    if _is_int(value) and value >= 0:
        return int(value)
    raise MediaStreamError(f"media event needs a non-negative integer sequenceNumber, got {value!r}")


def _payload(value: Any) -> bytes:
    if not isinstance(value, str):
        raise MediaStreamError("media event needs a base64 string 'payload'")
    if len(value) > (MAX_PAYLOAD_BYTES // 3 + 1) * 4:
        raise MediaStreamError(f"media payload is larger than {MAX_PAYLOAD_BYTES} bytes")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MediaStreamError(f"media payload is not valid base64: {exc}") from exc


def _required_string(container: Mapping[str, Any], key: str, where: str) -> str:
    value = container.get(key)
    if not isinstance(value, str) or not value:
        raise MediaStreamError(f"{where}.{key} must be a non-empty string")
    return value


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


# --- audio -------------------------------------------------------------------------------------


def decode_payload(track_format: TrackFormat, payload: bytes) -> np.ndarray:
    """The int16 mono samples of one media payload, at ``track_format.sample_rate``."""
    if track_format.encoding == "audio/PCMU":
        return mulaw_decode(payload)
    if track_format.encoding == "audio/L16":
        if len(payload) % 2:
            raise MediaStreamError(f"audio/L16 payload has an odd length ({len(payload)} bytes)")
        return np.frombuffer(payload, dtype=">i2").astype(np.int16)
    raise MediaStreamError(f"unsupported encoding {track_format.encoding!r}")


def encode_samples(track_format: TrackFormat, samples: np.ndarray) -> bytes:
    """The payload bytes that carry int16 mono ``samples`` in ``track_format``."""
    if track_format.encoding == "audio/PCMU":
        return mulaw_encode(_require_int16_mono(samples))
    if track_format.encoding == "audio/L16":
        return _require_int16_mono(samples).astype(">i2").tobytes()
    raise MediaStreamError(f"unsupported encoding {track_format.encoding!r}")


def _require_int16_mono(samples: np.ndarray) -> np.ndarray:
    if not isinstance(samples, np.ndarray) or samples.dtype != np.int16 or samples.ndim != 1:
        raise TypeError("samples must be a one-dimensional numpy int16 array")
    return samples


# --- building ----------------------------------------------------------------------------------


def build_start(
    *,
    account_id: str,
    call_id: str,
    stream_id: str,
    tracks: Mapping[str, TrackFormat],
    stream_name: str | None = None,
) -> str:
    """The ``start`` message of a stream carrying ``tracks`` (name -> format)."""
    message = {
        "eventType": "start",
        "metadata": {
            "accountId": account_id,
            "callId": call_id,
            "streamId": stream_id,
            "streamName": stream_name if stream_name is not None else stream_id,
            "tracks": [
                {"name": name, "mediaFormat": {"encoding": fmt.encoding, "sampleRate": fmt.sample_rate}}
                for name, fmt in tracks.items()
            ],
        },
    }
    return json.dumps(message)


def build_media(track: str, sequence_number: int, payload: bytes) -> str:
    """A ``media`` message carrying ``payload`` (already encoded, see :func:`encode_samples`)."""
    message = {
        "eventType": "media",
        "track": track,
        "sequenceNumber": sequence_number,
        "payload": base64.b64encode(payload).decode("ascii"),
    }
    return json.dumps(message)


def build_mark(name: str) -> str:
    """A ``mark`` request (the callvault extension)."""
    return json.dumps({"eventType": "mark", "name": name})


def build_stop() -> str:
    return json.dumps({"eventType": "stop"})
