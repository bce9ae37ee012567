"""Ingest: how a recorder, an import or a test puts a finished recording in (not in Bandwidth's API)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from callvault.api.auth import authorize, base_url, note_recording, services_of
from callvault.api.routes.common import require_content_type
from callvault.domain.errors import ValidationFailed
from callvault.domain.roles import Permission
from callvault.services.ingest import ingest_recording, parse_metadata
from callvault.services.wire import recording_json

router = APIRouter()


async def _metadata_text(value: str | UploadFile | None) -> str | bytes | None:
    if isinstance(value, UploadFile):
        return await value.read(1 << 20)
    return value


@router.post("/ingest/accounts/{accountId}/calls/{callId}/recordings", status_code=201)
async def ingest(request: Request, accountId: str, callId: str) -> JSONResponse:
    await run_in_threadpool(authorize, request, accountId, Permission.RECORD)
    services = services_of(request)
    require_content_type(
        request,
        lambda media_type: media_type == "multipart/form-data",
        "multipart/form-data with metadata and media parts",
    )
    async with request.form(max_files=2, max_fields=8) as form:
        media = form.get("media")
        if not isinstance(media, UploadFile):
            raise ValidationFailed("Missing media part: attach the WAV or MP3 file as 'media'")
        metadata = parse_metadata(await _metadata_text(form.get("metadata")))
        recording = await run_in_threadpool(
            lambda: ingest_recording(
                services.store,
                services.blobs,
                media_keys=services.media_keys,
                account_id=accountId,
                call_id=callId,
                metadata=metadata,
                media=media.file,
                max_upload=services.settings.max_upload,
            )
        )
    note_recording(request, recording.recording_id)
    services.telemetry.ingest_bytes.inc(recording.media_size or 0)
    body = recording_json(_api_base(request), recording, None)
    return JSONResponse(body, status_code=201)


def _api_base(request: Request) -> str:
    """Ingest is served beside the API; its answers point at the /api/v2 prefix when it was used."""
    return base_url(request)
