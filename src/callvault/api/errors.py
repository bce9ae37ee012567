"""One error envelope for every non-2xx answer: {"type", "description", "id"}."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import Match

from callvault.domain.errors import (
    InternalError,
    MethodNotAllowed,
    NotFound,
    ValidationFailed,
    VoiceApiError,
    error_class_for_status,
)

log = logging.getLogger("callvault.api")

MAX_DESCRIPTION = 300


def error_response(
    status: int, error_type: str, description: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    error_id = str(uuid.uuid4())
    if len(description) > MAX_DESCRIPTION:  # descriptions quote request values, which may be huge
        description = description[: MAX_DESCRIPTION - 1] + "…"
    body = {"type": error_type, "description": description, "id": error_id}
    return JSONResponse(body, status_code=status, headers=headers)


def _field_name(error: dict[str, Any]) -> str:
    loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "header")]
    return ".".join(loc) or "body"


def voice_error_response(exc: VoiceApiError) -> JSONResponse:
    """The envelope of a domain error, with its status and headers."""
    return error_response(exc.status, exc.type, exc.description, exc.headers)


async def _voice_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, VoiceApiError)
    return voice_error_response(exc)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    if first.get("type") == "json_invalid":
        return error_response(400, "validation", "Malformed JSON in the request body")
    return error_response(400, "validation", f"Invalid field {_field_name(first)!r}: {first.get('msg', '')}")


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    allowed = []
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return ", ".join(allowed)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    headers = dict(exc.headers or {})
    if status == MethodNotAllowed.status:
        headers["Allow"] = allowed_methods(request)
    descriptions = {
        NotFound.status: "Not found: no such path",
        MethodNotAllowed.status: "Method not allowed on this path",
    }
    description = descriptions.get(status, str(exc.detail))
    return error_response(status, error_class_for_status(status).type, description, headers)


async def _client_gone(request: Request, exc: Exception) -> JSONResponse:
    """The client closed the connection before its body ended: one line, no traceback; the answer is
    never read, but the request's handlers have unwound (no partial upload is kept)."""
    assert isinstance(exc, ClientDisconnect)
    log.warning("client went away before its body ended: %s %s", request.method, request.url.path)
    refused = ValidationFailed("The request body ended early: the client closed the connection")
    return voice_error_response(refused)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    error = InternalError("An unexpected error occurred; it has been logged")
    return error_response(error.status, error.type, error.description)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(VoiceApiError, _voice_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(ClientDisconnect, _client_gone)
    app.add_exception_handler(Exception, _unexpected_error)
