"""SQL for the access log: appends under the locked chain head, anchors, and reads in seq order."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Dialect, Select, insert, select

from callvault.domain.audit import AccessEntry, Anchor, ChainedEntry, detail_text
from callvault.store.tables import access_log, access_log_anchors, access_log_head

HEAD_ROW = 1


def lock_head(conn: Connection) -> tuple[int, str]:
    """The chain head (last seq, its hash), locked until the transaction ends: on PostgreSQL by
    `FOR UPDATE` on its one row, on SQLite by the write transaction itself (BEGIN IMMEDIATE). Every
    process that appends takes this lock first, so appends form one chain. Plain SQL: it runs once per
    batch on the writer's hot path."""
    lock = "" if conn.dialect.name == "sqlite" else " FOR UPDATE"
    seq, digest = conn.exec_driver_sql(
        f"SELECT seq, entry_hash FROM access_log_head WHERE id = {HEAD_ROW}{lock}"
    ).one()
    return int(seq), str(digest)


def head(conn: Connection) -> tuple[int, str]:
    row = conn.execute(
        select(access_log_head.c.seq, access_log_head.c.entry_hash).where(access_log_head.c.id == HEAD_ROW)
    ).one()
    return int(row.seq), str(row.entry_hash)


_COLUMNS = (
    "seq",
    "at",
    "account_id",
    "actor",
    "actor_kind",
    "address",
    "action",
    "recording_id",
    "call_id",
    "detail",
    "result",
    "prev_hash",
    "entry_hash",
)


ROWS_PER_INSERT = 999 // len(_COLUMNS)
"""Rows in one multi-row INSERT: within SQLite's oldest limit of 999 bound values per statement."""


def append(conn: Connection, linked: Sequence[ChainedEntry], now: datetime) -> None:
    """Insert entries linked after the locked head, and move the head to the last of them.

    Multi-row INSERTs of plain values: SQLAlchemy's per-value type handling cost more than the rest of
    an append together, and a DBAPI executemany steps once per row, each step giving up and taking
    back the GIL, which on a busy server costs a thread switch per entry (`at` is written as the
    UTCDateTime column stores it)."""
    if not linked:
        return
    sqlite = conn.dialect.name == "sqlite"
    stored_time = _stored_time_of(conn.dialect)
    mark = "?" if sqlite else "%s"
    row_marks = "(" + ", ".join([mark] * len(_COLUMNS)) + ")"
    head = f"INSERT INTO access_log ({', '.join(_COLUMNS)}) VALUES "
    for start in range(0, len(linked), ROWS_PER_INSERT):
        rows = linked[start : start + ROWS_PER_INSERT]
        values = [value for stored in rows for value in _values(stored, stored_time)]
        conn.exec_driver_sql(head + ", ".join([row_marks] * len(rows)), tuple(values))
    last = linked[-1]
    conn.exec_driver_sql(
        f"UPDATE access_log_head SET seq = {mark}, entry_hash = {mark}, updated_at = {mark} "
        f"WHERE id = {HEAD_ROW}",
        (last.seq, last.entry_hash, stored_time(now)),
    )


def _values(stored: ChainedEntry, stored_time: Callable[[datetime], Any]) -> tuple[Any, ...]:
    entry = stored.entry
    return (
        stored.seq,
        stored_time(entry.at),
        entry.account_id,
        entry.actor,
        entry.actor_kind,
        entry.address,
        entry.action,
        entry.recording_id,
        entry.call_id,
        stored.detail_json if stored.detail_json is not None else detail_text(entry.detail),
        entry.result,
        stored.prev_hash,
        stored.entry_hash,
    )


_STORED_TIMES: dict[str, Callable[[datetime], Any]] = {}


def _stored_time_of(dialect: Dialect) -> Callable[[datetime], Any]:
    """What the driver is given for a time in a UTCDateTime column: the column type's own bind
    processing (the plain SQL above bypasses it), looked up once per dialect."""
    found = _STORED_TIMES.get(dialect.name)
    if found is None:
        processor = access_log.c.at.type.bind_processor(dialect)
        found = _STORED_TIMES[dialect.name] = processor if processor is not None else _unchanged
    return found


def _unchanged(value: datetime) -> datetime:
    return value


def _chained(row: Any) -> ChainedEntry:
    entry = AccessEntry(
        at=row.at,
        actor=row.actor,
        actor_kind=row.actor_kind,
        action=row.action,
        result=row.result,
        account_id=row.account_id,
        address=row.address,
        recording_id=row.recording_id,
        call_id=row.call_id,
        detail=json.loads(row.detail),
    )
    return ChainedEntry(int(row.seq), entry, row.prev_hash, row.entry_hash, row.detail)


def add_anchor(conn: Connection, anchor: Anchor) -> None:
    conn.execute(
        insert(access_log_anchors).values(
            seq=anchor.seq,
            entry_hash=anchor.entry_hash,
            signed_at=anchor.signed_at,
            key_id=anchor.key_id,
            signature=anchor.signature,
        )
    )


def last_anchor(conn: Connection) -> Anchor | None:
    row = conn.execute(select(access_log_anchors).order_by(access_log_anchors.c.seq.desc()).limit(1)).first()
    return _anchor(row) if row else None


def anchors(conn: Connection) -> list[Anchor]:
    return [
        _anchor(row) for row in conn.execute(select(access_log_anchors).order_by(access_log_anchors.c.seq))
    ]


def _anchor(row: Any) -> Anchor:
    return Anchor(int(row.seq), row.entry_hash, row.signed_at, row.key_id, row.signature)


def all_entries(conn: Connection, up_to: int, page: int = 1000) -> Iterator[ChainedEntry]:
    """Every entry up to seq `up_to`, in seq order, read a page at a time (by seq, not by offset)."""
    after = -1
    while True:
        rows = conn.execute(
            select(access_log)
            .where(access_log.c.seq > after, access_log.c.seq <= up_to)
            .order_by(access_log.c.seq)
            .limit(page)
        ).all()
        for row in rows:
            yield _chained(row)
        if len(rows) < page:
            return
        after = int(rows[-1].seq)


@dataclass(frozen=True)
class EntryFilter:
    account_id: str | None = None
    recording_id: str | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _filtered(flt: EntryFilter) -> Select[Any]:
    query = select(access_log)
    if flt.account_id is not None:
        query = query.where(access_log.c.account_id == flt.account_id)
    if flt.recording_id is not None:
        query = query.where(access_log.c.recording_id == flt.recording_id)
    if flt.actor is not None:
        query = query.where(access_log.c.actor == flt.actor)
    if flt.since is not None:
        query = query.where(access_log.c.at >= flt.since)
    if flt.until is not None:
        query = query.where(access_log.c.at < flt.until)
    return query


def find_entries(
    conn: Connection, flt: EntryFilter, *, after_seq: int = 0, limit: int = 1000
) -> list[ChainedEntry]:
    """Entries that match, oldest first, from the one after `after_seq`."""
    query = _filtered(flt).where(access_log.c.seq > after_seq).order_by(access_log.c.seq).limit(limit)
    return [_chained(row) for row in conn.execute(query)]
