"""Live-call endpoints: recording state (document) and the calls subset callvault simulates.

* ``POST /accounts/{accountId}/calls``: create an active call (then its ``answer`` webhook).
* ``GET /accounts/{accountId}/calls``: the active calls (filters: from, to, siprecSessionId, streamId).
* ``GET|POST /accounts/{accountId}/calls/{callId}``: the call's state; ``{"state": "completed"}`` hangs up.
* ``PUT /accounts/{accountId}/calls/{callId}/bxml``: recording verbs.
* ``PUT /accounts/{accountId}/calls/{callId}/recording``: pause or resume (the reference document).
* ``WebSocket /ingest/accounts/{accountId}/calls/{callId}/media``: the call's audio, as Bandwidth's
  media-stream messages (and callvault's ``mark`` extension), pumped by ``api.live_audio``.
"""

from __future__ import annotations

from typing import cast

from fastapi import APIRouter, Query, Request, Response, WebSocket
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from bandwidth.models import UpdateCallRecording
from callvault.api.auth import authorize, base_url, services_of
from callvault.api.live_audio import deny, serve_live_audio
from callvault.api.routes.common import read_json, require_content_type
from callvault.calls.stream_formats.bandwidth import BandwidthStream
from callvault.domain.errors import VoiceApiError
from callvault.domain.records import recording_state_of
from callvault.domain.roles import Permission
from callvault.services import live_calls as call_service
from callvault.services.live_audio import LiveAudioSession
from callvault.services.validation import parse_body
from callvault.services.wire import call_state_json, create_call_json

router = APIRouter()

CALL = "/accounts/{accountId}/calls/{callId}"
MEDIA = "/ingest/accounts/{accountId}/calls/{callId}/media"
XML_TYPES = ("application/xml", "text/xml")


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


@router.get("/accounts/{accountId}/calls")
def list_active_calls(
    request: Request,
    accountId: str,
    from_: str | None = Query(None, alias="from"),
    to: str | None = None,
    siprecSessionId: str | None = None,
    streamId: str | None = None,
) -> JSONResponse:
    """The account's active calls (filters: from, to, SIPREC session id, stream id)."""
    authorize(request, accountId, Permission.READ)
    flt = call_service.active_call_filter(
        from_number=from_, to_number=to, siprec_session_id=siprecSessionId, stream_id=streamId
    )
    calls = call_service.list_active_calls(services_of(request), accountId, flt)
    return JSONResponse([call_state_json(call) for call in calls])


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
    state = recording_state_of(update.state.value if hasattr(update.state, "value") else update.state)
    await run_in_threadpool(call_service.set_recording_state, services_of(request), accountId, callId, state)
    return Response(status_code=200)


# --- media ---------------------------------------------------------------------------------------


def _admit(websocket: WebSocket, account_id: str, call_id: str) -> LiveAudioSession:
    authorize(cast(Request, websocket), account_id, Permission.RECORD)
    return LiveAudioSession.of_active_call(services_of(cast(Request, websocket)), account_id, call_id)


@router.websocket(MEDIA)
async def call_media(websocket: WebSocket, accountId: str, callId: str) -> None:
    try:
        session = await run_in_threadpool(_admit, websocket, accountId, callId)
    except VoiceApiError as error:
        await deny(websocket, error)
        return
    await serve_live_audio(websocket, session, BandwidthStream())
