"""The console (/ui): sign-in, the recordings list and search, a recording's page, live calls.

Pages are server-rendered (Jinja, see console_views.py); every state change is a POST that carries the
session's CSRF token. Signed-in users are the same users as the API's (Basic auth stays for the API).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse

from callvault.api.auth import base_url, client_address, permit, services_of
from callvault.api.console_session import (
    ConsoleSession,
    anonymous_session,
    clear_session,
    csrf_token,
    read_session,
    require_csrf,
    session_principal,
    signed_in_session,
    write_session,
)
from callvault.api.console_views import (
    STATIC_DIR,
    clip_views,
    lane_names,
    live_call_view,
    metadata_items,
    recording_view,
    render,
    transcript_state,
)
from callvault.api.media_response import media_response
from callvault.domain.errors import (
    AuthenticationFailed,
    NotFound,
    RateLimited,
    ValidationFailed,
    VoiceApiError,
)
from callvault.domain.ids import require_id
from callvault.domain.paging import NEWEST_FIRST, build_page
from callvault.domain.recordings import DIRECTIONS, LIST_LIMIT, build_filter
from callvault.domain.roles import Permission
from callvault.domain.search import parse_query
from callvault.services import console_sessions, finding, waveform
from callvault.services import live_calls as live_call_service
from callvault.services import recordings as recording_service
from callvault.services import transcriptions as transcription_service
from callvault.services.auth import Principal
from callvault.services.wire import peaks_json, recording_path

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
RECORDING = "/ui/accounts/{accountId}/calls/{callId}/recordings/{recordingId}"
_FORM_FIELDS = ("q", "from", "to", "direction", "tag", "minStartTime", "maxStartTime", "sort")
_STATIC_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}


def _page(
    request: Request, principal: Principal, session: ConsoleSession, account: str, **context: Any
) -> str:
    return render(
        context.pop("template"),
        user=principal.name,
        accounts=sorted(principal.accounts),
        account=account,
        may_audit=principal.may(account, Permission.AUDIT),
        csrf_token=csrf_token(request, session),
        **context,
    )


def _error_page(
    request: Request, principal: Principal, session: ConsoleSession, account: str, error: VoiceApiError
) -> HTMLResponse:
    heading = "Not found" if isinstance(error, NotFound) else "Something went wrong"
    html = _page(
        request,
        principal,
        session,
        account,
        template="error.html",
        heading=heading,
        message=error.description,
        nav="",
    )
    return HTMLResponse(html, status_code=error.status)


def _account(request: Request, principal: Principal, permission: Permission = Permission.READ) -> str:
    account = request.query_params.get("account") or min(principal.accounts, default="")
    permit(request, principal, account, permission)
    return account


async def _console_page(
    request: Request, build: Callable[[Principal, ConsoleSession], HTMLResponse]
) -> Response:
    """A page for a signed-in user (else a redirect to sign in); an error is shown in the page."""
    try:
        principal, session = await run_in_threadpool(session_principal, request)
    except AuthenticationFailed:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/ui/login?" + urlencode({"next": target}), status_code=303)
    try:
        return await run_in_threadpool(build, principal, session)
    except VoiceApiError as error:
        asked = request.path_params.get("accountId") or request.query_params.get("account")
        account = asked if asked in principal.accounts else min(principal.accounts, default="")
        return _error_page(request, principal, session, account, error)


async def _console_action(request: Request, act: Callable[[Principal], Awaitable[Response]]) -> Response:
    """A state change: a signed-in session and its CSRF token, or 401/403 in the API's error envelope."""
    session = await run_in_threadpool(read_session, request)
    await require_csrf(request, session)
    principal, _session = await run_in_threadpool(session_principal, request)
    return await act(principal)


# --- assets --------------------------------------------------------------------------------------


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/ui")


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    return FileResponse(
        STATIC_DIR / "favicon.svg",
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.get("/ui/static/{name:path}")
def static_asset(name: str) -> FileResponse:
    path = (STATIC_DIR / name).resolve()
    if not path.is_relative_to(STATIC_DIR) or not path.is_file() or path.suffix not in _STATIC_TYPES:
        raise NotFound(f"No console asset {name!r}")
    return FileResponse(
        path,
        media_type=_STATIC_TYPES[path.suffix],
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )


# --- sign-in -------------------------------------------------------------------------------------


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/ui") and not target.startswith("//") else "/ui"


def _login_page(
    request: Request,
    session: ConsoleSession,
    *,
    error: str = "",
    username: str = "",
    next_url: str = "/ui",
    status: int = 200,
) -> HTMLResponse:
    html = render(
        "login.html",
        user=None,
        csrf_token=csrf_token(request, session),
        error=error,
        username=username,
        next=next_url,
    )
    response = HTMLResponse(html, status_code=status)
    write_session(request, response, session)
    return response


@router.get("/ui/login")
def login_form(request: Request) -> HTMLResponse:
    return _login_page(
        request, anonymous_session(request), next_url=_safe_next(request.query_params.get("next"))
    )


@router.post("/ui/login")
async def login(request: Request) -> Response:
    session = await run_in_threadpool(read_session, request)
    await require_csrf(request, session)
    assert session is not None
    form = await request.form()
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    next_url = _safe_next(str(form.get("next", "")))
    services = services_of(request)
    try:
        principal, fingerprint = await run_in_threadpool(
            console_sessions.sign_in,
            services.store,
            services.authenticator,
            username,
            password,
            client_address(request),
        )
    except RateLimited as exc:
        return _login_page(request, session, error=exc.description, username=username, next_url=next_url)
    except AuthenticationFailed:
        return _login_page(
            request,
            session,
            error="Wrong user name or password.",
            username=username,
            next_url=next_url,
            status=401,
        )
    response = RedirectResponse(next_url, status_code=303)
    write_session(request, response, signed_in_session(principal.name, fingerprint))
    return response


@router.post("/ui/logout")
async def logout(request: Request) -> Response:
    await require_csrf(request, await run_in_threadpool(read_session, request))
    response = RedirectResponse("/ui/login", status_code=303)
    clear_session(request, response)
    return response


# --- recordings ----------------------------------------------------------------------------------


def _list_context(request: Request, account: str) -> dict[str, Any]:
    """The list or the search results for the query string; a bad filter is shown beside the form."""
    query = request.query_params
    form = {name: query.get(name, "") for name in _FORM_FIELDS}
    filtered = any(form[name] for name in _FORM_FIELDS if name not in ("q", "sort"))
    deleted = query.get("deleted", "")
    context: dict[str, Any] = {
        "form": form,
        "rows": [],
        "error": "",
        "summary": "",
        "paged": False,
        "notice": _NOTICES["deleted"].format(deleted) if deleted else "",
        "searching": bool(form["q"].strip()),
        "next_url": "",
        "first_url": "",
        "filtered": filtered or form["sort"] == "startTime",
    }
    store = services_of(request).store
    try:
        flt = build_filter(
            account,
            to=form["to"],
            from_=form["from"],
            min_start_time=form["minStartTime"],
            max_start_time=form["maxStartTime"],
            direction=form["direction"],
            tag=form["tag"],
        )
        if context["searching"]:
            transcript_query = parse_query(form["q"])
            hits = finding.search(store, flt, transcript_query, LIST_LIMIT)
            context["rows"] = [recording_view(hit.recording, t, hit, form["q"]) for hit, t in hits]
            context["summary"] = _count_text(
                len(hits), "recording", f" whose transcript matches “{form['q']}”"
            )
            return context
        page = build_page(str(PAGE_SIZE), query.get("pageToken"), form["sort"] or NEWEST_FIRST)
        assert page is not None
        found = finding.list_page(store, flt, page)
        total = finding.count_recordings(store, flt)
    except ValidationFailed as error:
        context["error"] = error.description
        return context
    context["rows"] = [recording_view(r, t) for r, t in found.rows]
    context["summary"] = _count_text(total, "recording", "")
    context["paged"] = total > len(found.rows)
    kept = {name: value for name, value in form.items() if value} | {"account": account}
    if found.next_token:
        context["next_url"] = "/ui?" + urlencode(kept | {"pageToken": found.next_token})
    if query.get("pageToken"):
        context["first_url"] = "/ui?" + urlencode(kept)
    return context


def _count_text(count: int, noun: str, rest: str) -> str:
    capped = "1,000 or more" if count >= LIST_LIMIT else f"{count:,}"
    return f"{capped} {noun}{'' if count == 1 else 's'}{rest}"


@router.get("/ui")
async def recordings_page(request: Request) -> Response:
    def build(principal: Principal, session: ConsoleSession) -> HTMLResponse:
        searching = bool(request.query_params.get("q", "").strip())
        account = _account(request, principal, Permission.TRANSCRIPT if searching else Permission.READ)
        context = _list_context(request, account)
        html = _page(
            request,
            principal,
            session,
            account,
            template="recordings.html",
            nav="recordings",
            directions=DIRECTIONS,
            **context,
        )
        return HTMLResponse(html, status_code=400 if context["error"] else 200)

    return await _console_page(request, build)


def _recording_ids(account_id: str, call_id: str, recording_id: str) -> None:
    require_id(account_id, "accountId")
    require_id(call_id, "callId")
    require_id(recording_id, "recordingId")


@router.get(RECORDING)
async def recording_page(request: Request, accountId: str, callId: str, recordingId: str) -> Response:
    def build(principal: Principal, session: ConsoleSession) -> HTMLResponse:
        _recording_ids(accountId, callId, recordingId)
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
        base = f"/ui/accounts/{quote(accountId)}/calls/{quote(callId)}/recordings/{quote(recordingId)}"
        has_media = recording.media_key is not None and may(Permission.DOWNLOAD)
        html = _page(
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
            api_url=f"{base_url(request)}/api/v2{recording_path(recording)}",
            transcribe_action=f"{base}/transcription" if may(Permission.TRANSCRIBE) else "",
            delete_action=f"{base}/delete" if may(Permission.DELETE) else "",
            back_url="/ui?" + urlencode({"account": accountId} | ({"q": q} if q else {})),
            notice=_NOTICES["transcription"] if request.query_params.get("done") == "transcription" else "",
        )
        return HTMLResponse(html)

    return await _console_page(request, build)


_NOTICES = {
    "transcription": "Transcription requested: the transcript appears here when it is ready (reload).",
    "deleted": "Recording {} deleted.",
}


def _start_at(value: str | None) -> str:
    try:
        return f"{max(0.0, float(value)):.2f}" if value else ""
    except ValueError:
        return ""


def _permit_recording(request: Request, principal: Principal, permission: Permission) -> None:
    account_id, call_id, recording_id = (
        request.path_params[k] for k in ("accountId", "callId", "recordingId")
    )
    _recording_ids(account_id, call_id, recording_id)
    permit(request, principal, account_id, permission)


@router.get(RECORDING + "/media")
def recording_media(request: Request, accountId: str, callId: str, recordingId: str) -> Response:
    principal, _session = session_principal(request)
    _permit_recording(request, principal, Permission.DOWNLOAD)
    services = services_of(request)
    media = recording_service.open_media(
        services.store, services.blobs, accountId, callId, recordingId, request.headers.get("range")
    )
    return media_response(media)


@router.get(RECORDING + "/peaks")
def recording_peaks(request: Request, accountId: str, callId: str, recordingId: str) -> JSONResponse:
    principal, _session = session_principal(request)
    _permit_recording(request, principal, Permission.DOWNLOAD)
    services = services_of(request)
    peaks = waveform.get_peaks(services.store, services.blobs, accountId, callId, recordingId)
    return JSONResponse(peaks_json(peaks), headers={"Cache-Control": "private, max-age=3600"})


@router.post(RECORDING + "/delete")
async def delete_recording(request: Request, accountId: str, callId: str, recordingId: str) -> Response:
    async def act(principal: Principal) -> Response:
        _permit_recording(request, principal, Permission.DELETE)
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
            "/ui?" + urlencode({"account": accountId, "deleted": recordingId}), status_code=303
        )

    return await _console_action(request, act)


@router.post(RECORDING + "/transcription")
async def transcribe_recording(request: Request, accountId: str, callId: str, recordingId: str) -> Response:
    async def act(principal: Principal) -> Response:
        _permit_recording(request, principal, Permission.TRANSCRIBE)
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
        target = f"/ui/accounts/{quote(accountId)}/calls/{quote(callId)}/recordings/{quote(recordingId)}"
        return RedirectResponse(target + "?done=transcription", status_code=303)

    return await _console_action(request, act)


# --- live calls ----------------------------------------------------------------------------------


@router.get("/ui/live")
async def live_page(request: Request) -> Response:
    def build(principal: Principal, session: ConsoleSession) -> HTMLResponse:
        account = _account(request, principal)
        html = _page(
            request, principal, session, account, template="live.html", nav="live", switch_action="/ui/live"
        )
        return HTMLResponse(html)

    return await _console_page(request, build)


@router.get("/ui/live/calls")
def live_calls_feed(request: Request) -> JSONResponse:
    principal, _session = session_principal(request)
    account = _account(request, principal)
    calls = live_call_service.list_active_calls(services_of(request), account)
    return JSONResponse(
        {"calls": [live_call_view(call) for call in calls]}, headers={"Cache-Control": "no-store"}
    )


@router.post("/ui/accounts/{accountId}/calls/{callId}/recording")
async def set_live_recording_state(request: Request, accountId: str, callId: str) -> Response:
    async def act(principal: Principal) -> Response:
        require_id(accountId, "accountId")
        require_id(callId, "callId")
        permit(request, principal, accountId, Permission.RECORD)
        body = await request.json()
        state = body.get("state") if isinstance(body, dict) else None
        if state not in ("paused", "recording"):
            raise ValidationFailed("Invalid state: must be 'paused' or 'recording'")
        await run_in_threadpool(
            live_call_service.set_recording_state, services_of(request), accountId, callId, state
        )
        return JSONResponse({"state": state})

    return await _console_action(request, act)
