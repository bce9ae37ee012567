"""Every way a recording is read back gives the record that was stored: the API's hottest read (on the
driver's cursor), the pages (records filled in by position) and the plain reads, on SQLite and
PostgreSQL, with and without a transcription, with times to the microsecond; and the API's list, read
as wire rows straight from the driver, gives each recording's wire JSON as its own read does."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import orjson
import pytest
from sqlalchemy import text

from callvault.domain.paging import PageRequest, build_page
from callvault.domain.recordings import build_filter
from callvault.domain.records import Recording, Transcription, TranscriptionRequest, TranscriptionState
from callvault.services.wire import (
    RECORDING_WIRE_COLUMNS,
    recording_json,
    recording_row_json,
    recording_rows_json,
)
from callvault.store import recording_lists, recordings_repo
from callvault.store.database import MetadataStore
from support import postgres
from support.needs import unavailable

ACCOUNT = "5551234"
START = datetime(2031, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MetadataStore]:
    def opened(url: str) -> Iterator[MetadataStore]:
        found = MetadataStore(url)
        found.upgrade_schema()
        try:
            yield found
        finally:
            found.dispose()

    if request.param == "sqlite":
        yield from opened(f"sqlite:///{tmp_path / 'db.sqlite3'}")
        return
    if postgres.server_url() is None:
        unavailable(postgres.why_not())
    with postgres.fresh_database() as url:
        yield from opened(url)


def _recording(number: int, **changes: object) -> Recording:
    full = Recording(
        recording_id=f"r-{number}",
        account_id=ACCOUNT,
        call_id=f"c-{number}",
        channels=2,
        start_time=START + timedelta(seconds=number),
        duration_seconds=61.25,
        file_format="wav",
        status="complete",
        created_at=START + timedelta(seconds=number, microseconds=999),
        application_id="app-1",
        parent_call_id="c-parent",
        from_number="+15550001",
        to_number="+15550002",
        transfer_caller_id="+15550003",
        transfer_to="+15550004",
        direction="inbound",
        sample_rate=8000,
        end_time=START + timedelta(seconds=number + 61, microseconds=250000),
        media_key=f"media/{number}",
        media_size=123,
        media_sha256="ab" * 32,
        recording_name="name",
        tag="tag",
        source={"kind": "siprec", "sessionId": "s-1", "legs": [1, 2]},
        original_media_key=f"original/{number}",
        original_media_size=456,
        original_media_sha256="cd" * 32,
        redacted_at=datetime(2031, 5, 7, 0, 0, 0, 1, tzinfo=timezone(timedelta(hours=-5))),
    )
    return dataclasses.replace(full, **changes)  # type: ignore[arg-type]


def test_each_read_gives_back_what_was_stored(store: MetadataStore) -> None:
    with store.write() as conn:
        full = recordings_repo.insert_recording(conn, _recording(1))
        bare = recordings_repo.insert_recording(
            conn,
            Recording(
                recording_id="r-2",
                account_id=ACCOUNT,
                call_id="c-2",
                channels=1,
                start_time=START + timedelta(seconds=2),
                duration_seconds=0.5,
                file_format="mp3",
                status="partial",
                created_at=START,
            ),
        )
        recordings_repo.put_transcription_request(
            conn, ACCOUNT, "r-1", "t-1", TranscriptionRequest(base_url="http://x"), START
        )
    stored = {"r-1": full, "r-2": bare}

    with store.read_statement() as conn:
        page = recording_lists.list_recordings_page(
            conn,
            build_filter(ACCOUNT, to=None, from_=None, min_start_time=None, max_start_time=None),
            build_page("10", None, None),  # type: ignore[arg-type]
        )
        plain = [recordings_repo.get_recording(conn, ACCOUNT, f"c-{n}", f"r-{n}") for n in (1, 2)]
    hottest = [
        recordings_repo.get_recording_with_transcription(store, ACCOUNT, f"c-{n}", f"r-{n}") for n in (1, 2)
    ]

    for found in (
        page,
        [recording for recording in plain if recording is not None],
        [found[0] for found in hottest if found is not None],
    ):
        assert [r.recording_id for r in found] == ["r-1", "r-2"]
        for recording in found:
            assert recording == stored[recording.recording_id]  # aware times compare as instants
            assert all(
                value.tzinfo is UTC for value in dataclasses.astuple(recording) if isinstance(value, datetime)
            )
    transcriptions = [found[1] for found in hottest if found is not None]
    assert [t.transcription_id if t else None for t in transcriptions] == ["t-1", None]
    whole = hottest[0][1] if hottest[0] else None
    assert isinstance(whole, Transcription) and whole.request == TranscriptionRequest(base_url="http://x")
    assert recordings_repo.get_recording_with_transcription(store, ACCOUNT, "c-1", "r-missing") is None


def test_a_recording_without_a_source_stores_null_not_json_null(store: MetadataStore) -> None:
    with store.write() as conn:
        recordings_repo.insert_recording(conn, _recording(1, source=None))
        recordings_repo.insert_recording(conn, _recording(2))
    with store.read_statement() as conn:
        rows = conn.execute(text("SELECT recording_id, source IS NULL FROM recordings ORDER BY recording_id"))
        assert [(row[0], bool(row[1])) for row in rows] == [("r-1", True), ("r-2", False)]
        assert recordings_repo.get_recording(conn, ACCOUNT, "c-1", "r-1").source is None  # type: ignore[union-attr]


def test_the_async_read_gives_the_same_and_outlives_a_dropped_connection(store: MetadataStore) -> None:
    with store.write() as conn:
        stored = recordings_repo.insert_recording(conn, _recording(7))
        recordings_repo.put_transcription_request(
            conn, ACCOUNT, "r-7", "t-7", TranscriptionRequest(base_url="http://x"), START
        )

    async def read(call_id: str, recording_id: str) -> tuple[object, ...] | None:
        return await recordings_repo.get_recording_wire_row_async(
            store, ACCOUNT, call_id, recording_id, RECORDING_WIRE_COLUMNS
        )

    async def read_twice_with_connections_dropped_between() -> list[object]:
        first = await read("c-7", "r-7")
        if not store.is_sqlite:  # what a PostgreSQL restart does to every open connection
            with store.write() as conn:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
        second = await read("c-7", "r-7")
        missing = await read("c-7", "r-none")
        await store.close_async()
        return [first, second, missing]

    # A thread of its own: a browser test on the same worker may leave an event loop running in this one.
    with ThreadPoolExecutor(max_workers=1) as own_thread:
        first, second, missing = own_thread.submit(
            asyncio.run, read_twice_with_connections_dropped_between()
        ).result()

    assert first == second
    assert isinstance(first, tuple)
    state = TranscriptionState("t-7", "processing", None)
    assert orjson.dumps(recording_row_json("http://x", first)) == orjson.dumps(
        recording_json("http://x", stored, state)
    )
    assert missing is None


def test_the_list_gives_each_recordings_own_wire_json(store: MetadataStore) -> None:
    """The list and the API's GET read wire rows as the driver gives them (SQLite's text times, JSON
    text) and write them without a Recording; every field, every None left out, every time, the
    transcription's state and the source must come out as a Recording read on its own writes it."""
    on_the_hour = START.replace(microsecond=0)
    recordings = [
        _recording(1),
        _recording(2, start_time=on_the_hour, end_time=None, source={}, media_key=None),
        _recording(
            3,
            application_id=None,
            parent_call_id=None,
            from_number=None,
            to_number=None,
            transfer_caller_id=None,
            transfer_to=None,
            direction=None,
            recording_name='ünïcode "quoted" \\ name\n',
            source=None,
            duration_seconds=3725.5,
        ),
        _recording(4, start_time=datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), duration_seconds=0.0),
        _recording(5, start_time=START + timedelta(days=1, microseconds=-START.microsecond + 999)),
    ]
    with store.write() as conn:
        for recording in recordings:
            recordings_repo.insert_recording(conn, recording)
        for number in (1, 5):
            recordings_repo.put_transcription_request(
                conn, ACCOUNT, f"r-{number}", f"t-{number}", TranscriptionRequest(base_url="http://x"), START
            )
        recordings_repo.finish_transcription(
            conn, "t-5", status="error", completed_time=START, result=None, language=None, error="boom"
        )
    base = "http://127.0.0.1:8080/api/v2/"
    every = build_filter(ACCOUNT, to=None, from_=None, min_start_time=None, max_start_time=None)

    listed = recording_rows_json(
        base, recording_lists.list_recording_rows(store, every, RECORDING_WIRE_COLUMNS)
    )

    own = []
    for recording in sorted(recordings, key=lambda r: r.start_time):
        found = recordings_repo.get_recording_with_transcription(
            store, ACCOUNT, recording.call_id, recording.recording_id
        )
        assert found is not None
        own.append(recording_json(base, *found))
    assert orjson.dumps(listed) == orjson.dumps(own)

    async def each_as_the_get_reads_it() -> list[dict[str, object]]:
        rows = [
            await recordings_repo.get_recording_wire_row_async(
                store, ACCOUNT, recording.call_id, recording.recording_id, RECORDING_WIRE_COLUMNS
            )
            for recording in sorted(recordings, key=lambda r: r.start_time)
        ]
        await store.close_async()
        return [recording_row_json(base, row) for row in rows if row is not None]

    with ThreadPoolExecutor(max_workers=1) as own_thread:  # an event loop of its own, as above
        got = own_thread.submit(asyncio.run, each_as_the_get_reads_it()).result()
    assert orjson.dumps(got) == orjson.dumps(own)
    assert [wire["recordingId"] for wire in listed] == ["r-4", "r-2", "r-1", "r-3", "r-5"]
    by_id = {wire["recordingId"]: wire for wire in listed}
    assert by_id["r-4"]["startTime"] == "999-12-31T23:59:59.999Z"
    assert by_id["r-1"]["source"] == {"kind": "siprec", "sessionId": "s-1", "legs": [1, 2]}
    assert (
        by_id["r-1"]["transcription"]["id"] == "t-1" and "completedTime" not in by_id["r-1"]["transcription"]
    )
    assert by_id["r-2"]["startTime"] == on_the_hour.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert not {"source", "mediaUrl", "endTime"} & set(by_id["r-2"])
    assert by_id["r-3"]["duration"] == "PT1H2M5.5S" and "from" not in by_id["r-3"]
    assert by_id["r-5"]["transcription"]["completedTime"] == START.strftime("%Y-%m-%dT%H:%M:%S.123Z")


@pytest.mark.parametrize("newest_first", [False, True])
def test_keyset_pages_of_wire_rows_are_the_list_cut_in_pieces(
    store: MetadataStore, newest_first: bool
) -> None:
    """Pages of two, their cursors read from the driver's rows (ties in start time broken by row id),
    give the whole list's wire JSON, in its order or reversed; a whole list read first does not lend a
    page its query."""
    with store.write() as conn:
        for number in range(7):
            tied = START + timedelta(seconds=number // 2)  # pairs of recordings start at the same time
            recordings_repo.insert_recording(conn, _recording(number, start_time=tied))
    every = build_filter(ACCOUNT, to=None, from_=None, min_start_time=None, max_start_time=None)
    base = "http://127.0.0.1:8080/api/v2"
    whole = recording_rows_json(
        base, recording_lists.list_recording_rows(store, every, RECORDING_WIRE_COLUMNS)
    )

    paged: list[dict[str, object]] = []
    cursor = None
    for _ in range(10):
        rows, cursor = recording_lists.list_recording_rows_page(
            store, every, PageRequest(2, newest_first, cursor), RECORDING_WIRE_COLUMNS
        )
        paged += recording_rows_json(base, rows)
        if cursor is None:
            break

    assert [wire["recordingId"] for wire in whole] == [f"r-{n}" for n in range(7)]
    assert orjson.dumps(paged) == orjson.dumps(list(reversed(whole)) if newest_first else whole)
