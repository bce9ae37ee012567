"""The Recordings API of the reference document."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse

from callvault.api.auth import authorize, authorize_async, base_url, services_of
from callvault.api.routes.common import WireJSONResponse, read_json, run_read
from callvault.domain.ids import require_id
from callvault.domain.recordings import build_filter
from callvault.services import recordings as recording_service
from callvault.services import transcriptions as transcription_service
from callvault.services.wire import recording_json, transcriptions_json

router = APIRouter()

RECORDING = "/accounts/{accountId}/calls/{callId}/recordings/{recordingId}"


def _ids(call_id: str, recording_id: str | None = None) -> None:
    require_id(call_id, "callId")
    if recording_id is not None:
        require_id(recording_id, "recordingId")


@router.get("/accounts/{accountId}/recordings")
def list_account_call_recordings(request: Request, accountId: str) -> JSONResponse:
    authorize(request, accountId)
    query = request.query_params
    flt = build_filter(
        accountId,
        to=query.get("to"),
        from_=query.get("from"),
        min_start_time=query.get("minStartTime"),
        max_start_time=query.get("maxStartTime"),
    )
    found = recording_service.list_account_recordings(services_of(request).store, flt)
    base = base_url(request)
    return WireJSONResponse([recording_json(base, r, t) for r, t in found])


@router.get("/accounts/{accountId}/calls/{callId}/recordings")
def list_call_recordings(request: Request, accountId: str, callId: str) -> JSONResponse:
    authorize(request, accountId)
    _ids(callId)
    found = recording_service.list_call_recordings(services_of(request).store, accountId, callId)
    base = base_url(request)
    return WireJSONResponse([recording_json(base, r, t) for r, t in found])


@router.get(RECORDING)
async def get_call_recording(request: Request, accountId: str, callId: str, recordingId: str) -> JSONResponse:
    await authorize_async(request, accountId)
    _ids(callId, recordingId)
    recording, transcription = await run_read(
        request, recording_service.get_recording, services_of(request).store, accountId, callId, recordingId
    )
    return WireJSONResponse(recording_json(base_url(request), recording, transcription))


@router.delete(RECORDING, status_code=204)
def delete_recording(request: Request, accountId: str, callId: str, recordingId: str) -> Response:
    authorize(request, accountId)
    _ids(callId, recordingId)
    services = services_of(request)
    recording_service.delete_recording(
        services.store, accountId, callId, recordingId, services.settings.purge_grace
    )
    return Response(status_code=204)


@router.get(RECORDING + "/media")
def download_call_recording(request: Request, accountId: str, callId: str, recordingId: str) -> Response:
    authorize(request, accountId)
    _ids(callId, recordingId)
    services = services_of(request)
    media = recording_service.open_media(
        services.store, services.blobs, accountId, callId, recordingId, request.headers.get("range")
    )
    headers = {"Accept-Ranges": "bytes", "ETag": media.etag, "Content-Length": str(media.length)}
    if media.total_size == 0:
        headers["Content-Length"] = "0"
    if media.partial:
        headers["Content-Range"] = f"bytes {media.start}-{media.end}/{media.total_size}"
    status = 206 if media.partial else 200
    return StreamingResponse(media.chunks, status_code=status, media_type=media.content_type, headers=headers)


@router.delete(RECORDING + "/media", status_code=204)
def delete_recording_media(request: Request, accountId: str, callId: str, recordingId: str) -> Response:
    authorize(request, accountId)
    _ids(callId, recordingId)
    services = services_of(request)
    recording_service.delete_media(
        services.store, accountId, callId, recordingId, services.settings.purge_grace
    )
    return Response(status_code=204)


@router.post(RECORDING + "/transcription", status_code=204)
async def transcribe_call_recording(
    request: Request, accountId: str, callId: str, recordingId: str
) -> Response:
    await run_in_threadpool(authorize, request, accountId)
    _ids(callId, recordingId)
    body = await read_json(request)
    transcribe = transcription_service.parse_request(body)
    await run_in_threadpool(
        transcription_service.request_transcription,
        services_of(request).store,
        accountId,
        callId,
        recordingId,
        transcribe,
        base_url=base_url(request),
    )
    return Response(status_code=204)


@router.get(RECORDING + "/transcription")
def get_recording_transcription(
    request: Request, accountId: str, callId: str, recordingId: str
) -> JSONResponse:
    authorize(request, accountId)
    _ids(callId, recordingId)
    _recording, transcription = transcription_service.get_transcription(
        services_of(request).store, accountId, callId, recordingId
    )
    assert transcription.result is not None
    return JSONResponse(transcriptions_json(transcription.result))


@router.delete(RECORDING + "/transcription", status_code=204)
def delete_recording_transcription(
    request: Request, accountId: str, callId: str, recordingId: str
) -> Response:
    authorize(request, accountId)
    _ids(callId, recordingId)
    transcription_service.delete_transcription(services_of(request).store, accountId, callId, recordingId)
    return Response(status_code=204)
