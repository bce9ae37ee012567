"""Request bodies are capped while they arrive, before any route reads them whole.

A declared `Content-Length` over the cap is answered 413 at once; a chunked body is counted as it
is received and the route reading it gets `PayloadTooLarge` (413) the moment it passes the cap, so
nothing past the cap is read, spooled or parsed. Ingest uploads are capped at
`CALLVAULT_MAX_UPLOAD` plus the multipart framing; every other body (JSON, BXML) at
`CALLVAULT_MAX_REQUEST_BODY`.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from callvault.api.errors import error_response
from callvault.domain.errors import PayloadTooLarge
from callvault.domain.limits import MULTIPART_OVERHEAD_BYTES
from callvault.settings import Settings

_UPLOAD_PATH = re.compile(r"(/api/v2)?/ingest/accounts/[^/]+/calls/[^/]+/recordings")


def body_limit(settings: Settings, path: str) -> int:
    """The most bytes a request body to `path` may have."""
    if _UPLOAD_PATH.fullmatch(path):
        return settings.max_upload + MULTIPART_OVERHEAD_BYTES
    return settings.max_request_body


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The request body is larger than the {limit} byte limit of this endpoint")


def _body_framing(scope: Scope) -> tuple[bool, int | None]:
    """Whether the request has a body at all (RFC 9112 6.3: only with a `Content-Length` or a
    `Transfer-Encoding`), and its declared length (None when absent or not a number)."""
    has_body, declared = False, None
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            has_body, declared = True, int(value) if value.isdigit() else None
        elif name == b"transfer-encoding":
            has_body = True
    return has_body, declared


class BodyLimitMiddleware:
    """Pure ASGI middleware: 413 for a body over its endpoint's cap, decided while it arrives."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        has_body, declared = _body_framing(scope)
        if not has_body:  # nothing to count (most GETs)
            await self.app(scope, receive, send)
            return
        limit = body_limit(self.settings, scope["path"])
        if declared is not None and declared > limit:
            error = _too_large(limit)
            response = error_response(error.status, error.type, error.description, {"Connection": "close"})
            await response(scope, receive, send)
            return
        received = 0

        async def capped_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _too_large(limit)
            return message

        await self.app(scope, capped_receive, send)
