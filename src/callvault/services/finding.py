"""Finding recordings: transcript search, keyset pages and counts (callvault extensions to the list)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from callvault.domain.paging import PageCursor, PageRequest, encode_token
from callvault.domain.recordings import LIST_LIMIT, RecordingFilter
from callvault.domain.records import Recording, TranscriptionState
from callvault.domain.search import TranscriptHit, TranscriptQuery
from callvault.services import wire
from callvault.store import recording_lists, recordings_repo, search_repo
from callvault.store.database import MetadataStore


@dataclass(frozen=True)
class RecordingPage:
    """One page of recordings with their transcriptions (the console's list); `next_token` is None on the
    last page."""

    rows: list[tuple[Recording, TranscriptionState | None]]
    next_token: str | None


def list_page(store: MetadataStore, flt: RecordingFilter, page: PageRequest) -> RecordingPage:
    with store.read() as conn:
        found = recording_lists.list_recordings_page(conn, flt, page)
        rows = found[: page.size]
        transcriptions = recordings_repo.transcription_states_for(
            conn, flt.account_id, [r.recording_id for r in rows]
        )
    next_token = None
    if len(found) > page.size:
        last = rows[-1]
        assert last.id is not None
        next_token = encode_token(PageCursor(last.start_time, last.id), page.newest_first)
    return RecordingPage([(r, transcriptions.get(r.recording_id)) for r in rows], next_token)


def list_page_json(
    store: MetadataStore, flt: RecordingFilter, page: PageRequest, base_url: str
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the API's list as wire JSON (read as wire rows, like the whole list), and the next
    page's token (None on the last page)."""
    rows, cursor = recording_lists.list_recording_rows_page(store, flt, page, wire.RECORDING_WIRE_COLUMNS)
    token = encode_token(cursor, page.newest_first) if cursor is not None else None
    return wire.recording_rows_json(base_url, rows), token


def count_recordings(store: MetadataStore, flt: RecordingFilter, *, up_to: int = LIST_LIMIT) -> int:
    """The number of matching recordings, or `up_to` when there are at least that many."""
    with store.read() as conn:
        return recording_lists.count_recordings(conn, flt, up_to=up_to)


def search(
    store: MetadataStore, flt: RecordingFilter, query: TranscriptQuery, limit: int
) -> list[tuple[TranscriptHit, TranscriptionState | None]]:
    """Recordings whose transcript matches, best first, one hit (the best clip) per recording."""
    with store.read() as conn:
        hits = search_repo.search_recordings(conn, flt, query, limit)
        transcriptions = recordings_repo.transcription_states_for(
            conn, flt.account_id, [h.recording.recording_id for h in hits]
        )
    return [(hit, transcriptions.get(hit.recording.recording_id)) for hit in hits]


def matching_clips(
    store: MetadataStore, account_id: str, recording_id: str, query: TranscriptQuery
) -> set[int]:
    with store.read() as conn:
        return search_repo.matching_clip_indexes(conn, account_id, recording_id, query)
