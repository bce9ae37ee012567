"""Live-call endpoints: recording state (document) and the calls subset callvault simulates."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError

from bandwidth.models import UpdateCallRecording
from callvault.api.auth import authorize, services_of
from callvault.api.routes.common import read_json
from callvault.domain.errors import ValidationFailed
from callvault.domain.ids import require_id
from callvault.services import calls as call_service

router = APIRouter()


def parse_update_recording(body: object) -> UpdateCallRecording:
    if not isinstance(body, dict):
        raise ValidationFailed("Invalid request body: expected a JSON object")
    try:
        update = UpdateCallRecording.from_dict(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "body"
        raise ValidationFailed(
            f"Invalid field {field!r}: {first['msg']} (state must be 'paused' or 'recording')"
        ) from None
    if update is None:
        raise ValidationFailed("Invalid request body: expected a JSON object")
    return update


@router.put("/accounts/{accountId}/calls/{callId}/recording")
async def update_call_recording_state(request: Request, accountId: str, callId: str) -> Response:  # noqa: N803
    await run_in_threadpool(authorize, request, accountId)
    require_id(callId, "callId")
    update = parse_update_recording(await read_json(request))
    state = update.state.value if hasattr(update.state, "value") else str(update.state)
    await run_in_threadpool(call_service.set_recording_state, services_of(request), accountId, callId, state)
    return Response(status_code=200)
