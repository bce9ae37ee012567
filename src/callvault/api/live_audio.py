"""The one pump of live audio over WebSockets, its one error policy and its one table of close codes.

Both media WebSocket routes (a call's own, ``routes/calls.py``; a CPaaS platform's stream,
``routes/streams.py``) authorise, build a :class:`~callvault.services.live_audio.LiveAudioSession`
and a parser (``calls.stream_formats``), and hand both to :func:`serve_live_audio`, which reads
frames, turns them into events and applies them until the source ends.

Close codes (:data:`CLOSE_CODES`, the first class that matches):

====  ================================================  =============================================
code  when                                              the recording
====  ================================================  =============================================
1000  the source stopped, or the call ended             ``complete``
1007  a frame the format does not allow (the reason)    ``partial``
1008  the call or account refuses it, or the stream     ``partial``
      passed ``CALLVAULT_MAX_LIVE_SESSION_SECONDS``
1009  metadata larger than callvault keeps              ``partial``
1011  callvault failed (logged with its cause)          ``partial``
====  ================================================  =============================================

A handshake the caller may not make is refused with the API's error answer (401, 403, 404; 429
when the stream token or account has ``CALLVAULT_MAX_STREAMS_PER_SOURCE`` streams open) where the
server can send one, else with a 1008 close.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import cast

from fastapi import Request, WebSocket
from fastapi.concurrency import run_in_threadpool
from starlette.types import Message
from starlette.websockets import WebSocketDisconnect, WebSocketState

from callvault.api.auth import services_of
from callvault.api.errors import error_response
from callvault.calls.stream_formats.events import StreamAudio, StreamMark, StreamParser, StreamStopped
from callvault.domain.errors import (
    MediaStreamError,
    StreamLimitReached,
    StreamMetadataTooLarge,
    VoiceApiError,
)
from callvault.services.live_audio import Ending, LiveAudioSession

__all__ = ["CLOSE_CODES", "CLOSE_NORMAL", "deny", "serve_live_audio"]

log = logging.getLogger("callvault.calls")

CLOSE_NORMAL = 1000
CLOSE_CODES: tuple[tuple[type[Exception], int, Ending], ...] = (
    (StreamMetadataTooLarge, 1009, "dropped"),
    (MediaStreamError, 1007, "dropped"),
    (VoiceApiError, 1008, "dropped"),
    (Exception, 1011, "failed"),
)
"""What ends a stream early: (exception class, close code, how the source ended)."""
REASON_BYTES = 120
"""A close frame's reason is at most 123 bytes (RFC 6455 §5.5)."""


async def deny(websocket: WebSocket, error: VoiceApiError) -> None:
    """Refuse the handshake: the API's error answer where the server can send one, else close 1008."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(
            error_response(error.status, error.type, error.description, error.headers)
        )
    else:
        await websocket.close(code=_close_code(error)[0], reason=_reason(error.description))


async def serve_live_audio(websocket: WebSocket, session: LiveAudioSession, parser: StreamParser) -> None:
    """Accept the WebSocket and pump its frames into `session` until the source ends; then end it."""
    await websocket.accept()
    loop = asyncio.get_running_loop()

    def close_when_the_call_ends() -> None:
        asyncio.run_coroutine_threadsafe(_close(websocket, CLOSE_NORMAL, "the call ended"), loop)

    session.on_call_ended = close_when_the_call_ends
    services = services_of(cast(Request, websocket))
    streams_open = services.telemetry.media_streams_open
    streams_open.inc()
    ending: Ending = "dropped"
    try:
        ending = await _pump(
            websocket, session, parser, loop.time() + services.settings.max_live_session_seconds
        )
    finally:
        streams_open.dec()
        await run_in_threadpool(session.close, ending)


async def _pump(
    websocket: WebSocket, session: LiveAudioSession, parser: StreamParser, deadline: float
) -> Ending:
    """Apply frames until the source ends (or `deadline`, on the loop's clock, passes); how it ended."""
    while True:
        try:
            message = await _receive(websocket, deadline)
            if message["type"] == "websocket.disconnect":
                return "stopped" if parser.ends_on_close and session.started else "dropped"
            if await _apply(websocket, session, parser, message):
                await _close(websocket, CLOSE_NORMAL, "stream stopped")
                return "stopped"
        except Exception as exc:
            code, ending = _close_code(exc)
            _log_refusal(session, code, exc)
            await _close(websocket, code, _description(exc))
            return ending


async def _apply(
    websocket: WebSocket, session: LiveAudioSession, parser: StreamParser, message: Message
) -> bool:
    """Apply one frame's events; whether the source stopped."""
    text, data = message.get("text"), message.get("bytes")
    if isinstance(text, str):
        events = parser.text(text)
    elif isinstance(data, bytes):
        events = parser.binary(data)
    else:
        return False
    for event in events:
        if isinstance(event, StreamAudio):
            session.handle(event)
        elif isinstance(event, StreamMark):
            await _send(websocket, parser.mark_reply(event, session.position_seconds))
        else:
            await run_in_threadpool(session.handle, event)
            if isinstance(event, StreamStopped):
                return True
    return False


async def _receive(websocket: WebSocket, deadline: float) -> Message:
    try:
        async with asyncio.timeout_at(deadline):
            return await websocket.receive()
    except TimeoutError:
        raise StreamLimitReached(
            "the stream passed its maximum length (CALLVAULT_MAX_LIVE_SESSION_SECONDS)"
        ) from None


def _close_code(exc: Exception) -> tuple[int, Ending]:
    return next((code, ending) for kind, code, ending in CLOSE_CODES if isinstance(exc, kind))


def _description(exc: Exception) -> str:
    if isinstance(exc, VoiceApiError):
        return exc.description
    return "callvault failed while recording the stream; the recording is partial"


def _log_refusal(session: LiveAudioSession, code: int, exc: Exception) -> None:
    call = session.call_id or "(not started)"
    if isinstance(exc, VoiceApiError):
        log.warning("media stream of %s refused a message (close %d): %s", call, code, exc.description)
    else:
        log.error("media stream of %s failed (close %d): %r", call, code, exc, exc_info=exc)


async def _send(websocket: WebSocket, text: str) -> None:
    """Send unless the socket is closing (the call ended under the stream)."""
    if websocket.application_state == WebSocketState.CONNECTED:
        with contextlib.suppress(OSError, WebSocketDisconnect):  # the client went: its close follows
            await websocket.send_text(text)


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    if websocket.application_state == WebSocketState.CONNECTED:
        with contextlib.suppress(OSError, WebSocketDisconnect):
            await websocket.close(code=code, reason=_reason(reason))


def _reason(text: str) -> str:
    return text.encode()[:REASON_BYTES].decode(errors="ignore")
