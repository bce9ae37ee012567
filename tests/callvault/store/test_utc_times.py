"""Times in UTCDateTime columns: on SQLite the column's own fast bind and result processing must store
and read exactly what SQLAlchemy's DATETIME does (a changed spelling would break ordering and range
filters against rows already stored), and the access log's canonical time must not change (it is
hashed: a different spelling would break every chain already written)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import DateTime, create_engine, select
from sqlalchemy.dialects import sqlite

from callvault.domain.audit import canonical_time
from callvault.store.tables import UTCDateTime, access_log_head, metadata

TIMES = [
    datetime(2026, 12, 4, 20, 1, 2, 345678, tzinfo=UTC),
    datetime(2026, 1, 1, tzinfo=UTC),  # no microseconds: still written with six digits
    datetime(1900, 1, 1, tzinfo=UTC),
    datetime(5, 3, 4, 1, 2, 3, tzinfo=UTC),  # a year of one digit: still four
    datetime(2999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2026, 6, 1, 12, 0, 0, 7, tzinfo=timezone(timedelta(hours=-5))),  # stored as 17:00 UTC
    datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=5, minutes=45))),
    datetime(2026, 6, 1, 12, 0, 0),  # naive: already UTC
]


@pytest.mark.parametrize("value", TIMES, ids=str)
def test_sqlite_stores_the_text_sqlalchemys_datetime_stores(value: datetime) -> None:
    dialect = sqlite.dialect()
    column = UTCDateTime()
    sqlalchemys = DateTime().dialect_impl(dialect).bind_processor(dialect)
    assert sqlalchemys is not None
    ours = column.bind_processor(dialect)
    assert ours is not None
    assert ours(value) == sqlalchemys(column.process_bind_param(value, dialect))


def test_a_time_round_trips_through_a_sqlite_file(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'times.sqlite3'}")
    metadata.create_all(engine, tables=[access_log_head])
    with engine.begin() as conn:
        for row, value in enumerate(TIMES):
            conn.execute(access_log_head.insert().values(id=row, seq=0, entry_hash="", updated_at=value))
        read = conn.execute(select(access_log_head.c.updated_at).order_by(access_log_head.c.id)).scalars()
        for value, back in zip(TIMES, read, strict=True):
            assert back == (value if value.tzinfo else value.replace(tzinfo=UTC))
            assert back.tzinfo is not None
    engine.dispose()


def _canonical_as_first_written(value: datetime) -> str:
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return aware.isoformat(timespec="microseconds")


@pytest.mark.parametrize("value", TIMES, ids=str)
def test_the_hashed_spelling_of_an_entrys_time_is_unchanged(value: datetime) -> None:
    assert canonical_time(value) == _canonical_as_first_written(value)
