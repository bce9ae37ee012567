"""Ingest: how a recorder, an import or a test puts a finished recording in (not in Bandwidth's API)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from callvault.api.auth import authorize, base_url, note_recording, services_of
from callvault.api.routes.common import require_content_type
from callvault.api.streamed_upload import METADATA_PART, read_upload
from callvault.domain.roles import Permission
from callvault.services.ingest import record_ingested, require_call_id, store_media
from callvault.services.wire import recording_json

router = APIRouter()


@router.post("/ingest/accounts/{accountId}/calls/{callId}/recordings", status_code=201)
async def ingest(request: Request, accountId: str, callId: str) -> JSONResponse:
    await run_in_threadpool(authorize, request, accountId, Permission.RECORD)
    services = services_of(request)
    require_content_type(
        request,
        lambda media_type: media_type == "multipart/form-data",
        "multipart/form-data with metadata and media parts",
    )
    require_call_id(callId)
    upload = await read_upload(
        request,
        lambda pieces: store_media(services.blobs, pieces, max_upload=services.settings.max_upload),
    )
    recording = await run_in_threadpool(
        lambda: record_ingested(
            services.store,
            services.blobs,
            upload.stored,
            account_id=accountId,
            call_id=callId,
            metadata=upload.fields.get(METADATA_PART),
            media_keys=services.media_keys,
        )
    )
    note_recording(request, recording.recording_id)
    services.telemetry.ingest_bytes.inc(recording.media_size or 0)
    body = recording_json(_api_base(request), recording, None)
    return JSONResponse(body, status_code=201)


def _api_base(request: Request) -> str:
    """Ingest is served beside the API; its answers point at the /api/v2 prefix when it was used."""
    return base_url(request)
