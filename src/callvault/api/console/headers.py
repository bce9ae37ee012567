"""The console's security headers, set in this one place for every console response (pages, media,
JSON feeds, errors, assets): a Content-Security-Policy that allows only callvault's own scripts and
styles and no framing, `nosniff`, a same-origin Referrer-Policy, and `Cache-Control: no-store` on
everything but the public, content-hashed assets.

The one style callvault does not serve as a file is the `<style>` element wavesurfer.js puts in its
shadow root; it carries the per-response nonce that `csp_nonce` hands to the page.
"""

from __future__ import annotations

import secrets

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_NONCE_KEY = "callvault.csp_nonce"


def is_console_path(path: str) -> bool:
    return path in ("/", "/ui", "/favicon.ico") or path.startswith("/ui/")


def content_security_policy(nonce: str) -> str:
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            f"style-src 'self' 'nonce-{nonce}'",
            "img-src 'self'",
            "media-src 'self'",
            "connect-src 'self'",
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        )
    )


def csp_nonce(connection: HTTPConnection) -> str:
    """This response's nonce for the styles a script adds ('' outside the console)."""
    return str(connection.scope.get(_NONCE_KEY, ""))


class ConsoleHeadersMiddleware:
    """Pure ASGI middleware: adds the headers to the responses of the console's paths."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_console_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        scope[_NONCE_KEY] = nonce

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = content_security_policy(nonce)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                headers["Referrer-Policy"] = "same-origin"
                if not headers.get("cache-control", "").startswith("public"):
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
