"""SQL for live calls."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from callvault.domain.ids import is_valid_id
from callvault.domain.records import ActiveRecording, Call
from callvault.store.tables import calls

_CALL_FIELDS = {f.name for f in dataclasses.fields(Call)}

_THE_CALL = (calls.c.account_id == bindparam("of_account")) & (calls.c.call_id == bindparam("of_call"))
"""One call, by its account and id: the statements below are built once, with this bound clause."""
_GET_CALL = select(calls).where(_THE_CALL)
_LOCK_CALL = _GET_CALL.with_for_update()
_CALL_RECORDING = select(calls.c.recording).where(_THE_CALL)
_SET_MEDIA_OWNER = (
    update(calls)
    .where(_THE_CALL)
    .values(media_owner=bindparam("owner"), media_owner_seen_at=bindparam("seen_at"))
)
_RELEASE_MEDIA_OWNER = (
    update(calls).where(_THE_CALL, calls.c.media_owner == bindparam("owner")).values(media_owner=None)
)


@dataclasses.dataclass(frozen=True)
class LockedCall:
    """A call read for update, with the process that holds its media stream (None: nobody)."""

    call: Call
    media_owner: str | None
    media_owner_seen_at: datetime | None = None

    def has_live_owner(self, now: datetime, timeout_seconds: float) -> bool:
        """A process holds the media and beat its heart recently (a killed one stops beating)."""
        if self.media_owner is None or self.media_owner_seen_at is None:
            return False
        return now - self.media_owner_seen_at <= timedelta(seconds=timeout_seconds)


def _call(row: Any) -> Call:
    data = {k: v for k, v in row._mapping.items() if k in _CALL_FIELDS}
    data["recording"] = ActiveRecording.from_json(data["recording"]) if data.get("recording") else None
    return Call(**data)


def _columns(values: dict[str, Any]) -> dict[str, Any]:
    """Column values of a call: its active recording as JSON."""
    if isinstance(values.get("recording"), ActiveRecording):
        values = {**values, "recording": values["recording"].to_json()}
    return values


def insert_call(conn: Connection, call: Call) -> None:
    values = {field.name: getattr(call, field.name) for field in dataclasses.fields(call)}
    conn.execute(insert(calls).values(**_columns(values)))


@dataclasses.dataclass(frozen=True)
class ActiveCallFilter:
    """Which of an account's active calls to list (None: any)."""

    from_number: str | None = None
    to_number: str | None = None
    siprec_session_id: str | None = None
    stream_id: str | None = None


def list_active_calls(
    conn: Connection, account_id: str, flt: ActiveCallFilter | None = None, limit: int = 200
) -> list[Call]:
    """The account's calls still in progress, newest first."""
    query = select(calls).where(calls.c.account_id == account_id, calls.c.state == "active")
    flt = flt or ActiveCallFilter()
    for column, value in (
        (calls.c.from_number, flt.from_number),
        (calls.c.to_number, flt.to_number),
        (calls.c.siprec_session_id, flt.siprec_session_id),
        (calls.c.stream_id, flt.stream_id),
    ):
        if value is not None:
            query = query.where(column == value)
    query = query.order_by(calls.c.start_time.desc(), calls.c.id.desc()).limit(limit)
    return [_call(row) for row in conn.execute(query)]


def find_siprec_calls(conn: Connection, account_id: str, session_id: str, limit: int = 5) -> list[LockedCall]:
    """The account's calls of one SIPREC recording session with their media owners, newest first
    (not locked: lock one with :func:`lock_call` before changing it)."""
    query = (
        select(calls)
        .where(calls.c.account_id == account_id, calls.c.siprec_session_id == session_id)
        .order_by(calls.c.start_time.desc(), calls.c.id.desc())
        .limit(limit)
    )
    return [LockedCall(_call(row), row.media_owner, row.media_owner_seen_at) for row in conn.execute(query)]


def orphaned_calls(conn: Connection, seen_before: datetime, limit: int = 100) -> list[tuple[str, str]]:
    """(account id, call id) of active calls recorded from outside whose media owner has not beaten
    its heart since `seen_before` (its process is gone)."""
    query = (
        select(calls.c.account_id, calls.c.call_id)
        .where(
            calls.c.state == "active",
            calls.c.source.is_not(None),
            calls.c.media_owner.is_not(None),
            calls.c.media_owner_seen_at < seen_before,
        )
        .order_by(calls.c.media_owner_seen_at)
        .limit(limit)
    )
    return [(row.account_id, row.call_id) for row in conn.execute(query)]


def get_call(conn: Connection, account_id: str, call_id: str) -> Call | None:
    if not is_valid_id(call_id):
        return None
    row = conn.execute(_GET_CALL, {"of_account": account_id, "of_call": call_id}).first()
    return _call(row) if row else None


def lock_call(conn: Connection, account_id: str, call_id: str) -> LockedCall | None:
    """The call and its media owner, row-locked until the transaction ends (PostgreSQL; SQLite's
    write transactions are exclusive already)."""
    if not is_valid_id(call_id):
        return None
    row = conn.execute(_LOCK_CALL, {"of_account": account_id, "of_call": call_id}).first()
    return LockedCall(_call(row), row.media_owner, row.media_owner_seen_at) if row else None


def update_call(conn: Connection, account_id: str, call_id: str, **values: Any) -> None:
    conn.execute(
        update(calls).where(_THE_CALL).values(**_columns(values)),
        {"of_account": account_id, "of_call": call_id},
    )


def set_media_owner(conn: Connection, account_id: str, call_id: str, owner: str, now: datetime) -> None:
    conn.execute(
        _SET_MEDIA_OWNER, {"of_account": account_id, "of_call": call_id, "owner": owner, "seen_at": now}
    )


def touch_media_owners(conn: Connection, owners: list[str], now: datetime) -> None:
    """The heartbeat of the media owners of one process."""
    if owners:
        conn.execute(update(calls).where(calls.c.media_owner.in_(owners)).values(media_owner_seen_at=now))


def release_media_owner(conn: Connection, account_id: str, call_id: str, owner: str) -> None:
    """Clear the media owner if it is still `owner` (a newer stream may have taken the call over)."""
    conn.execute(_RELEASE_MEDIA_OWNER, {"of_account": account_id, "of_call": call_id, "owner": owner})


def clear_recording(conn: Connection, account_id: str, call_id: str, recording_id: str) -> bool:
    """End the call's active recording if it is still `recording_id`; whether it was."""
    row = conn.execute(_CALL_RECORDING, {"of_account": account_id, "of_call": call_id}).first()
    if row is None or not row.recording or row.recording.get("recording_id") != recording_id:
        return False
    update_call(conn, account_id, call_id, recording=None, recording_state=None)
    return True


def find_calls_in_any_account(conn: Connection, call_id: str, limit: int = 2) -> list[Call]:
    """Calls with `call_id` in whichever account (ids are unique per account only): for what names a
    call without its account, such as a spool file left by a version before accounts named spools."""
    query = select(calls).where(calls.c.call_id == call_id).order_by(calls.c.id).limit(limit)
    return [_call(row) for row in conn.execute(query)]
