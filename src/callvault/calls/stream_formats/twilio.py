"""Twilio Media Streams (TwiML ``<Stream url="wss://...">``) as stream events.

Messages (JSON text frames, told apart by ``event``): ``connected``; ``start`` with
``start.callSid``, ``start.streamSid``, ``start.tracks`` (``inbound``/``outbound``),
``start.mediaFormat`` (``audio/x-mulaw``, 8000 Hz, 1 channel) and ``start.customParameters``;
``media`` with ``media.track``, ``media.timestamp`` (milliseconds since the stream started) and
``media.payload`` (base64 mu-law); ``mark`` and ``dtmf`` (ignored); ``stop``.

A track's audio is placed by its timestamp (``StreamAudio.at``): Twilio sends no packets for a track
while it has nothing to send, and the recorder fills such a gap with silence, once, within its limits
(``calls.media_clock``). A timestamp within one 20 ms packet of where the track's audio ends is
millisecond rounding: the audio follows on. Twilio's start message does not carry the call's
numbers, so callvault takes ``from``, ``to`` and ``direction`` from the custom parameters when the
TwiML passes them (``<Parameter name="from" value="{{From}}"/>``).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from callvault.calls.media_stream import MAX_PAYLOAD_BYTES
from callvault.calls.stream_formats.events import (
    StreamAudio,
    StreamEvent,
    StreamParser,
    StreamStarted,
    StreamStopped,
)
from callvault.domain.errors import MediaStreamError, ValidationFailed
from callvault.domain.json_text import load_json
from callvault.media.audio import mulaw_decode

RATE = 8000
_TRACKS = ("inbound", "outbound")
_ROUNDING = RATE // 50  # a timestamp this close to where the track's audio ends is rounding
_MAX_TIMESTAMP_DIGITS = 15


class TwilioStream(StreamParser):
    def __init__(self) -> None:
        self._started = False
        self._next: dict[str, int | None] = {}

    def text(self, message: str) -> list[StreamEvent]:
        data = _json_object(message)
        event = data.get("event")
        if event == "media":
            return self._media(data.get("media"))
        if event == "start":
            return [self._start(data)]
        if event == "stop":
            return [StreamStopped()]
        if event in ("connected", "mark", "dtmf"):
            return []
        raise MediaStreamError(f"unknown Twilio stream event {str(event)[:40]!r}")

    def _start(self, data: dict[str, Any]) -> StreamStarted:
        if self._started:
            raise MediaStreamError("the stream sent a second start event")
        start = data.get("start")
        if not isinstance(start, dict):
            raise MediaStreamError("start event needs a 'start' object")
        call_sid = _string(start, "callSid")
        stream_sid = _string(start, "streamSid")
        media_format = start.get("mediaFormat") or {}
        if not isinstance(media_format, dict) or (
            media_format.get("encoding", "audio/x-mulaw"),
            media_format.get("sampleRate", RATE),
            media_format.get("channels", 1),
        ) != ("audio/x-mulaw", RATE, 1):
            raise MediaStreamError(
                f"unsupported Twilio mediaFormat {media_format!r}; expected audio/x-mulaw 8000 Hz mono"
            )
        tracks = start.get("tracks", ["inbound"])
        if not isinstance(tracks, list) or not tracks or any(t not in _TRACKS for t in tracks):
            raise MediaStreamError(f"start.tracks must name inbound and/or outbound, got {tracks!r}")
        parameters = start.get("customParameters") or {}
        if not isinstance(parameters, dict):
            raise MediaStreamError("start.customParameters must be an object")
        self._started = True
        self._next = {track: None for track in tracks}
        return StreamStarted(
            call_id=call_sid,
            tracks={track: RATE for track in tracks},
            from_number=_optional(parameters, "from"),
            to_number=_optional(parameters, "to"),
            direction=_optional(parameters, "direction"),
            source={
                "type": "twilio",
                "accountSid": start.get("accountSid"),
                "callSid": call_sid,
                "streamSid": stream_sid,
                "customParameters": parameters,
            },
        )

    def _media(self, media: Any) -> list[StreamEvent]:
        if not self._started:
            raise MediaStreamError("the stream must begin with a start event")
        if not isinstance(media, dict):
            raise MediaStreamError("media event needs a 'media' object")
        track = media.get("track", "inbound")
        if not isinstance(track, str) or track not in self._next:
            raise MediaStreamError(f"track {str(track)[:40]!r} was not named in the start event")
        samples = mulaw_decode(_payload(media.get("payload")))
        at = _timestamp_position(media.get("timestamp"))
        expected = self._next[track]
        if at is not None and expected is not None and abs(at - expected) < _ROUNDING:
            at = expected
        if at is not None:
            self._next[track] = at + len(samples)
        elif expected is not None:
            self._next[track] = expected + len(samples)
        return [StreamAudio(track, samples, at)]


def _timestamp_position(timestamp: Any) -> int | None:
    """media.timestamp (milliseconds since the stream started, a string of digits) in samples."""
    if timestamp is None:
        return None
    text = str(timestamp) if isinstance(timestamp, int) and not isinstance(timestamp, bool) else timestamp
    if not (
        isinstance(text, str) and text.isascii() and text.isdigit() and len(text) <= _MAX_TIMESTAMP_DIGITS
    ):
        raise MediaStreamError(f"media.timestamp must be milliseconds, got {str(timestamp)[:32]!r}")
    return int(text) * RATE // 1000


def _json_object(text: str) -> dict[str, Any]:
    try:
        data = load_json(text, "stream message")
    except ValidationFailed as exc:
        raise MediaStreamError(exc.description) from None
    if not isinstance(data, dict):
        raise MediaStreamError("stream message must be a JSON object")
    return data


def _string(container: dict[str, Any], key: str) -> str:
    value = container.get(key)
    if not isinstance(value, str) or not value:
        raise MediaStreamError(f"start.{key} must be a non-empty string")
    return value


def _optional(container: dict[str, Any], key: str) -> str | None:
    value = container.get(key)
    return str(value)[:64] if value not in (None, "") else None


def _payload(value: Any) -> bytes:
    if not isinstance(value, str) or len(value) > (MAX_PAYLOAD_BYTES // 3 + 1) * 4:
        raise MediaStreamError("media.payload must be a base64 string of at most 1 MiB")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MediaStreamError(f"media.payload is not valid base64: {exc}") from None
