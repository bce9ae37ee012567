"""A recording's console page and what it uses: its media and waveform peaks, delete, (re)transcribe.

Ids are answered like the API answers them: an account the user may not use is 403, a call or
recording id that cannot exist is 404. The page keeps the list's query (filters, sort, page) so that
"← Recordings" goes back to the same list.
"""

from __future__ import annotations

from functools import partial
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from callvault.api.auth import base_url, permit, services_of
from callvault.api.console.pages import console_action, console_page, page_html
from callvault.api.console.session import ConsoleSession, session_principal
from callvault.api.console.views import (
    clip_views,
    lane_names,
    list_query,
    list_url,
    metadata_items,
    recording_view,
    transcript_state,
)
from callvault.api.media_response import media_response, requested_range
from callvault.domain.roles import Permission
from callvault.domain.search import parse_query
from callvault.services import finding, waveform
from callvault.services import recordings as recording_service
from callvault.services import transcriptions as transcription_service
from callvault.services.auth import Principal
from callvault.services.wire import peaks_json, recording_path

router = APIRouter(include_in_schema=False)

RECORDING = "/ui/accounts/{accountId}/calls/{callId}/recordings/{recordingId}"
TRANSCRIPTION_NOTICE = "Transcription requested: the transcript appears here when it is ready (reload)."


def _page_path(account_id: str, call_id: str, recording_id: str) -> str:
    return f"/ui/accounts/{quote(account_id)}/calls/{quote(call_id)}/recordings/{quote(recording_id)}"


def _start_at(value: str | None) -> str:
    try:
        return f"{max(0.0, float(value)):.2f}" if value else ""
    except ValueError:
        return ""


@router.get(RECORDING)
async def recording_page(request: Request, accountId: str, callId: str, recordingId: str) -> Response:
    def build(principal: Principal, session: ConsoleSession) -> HTMLResponse:
        permit(request, principal, accountId, Permission.READ)
        may = partial(principal.may, accountId)
        services = services_of(request)
        recording, transcription = recording_service.get_recording(
            services.store, accountId, callId, recordingId
        )
        q = request.query_params.get("q", "").strip() if may(Permission.TRANSCRIPT) else ""
        transcription = transcription if may(Permission.TRANSCRIPT) else None
        hits = finding.matching_clips(services.store, accountId, recordingId, parse_query(q)) if q else set()
        deliveries = recording_service.webhook_deliveries(services.store, accountId, callId, recordingId)
        base = _page_path(accountId, callId, recordingId)
        listed = list_query(request.query_params)
        kept = "?" + urlencode(listed) if listed else ""
        has_media = recording.media_key is not None and may(Permission.DOWNLOAD)
        html = page_html(
            request,
            principal,
            session,
            accountId,
            template="recording.html",
            nav="recordings",
            switch_action="/ui",
            rec=recording_view(recording, transcription),
            lanes=lane_names(recording),
            clips=clip_views(recording, transcription, hits),
            transcript_state=transcript_state(transcription),
            has_transcript=transcription is not None,
            metadata=metadata_items(recording, transcription),
            deliveries=deliveries,
            q=q,
            start_at=_start_at(request.query_params.get("t")),
            media_url=f"{base}/media" if has_media else "",
            peaks_url=f"{base}/peaks",
            api_url=f"{base_url(request)}/api/v2/{recording_path(recording)}",
            transcribe_action=f"{base}/transcription{kept}" if may(Permission.TRANSCRIBE) else "",
            delete_action=f"{base}/delete{kept}" if may(Permission.DELETE) else "",
            back_url=list_url(accountId, request.query_params),
            notice=TRANSCRIPTION_NOTICE if request.query_params.get("done") == "transcription" else "",
        )
        return HTMLResponse(html)

    return await console_page(request, build)


@router.get(RECORDING + "/media")
def recording_media(request: Request, accountId: str, callId: str, recordingId: str) -> Response:
    principal, _session = session_principal(request)
    permit(request, principal, accountId, Permission.DOWNLOAD)
    services = services_of(request)
    media = recording_service.open_media(
        services.store, services.blobs, accountId, callId, recordingId, requested_range(request)
    )
    return media_response(media)


@router.get(RECORDING + "/peaks")
def recording_peaks(request: Request, accountId: str, callId: str, recordingId: str) -> JSONResponse:
    principal, _session = session_principal(request)
    permit(request, principal, accountId, Permission.DOWNLOAD)
    services = services_of(request)
    peaks = waveform.get_peaks(services.store, services.blobs, accountId, callId, recordingId)
    return JSONResponse(peaks_json(peaks))


@router.post(RECORDING + "/delete")
async def delete_recording(request: Request, accountId: str, callId: str, recordingId: str) -> Response:
    async def act(principal: Principal) -> Response:
        permit(request, principal, accountId, Permission.DELETE)
        services = services_of(request)
        await run_in_threadpool(
            recording_service.delete_recording,
            services.store,
            accountId,
            callId,
            recordingId,
            services.settings.purge_grace,
        )
        return RedirectResponse(
            list_url(accountId, request.query_params, deleted=recordingId), status_code=303
        )

    return await console_action(request, act)


@router.post(RECORDING + "/transcription")
async def transcribe_recording(request: Request, accountId: str, callId: str, recordingId: str) -> Response:
    async def act(principal: Principal) -> Response:
        permit(request, principal, accountId, Permission.TRANSCRIBE)
        form = await request.form()
        transcribe = transcription_service.parse_request(
            {"detectLanguage": form.get("detectLanguage") == "true"}
        )
        await run_in_threadpool(
            transcription_service.request_transcription,
            services_of(request).store,
            accountId,
            callId,
            recordingId,
            transcribe,
            base_url=base_url(request),
        )
        target = _page_path(accountId, callId, recordingId)
        kept = list_query(request.query_params) | {"done": "transcription"}
        return RedirectResponse(f"{target}?{urlencode(kept)}", status_code=303)

    return await console_action(request, act)
