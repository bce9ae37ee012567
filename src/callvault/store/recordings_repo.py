"""SQL for recordings and transcriptions."""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    bindparam,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from callvault.domain.ids import is_valid_id
from callvault.domain.records import Recording, Transcription, TranscriptionRequest, TranscriptionState
from callvault.store import peaks_repo, search_index
from callvault.store.database import DriverSelect, MetadataStore
from callvault.store.tables import recordings, transcriptions

_TRANSCRIPTION_FIELDS = {f.name for f in dataclasses.fields(Transcription)}


_RECORDING_NAMES = [f.name for f in dataclasses.fields(Recording)]
_RECORDING_VALUES_AT = operator.itemgetter(
    *[[c.name for c in recordings.c].index(n) for n in _RECORDING_NAMES]
)
"""A recording row's values in the order of Recording's fields (every field is a column)."""


def recording_from_row(row: Any) -> Recording:
    """A row of select(recordings) (or one that starts with its columns) as a Recording, filled in
    directly: a frozen dataclass's __init__ sets each of its 30 fields through object.__setattr__, which
    costs twice as much as the rest of reading a list's row (Recording has no __post_init__)."""
    recording: Recording = object.__new__(Recording)
    recording.__dict__.update(zip(_RECORDING_NAMES, _RECORDING_VALUES_AT(row), strict=True))
    return recording


class DuplicateRecording(Exception):
    pass


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
    existing = get_recording_by_id(conn, recording.account_id, recording.recording_id)
    if existing is None or existing.status != "partial" or existing.duration_seconds:
        return None
    conn.execute(
        update(recordings)
        .where(recordings.c.id == existing.id)
        .values(**{name: getattr(recording, name) for name in _MEDIA_FIELDS})
    )
    filled = get_recording_by_id(conn, recording.account_id, recording.recording_id)
    assert filled is not None
    return filled, existing.media_key


def replace_continued_recording(conn: Connection, recording: Recording) -> Recording | None:
    """Give a stored recording the media, length, status and source of its continuation (a SIPREC
    session that failed over); the row as stored now, or None when there is no such row."""
    peaks_repo.delete_peaks(conn, recording.account_id, recording.recording_id)
    fields = (*_MEDIA_FIELDS, "status", "source")
    conn.execute(
        update(recordings)
        .where(_recording_is(recording.account_id, recording.recording_id))
        .values(**{name: getattr(recording, name) for name in fields})
    )
    return get_recording_by_id(conn, recording.account_id, recording.recording_id)


def _recording_is(account_id: str, recording_id: str) -> Any:
    return (recordings.c.account_id == account_id) & (recordings.c.recording_id == recording_id)


def _transcription_of(account_id: str, recording_id: str) -> Any:
    return (transcriptions.c.account_id == account_id) & (transcriptions.c.recording_id == recording_id)


def recording_exists(conn: Connection, account_id: str, recording_id: str) -> bool:
    query = select(recordings.c.id).where(_recording_is(account_id, recording_id))
    return conn.execute(query).first() is not None


def named_media_keys(conn: Connection, keys: list[str]) -> set[str]:
    """Which of ``keys`` a recording row names as its media."""
    if not keys:
        return set()
    named = select(recordings.c.media_key).where(recordings.c.media_key.in_(keys))
    kept_originals = select(recordings.c.original_media_key).where(recordings.c.original_media_key.in_(keys))
    return {row[0] for row in conn.execute(named.union(kept_originals))}


def get_recording(conn: Connection, account_id: str, call_id: str, recording_id: str) -> Recording | None:
    if not (is_valid_id(call_id) and is_valid_id(recording_id)):
        return None
    query = select(recordings).where(
        recordings.c.account_id == account_id,
        recordings.c.call_id == call_id,
        recordings.c.recording_id == recording_id,
    )
    row = conn.execute(query).first()
    return recording_from_row(row) if row else None


WITH_TRANSCRIPTION = recordings.outerjoin(
    transcriptions,
    (transcriptions.c.account_id == recordings.c.account_id)
    & (transcriptions.c.recording_id == recordings.c.recording_id),
)
"""Each recording with its transcription, when it has one (the reads here, the lists in `recording_lists`)."""


def wire_rows(columns: Sequence[str], *more: ColumnElement[Any]) -> Select[Any]:
    """Each recording's `columns`, then its transcription's id, status and completed time (NULL when
    it has none), then `more`: the wire rows of the API's GET here and the lists in `recording_lists`."""
    return select(
        *(recordings.c[name] for name in columns),
        transcriptions.c.transcription_id,
        transcriptions.c.status,
        transcriptions.c.completed_time,
        *more,
    ).select_from(WITH_TRANSCRIPTION)


_RECORDING_AND_TRANSCRIPTION = select(
    recordings, *[c.label(f"transcription_{c.name}") for c in transcriptions.c]
).select_from(WITH_TRANSCRIPTION)
"""One row per recording: its columns, then its transcription's (NULL when it has none)."""
_TRANSCRIPTION_AT = [
    (c.name, len(recordings.c) + i) for i, c in enumerate(transcriptions.c) if c.name in _TRANSCRIPTION_FIELDS
]
_TRANSCRIPTION_ID_AT = len(recordings.c) + list(transcriptions.c).index(transcriptions.c.transcription_id)


def _recording_and_transcription(row: Any) -> tuple[Recording, Transcription | None]:
    """A row of _RECORDING_AND_TRANSCRIPTION, read by position (the API's lists read 1,000 at a time)."""
    recording = recording_from_row(row)
    if row[_TRANSCRIPTION_ID_AT] is None:
        return recording, None
    data = {name: row[i] for name, i in _TRANSCRIPTION_AT}
    data["request"] = TranscriptionRequest.from_json(data["request"] or {})
    return recording, Transcription(**data)


_ONE_RECORDING = (
    recordings.c.account_id == bindparam("account_id"),
    recordings.c.call_id == bindparam("call_id"),
    recordings.c.recording_id == bindparam("recording_id"),
)
_ONE_RECORDING_AND_TRANSCRIPTION = DriverSelect(_RECORDING_AND_TRANSCRIPTION.where(*_ONE_RECORDING))
_ONE_WIRE_ROWS: dict[tuple[str, ...], DriverSelect] = {}
"""The API's GET (its hottest read) of each set of wire columns, compiled once and run on the driver's
cursor."""


def get_recording_with_transcription(
    store: MetadataStore, account_id: str, call_id: str, recording_id: str
) -> tuple[Recording, Transcription | None] | None:
    """A recording and its transcription (if any) in one query; None without a query for ids that
    cannot have been stored."""
    if not (is_valid_id(call_id) and is_valid_id(recording_id)):
        return None
    row = store.first_row(_ONE_RECORDING_AND_TRANSCRIPTION, _recording_key(account_id, call_id, recording_id))
    return _recording_and_transcription(row) if row else None


async def get_recording_wire_row_async(
    store: MetadataStore, account_id: str, call_id: str, recording_id: str, columns: Sequence[str]
) -> tuple[Any, ...] | None:
    """The `columns` of one recording, then its transcription's id, status and completed time (NULL when
    it has none), as the driver gives them: a list's row (`recording_lists.list_recording_rows`) for the
    API's GET, on the event loop (see `MetadataStore.first_row_async`). None without a query for ids
    that cannot have been stored."""
    if not (is_valid_id(call_id) and is_valid_id(recording_id)):
        return None
    statement = _ONE_WIRE_ROWS.get(tuple(columns))
    if statement is None:
        statement = _ONE_WIRE_ROWS[tuple(columns)] = DriverSelect(wire_rows(columns).where(*_ONE_RECORDING))
    return await store.first_row_async(
        statement, _recording_key(account_id, call_id, recording_id), convert=False
    )


def _recording_key(account_id: str, call_id: str, recording_id: str) -> dict[str, str]:
    return {"account_id": account_id, "call_id": call_id, "recording_id": recording_id}


def get_recording_by_id(conn: Connection, account_id: str, recording_id: str) -> Recording | None:
    row = conn.execute(select(recordings).where(_recording_is(account_id, recording_id))).first()
    return recording_from_row(row) if row else None


def list_call_recordings(conn: Connection, account_id: str, call_id: str) -> list[Recording]:
    if not is_valid_id(call_id):
        return []
    query = (
        select(recordings)
        .where(recordings.c.account_id == account_id, recordings.c.call_id == call_id)
        .order_by(recordings.c.start_time, recordings.c.id)
    )
    return [recording_from_row(row) for row in conn.execute(query)]


def list_all_recordings(conn: Connection, *, after_id: int = 0, limit: int = 500) -> list[Recording]:
    query = select(recordings).where(recordings.c.id > after_id).order_by(recordings.c.id).limit(limit)
    return [recording_from_row(row) for row in conn.execute(query)]


def delete_recording_row(conn: Connection, account_id: str, recording_id: str) -> None:
    search_index.remove_clips(conn, account_id, recording_id)
    peaks_repo.delete_peaks(conn, account_id, recording_id)
    conn.execute(delete(transcriptions).where(_transcription_of(account_id, recording_id)))
    conn.execute(delete(recordings).where(_recording_is(account_id, recording_id)))


def clear_media(conn: Connection, account_id: str, recording_id: str) -> None:
    peaks_repo.delete_peaks(conn, account_id, recording_id)
    conn.execute(
        update(recordings)
        .where(_recording_is(account_id, recording_id))
        .values(
            media_key=None,
            media_size=None,
            media_sha256=None,
            original_media_key=None,
            original_media_size=None,
            original_media_sha256=None,
        )
    )


def replace_media(
    conn: Connection,
    account_id: str,
    recording_id: str,
    *,
    media: tuple[str, int, str],
    original: tuple[str, int, str] | None,
    at: datetime,
) -> None:
    """Name a redacted copy as the recording's media (key, size, sha256), and its original if kept."""
    peaks_repo.delete_peaks(conn, account_id, recording_id)
    key, size, sha256 = media
    kept_key, kept_size, kept_sha256 = original or (None, None, None)
    conn.execute(
        update(recordings)
        .where(_recording_is(account_id, recording_id))
        .values(
            media_key=key,
            media_size=size,
            media_sha256=sha256,
            original_media_key=kept_key,
            original_media_size=kept_size,
            original_media_sha256=kept_sha256,
            redacted_at=at,
        )
    )


def get_transcription(conn: Connection, account_id: str, recording_id: str) -> Transcription | None:
    row = conn.execute(select(transcriptions).where(_transcription_of(account_id, recording_id))).first()
    return _transcription(row) if row else None


def transcription_states_for(
    conn: Connection, account_id: str, recording_ids: list[str]
) -> dict[str, TranscriptionState]:
    if not recording_ids:
        return {}
    query = select(
        transcriptions.c.recording_id,
        transcriptions.c.transcription_id,
        transcriptions.c.status,
        transcriptions.c.completed_time,
    ).where(transcriptions.c.account_id == account_id, transcriptions.c.recording_id.in_(recording_ids))
    return {row[0]: TranscriptionState(row[1], row[2], row[3]) for row in conn.execute(query)}


def put_transcription_request(
    conn: Connection,
    account_id: str,
    recording_id: str,
    transcription_id: str,
    request: TranscriptionRequest,
    now: datetime,
) -> None:
    """Create the recording's transcription, or supersede the previous one, in status `processing`
    (the superseded transcript leaves the search index)."""
    search_index.remove_clips(conn, account_id, recording_id)
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
        update(transcriptions).where(_transcription_of(account_id, recording_id)).values(**values)
    )
    if updated.rowcount == 0:
        conn.execute(
            insert(transcriptions).values(account_id=account_id, recording_id=recording_id, **values)
        )


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
    """Record the outcome unless the transcription was deleted or superseded meanwhile; an available
    transcript's clips enter the search index in the same transaction."""
    updated = conn.execute(
        update(transcriptions)
        .where(transcriptions.c.transcription_id == transcription_id, transcriptions.c.status == "processing")
        .values(status=status, completed_time=completed_time, result=result, language=language, error=error)
    )
    if updated.rowcount != 1:
        return False
    if status == "available" and result:
        owner = conn.execute(
            select(transcriptions.c.recording_id, transcriptions.c.account_id).where(
                transcriptions.c.transcription_id == transcription_id
            )
        ).one()
        search_index.index_clips(
            conn,
            recording_id=owner.recording_id,
            account_id=owner.account_id,
            transcription_id=transcription_id,
            language=language,
            clips=list(result.get("clips", [])),
        )
    return True


def delete_transcription(conn: Connection, account_id: str, recording_id: str) -> bool:
    search_index.remove_clips(conn, account_id, recording_id)
    deleted = conn.execute(delete(transcriptions).where(_transcription_of(account_id, recording_id)))
    return deleted.rowcount > 0


def get_transcription_by_id(conn: Connection, transcription_id: str) -> Transcription | None:
    query = select(transcriptions).where(transcriptions.c.transcription_id == transcription_id)
    row = conn.execute(query).first()
    return _transcription(row) if row else None
