"""The HTTP response for a recording's media (whole or one range), shared by the API and the console."""

from __future__ import annotations

from fastapi.responses import StreamingResponse

from callvault.services.recordings import MediaSlice


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
