"""What every console page and action shares: the signed-in check (a redirect to sign in for a page,
the API's 401/403 envelope for an action or a feed), the account a page shows, and errors shown as a
page rather than as JSON."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from callvault.api.auth import permit
from callvault.api.console.session import (
    ConsoleSession,
    csrf_token,
    read_session,
    require_csrf,
    session_principal,
)
from callvault.api.console.templating import render
from callvault.domain.errors import AuthenticationFailed, NotFound, VoiceApiError
from callvault.domain.roles import Permission
from callvault.services.auth import Principal


def page_html(
    request: Request, principal: Principal, session: ConsoleSession, account: str, **context: Any
) -> str:
    """A signed-in page: `template` and its context, plus the header's user, accounts and CSRF token."""
    return render(
        request,
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
    html = page_html(
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


def account_of(request: Request, principal: Principal, permission: Permission = Permission.READ) -> str:
    """The account asked for in `?account=`, else the user's first; 403 unless the user's role there
    grants `permission`."""
    account = request.query_params.get("account") or min(principal.accounts, default="")
    permit(request, principal, account, permission)
    return account


async def console_page(
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


async def console_action(request: Request, act: Callable[[Principal], Awaitable[Response]]) -> Response:
    """A state change: a signed-in session and its CSRF token, or 401/403 in the API's error envelope."""
    session = await run_in_threadpool(read_session, request)
    await require_csrf(request, session)
    principal, _session = await run_in_threadpool(session_principal, request)
    return await act(principal)
