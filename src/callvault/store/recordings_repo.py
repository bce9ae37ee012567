"""SQL for recordings and transcriptions."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from callvault.domain.recordings import RecordingFilter
from callvault.domain.records import Recording, Transcription, TranscriptionRequest
from callvault.store.tables import recordings, transcriptions

_RECORDING_FIELDS = {f.name for f in dataclasses.fields(Recording)}
_TRANSCRIPTION_FIELDS = {f.name for f in dataclasses.fields(Transcription)}


class DuplicateRecording(Exception):
    pass


def _recording(row: Any) -> Recording:
    data = {k: v for k, v in row._mapping.items() if k in _RECORDING_FIELDS}
    return Recording(**data)


def _transcription(row: Any) -> Transcription:
    data = {k: v for k, v in row._mapping.items() if k in _TRANSCRIPTION_FIELDS}
    data["request"] = TranscriptionRequest.from_json(data["request"] or {})
    return Transcription(**data)


def insert_recording(conn: Connection, recording: Recording) -> Recording:
    values = {k: v for k, v in dataclasses.asdict(recording).items() if k != "id"}
    try:
        with conn.begin_nested():
            result = conn.execute(insert(recordings).values(**values))
    except IntegrityError as exc:
        raise DuplicateRecording(recording.recording_id) from exc
    return dataclasses.replace(
        recording, id=result.inserted_primary_key[0] if result.inserted_primary_key else None
    )


_MEDIA_FIELDS = (
    "channels",
    "sample_rate",
    "end_time",
    "duration_seconds",
    "media_key",
    "media_size",
    "media_sha256",
)


def fill_empty_recording(conn: Connection, recording: Recording) -> tuple[Recording, str | None] | None:
    """Give the stored row of ``recording`` its media if that row is an empty `partial` one (no audio);
    the filled row and the media key it named before, or None."""
    existing = get_recording_by_id(conn, recording.recording_id)
    if existing is None or existing.status != "partial" or existing.duration_seconds:
        return None
    conn.execute(
        update(recordings)
        .where(recordings.c.id == existing.id)
        .values(**{name: getattr(recording, name) for name in _MEDIA_FIELDS})
    )
    filled = get_recording_by_id(conn, recording.recording_id)
    assert filled is not None
    return filled, existing.media_key


def recording_exists(conn: Connection, recording_id: str) -> bool:
    query = select(recordings.c.id).where(recordings.c.recording_id == recording_id)
    return conn.execute(query).first() is not None


def named_media_keys(conn: Connection, keys: list[str]) -> set[str]:
    """Which of ``keys`` a recording row names as its media."""
    if not keys:
        return set()
    query = select(recordings.c.media_key).where(recordings.c.media_key.in_(keys))
    return {row.media_key for row in conn.execute(query)}


def get_recording(conn: Connection, account_id: str, call_id: str, recording_id: str) -> Recording | None:
    query = select(recordings).where(
        recordings.c.account_id == account_id,
        recordings.c.call_id == call_id,
        recordings.c.recording_id == recording_id,
    )
    row = conn.execute(query).first()
    return _recording(row) if row else None


def get_recording_by_id(conn: Connection, recording_id: str) -> Recording | None:
    row = conn.execute(select(recordings).where(recordings.c.recording_id == recording_id)).first()
    return _recording(row) if row else None


def list_recordings(conn: Connection, flt: RecordingFilter) -> list[Recording]:
    query = select(recordings).where(recordings.c.account_id == flt.account_id)
    if flt.to is not None:
        query = query.where(recordings.c.to_number == flt.to)
    if flt.from_ is not None:
        query = query.where(recordings.c.from_number == flt.from_)
    if flt.min_start_time is not None:
        query = query.where(recordings.c.start_time >= flt.min_start_time)
    if flt.max_start_time is not None:
        query = query.where(recordings.c.start_time < flt.max_start_time)
    query = query.order_by(recordings.c.start_time, recordings.c.id).limit(flt.limit)
    return [_recording(row) for row in conn.execute(query)]


def list_call_recordings(conn: Connection, account_id: str, call_id: str) -> list[Recording]:
    query = (
        select(recordings)
        .where(recordings.c.account_id == account_id, recordings.c.call_id == call_id)
        .order_by(recordings.c.start_time, recordings.c.id)
    )
    return [_recording(row) for row in conn.execute(query)]


def list_all_recordings(conn: Connection, *, after_id: int = 0, limit: int = 500) -> list[Recording]:
    query = select(recordings).where(recordings.c.id > after_id).order_by(recordings.c.id).limit(limit)
    return [_recording(row) for row in conn.execute(query)]


def delete_recording_row(conn: Connection, recording_id: str) -> None:
    conn.execute(delete(transcriptions).where(transcriptions.c.recording_id == recording_id))
    conn.execute(delete(recordings).where(recordings.c.recording_id == recording_id))


def clear_media(conn: Connection, recording_id: str) -> None:
    conn.execute(
        update(recordings)
        .where(recordings.c.recording_id == recording_id)
        .values(media_key=None, media_size=None, media_sha256=None)
    )


def get_transcription(conn: Connection, recording_id: str) -> Transcription | None:
    row = conn.execute(select(transcriptions).where(transcriptions.c.recording_id == recording_id)).first()
    return _transcription(row) if row else None


def transcriptions_for(conn: Connection, recording_ids: list[str]) -> dict[str, Transcription]:
    if not recording_ids:
        return {}
    query = select(transcriptions).where(transcriptions.c.recording_id.in_(recording_ids))
    return {row.recording_id: _transcription(row) for row in conn.execute(query)}


def put_transcription_request(
    conn: Connection, recording_id: str, transcription_id: str, request: TranscriptionRequest, now: datetime
) -> None:
    """Create the recording's transcription, or supersede the previous one, in status `processing`."""
    values = {
        "transcription_id": transcription_id,
        "status": "processing",
        "request": request.to_json(),
        "requested_at": now,
        "completed_time": None,
        "result": None,
        "language": None,
        "error": None,
    }
    updated = conn.execute(
        update(transcriptions).where(transcriptions.c.recording_id == recording_id).values(**values)
    )
    if updated.rowcount == 0:
        conn.execute(insert(transcriptions).values(recording_id=recording_id, **values))


def finish_transcription(
    conn: Connection,
    transcription_id: str,
    *,
    status: str,
    completed_time: datetime,
    result: dict[str, Any] | None,
    language: str | None,
    error: str | None,
) -> bool:
    """Record the outcome unless the transcription was deleted or superseded meanwhile."""
    updated = conn.execute(
        update(transcriptions)
        .where(transcriptions.c.transcription_id == transcription_id, transcriptions.c.status == "processing")
        .values(status=status, completed_time=completed_time, result=result, language=language, error=error)
    )
    return updated.rowcount == 1


def delete_transcription(conn: Connection, recording_id: str) -> bool:
    deleted = conn.execute(delete(transcriptions).where(transcriptions.c.recording_id == recording_id))
    return deleted.rowcount > 0


def get_transcription_by_id(conn: Connection, transcription_id: str) -> Transcription | None:
    query = select(transcriptions).where(transcriptions.c.transcription_id == transcription_id)
    row = conn.execute(query).first()
    return _transcription(row) if row else None
