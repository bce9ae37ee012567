"""Pure ASGI middleware that records, in the access log, each request `api.auth.permit` noted: with
the status of the answer as its result, as soon as the answer starts (a WebSocket: when it is accepted
or refused), or `error` when the request failed without an answer."""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from callvault.api.auth import PENDING_ACCESS
from callvault.domain.audit import AccessEntry

_STARTS = {"http.response.start", "websocket.http.response.start"}


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return

        async def send_wrapper(message: Message) -> None:
            kind = message["type"]
            if kind in _STARTS:
                _record(scope, str(message["status"]))
            elif kind == "websocket.accept":
                _record(scope, "101")
            elif kind == "websocket.close":
                _record(scope, f"closed {message.get('code', 1000)}")
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            _record(scope, "error")


def _record(scope: Scope, result: str) -> None:
    state: dict[str, Any] | None = scope.get("state")
    if not state:
        return
    entry: AccessEntry | None = state.pop(PENDING_ACCESS, None)
    if entry is not None:
        scope["app"].state.services.audit.record(entry.finished(result))
