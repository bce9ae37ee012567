"""Media streams from CPaaS platforms, for calls that run there (not created through callvault):

* ``WebSocket /ingest/streams/{format}/{token}``: authenticated by a stream token in the URL
  (``callvault stream-tokens create``), for platforms that cannot send credentials;
* ``WebSocket /ingest/accounts/{accountId}/streams/{format}``: HTTP Basic, like the rest of the API.

``format`` is ``bandwidth`` (``<StartStream>``), ``twilio`` (``<Stream>``) or ``raw`` (a JSON
metadata text frame, then binary L16: jambonz ``listen``, FreeSWITCH ``mod_audio_fork``). The
stream's first message creates the call (with the platform's call id) and its recording, with the
account's recording settings; the stream's end ends both. A frame the protocol does not allow closes
the socket with 1007 and the reason; a recording cut short by a dropped socket is ``partial``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import cast

from fastapi import APIRouter, Request, WebSocket
from fastapi.concurrency import run_in_threadpool

from callvault.api.auth import authorize, services_of
from callvault.api.errors import error_response
from callvault.calls.stream_formats import StreamAudio, StreamClosed, StreamOpened, StreamParser
from callvault.calls.stream_formats.bandwidth import BandwidthStream
from callvault.calls.stream_formats.raw_audio import RawAudioStream
from callvault.calls.stream_formats.twilio import TwilioStream
from callvault.domain.errors import MediaStreamError, NotFound, VoiceApiError
from callvault.domain.roles import Permission
from callvault.services.recorded_calls import StreamedCall
from callvault.services.recording_sources import account_from_stream_token

router = APIRouter()
log = logging.getLogger("callvault.calls")

CLOSE_NORMAL = 1000
CLOSE_INVALID_PAYLOAD = 1007
CLOSE_POLICY = 1008
PARSERS: dict[str, type[BandwidthStream] | type[TwilioStream] | type[RawAudioStream]] = {
    "bandwidth": BandwidthStream,
    "twilio": TwilioStream,
    "raw": RawAudioStream,
}


def _parser(stream_format: str) -> StreamParser:
    parser = PARSERS.get(stream_format)
    if parser is None:
        raise NotFound(f"unknown stream format {stream_format!r}; use one of {', '.join(PARSERS)}")
    return parser()


async def _deny(websocket: WebSocket, error: VoiceApiError) -> None:
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(
            error_response(error.status, error.type, error.description, error.headers)
        )
    else:
        await websocket.close(code=CLOSE_POLICY, reason=error.description[:120])


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(RuntimeError, OSError):
        await websocket.close(code=code, reason=reason.encode()[:120].decode(errors="ignore"))


@router.websocket("/ingest/streams/{stream_format}/{token}")
async def stream_with_token(websocket: WebSocket, stream_format: str, token: str) -> None:
    services = services_of(cast(Request, websocket))
    try:
        parser = _parser(stream_format)
        account_id = await run_in_threadpool(account_from_stream_token, services.store, token)
    except VoiceApiError as error:
        await _deny(websocket, error)
        return
    await _serve(websocket, StreamedCall(services, account_id), parser)


@router.websocket("/ingest/accounts/{accountId}/streams/{stream_format}")
async def stream_with_basic_auth(websocket: WebSocket, accountId: str, stream_format: str) -> None:
    services = services_of(cast(Request, websocket))
    try:
        parser = _parser(stream_format)
        await run_in_threadpool(authorize, cast(Request, websocket), accountId, Permission.RECORD)
    except VoiceApiError as error:
        await _deny(websocket, error)
        return
    await _serve(websocket, StreamedCall(services, accountId), parser)


async def _serve(websocket: WebSocket, call: StreamedCall, parser: StreamParser) -> None:
    await websocket.accept()
    loop = asyncio.get_running_loop()

    def close_when_the_call_ends() -> None:
        asyncio.run_coroutine_threadsafe(_close(websocket, CLOSE_NORMAL, "the call ended"), loop)

    call.on_call_ended = close_when_the_call_ends
    complete = False
    try:
        complete = await _pump(websocket, call, parser)
    finally:
        await run_in_threadpool(call.close, complete=complete)


async def _pump(websocket: WebSocket, call: StreamedCall, parser: StreamParser) -> bool:
    """Read frames until the stream ends; whether it ended the way the protocol ends a stream."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return parser.ends_on_close and call.started
        try:
            if message.get("text") is not None:
                events = parser.text(message["text"])
            elif message.get("bytes") is not None:
                events = parser.binary(message["bytes"])
            else:
                continue
            for event in events:
                if isinstance(event, StreamOpened):
                    await run_in_threadpool(call.open, event)
                elif isinstance(event, StreamAudio):
                    call.audio(event.track, event.samples)
                elif isinstance(event, StreamClosed):
                    await _close(websocket, CLOSE_NORMAL, "stream stopped")
                    return call.started
        except MediaStreamError as exc:
            await _close(websocket, CLOSE_INVALID_PAYLOAD, str(exc))
            return False
        except VoiceApiError as exc:
            await _close(websocket, CLOSE_POLICY, exc.description)
            return False
        except RuntimeError:  # the socket closed under us (the call was hung up)
            return call.started
