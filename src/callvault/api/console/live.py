"""The console's live calls: the page, its feed of calls in progress, pausing and resuming a call's
recording, and the recordings of a call that has ended (the page links them)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse

from callvault.api.auth import permit, services_of
from callvault.api.console.pages import account_of, console_action, console_page, page_html
from callvault.api.console.session import ConsoleSession, session_principal
from callvault.api.console.views import call_recording_view, live_call_view
from callvault.domain.errors import ValidationFailed
from callvault.domain.roles import Permission
from callvault.services import live_calls as live_call_service
from callvault.services import recordings as recording_service
from callvault.services.auth import Principal

router = APIRouter(include_in_schema=False)


@router.get("/ui/live")
async def live_page(request: Request) -> Response:
    def build(principal: Principal, session: ConsoleSession) -> HTMLResponse:
        account = account_of(request, principal)
        html = page_html(
            request, principal, session, account, template="live.html", nav="live", switch_action="/ui/live"
        )
        return HTMLResponse(html)

    return await console_page(request, build)


@router.get("/ui/live/calls")
def live_calls_feed(request: Request) -> JSONResponse:
    principal, _session = session_principal(request)
    account = account_of(request, principal)
    calls = live_call_service.list_active_calls(services_of(request), account)
    return JSONResponse({"calls": [live_call_view(call) for call in calls]})


@router.get("/ui/accounts/{accountId}/calls/{callId}/recordings")
def call_recordings_feed(request: Request, accountId: str, callId: str) -> JSONResponse:
    """The recordings of a call, oldest first: what the live page links once the call has ended."""
    principal, _session = session_principal(request)
    permit(request, principal, accountId, Permission.READ)
    found = recording_service.list_call_recordings(services_of(request).store, accountId, callId)
    return JSONResponse({"recordings": [call_recording_view(recording) for recording, _t in found]})


@router.post("/ui/accounts/{accountId}/calls/{callId}/recording")
async def set_live_recording_state(request: Request, accountId: str, callId: str) -> Response:
    async def act(principal: Principal) -> Response:
        permit(request, principal, accountId, Permission.RECORD)
        body = await request.json()
        state = body.get("state") if isinstance(body, dict) else None
        if state not in ("paused", "recording"):
            raise ValidationFailed("Invalid state: must be 'paused' or 'recording'")
        await run_in_threadpool(
            live_call_service.set_recording_state, services_of(request), accountId, callId, state
        )
        return JSONResponse({"state": state})

    return await console_action(request, act)
