"""Small helpers shared by the route modules."""

from __future__ import annotations

import json
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import JSONResponse

from callvault.domain.errors import UnsupportedMediaType, ValidationFailed


class WireJSONResponse(JSONResponse):
    """A JSONResponse rendered by orjson: byte for byte what Starlette's json.dumps writes for content made
    of strings, integers, booleans, lists and objects (no floats: their spelling can differ), about ten
    times faster, which a list of 1,000 recordings feels."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def is_json_content_type(value: str | None) -> bool:
    media_type = (value or "").split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


async def read_json(request: Request) -> Any:
    """The request's JSON body: 415 for another content type, 400 for malformed JSON."""
    if not is_json_content_type(request.headers.get("content-type")):
        raise UnsupportedMediaType(
            f"Unsupported Content-Type {request.headers.get('content-type')!r}: send application/json"
        )
    raw = await request.body()
    if not raw.strip():
        raise ValidationFailed("Missing request body: expected a JSON object")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed("Malformed JSON in the request body") from None
