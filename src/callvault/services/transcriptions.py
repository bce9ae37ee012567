"""Transcription requests: validation, the durable job, reads and deletes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from bandwidth.models import TranscribeRecording
from callvault.domain.errors import NotFound, ValidationFailed
from callvault.domain.ids import new_transcription_id
from callvault.domain.jobs import TRANSCRIBE_JOB
from callvault.domain.records import Recording, Transcription, TranscriptionRequest
from callvault.domain.timefmt import utcnow
from callvault.domain.urls import require_callback_url
from callvault.services.media_keys import require_unsealed
from callvault.services.recordings import remove_transcription, require_recording
from callvault.services.validation import parse_body
from callvault.store import jobs_repo, recordings_repo
from callvault.store.database import MetadataStore


def parse_request(body: Any) -> TranscribeRecording:
    request = parse_body(TranscribeRecording, body)
    if request.callback_url is not None:
        require_callback_url(str(request.callback_url), "callbackUrl")
    redact_flag(request)
    return request


def redact_flag(request: TranscribeRecording) -> bool | None:
    """callvault's `redact` extension field: true, false, or absent (the account's policy decides)."""
    value = (request.additional_properties or {}).get("redact")
    if value is not None and not isinstance(value, bool):
        raise ValidationFailed("Invalid redact: true or false (callvault extension: PII redaction)")
    return value


def request_transcription(
    store: MetadataStore,
    account_id: str,
    call_id: str,
    recording_id: str,
    request: TranscribeRecording,
    *,
    base_url: str,
) -> str:
    """Store the request and its job in one transaction; a newer request supersedes an older one."""
    method = request.callback_method.value if request.callback_method is not None else "POST"
    stored = TranscriptionRequest(
        base_url=base_url,
        callback_url=request.callback_url,
        callback_method="GET" if method.upper() == "GET" else "POST",
        username=request.username,
        password=request.password,
        tag=request.tag,
        callback_timeout=request.callback_timeout,
        detect_language=bool(request.detect_language),
        redact=redact_flag(request),
    )
    with store.write() as conn:
        recording = require_recording(conn, account_id, call_id, recording_id)
        if recording.media_key is None:
            raise NotFound(f"Recording {recording_id} has no media to transcribe")
        require_unsealed(conn, recording_id, recording.media_key)
        return add_transcription_request(conn, account_id, recording_id, stored)


def add_transcription_request(
    conn: Connection, account_id: str, recording_id: str, request: TranscriptionRequest
) -> str:
    """The request row and its job, in the caller's transaction (the recording has media)."""
    transcription_id = new_transcription_id()
    recordings_repo.put_transcription_request(
        conn, account_id, recording_id, transcription_id, request, utcnow()
    )
    jobs_repo.enqueue(conn, TRANSCRIBE_JOB, {"transcriptionId": transcription_id}, now=utcnow())
    return transcription_id


def get_transcription(
    store: MetadataStore, account_id: str, call_id: str, recording_id: str
) -> tuple[Recording, Transcription]:
    with store.read() as conn:
        recording = require_recording(conn, account_id, call_id, recording_id)
        transcription = recordings_repo.get_transcription(conn, account_id, recording_id)
    if transcription is None:
        raise NotFound(f"Recording {recording_id} has no transcription: request one with POST first")
    if transcription.status != "available" or transcription.result is None:
        raise NotFound(
            f"The transcription of recording {recording_id} is not available: its status is "
            f"{transcription.status!r}"
        )
    return recording, transcription


def delete_transcription(store: MetadataStore, account_id: str, call_id: str, recording_id: str) -> None:
    """Remove the transcript and its search entries (409 while a legal hold covers the recording)."""
    with store.write() as conn:
        recording = require_recording(conn, account_id, call_id, recording_id)
        if not remove_transcription(conn, recording):
            raise NotFound(f"Recording {recording_id} has no transcription")
