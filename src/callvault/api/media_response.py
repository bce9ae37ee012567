"""A recording's media over HTTP, shared by the API and the console: the `Range` header read into a
typed range (`domain.byte_ranges.ByteRange`), and the response for the whole media or that range."""

from __future__ import annotations

import re

from fastapi import Request
from fastapi.responses import StreamingResponse

from callvault.domain.byte_ranges import ByteRange
from callvault.services.recordings import MediaSlice

_ONE_RANGE = re.compile(r"(\d*)-(\d*)")
_BEYOND_ANY_MEDIA = 10**19


def _position(digits: str) -> int:
    """A byte position as written; one too long to be real is simply past the end (no huge ints)."""
    return int(digits) if len(digits) < 19 else _BEYOND_ANY_MEDIA


def parse_range(header: str | None) -> ByteRange | None:
    """A `Range` header -> the one byte range it asks for; None means the whole body (200).

    Ignored (whole body): no header, another unit, a malformed or invalid range such as `bytes=5-2`,
    and any request for several ranges (answering them with the whole body is allowed).
    """
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    match = _ONE_RANGE.fullmatch(spec.strip())
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.groups()
    if first == "":
        return ByteRange(suffix=_position(last))
    if last and _position(last) < _position(first):
        return None
    return ByteRange(first=_position(first), last=_position(last) if last else None)


def requested_range(request: Request) -> ByteRange | None:
    return parse_range(request.headers.get("range"))


def media_response(media: MediaSlice) -> StreamingResponse:
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": media.etag,
        "Content-Length": str(media.length) if media.total_size else "0",
        "Content-Disposition": f'attachment; filename="{media.filename}"',
    }
    if media.partial:
        headers["Content-Range"] = f"bytes {media.start}-{media.end}/{media.total_size}"
    status = 206 if media.partial else 200
    return StreamingResponse(media.chunks, status_code=status, media_type=media.content_type, headers=headers)
