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


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class BodyLimitMiddleware:
    """Pure ASGI middleware: 413 for a body over its endpoint's cap, decided while it arrives."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(self.settings, scope["path"])
        declared = _declared_length(scope)
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
