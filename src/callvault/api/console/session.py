"""Console sessions in the browser: a signed cookie (itsdangerous) carrying the id of a session the
server keeps (`services.console_sessions`: signing out ends it for every copy of the cookie), and the
CSRF token every state-changing console request must carry (form field `csrf_token` or header
`X-CSRF-Token`).

The cookie is HttpOnly, SameSite=Lax, Secure when the request came over TLS, and lives as long as the
session. It also holds a random nonce; the CSRF token is that nonce signed under another salt, so a
token is only good with its own session. Before sign-in the cookie holds the nonce alone, which
protects the sign-in form too.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from fastapi import Request, Response
from itsdangerous import BadSignature, Signer, URLSafeTimedSerializer

from callvault.api.auth import services_of
from callvault.domain.errors import AccessDenied, AuthenticationFailed
from callvault.services import console_sessions
from callvault.services.auth import Principal

COOKIE = "callvault_session"
SESSION_SECONDS = int(console_sessions.SESSION_LIFETIME.total_seconds())
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class CsrfRejected(AccessDenied):
    pass


@dataclass(frozen=True)
class ConsoleSession:
    nonce: str
    session_id: str | None = None  # None before sign-in


def _key(request: Request) -> str:
    cached: str | None = getattr(request.app.state, "console_session_key", None)
    if cached is None:
        cached = console_sessions.session_key(services_of(request).store)
        request.app.state.console_session_key = cached
    return cached


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_key(request), salt="callvault-session")


def read_session(request: Request) -> ConsoleSession | None:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        data = _serializer(request).loads(raw, max_age=SESSION_SECONDS)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("n"), str):
        return None
    session_id = data.get("s")
    return ConsoleSession(nonce=data["n"], session_id=session_id if isinstance(session_id, str) else None)


def write_session(request: Request, response: Response, session: ConsoleSession) -> None:
    payload: dict[str, str] = {"n": session.nonce}
    if session.session_id:
        payload["s"] = session.session_id
    response.set_cookie(
        COOKIE,
        _serializer(request).dumps(payload),
        max_age=SESSION_SECONDS,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def clear_session(request: Request, response: Response) -> None:
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https"
    )


def anonymous_session(request: Request) -> ConsoleSession:
    """The visitor's current session, or a fresh nonce-only one (write it with the response)."""
    return read_session(request) or ConsoleSession(nonce=secrets.token_urlsafe(16))


def signed_in_session(session_id: str) -> ConsoleSession:
    """The cookie of a new server session (a fresh nonce, so no token from before sign-in stays good)."""
    return ConsoleSession(nonce=secrets.token_urlsafe(16), session_id=session_id)


def csrf_token(request: Request, session: ConsoleSession) -> str:
    return Signer(_key(request), salt="callvault-csrf").sign(session.nonce).decode()


async def require_csrf(request: Request, session: ConsoleSession | None) -> None:
    """403 unless the request carries the CSRF token of its own session."""
    token = request.headers.get(CSRF_HEADER)
    if token is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        token = value if isinstance(value, str) else None
    if session is None or not token:
        raise CsrfRejected("Missing CSRF token: reload the page and try again")
    try:
        nonce = Signer(_key(request), salt="callvault-csrf").unsign(token).decode()
    except BadSignature:
        raise CsrfRejected("Invalid CSRF token: reload the page and try again") from None
    if not secrets.compare_digest(nonce, session.nonce):
        raise CsrfRejected("Invalid CSRF token: reload the page and try again")


def session_principal(request: Request) -> tuple[Principal, ConsoleSession]:
    """The signed-in user of the console (401 when there is no live session)."""
    session = read_session(request)
    if session is None or not session.session_id:
        raise AuthenticationFailed("Sign in first")
    principal = console_sessions.session_principal(services_of(request).store, session.session_id)
    return principal, session
