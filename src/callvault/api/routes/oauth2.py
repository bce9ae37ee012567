"""The OAuth2 token endpoint (client-credentials grant) at Bandwidth's path, `/api/v1/oauth2/token`.

Client authentication is HTTP Basic `client_id:client_secret` (RFC 6749 §2.3.1), or the two as form
fields; the body is `application/x-www-form-urlencoded` with `grant_type=client_credentials`. Errors
are RFC 6749 §5.2 JSON: `{"error": "invalid_request" | "invalid_client" | "unsupported_grant_type",
"error_description": ...}`.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from callvault.api.auth import client_address, services_of
from callvault.domain.errors import InvalidClient, InvalidOAuthRequest, OAuthError, UnsupportedGrantType

router = APIRouter()

TOKEN_PATH = "/api/v1/oauth2/token"
FORM_TYPE = "application/x-www-form-urlencoded"
MAX_FORM_BYTES = 8192
_NO_CACHE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oauth_error_response(error: OAuthError) -> JSONResponse:
    headers = dict(_NO_CACHE)
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="callvault"'
    body = {"error": error.error, "error_description": error.description}
    return JSONResponse(body, status_code=error.status, headers=headers)


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if not header:
        return None
    if scheme.lower() != "basic" or not encoded.strip():
        raise InvalidClient("Client authentication must use HTTP Basic")
    try:
        client_id, sep, secret = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidClient("Malformed Basic client credentials") from None
    if not sep:
        raise InvalidClient("Malformed Basic client credentials")
    return client_id, secret


async def _form(request: Request) -> dict[str, str]:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != FORM_TYPE:
        raise InvalidOAuthRequest(f"Send the token request as {FORM_TYPE}")
    raw = await request.body()
    if len(raw) > MAX_FORM_BYTES:
        raise InvalidOAuthRequest("The token request body is too large")
    try:
        pairs = parse_qsl(raw.decode(), keep_blank_values=True, strict_parsing=bool(raw))
    except (ValueError, UnicodeDecodeError):
        raise InvalidOAuthRequest("Malformed form body") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise InvalidOAuthRequest(f"Parameter {name!r} is repeated")
        form[name] = value
    return form


def _client(request: Request, form: dict[str, str]) -> tuple[str, str]:
    from_header = _basic_credentials(request.headers.get("authorization", ""))
    in_body = "client_id" in form or "client_secret" in form
    if from_header and in_body:
        raise InvalidOAuthRequest("Use one client authentication method: Basic or form fields, not both")
    if from_header:
        return from_header
    if in_body:
        return form.get("client_id", ""), form.get("client_secret", "")
    raise InvalidClient("Missing client credentials: send HTTP Basic client_id:client_secret")


@router.post(TOKEN_PATH)
async def issue_token(request: Request) -> JSONResponse:
    try:
        form = await _form(request)
        grant_type = form.get("grant_type")
        if not grant_type:
            raise InvalidOAuthRequest("Missing grant_type: use grant_type=client_credentials")
        client_id, client_secret = _client(request, form)
        if grant_type != "client_credentials":
            raise UnsupportedGrantType(f"Unsupported grant_type {grant_type[:64]!r}: use client_credentials")
        issued = await run_in_threadpool(
            services_of(request).tokens.issue, client_id, client_secret, client_address(request)
        )
    except OAuthError as error:
        return oauth_error_response(error)
    body = {
        "access_token": issued.access_token,
        "token_type": issued.token_type,
        "expires_in": issued.expires_in,
    }
    return JSONResponse(body, headers=_NO_CACHE)
