"""Authentication (HTTP Basic, or an OAuth2 Bearer token from /api/v1/oauth2/token), account
authorisation and per-user rate limiting for the routes."""

from __future__ import annotations

import base64
import binascii
import math
import time

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from callvault.domain.errors import AuthenticationFailed, RateLimited
from callvault.services.auth import Principal
from callvault.services.container import Services

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
    return request.client.host if request.client else "unknown"


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _bearer_principal(request: Request) -> Principal | None:
    """The principal of an `Authorization: Bearer` token; None when the request uses another scheme."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    try:
        return services_of(request).tokens.verify(token.strip())
    except AuthenticationFailed as exc:
        raise AuthenticationFailed(exc.description, headers=_BEARER_CHALLENGE) from None


def authenticate(request: Request) -> Principal:
    services = services_of(request)
    principal = _bearer_principal(request)
    if principal is None:
        username, password = _credentials(request)
        try:
            principal = services.authenticator.authenticate(username, password, client_address(request))
        except AuthenticationFailed as exc:
            raise AuthenticationFailed(exc.description, headers=_CHALLENGE) from None
    limiter: RateLimiter | None = request.app.state.rate_limiter
    if limiter is not None:
        limiter.check(principal.name)
    return principal


def authorize(request: Request, account_id: str) -> Principal:
    """Authenticate, then check that the user may use the account (403 for any other account id)."""
    principal = authenticate(request)
    principal.require_account(account_id)
    return principal


async def authorize_async(request: Request, account_id: str) -> Principal:
    """`authorize` for async routes: on the event loop when the credential is cached (no hashing, no
    I/O), else in the threadpool (so are Bearer tokens, whose user may need a database read)."""
    if request.headers.get("authorization", "").partition(" ")[0].lower() == "bearer":
        return await run_in_threadpool(authorize, request, account_id)
    username, password = _credentials(request)
    principal = services_of(request).authenticator.cached(username, password)
    limiter: RateLimiter | None = request.app.state.rate_limiter
    if principal is None or (limiter is not None and limiter.shared):
        return await run_in_threadpool(authorize, request, account_id)
    if limiter is not None:
        limiter.check(principal.name)
    principal.require_account(account_id)
    return principal


def base_url(request: Request) -> str:
    """The caller's prefix: `http://host:port` or `http://host:port/api/v2`."""
    configured = services_of(request).settings.public_url
    root = configured.rstrip("/") if configured else str(request.base_url).rstrip("/")
    if request.url.path.startswith("/api/v2/"):
        return f"{root}/api/v2"
    return root
