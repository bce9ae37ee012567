"""Transcript search and keyset pages in the store, on a real SQLite file and on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from callvault.domain.paging import PageCursor, PageRequest
from callvault.domain.recordings import RecordingFilter
from callvault.domain.records import Recording, TranscriptionRequest
from callvault.domain.search import parse_query
from callvault.store import migrate, recording_lists, recordings_repo, search_repo
from callvault.store.database import MetadataStore
from support import postgres
from support.needs import unavailable

ACCOUNT = "9900000"
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
REQUEST = TranscriptionRequest(base_url="http://127.0.0.1")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MetadataStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
        made = MetadataStore(url)
        made.upgrade_schema()
        yield made
        made.dispose()
        return
    if postgres.server_url() is None:
        unavailable(f"PostgreSQL: {postgres.why_not()}")
    with postgres.fresh_database() as url:
        made = MetadataStore(url)
        made.upgrade_schema()
        yield made
        made.dispose()


def _recording(
    store: MetadataStore,
    name: str,
    *,
    start: datetime = T0,
    account: str = ACCOUNT,
    from_number: str = "+15550000001",
) -> str:
    recording_id = f"r-{name}"
    with store.write() as conn:
        recordings_repo.insert_recording(
            conn,
            Recording(
                recording_id=recording_id,
                account_id=account,
                call_id=f"c-{name}",
                channels=2,
                start_time=start,
                duration_seconds=30.0,
                file_format="wav",
                status="complete",
                created_at=start,
                from_number=from_number,
                to_number="+15550000002",
            ),
        )
    return recording_id


def _transcribe(
    store: MetadataStore,
    recording_id: str,
    clips: list[tuple[int, float, str]],
    language: str = "en",
    account: str = ACCOUNT,
) -> str:
    transcription_id = f"t-{recording_id}-{len(clips)}-{clips[0][2][:8] if clips else ''}"
    result = {
        "transcripts": [{"text": " ".join(text for _, _, text in clips), "confidence": 0.9}],
        "clips": [
            {"speaker": speaker, "start": start, "end": start + 2.0, "text": text, "confidence": 0.9}
            for speaker, start, text in clips
        ],
    }
    with store.write() as conn:
        recordings_repo.put_transcription_request(conn, account, recording_id, transcription_id, REQUEST, T0)
        assert recordings_repo.finish_transcription(
            conn,
            transcription_id,
            status="available",
            completed_time=T0,
            result=result,
            language=language,
            error=None,
        )
    return transcription_id


def _search(store: MetadataStore, text: str, **filters: object) -> list[tuple[str, float, str]]:
    """-> (recording id, clip start, snippet with [hits]) best first."""
    with store.read() as conn:
        hits = search_repo.search_recordings(
            conn, RecordingFilter(ACCOUNT, **filters), parse_query(text), 100
        )  # type: ignore[arg-type]
    return [
        (
            h.recording.recording_id,
            h.clip_start,
            "".join(f"[{p.text}]" if p.hit else p.text for p in h.snippet),
        )
        for h in hits
    ]


def test_schema_reaches_head(store: MetadataStore) -> None:
    assert migrate.current_revision(store.engine) == migrate.head_revision(store.url)


def test_best_match_first_with_marked_snippet_and_the_matching_clips_time(store: MetadataStore) -> None:
    once = _recording(store, "once")
    _transcribe(
        store,
        once,
        [
            (1, 0.0, "Thank you for calling, how can I help?"),
            (0, 3.5, "I was charged twice and I would like a refund for the second one."),
        ],
    )
    dense = _recording(store, "dense")
    _transcribe(store, dense, [(0, 0.0, "Hello."), (0, 7.25, "Refund, refund: I want my refund now.")])
    _transcribe(store, _recording(store, "other"), [(0, 0.0, "The order arrived on time, thanks.")])

    found = _search(store, "refund")
    assert [f[0] for f in found] == [dense, once]
    assert found[0][1] == 7.25 and found[1][1] == 3.5
    assert "[Refund]" in found[0][2] and "[refund]" in found[1][2]
    assert "would like a [refund] for the second one" in found[1][2]


def test_stemming_phrases_and_operators_typed_as_text(store: MetadataStore) -> None:
    rid = _recording(store, "stems")
    _transcribe(store, rid, [(0, 1.0, "The customer asked about refunds for cancelled orders.")])
    assert [f[0] for f in _search(store, "refund")] == [rid]
    assert [f[0] for f in _search(store, "cancel order")] == [rid]
    assert [f[0] for f in _search(store, '"cancelled orders"')] == [rid]
    assert _search(store, '"orders cancelled"') == []
    assert _search(store, "refund shipment") == []  # every word must match
    # FTS / tsquery operators typed in the box are plain text: only the words count.
    assert [f[0] for f in _search(store, 'refund* (cancelled) -:orders^ "')] == [rid]


def test_language_of_the_transcript_is_used(store: MetadataStore) -> None:
    rid = _recording(store, "fr")
    _transcribe(store, rid, [(0, 2.0, "Je voudrais parler des factures du mois dernier.")], language="fr")
    assert [f[0] for f in _search(store, "facture")] == [rid]
    assert [f[0] for f in _search(store, "dernier mois")] == [rid]


def test_filters_and_accounts_narrow_the_search(store: MetadataStore) -> None:
    mine = _recording(store, "mine", from_number="+15551110000")
    _transcribe(store, mine, [(0, 0.0, "please cancel my subscription")])
    elsewhere = _recording(store, "theirs", account="9900001")
    _transcribe(store, elsewhere, [(0, 0.0, "please cancel my subscription")], account="9900001")
    late = _recording(store, "late", start=T0 + timedelta(days=3))
    _transcribe(store, late, [(0, 0.0, "cancel it")])

    assert {f[0] for f in _search(store, "cancel")} == {mine, late}
    assert [f[0] for f in _search(store, "cancel", from_="+15551110000")] == [mine]
    assert [f[0] for f in _search(store, "cancel", min_start_time=T0 + timedelta(days=1))] == [late]


def test_a_deleted_or_superseded_transcript_leaves_the_index(store: MetadataStore) -> None:
    rid = _recording(store, "gone")
    _transcribe(store, rid, [(0, 0.0, "my parcel never arrived")])
    assert [f[0] for f in _search(store, "parcel")] == [rid]
    with store.write() as conn:
        recordings_repo.put_transcription_request(conn, ACCOUNT, rid, "t-again", REQUEST, T0)
    assert _search(store, "parcel") == []  # superseded: processing again

    _transcribe(store, rid, [(0, 0.0, "my parcel never arrived")])
    with store.write() as conn:
        assert recordings_repo.delete_transcription(conn, ACCOUNT, rid)
    assert _search(store, "parcel") == []

    _transcribe(store, rid, [(0, 0.0, "my parcel never arrived")])
    with store.write() as conn:
        recordings_repo.delete_recording_row(conn, ACCOUNT, rid)
    assert _search(store, "parcel") == []
    with store.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM transcript_clips").scalar_one() == 0


def test_a_failed_transcription_writes_nothing_to_the_index(store: MetadataStore) -> None:
    rid = _recording(store, "failed")
    with store.write() as conn:
        recordings_repo.put_transcription_request(conn, ACCOUNT, rid, "t-failed", REQUEST, T0)
        recordings_repo.finish_transcription(
            conn, "t-failed", status="error", completed_time=T0, result=None, language=None, error="boom"
        )
    with store.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM transcript_clips").scalar_one() == 0


def _all_pages(store: MetadataStore, size: int, newest_first: bool, between_pages: list[str]) -> list[str]:
    seen: list[str] = []
    cursor: PageCursor | None = None
    flt = RecordingFilter(ACCOUNT)
    while True:
        with store.read() as conn:
            found = recording_lists.list_recordings_page(conn, flt, PageRequest(size, newest_first, cursor))
        page = found[:size]
        seen += [r.recording_id for r in page]
        if between_pages:  # a recording arrives while the client pages
            _recording(store, between_pages.pop(0), start=T0 + timedelta(hours=10))
        if len(found) <= size:
            return seen
        last = page[-1]
        assert last.id is not None
        cursor = PageCursor(last.start_time, last.id)


def test_keyset_pages_are_stable_while_recordings_are_added(store: MetadataStore) -> None:
    # 25 recordings, several sharing a start time (the row id breaks the tie).
    originals = [_recording(store, f"p{i:02d}", start=T0 + timedelta(minutes=i // 3)) for i in range(25)]

    oldest_first = _all_pages(store, 10, False, ["new-a", "new-b"])
    assert oldest_first[:25] == originals  # in order, none skipped, none twice
    assert len(oldest_first) == len(set(oldest_first))

    newest_first = _all_pages(store, 7, True, ["new-c", "new-d"])
    assert len(newest_first) == len(set(newest_first))
    assert [r for r in newest_first if r.startswith("r-p")] == list(reversed(originals))
    with store.read() as conn:
        assert recording_lists.count_recordings(conn, RecordingFilter(ACCOUNT), up_to=1000) == 29
        assert recording_lists.count_recordings(conn, RecordingFilter(ACCOUNT), up_to=10) == 10


def test_the_migration_indexes_transcripts_stored_before_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    old = MetadataStore(url)
    config = migrate.alembic_config(url)
    with old.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0004")
    with old.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO recordings (recording_id, account_id, call_id, channels, start_time, "
                "duration_seconds, file_format, status, created_at) VALUES "
                "('r-old', :account, 'c-old', 1, :t, 5.0, 'wav', 'complete', :t)"
            ),
            {"account": ACCOUNT, "t": T0.replace(tzinfo=None)},
        )
        conn.execute(
            text(
                "INSERT INTO transcriptions (recording_id, transcription_id, status, request, requested_at, "
                "result, language) VALUES ('r-old', 't-old', 'available', '{}', :t, :result, 'en')"
            ),
            {
                "t": T0.replace(tzinfo=None),
                "result": json.dumps(
                    {"clips": [{"speaker": 0, "start": 1.5, "end": 3.0, "text": "an old refund request"}]}
                ),
            },
        )
    old.upgrade_schema()
    assert _search(old, "refund") == [("r-old", 1.5, "an old [refund] request")]
    old.dispose()
