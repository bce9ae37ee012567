"""Bandwidth ``<StartStream>`` messages as :mod:`callvault.calls.stream_formats` events."""

from __future__ import annotations

from callvault.calls.media_stream import (
    MediaEvent,
    StartEvent,
    TrackFormat,
    decode_payload,
    parse_message,
)
from callvault.calls.stream_formats import StreamAudio, StreamClosed, StreamEvent, StreamOpened
from callvault.domain.errors import MediaStreamError


class BandwidthStream:
    ends_on_close = False

    def __init__(self) -> None:
        self._formats: dict[str, TrackFormat] = {}

    def text(self, message: str) -> list[StreamEvent]:
        event = parse_message(message)
        if isinstance(event, StartEvent):
            self._formats = {track.name: track.media_format for track in event.tracks}
            return [
                StreamOpened(
                    call_id=event.call_id,
                    account_id=event.account_id,
                    tracks={name: fmt.sample_rate for name, fmt in self._formats.items()},
                    source={"type": "bandwidth", "callId": event.call_id, "streamId": event.stream_id},
                )
            ]
        if isinstance(event, MediaEvent):
            track_format = self._formats.get(event.track)
            if track_format is None:
                raise MediaStreamError(f"track {event.track!r} was not named in the start event")
            return [StreamAudio(event.track, decode_payload(track_format, event.payload))]
        return [StreamClosed()]

    def binary(self, message: bytes) -> list[StreamEvent]:
        return self.text(message.decode("utf-8", errors="replace"))
