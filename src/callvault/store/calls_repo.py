"""SQL for live calls."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import Connection, insert, select, update

from callvault.domain.records import Call
from callvault.store.tables import calls

_CALL_FIELDS = {f.name for f in dataclasses.fields(Call)}


def _call(row: Any) -> Call:
    return Call(**{k: v for k, v in row._mapping.items() if k in _CALL_FIELDS})


def insert_call(conn: Connection, call: Call) -> None:
    conn.execute(insert(calls).values(**dataclasses.asdict(call)))


def get_call(conn: Connection, account_id: str, call_id: str) -> Call | None:
    row = conn.execute(
        select(calls).where(calls.c.account_id == account_id, calls.c.call_id == call_id)
    ).first()
    return _call(row) if row else None


def update_call(conn: Connection, call_id: str, **values: Any) -> None:
    conn.execute(update(calls).where(calls.c.call_id == call_id).values(**values))
