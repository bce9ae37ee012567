"""The benchmark's data set: many recordings of one account, made by bulk SQL, and the list's query plans.

Row `i` has from `+155500000NN` (NN = i % 20), to `+191900000MM` (MM = i % 50) and starts 7 s after row
`i - 1`, so every filter the list endpoint takes selects a known share of the rows. The rows come from
one INSERT ... SELECT over a generated series (a recursive CTE on SQLite, generate_series on
PostgreSQL): a million rows in seconds, with the schema's own indexes in place.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from callvault.domain.recordings import build_filter
from callvault.services.wire import RECORDING_WIRE_COLUMNS
from callvault.store import recording_lists
from callvault.store.database import MetadataStore

START = datetime(2030, 1, 1, tzinfo=UTC)
STEP_SECONDS = 7
FROM_NUMBERS = 20
TO_NUMBERS = 50

_COLUMNS = (
    "recording_id, account_id, call_id, from_number, to_number, direction, channels, sample_rate, "
    "start_time, end_time, duration_seconds, file_format, status, media_key, media_size, created_at"
)

_SQLITE_ROWS = f"""
WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < :rows)
INSERT INTO recordings ({_COLUMNS})
SELECT 'r-bench-' || i, :account, 'c-bench-' || (i / 2),
       printf('+155500000%02d', i % {FROM_NUMBERS}), printf('+191900000%02d', i % {TO_NUMBERS}),
       'inbound', 1, 8000,
       strftime('%Y-%m-%d %H:%M:%S', :epoch + i * {STEP_SECONDS}, 'unixepoch') || '.000000',
       strftime('%Y-%m-%d %H:%M:%S', :epoch + i * {STEP_SECONDS} + 30, 'unixepoch') || '.000000',
       30.0, 'wav', 'complete', 'bench/shared.wav', 44,
       strftime('%Y-%m-%d %H:%M:%S', :epoch, 'unixepoch') || '.000000'
FROM seq
"""

_POSTGRES_ROWS = f"""
INSERT INTO recordings ({_COLUMNS})
SELECT 'r-bench-' || i, :account, 'c-bench-' || (i / 2),
       '+155500000' || lpad((i % {FROM_NUMBERS})::text, 2, '0'),
       '+191900000' || lpad((i % {TO_NUMBERS})::text, 2, '0'),
       'inbound', 1, 8000,
       to_timestamp(:epoch + i * {STEP_SECONDS}) AT TIME ZONE 'UTC',
       to_timestamp(:epoch + i * {STEP_SECONDS} + 30) AT TIME ZONE 'UTC',
       30.0, 'wav', 'complete', 'bench/shared.wav', 44,
       to_timestamp(:epoch) AT TIME ZONE 'UTC'
FROM generate_series(0, :rows - 1) AS i
"""


def generate_rows(store: MetadataStore, account_id: str, rows: int) -> None:
    """Insert `rows` recordings of `account_id` in one statement, then refresh the planner's statistics."""
    sql = _SQLITE_ROWS if store.is_sqlite else _POSTGRES_ROWS
    with store.write() as conn:
        conn.execute(text(sql), {"rows": rows, "account": account_id, "epoch": int(START.timestamp())})
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")


def row_ids(i: int) -> tuple[str, str]:
    """(callId, recordingId) of row `i`."""
    return f"c-bench-{i // 2}", f"r-bench-{i}"


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def list_filters(rows: int) -> dict[str, dict[str, str]]:
    """Query strings of the list endpoint, each matching at least 1,000 rows of the data set."""
    late = START + timedelta(seconds=STEP_SECONDS * (rows * 3 // 10))
    window_end = late + timedelta(seconds=STEP_SECONDS * 5000)
    return {
        "from+to+minStartTime": {"from": "+15550000003", "to": "+19190000003", "minStartTime": iso(late)},
        "to+minStartTime+maxStartTime": {
            "to": "+19190000007",
            "minStartTime": iso(late),
            "maxStartTime": iso(late + timedelta(seconds=STEP_SECONDS * 60_000)),
        },
        "from": {"from": "+15550000011"},
        "minStartTime+maxStartTime": {"minStartTime": iso(late), "maxStartTime": iso(window_end)},
        "none": {},
    }


def query_plans(store: MetadataStore, account_id: str, filters: dict[str, dict[str, str]]) -> dict[str, Any]:
    """EXPLAIN (QUERY PLAN on SQLite, ANALYZE on PostgreSQL) of the exact SQL the list endpoint runs."""
    plans: dict[str, Any] = {}
    for name, query in filters.items():
        flt = build_filter(
            account_id,
            to=query.get("to"),
            from_=query.get("from"),
            min_start_time=query.get("minStartTime"),
            max_start_time=query.get("maxStartTime"),
        )
        driver_select, given = recording_lists.list_statement(flt, RECORDING_WIRE_COLUMNS)
        statement, parameters = driver_select.sql(store.engine.dialect, given)
        explain = "EXPLAIN QUERY PLAN " if store.is_sqlite else "EXPLAIN (ANALYZE, BUFFERS) "
        with store.read() as conn:
            rows = conn.exec_driver_sql(
                explain + statement, tuple(parameters) if isinstance(parameters, list) else parameters
            ).all()
        plans[name] = [" | ".join(str(v) for v in row) for row in rows]
    return plans
