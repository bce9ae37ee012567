"""The Recordings API of the reference document."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from callvault.api.auth import authorize, authorize_async, base_url, services_of
from callvault.api.media_response import media_response, requested_range
from callvault.api.routes.common import WireJSONResponse, read_json
from callvault.domain.errors import ValidationFailed
from callvault.domain.paging import build_page
from callvault.domain.recordings import LIST_LIMIT, build_filter
from callvault.domain.roles import Permission
from callvault.domain.search import parse_query
from callvault.services import finding, waveform
from callvault.services import recordings as recording_service
from callvault.services import transcriptions as transcription_service
from callvault.services.wire import peaks_json, recording_json, search_hit_json, transcriptions_json

router = APIRouter()

RECORDING = "/accounts/{accountId}/calls/{callId}/recordings/{recordingId}"


@router.get("/accounts/{accountId}/recordings")
def list_account_call_recordings(request: Request, accountId: str) -> JSONResponse:
    """Bandwidth's list (oldest first, at most 1,000), plus callvault's opt-in extensions: `q` (transcript
    search, best first), `pageSize`/`pageToken` (keyset pages, next one in the Link header) and
    `sort=-startTime` (newest first)."""
    query = request.query_params
    authorize(request, accountId, Permission.TRANSCRIPT if "q" in query else Permission.READ)
    flt = build_filter(
        accountId,
        to=query.get("to"),
        from_=query.get("from"),
        min_start_time=query.get("minStartTime"),
        max_start_time=query.get("maxStartTime"),
    )
    page = build_page(query.get("pageSize"), query.get("pageToken"), query.get("sort"))
    store = services_of(request).store
    base = base_url(request)
    if "q" in query:
        if query.get("pageToken") or query.get("sort"):
            raise ValidationFailed(
                "Invalid pageToken or sort with q: search results come best first, at most pageSize of them"
            )
        hits = finding.search(store, flt, parse_query(query["q"]), page.size if page else LIST_LIMIT)
        return JSONResponse([search_hit_json(base, hit, t) for hit, t in hits])
    if page is None:
        return WireJSONResponse(recording_service.list_account_recordings_json(store, flt, base))
    found, next_token = finding.list_page_json(store, flt, page, base)
    headers = {"Link": f'<{_next_page_url(request, next_token)}>; rel="next"'} if next_token else {}
    return WireJSONResponse(found, headers=headers)


def _next_page_url(request: Request, token: str) -> str:
    url = request.url.include_query_params(pageToken=token)
    configured = services_of(request).settings.public_url
    if configured:
        return f"{configured.rstrip('/')}{url.path}?{url.query}"
    return str(url)


@router.get("/accounts/{accountId}/calls/{callId}/recordings")
def list_call_recordings(request: Request, accountId: str, callId: str) -> JSONResponse:
    authorize(request, accountId, Permission.READ)
    found = recording_service.list_call_recordings(services_of(request).store, accountId, callId)
    base = base_url(request)
    return WireJSONResponse([recording_json(base, r, t) for r, t in found])


@router.get(RECORDING)
async def get_call_recording(request: Request, accountId: str, callId: str, recordingId: str) -> JSONResponse:
    await authorize_async(request, accountId, Permission.READ)
    found = await recording_service.get_recording_json_async(
        services_of(request).store, accountId, callId, recordingId, base_url(request)
    )
    return WireJSONResponse(found)


@router.delete(RECORDING, status_code=204)
def delete_recording(request: Request, accountId: str, callId: str, recordingId: str) -> Response:
    authorize(request, accountId, Permission.DELETE)
    services = services_of(request)
    recording_service.delete_recording(
        services.store, accountId, callId, recordingId, services.settings.purge_grace
    )
    return Response(status_code=204)


@router.get(RECORDING + "/media")
def download_call_recording(request: Request, accountId: str, callId: str, recordingId: str) -> Response:
    authorize(request, accountId, Permission.DOWNLOAD)
    services = services_of(request)
    media = recording_service.open_media(
        services.store, services.blobs, accountId, callId, recordingId, requested_range(request)
    )
    return media_response(media)


@router.get(RECORDING + "/peaks")
def get_waveform_peaks(request: Request, accountId: str, callId: str, recordingId: str) -> JSONResponse:
    """callvault extension: the recording's waveform peaks per channel (computed once, then cached)."""
    authorize(request, accountId, Permission.DOWNLOAD)
    services = services_of(request)
    peaks = waveform.get_peaks(services.store, services.blobs, accountId, callId, recordingId)
    return JSONResponse(peaks_json(peaks))


@router.delete(RECORDING + "/media", status_code=204)
def delete_recording_media(request: Request, accountId: str, callId: str, recordingId: str) -> Response:
    authorize(request, accountId, Permission.DELETE)
    services = services_of(request)
    recording_service.delete_media(
        services.store, accountId, callId, recordingId, services.settings.purge_grace
    )
    return Response(status_code=204)


@router.post(RECORDING + "/transcription", status_code=204)
async def transcribe_call_recording(
    request: Request, accountId: str, callId: str, recordingId: str
) -> Response:
    await run_in_threadpool(authorize, request, accountId, Permission.TRANSCRIBE)
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
    authorize(request, accountId, Permission.TRANSCRIPT)
    _recording, transcription = transcription_service.get_transcription(
        services_of(request).store, accountId, callId, recordingId
    )
    assert transcription.result is not None
    return JSONResponse(transcriptions_json(transcription.result))


@router.delete(RECORDING + "/transcription", status_code=204)
def delete_recording_transcription(
    request: Request, accountId: str, callId: str, recordingId: str
) -> Response:
    authorize(request, accountId, Permission.DELETE)
    transcription_service.delete_transcription(services_of(request).store, accountId, callId, recordingId)
    return Response(status_code=204)
