"""Calls that run elsewhere and are recorded here: a SIPREC session, or a CPaaS platform's media
stream (their audio arrives through ``services.live_audio``). Each becomes an ordinary callvault
call with an active recording, so the Recordings API, ``PUT .../recording`` (pause/resume),
hang-up, webhooks and transcription treat it like any other.

The recording takes the account's recording settings (``callvault accounts recording``); its
``source`` keeps where the audio came from (see :mod:`callvault.domain.sources`).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from callvault.domain.errors import Conflict, ValidationFailed
from callvault.domain.ids import is_valid_id, new_call_id, new_recording_id
from callvault.domain.records import ActiveRecording, Call
from callvault.domain.timefmt import utcnow
from callvault.services.container import Services
from callvault.services.siprec_failover import resume_failed_over_call
from callvault.store import calls_repo, sources_repo

__all__ = ["open_recorded_call", "public_base_url"]


def public_base_url(services: Services) -> str:
    """The base of URLs in webhooks when no HTTP request says it: CALLVAULT_PUBLIC_URL, else the
    address the HTTP server listens on."""
    settings = services.settings
    return (settings.public_url or f"http://{settings.host}:{settings.port}").rstrip("/")


def open_recorded_call(
    services: Services,
    account_id: str,
    *,
    call_id: str | None,
    from_number: str | None,
    to_number: str | None,
    direction: str | None,
    start_time: datetime | None,
    source: dict[str, Any],
) -> tuple[Call, bool]:
    """An active call with an active recording, in one transaction. `call_id` None: a new id;
    otherwise the platform's own id (409 when callvault already has that call and it has ended).
    `start_time` is the call's; its recording starts now. Also says whether the call is new. A SIPREC
    session re-established after its process died goes on with its call (``siprec_failover``)."""
    if call_id is not None and not is_valid_id(call_id):
        raise ValidationFailed(f"call id {call_id[:64]!r} is not 1-128 letters, digits, '-' or '_'")
    now = utcnow()
    session_id = (
        str(source["sessionId"]) if source.get("type") == "siprec" and source.get("sessionId") else None
    )
    stream_id = source.get("streamId") or source.get("streamSid")
    call = Call(
        call_id=call_id or new_call_id(),
        account_id=account_id,
        direction=direction if direction in ("inbound", "outbound") else "inbound",
        state="active",
        start_time=start_time or now,
        from_number=from_number,
        to_number=to_number,
        answer_time=now,
        recording_state="recording",
        source=source,
        siprec_session_id=session_id[:256] if session_id else None,
        stream_id=str(stream_id)[:256] if stream_id else None,
    )
    with services.store.write() as conn:
        active = _active_recording(services, conn, account_id, now, source)
        if not _has_earlier_call(conn, account_id, session_id):
            return _insert_call(conn, dataclasses.replace(call, recording=active))
    assert session_id is not None
    resumed = resume_failed_over_call(services, account_id, session_id, active)
    if resumed is not None:
        return resumed, True
    with services.store.write() as conn:
        return _insert_call(conn, dataclasses.replace(call, recording=active))


def _has_earlier_call(conn: Connection, account_id: str, session_id: str | None) -> bool:
    """Whether the SIPREC session had a call before, which it may go on with (``siprec_failover``
    decides); rare, so the new call's transaction only looks."""
    return session_id is not None and bool(
        calls_repo.find_siprec_calls(conn, account_id, session_id, limit=1)
    )


def _insert_call(conn: Connection, call: Call) -> tuple[Call, bool]:
    """The new call, or the active call of that id when the platform reconnected its stream (409
    when that call has ended)."""
    existing = calls_repo.get_call(conn, call.account_id, call.call_id)
    if existing is not None:
        if existing.state == "active":
            return existing, False
        raise Conflict(f"call {call.call_id} has ended")
    calls_repo.insert_call(conn, call)
    return call, True


def _active_recording(
    services: Services, conn: Connection, account_id: str, now: datetime, source: dict[str, Any]
) -> ActiveRecording:
    """A new recording of the account's recording settings, starting `now`."""
    settings = sources_repo.get_recording_settings(conn, account_id)
    return ActiveRecording(
        recording_id=new_recording_id(),
        start_time=now,
        base_url=public_base_url(services),
        file_format=settings.file_format,
        multi_channel=settings.multi_channel,
        recording_available_url=settings.recording_available_url,
        recording_available_method=settings.recording_available_method,
        username=settings.username,
        password=settings.password,
        tag=settings.tag,
        transcribe=settings.transcribe,
        transcription_available_url=settings.transcription_available_url,
        transcription_available_method=settings.transcription_available_method,
        detect_language=settings.detect_language,
        source=source,
    )
