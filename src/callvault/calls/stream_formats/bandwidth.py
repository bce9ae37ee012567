"""Bandwidth ``<StartStream>`` messages (:mod:`callvault.calls.media_stream`) as stream events."""

from __future__ import annotations

import json

from callvault.calls.media_stream import (
    MarkEvent,
    MediaEvent,
    StartEvent,
    TrackFormat,
    decode_payload,
    parse_message,
)
from callvault.calls.stream_formats.events import (
    StreamAudio,
    StreamEvent,
    StreamMark,
    StreamParser,
    StreamStarted,
    StreamStopped,
)
from callvault.domain.errors import MediaStreamError


class BandwidthStream(StreamParser):
    def __init__(self) -> None:
        self._formats: dict[str, TrackFormat] = {}

    def text(self, message: str) -> list[StreamEvent]:
        return [self._event(message)]

    def binary(self, message: bytes) -> list[StreamEvent]:
        return [self._event(message)]

    def mark_reply(self, mark: StreamMark, position_seconds: float) -> str:
        return json.dumps({"eventType": "mark", "name": mark.name, "position": position_seconds})

    def _event(self, message: str | bytes) -> StreamEvent:
        event = parse_message(message)
        if isinstance(event, MediaEvent):
            track_format = self._formats.get(event.track)
            if track_format is None:
                if not self._formats:
                    raise MediaStreamError("the stream must begin with a start event")
                raise MediaStreamError(f"track {event.track!r} was not named in the start event")
            return StreamAudio(event.track, decode_payload(track_format, event.payload))
        if isinstance(event, StartEvent):
            if self._formats:
                raise MediaStreamError("the stream sent a second start event")
            self._formats = {track.name: track.media_format for track in event.tracks}
            return StreamStarted(
                call_id=event.call_id,
                account_id=event.account_id,
                tracks={name: fmt.sample_rate for name, fmt in self._formats.items()},
                source={"type": "bandwidth", "callId": event.call_id, "streamId": event.stream_id},
            )
        if isinstance(event, MarkEvent):
            return StreamMark(event.name)
        return StreamStopped()
