"""Authentication (HTTP Basic with a user's password or an API credential, or an OAuth2 Bearer token
from /api/v1/oauth2/token), the one authorisation check (`permit`: the principal's role in the account
must grant the route's permission) and per-user rate limiting for the routes.

`permit` also notes what the request does for the access log; `api.access_log` records it with the
answer's status once the answer starts."""

from __future__ import annotations

import base64
import binascii
import math
import time
from functools import lru_cache

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.requests import HTTPConnection

from callvault.domain.audit import AccessEntry
from callvault.domain.errors import AuthenticationFailed, RateLimited
from callvault.domain.roles import Permission
from callvault.domain.timefmt import utcnow
from callvault.services.auth import Principal, sign_in_failure
from callvault.services.container import Services
from callvault.services.credentials import is_client_id

PENDING_ACCESS = "callvault.access"
"""Where `permit` leaves the request's access-log entry in the ASGI scope's state."""

_CHALLENGE = {"WWW-Authenticate": 'Basic realm="callvault"'}
_BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="callvault", error="invalid_token"'}


class RateLimiter:
    """`50/second`-style limits per user: in process memory, or shared through Redis."""

    def __init__(self, rate: str, redis_url: str | None) -> None:
        self._item: RateLimitItem = parse(rate)
        self.shared = redis_url is not None  # checking it is network I/O
        self._limiter = MovingWindowRateLimiter(storage_from_string(redis_url or "memory://"))

    def check(self, user: str) -> None:
        if self._limiter.hit(self._item, "callvault", user):
            return
        reset_at, _remaining = self._limiter.get_window_stats(self._item, "callvault", user)
        retry_after = max(1, math.ceil(reset_at - time.time()))
        raise RateLimited(
            f"Too many requests: the limit is {self._item}; try again in {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )


def _credentials(request: Request) -> tuple[str, str]:
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise AuthenticationFailed(
            "Missing credentials: use HTTP Basic authentication or an OAuth2 Bearer token", headers=_CHALLENGE
        )
    try:
        username, sep, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise AuthenticationFailed("Malformed Basic credentials", headers=_CHALLENGE) from None
    if not sep:
        raise AuthenticationFailed("Malformed Basic credentials", headers=_CHALLENGE)
    return username, password


def client_address(request: Request) -> str:
    """The peer's host as the server saw it (after uvicorn's proxy headers), read from the scope:
    `request.client` builds a named tuple on every call."""
    client = request.scope.get("client")
    return str(client[0]) if client else "unknown"


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _bearer_principal(request: Request) -> Principal | None:
    """The principal of an `Authorization: Bearer` token; None when the request uses another scheme."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    services = services_of(request)
    try:
        return services.tokens.verify(token.strip())
    except AuthenticationFailed as exc:
        services.audit.record(sign_in_failure("(bearer token)", client_address(request), exc.description))
        raise AuthenticationFailed(exc.description, headers=_BEARER_CHALLENGE) from None


def _basic_principal(services: Services, username: str, password: str, address: str) -> Principal:
    """A user's name and password, or an API credential's client_id and secret."""
    if is_client_id(username):
        return services.credentials.authenticate(username, password, address)
    return services.authenticator.authenticate(username, password, address)


def _cached_basic_principal(services: Services, username: str, password: str) -> Principal | None:
    if is_client_id(username):
        return services.credentials.cached(username, password)
    return services.authenticator.cached(username, password)


def authenticate(request: Request) -> Principal:
    services = services_of(request)
    principal = _bearer_principal(request)
    if principal is None:
        username, password = _credentials(request)
        try:
            principal = _basic_principal(services, username, password, client_address(request))
        except AuthenticationFailed as exc:
            raise AuthenticationFailed(exc.description, headers=_CHALLENGE) from None
    limiter: RateLimiter | None = request.app.state.rate_limiter
    if limiter is not None:
        limiter.check(principal.name)
    return principal


def _access_detail(request: Request) -> dict[str, str]:
    scope = request.scope
    detail = {"method": scope.get("method", "WEBSOCKET"), "path": scope["path"]}
    if scope.get("query_string"):
        detail["query"] = scope["query_string"].decode("latin-1")
    if byte_range := request.headers.get("range"):
        detail["range"] = byte_range
    return detail


def permit(request: Request, principal: Principal, account_id: str, permission: Permission) -> None:
    """The one authorisation check of the API, its WebSockets and streams, and the console: 403 unless
    the principal's role in the account grants `permission`. Notes the access for the access log
    (allowed or not; the answer's status is its result)."""
    if services_of(request).audit.enabled:
        params = request.path_params
        request.scope.setdefault("state", {})[PENDING_ACCESS] = AccessEntry(
            at=utcnow(),
            actor=principal.name,
            actor_kind=principal.kind,
            action=permission.value,
            result="",
            account_id=account_id,
            address=client_address(request),
            recording_id=params.get("recordingId"),
            call_id=params.get("callId"),
            detail=_access_detail(request),
        )
    principal.require(account_id, permission)


def note_recording(request: Request, recording_id: str) -> None:
    """Name the recording a request made (ingest) in its access-log entry."""
    pending: AccessEntry | None = request.scope.get("state", {}).get(PENDING_ACCESS)
    if pending is not None:
        request.scope["state"][PENDING_ACCESS] = pending._replace(recording_id=recording_id)


def authorize(request: Request, account_id: str, permission: Permission) -> Principal:
    """Authenticate, then `permit` (403 for another account, or a role without the permission)."""
    principal = authenticate(request)
    permit(request, principal, account_id, permission)
    return principal


async def authorize_async(request: Request, account_id: str, permission: Permission) -> Principal:
    """`authorize` for async routes: on the event loop when the credential is cached (no hashing, no
    I/O), else in the threadpool (so are Bearer tokens, whose user may need a database read)."""
    if request.headers.get("authorization", "").partition(" ")[0].lower() == "bearer":
        return await run_in_threadpool(authorize, request, account_id, permission)
    username, password = _credentials(request)
    services = services_of(request)
    principal = _cached_basic_principal(services, username, password)
    limiter: RateLimiter | None = request.app.state.rate_limiter
    if principal is None or (limiter is not None and limiter.shared):
        return await run_in_threadpool(authorize, request, account_id, permission)
    if limiter is not None:
        limiter.check(principal.name)
    permit(request, principal, account_id, permission)
    return principal


@lru_cache(maxsize=256)
def _root_url(scheme: str, host: bytes | None, server: tuple[str, int] | None, root_path: str) -> str:
    """Starlette's base URL of a request with these parts, without its trailing slash (most requests
    share their parts, so it is worked out once for them)."""
    headers = [(b"host", host)] if host is not None else []
    scope = {
        "type": "http",
        "scheme": scheme,
        "server": server,
        "root_path": root_path,
        "path": "/",
        "headers": headers,
    }
    return str(HTTPConnection(scope).base_url).rstrip("/")


def base_url(request: Request) -> str:
    """The caller's prefix: `http://host:port` or `http://host:port/api/v2`."""
    configured = services_of(request).settings.public_url
    if configured:
        root = configured.rstrip("/")
    else:
        scope = request.scope
        host = next((value for name, value in scope["headers"] if name == b"host"), None)
        server = tuple(scope["server"]) if scope.get("server") else None
        root = _root_url(
            scope.get("scheme", "http"), host, server, scope.get("app_root_path", scope.get("root_path", ""))
        )
    if request.scope["path"].startswith("/api/v2/"):
        return f"{root}/api/v2"
    return root
