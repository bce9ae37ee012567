"""Live-call endpoints: recording state (document) and the calls subset callvault simulates.

* ``POST /accounts/{accountId}/calls``: create an active call (then its ``answer`` webhook).
* ``GET|POST /accounts/{accountId}/calls/{callId}``: the call's state; ``{"state": "completed"}`` hangs up.
* ``PUT /accounts/{accountId}/calls/{callId}/bxml``: recording verbs.
* ``PUT /accounts/{accountId}/calls/{callId}/recording``: pause or resume (the reference document).
* ``WebSocket /ingest/accounts/{accountId}/calls/{callId}/media``: the call's audio, as Bandwidth's
  media-stream messages. Besides ``start``/``media``/``stop``, a client may send the callvault
  extension ``{"eventType": "mark", "name": "..."}``: the server answers ``{"eventType": "mark",
  "name": "...", "position": seconds}`` once every message before it has been recorded, so a client
  that sends faster than real time knows the media position a following command will act at.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any, cast

from fastapi import APIRouter, Request, Response, WebSocket
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from bandwidth.models import CallbackMethodEnum, CallState, CreateCallResponse, UpdateCallRecording
from callvault.api.auth import authorize, base_url, services_of
from callvault.api.errors import error_response
from callvault.api.routes.common import read_json
from callvault.calls.media_stream import MediaEvent, MediaStreamError, StartEvent, parse_message
from callvault.calls.service import CallNotActive, MediaSession, live_calls
from callvault.domain.errors import UnsupportedMediaType, VoiceApiError
from callvault.domain.ids import require_id
from callvault.domain.records import Call
from callvault.domain.timefmt import format_iso_time
from callvault.services import calls as call_service
from callvault.services.validation import parse_body
from callvault.services.wire import call_url

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


# --- wire ----------------------------------------------------------------------------------------


def _answer_method(call: Call) -> CallbackMethodEnum | None:
    if not call.answer_url or not call.answer_method:
        return None
    return CallbackMethodEnum(call.answer_method)


def create_call_json(base: str, call: Call) -> dict[str, Any]:
    """Bandwidth's CreateCallResponse, plus direction, state and startTime."""
    fields: dict[str, Any] = dict(
        application_id=call.application_id,
        account_id=call.account_id,
        call_id=call.call_id,
        to=call.to_number,
        var_from=call.from_number,
        call_url=call_url(base, call.account_id, call.call_id),
        tag=call.tag,
        answer_method=_answer_method(call),
        answer_url=call.answer_url,
        answer_fallback_method=None,
        disconnect_method=None,
        username=call.callback_username,
        additional_properties={  # callvault's additions
            "direction": call.direction,
            "state": "active",
            "startTime": format_iso_time(call.start_time),
        },
    )
    # constructed, not validated: answerUrl is optional in callvault (no answer webhook without it)
    response = CreateCallResponse.model_construct(**fields)
    return response.to_wire()


def call_state_json(call: Call) -> dict[str, Any]:
    """Bandwidth's CallState (state `answered` or `disconnected`), plus callvault's recording fields."""
    extras: dict[str, Any] = {}
    if call.recording:
        extras["recordingId"] = call.recording.get("recording_id")
        extras["recordingState"] = call.recording_state
    return CallState(
        application_id=call.application_id,
        account_id=call.account_id,
        call_id=call.call_id,
        to=call.to_number,
        var_from=call.from_number,
        direction=call.direction,
        state="answered" if call.state == "active" else "disconnected",
        start_time=call.start_time,
        answer_time=call.answer_time,
        end_time=call.end_time,
        disconnect_cause=call.disconnect_cause,
        additional_properties=extras,
    ).to_wire()


# --- calls ---------------------------------------------------------------------------------------


@router.post("/accounts/{accountId}/calls", status_code=201)
async def create_call(request: Request, accountId: str) -> JSONResponse:  # noqa: N803
    await run_in_threadpool(authorize, request, accountId)
    body = call_service.parse_create_call(await read_json(request))
    base = base_url(request)
    call = await run_in_threadpool(
        call_service.create_call, services_of(request), accountId, body, base_url=base
    )
    return JSONResponse(create_call_json(base, call), status_code=201)


@router.get(CALL)
def get_call_state(request: Request, accountId: str, callId: str) -> JSONResponse:  # noqa: N803
    authorize(request, accountId)
    require_id(callId, "callId")
    return JSONResponse(call_state_json(call_service.get_call(services_of(request), accountId, callId)))


@router.post(CALL)
async def update_call(request: Request, accountId: str, callId: str) -> Response:  # noqa: N803
    await run_in_threadpool(authorize, request, accountId)
    require_id(callId, "callId")
    update = call_service.parse_update_call(await read_json(request))
    await run_in_threadpool(call_service.update_call, services_of(request), accountId, callId, update)
    return Response(status_code=200)


@router.put(CALL + "/bxml", status_code=204)
async def update_call_bxml(request: Request, accountId: str, callId: str) -> Response:  # noqa: N803
    await run_in_threadpool(authorize, request, accountId)
    require_id(callId, "callId")
    content_type = request.headers.get("content-type", "")
    if content_type.split(";", 1)[0].strip().lower() not in XML_TYPES:
        raise UnsupportedMediaType(f"Unsupported Content-Type {content_type!r}: send application/xml BXML")
    document = await request.body()
    services, base = services_of(request), base_url(request)
    await run_in_threadpool(call_service.execute_bxml, services, accountId, callId, document, base_url=base)
    return Response(status_code=204)


@router.put(CALL + "/recording")
async def update_call_recording_state(request: Request, accountId: str, callId: str) -> Response:  # noqa: N803
    await run_in_threadpool(authorize, request, accountId)
    require_id(callId, "callId")
    update = parse_update_recording(await read_json(request))
    state = update.state.value if hasattr(update.state, "value") else str(update.state)
    await run_in_threadpool(call_service.set_recording_state, services_of(request), accountId, callId, state)
    return Response(status_code=200)


# --- media ---------------------------------------------------------------------------------------


def _admit(websocket: WebSocket, account_id: str, call_id: str, session: MediaSession) -> None:
    authorize(cast(Request, websocket), account_id)
    require_id(call_id, "callId")
    session.check_call()


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


def _mark_name(text: str | bytes) -> str | None:
    try:
        message = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(message, dict) and message.get("eventType") == "mark":
        return str(message.get("name", ""))
    return None


@router.websocket(MEDIA)
async def call_media(websocket: WebSocket, accountId: str, callId: str) -> None:  # noqa: N803
    session = live_calls(services_of(cast(Request, websocket))).session(accountId, callId)
    try:
        await run_in_threadpool(_admit, websocket, accountId, callId, session)
    except VoiceApiError as error:
        await _deny(websocket, error)
        return
    await websocket.accept()
    loop = asyncio.get_running_loop()
    session.on_call_ended = lambda: _schedule_close(loop, websocket, "the call ended")
    try:
        await _pump(websocket, session)
    finally:
        await run_in_threadpool(session.end)


def _schedule_close(loop: asyncio.AbstractEventLoop, websocket: WebSocket, reason: str) -> None:
    asyncio.run_coroutine_threadsafe(_close(websocket, CLOSE_NORMAL, reason), loop)


async def _pump(websocket: WebSocket, session: MediaSession) -> None:
    """Read messages until the stream stops, breaks off, or breaks the protocol."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text") if message.get("text") is not None else message.get("bytes")
        if text is None:
            continue
        try:
            done = await _handle(websocket, session, text)
        except MediaStreamError as exc:
            await _close(websocket, CLOSE_INVALID_PAYLOAD, str(exc))
            return
        except CallNotActive as exc:
            await _close(websocket, CLOSE_POLICY, exc.description)
            return
        except RuntimeError:  # the socket closed under us (hang-up)
            return
        if done:
            await _close(websocket, CLOSE_NORMAL, "stream stopped")
            return


async def _handle(websocket: WebSocket, session: MediaSession, text: str | bytes) -> bool:
    """Handle one message; True when the stream has stopped."""
    try:
        event = parse_message(text)
    except MediaStreamError:
        name = _mark_name(text)
        if name is None:
            raise
        reply = {"eventType": "mark", "name": name, "position": session.position_seconds}
        await websocket.send_text(json.dumps(reply))
        return False
    if isinstance(event, StartEvent):
        await run_in_threadpool(session.start, event)
        return False
    if not session.started:
        raise MediaStreamError("the stream must begin with a start event")
    if isinstance(event, MediaEvent):
        session.feed(event)
        return False
    await run_in_threadpool(session.stream_stopped)
    return True
