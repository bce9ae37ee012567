"""Signing in and out of the console: the sign-in page (a signed-in visitor is sent on instead), the
password check, signing out (the session ends on the server, so a copied cookie stops working) and
signing out everywhere (every session of the user, in every browser)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from callvault.api.auth import client_address, services_of
from callvault.api.console.pages import console_action
from callvault.api.console.session import (
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
from callvault.api.console.templating import render
from callvault.domain.errors import AuthenticationFailed, RateLimited
from callvault.services import console_sessions
from callvault.services.auth import Principal

router = APIRouter(include_in_schema=False)

_SIGNED_OUT_EVERYWHERE = "You are signed out in every browser."


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/ui") and not target.startswith("//") else "/ui"


def _login_page(
    request: Request,
    session: ConsoleSession,
    *,
    error: str = "",
    notice: str = "",
    username: str = "",
    next_url: str = "/ui",
    status: int = 200,
) -> HTMLResponse:
    html = render(
        request,
        "login.html",
        user=None,
        csrf_token=csrf_token(request, session),
        error=error,
        notice=notice,
        username=username,
        next=next_url,
    )
    response = HTMLResponse(html, status_code=status)
    write_session(request, response, session)
    return response


def _is_signed_in(request: Request) -> bool:
    try:
        session_principal(request)
    except AuthenticationFailed:
        return False
    return True


@router.get("/ui/login")
def login_form(request: Request) -> Response:
    next_url = _safe_next(request.query_params.get("next"))
    if _is_signed_in(request):
        return RedirectResponse(next_url, status_code=303)
    notice = _SIGNED_OUT_EVERYWHERE if request.query_params.get("ended") == "everywhere" else ""
    return _login_page(request, anonymous_session(request), notice=notice, next_url=next_url)


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
        _principal, session_id = await run_in_threadpool(
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
    write_session(request, response, signed_in_session(session_id))
    return response


@router.post("/ui/logout")
async def logout(request: Request) -> Response:
    session = await run_in_threadpool(read_session, request)
    await require_csrf(request, session)
    if session is not None and session.session_id:
        await run_in_threadpool(console_sessions.sign_out, services_of(request).store, session.session_id)
    response = RedirectResponse("/ui/login", status_code=303)
    clear_session(request, response)
    return response


@router.post("/ui/logout/everywhere")
async def logout_everywhere(request: Request) -> Response:
    async def act(principal: Principal) -> Response:
        await run_in_threadpool(
            console_sessions.sign_out_everywhere, services_of(request).store, principal.name
        )
        response = RedirectResponse("/ui/login?ended=everywhere", status_code=303)
        clear_session(request, response)
        return response

    return await console_action(request, act)
