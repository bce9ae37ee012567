"""Live-call endpoints: recording state (document) and the calls subset callvault simulates.

* ``POST /accounts/{accountId}/calls``: create an active call (then its ``answer`` webhook).
* ``GET|POST /accounts/{accountId}/calls/{callId}``: the call's state; ``{"state": "completed"}`` hangs up.
* ``PUT /accounts/{accountId}/calls/{callId}/bxml``: recording verbs.
* ``PUT /accounts/{accountId}/calls/{callId}/recording``: pause or resume (the reference document).
* ``WebSocket /ingest/accounts/{accountId}/calls/{callId}/media``: the call's audio, as Bandwidth's
  media-stream messages (and callvault's ``mark`` extension; see ``services.live_media``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import cast

from fastapi import APIRouter, Request, Response, WebSocket
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from bandwidth.models import UpdateCallRecording
from callvault.api.auth import authorize, base_url, services_of
from callvault.api.errors import error_response
from callvault.api.routes.common import read_json, require_content_type
from callvault.domain.errors import CallNotActive, MediaStreamError, VoiceApiError
from callvault.domain.roles import Permission
from callvault.services import live_calls as call_service
from callvault.services.live_media import LiveMediaStream, open_media_stream, parse_stream_message
from callvault.services.validation import parse_body
from callvault.services.wire import call_state_json, create_call_json

router = APIRouter()
log = logging.getLogger("callvault.calls")

CALL = "/accounts/{accountId}/calls/{callId}"
MEDIA = "/ingest/accounts/{accountId}/calls/{callId}/media"
XML_TYPES = ("application/xml", "text/xml")

CLOSE_NORMAL = 1000
CLOSE_INVALID_PAYLOAD = 1007
CLOSE_POLICY = 1008


def parse_update_recording(body: object) -> UpdateCallRecording:
    return parse_body(UpdateCallRecording, body, hint=" (state must be 'paused' or 'recording')")


# --- calls ---------------------------------------------------------------------------------------


@router.post("/accounts/{accountId}/calls", status_code=201)
async def create_call(request: Request, accountId: str) -> JSONResponse:
    await run_in_threadpool(authorize, request, accountId, Permission.RECORD)
    body = call_service.parse_create_call(await read_json(request))
    base = base_url(request)
    call = await run_in_threadpool(
        call_service.create_call, services_of(request), accountId, body, base_url=base
    )
    return JSONResponse(create_call_json(base, call), status_code=201)


@router.get(CALL)
def get_call_state(request: Request, accountId: str, callId: str) -> JSONResponse:
    authorize(request, accountId, Permission.READ)
    return JSONResponse(call_state_json(call_service.get_call(services_of(request), accountId, callId)))


@router.post(CALL)
async def update_call(request: Request, accountId: str, callId: str) -> Response:
    await run_in_threadpool(authorize, request, accountId, Permission.RECORD)
    update = call_service.parse_update_call(await read_json(request))
    await run_in_threadpool(call_service.update_call, services_of(request), accountId, callId, update)
    return Response(status_code=200)


@router.put(CALL + "/bxml", status_code=204)
async def update_call_bxml(request: Request, accountId: str, callId: str) -> Response:
    await run_in_threadpool(authorize, request, accountId, Permission.RECORD)
    require_content_type(request, lambda media_type: media_type in XML_TYPES, "application/xml BXML")
    document = await request.body()
    services, base = services_of(request), base_url(request)
    await run_in_threadpool(call_service.execute_bxml, services, accountId, callId, document, base_url=base)
    return Response(status_code=204)


@router.put(CALL + "/recording")
async def update_call_recording_state(request: Request, accountId: str, callId: str) -> Response:
    await run_in_threadpool(authorize, request, accountId, Permission.RECORD)
    update = parse_update_recording(await read_json(request))
    state = update.state.value if hasattr(update.state, "value") else str(update.state)
    await run_in_threadpool(call_service.set_recording_state, services_of(request), accountId, callId, state)
    return Response(status_code=200)


# --- media ---------------------------------------------------------------------------------------


def _admit(websocket: WebSocket, account_id: str, call_id: str) -> LiveMediaStream:
    authorize(cast(Request, websocket), account_id, Permission.RECORD)
    return open_media_stream(services_of(cast(Request, websocket)), account_id, call_id)


async def _deny(websocket: WebSocket, error: VoiceApiError) -> None:
    """Refuse the handshake: an HTTP error answer where the server can send one, else close 1008."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(
            error_response(error.status, error.type, error.description, error.headers)
        )
    else:
        await websocket.close(code=CLOSE_POLICY, reason=error.description[:120])


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(RuntimeError, OSError):
        await websocket.close(code=code, reason=reason.encode()[:120].decode(errors="ignore"))


@router.websocket(MEDIA)
async def call_media(websocket: WebSocket, accountId: str, callId: str) -> None:
    try:
        stream = await run_in_threadpool(_admit, websocket, accountId, callId)
    except VoiceApiError as error:
        await _deny(websocket, error)
        return
    await websocket.accept()
    loop = asyncio.get_running_loop()
    stream.on_call_ended(lambda: _schedule_close(loop, websocket, "the call ended"))
    streams_open = services_of(cast(Request, websocket)).telemetry.media_streams_open
    streams_open.inc()
    try:
        await _pump(websocket, stream, callId)
    finally:
        streams_open.dec()
        await run_in_threadpool(stream.end)


def _schedule_close(loop: asyncio.AbstractEventLoop, websocket: WebSocket, reason: str) -> None:
    asyncio.run_coroutine_threadsafe(_close(websocket, CLOSE_NORMAL, reason), loop)


async def _pump(websocket: WebSocket, stream: LiveMediaStream, call_id: str) -> None:
    """Read messages until the stream stops, breaks off, or breaks the protocol."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text") if message.get("text") is not None else message.get("bytes")
        if text is None:
            continue
        try:
            parsed = parse_stream_message(text)
            if parsed.touches_database:
                reply = await run_in_threadpool(stream.apply, parsed)
            else:
                reply = stream.apply(parsed)
            if reply.text is not None:
                await websocket.send_text(reply.text)
        except MediaStreamError as exc:
            log.warning("media stream of %s refused a message (close 1007): %s", call_id, exc.description)
            await _close(websocket, CLOSE_INVALID_PAYLOAD, exc.description)
            return
        except CallNotActive as exc:
            await _close(websocket, CLOSE_POLICY, exc.description)
            return
        except RuntimeError:  # the socket closed under us (hang-up)
            return
        if reply.stopped:
            await _close(websocket, CLOSE_NORMAL, "stream stopped")
            return
