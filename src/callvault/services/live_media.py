"""A call's media stream, message by message: what the media WebSocket feeds into the live recorder.

The WebSocket transport (accept, receive, close codes) lives in `api`; this module turns each text
message into a step on the call's :class:`~callvault.calls.runtime.MediaSession`. Besides Bandwidth's
``start``/``media``/``stop``, a client may send the callvault extension ``{"eventType": "mark",
"name": "..."}``: the reply ``{"eventType": "mark", "name": "...", "position": seconds}`` says the
media position reached once every message before it has been recorded, so a client that sends
faster than real time knows where a following command will act.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from callvault.calls.media_stream import MediaEvent, StartEvent, StreamEvent, parse_message
from callvault.calls.runtime import MediaSession
from callvault.domain.errors import MediaStreamError, ValidationFailed
from callvault.domain.json_text import load_json
from callvault.services.container import Services

__all__ = ["LiveMediaStream", "StreamMessage", "StreamReply", "open_media_stream", "parse_stream_message"]


class LiveMediaStream:
    """One media WebSocket of an active call. `apply` the messages that `touches_database` and `end`
    off the event loop."""

    def __init__(self, session: MediaSession) -> None:
        self._session = session

    def on_call_ended(self, callback: Callable[[], None]) -> None:
        """Call `callback` (from any thread) when the call ends while the stream is open."""
        self._session.on_call_ended = callback

    def apply(self, message: StreamMessage) -> StreamReply:
        return message.apply(self._session)

    def end(self) -> None:
        """The WebSocket closed: finish the recording and let the call go."""
        self._session.end()


def open_media_stream(services: Services, account_id: str, call_id: str) -> LiveMediaStream:
    """The media stream of an active call (CallNotActive otherwise)."""
    session = services.live.session(account_id, call_id)
    session.check_call()
    return LiveMediaStream(session)


@dataclass(frozen=True)
class StreamReply:
    """What to answer after a message: a text to send back, and whether the stream has ended."""

    text: str | None = None
    stopped: bool = False


@dataclass(frozen=True)
class StreamMessage:
    """One parsed message; `touches_database` ones must be applied off the event loop."""

    event: StreamEvent | None
    mark: str | None = None

    @property
    def touches_database(self) -> bool:
        return self.event is not None and not isinstance(self.event, MediaEvent)

    def apply(self, session: MediaSession) -> StreamReply:
        """Apply the message to the stream's session (MediaStreamError when it breaks the protocol)."""
        if self.mark is not None:
            reply = {"eventType": "mark", "name": self.mark, "position": session.position_seconds}
            return StreamReply(text=json.dumps(reply))
        if isinstance(self.event, StartEvent):
            session.start(self.event)
            return StreamReply()
        if not session.started:
            raise MediaStreamError("the stream must begin with a start event")
        if isinstance(self.event, MediaEvent):
            session.feed(self.event)
            return StreamReply()
        session.stream_stopped()
        return StreamReply(stopped=True)


def parse_stream_message(text: str | bytes) -> StreamMessage:
    """A Bandwidth media-stream message or a mark request; MediaStreamError for anything else."""
    try:
        return StreamMessage(parse_message(text))
    except MediaStreamError:
        name = _mark_name(text)
        if name is None:
            raise
        return StreamMessage(None, mark=name)


def _mark_name(text: str | bytes) -> str | None:
    try:
        message = load_json(text, "media-stream message")
    except ValidationFailed:
        return None
    if isinstance(message, dict) and message.get("eventType") == "mark":
        return str(message.get("name", ""))
    return None
