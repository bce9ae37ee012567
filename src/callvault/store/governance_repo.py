"""SQL for governance: legal holds (and which recordings they cover), per-account policies, erasure
receipts, and the recordings retention and erasure work through."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, delete, exists, func, insert, or_, select, update

from callvault.domain.governance import ErasureReceipt, LegalHold
from callvault.domain.records import Recording
from callvault.store.recordings_repo import recording_from_row
from callvault.store.tables import account_policies, erasure_receipts, legal_holds, recordings, transcriptions

_HOLD_FIELDS = [f.name for f in dataclasses.fields(LegalHold)]


def _hold(row: Any) -> LegalHold:
    return LegalHold(**{name: row._mapping[name] for name in _HOLD_FIELDS})


def _covering(account_id: Any, recording_id: Any, call_id: Any, from_number: Any, to_number: Any) -> Any:
    """Active holds of the account that cover a recording with these values (the SQL form of
    `LegalHold.covers`)."""
    return and_(
        legal_holds.c.account_id == account_id,
        legal_holds.c.released_at.is_(None),
        or_(
            and_(legal_holds.c.kind == "recording", legal_holds.c.target == recording_id),
            and_(legal_holds.c.kind == "call", legal_holds.c.target == call_id),
            and_(legal_holds.c.kind == "number", legal_holds.c.target.in_([from_number, to_number])),
        ),
    )


def held_clause() -> ColumnElement[bool]:
    """True for a row of `recordings` that an active hold covers."""
    c = recordings.c
    return exists().where(_covering(c.account_id, c.recording_id, c.call_id, c.from_number, c.to_number))


def holds_covering(conn: Connection, recording: Recording) -> list[LegalHold]:
    query = (
        select(legal_holds)
        .where(
            _covering(
                recording.account_id,
                recording.recording_id,
                recording.call_id,
                recording.from_number,
                recording.to_number,
            )
        )
        .order_by(legal_holds.c.placed_at, legal_holds.c.id)
    )
    return [_hold(row) for row in conn.execute(query)]


def active_hold_count(conn: Connection) -> int:
    query = select(func.count()).select_from(legal_holds).where(legal_holds.c.released_at.is_(None))
    return int(conn.execute(query).scalar_one())


def insert_hold(conn: Connection, hold: LegalHold) -> None:
    conn.execute(insert(legal_holds).values(**dataclasses.asdict(hold)))


def get_hold(conn: Connection, account_id: str, hold_id: str) -> LegalHold | None:
    query = select(legal_holds).where(
        legal_holds.c.account_id == account_id, legal_holds.c.hold_id == hold_id
    )
    row = conn.execute(query).first()
    return _hold(row) if row else None


def list_holds(conn: Connection, account_id: str, *, active_only: bool, limit: int = 1000) -> list[LegalHold]:
    query = select(legal_holds).where(legal_holds.c.account_id == account_id)
    if active_only:
        query = query.where(legal_holds.c.released_at.is_(None))
    query = query.order_by(legal_holds.c.placed_at, legal_holds.c.id).limit(limit)
    return [_hold(row) for row in conn.execute(query)]


def release_hold(conn: Connection, account_id: str, hold_id: str, by: str, reason: str, at: datetime) -> bool:
    released = conn.execute(
        update(legal_holds)
        .where(
            legal_holds.c.account_id == account_id,
            legal_holds.c.hold_id == hold_id,
            legal_holds.c.released_at.is_(None),
        )
        .values(released_at=at, released_by=by, release_reason=reason)
    )
    return released.rowcount == 1


def get_policy(conn: Connection, account_id: str, name: str) -> dict[str, Any] | None:
    query = select(account_policies.c.settings).where(
        account_policies.c.account_id == account_id, account_policies.c.name == name
    )
    row = conn.execute(query).first()
    return dict(row.settings) if row else None


def put_policy(
    conn: Connection, account_id: str, name: str, settings: dict[str, Any], by: str, at: datetime
) -> None:
    where = (account_policies.c.account_id == account_id) & (account_policies.c.name == name)
    updated = conn.execute(
        update(account_policies).where(where).values(settings=settings, updated_by=by, updated_at=at)
    )
    if updated.rowcount == 0:
        conn.execute(
            insert(account_policies).values(
                account_id=account_id, name=name, settings=settings, updated_by=by, updated_at=at
            )
        )


def delete_policy(conn: Connection, account_id: str, name: str) -> None:
    conn.execute(
        delete(account_policies).where(
            account_policies.c.account_id == account_id, account_policies.c.name == name
        )
    )


def accounts_with_policy(conn: Connection, name: str) -> dict[str, dict[str, Any]]:
    query = select(account_policies.c.account_id, account_policies.c.settings).where(
        account_policies.c.name == name
    )
    return {row.account_id: dict(row.settings) for row in conn.execute(query)}


def retention_candidates(
    conn: Connection, account_id: str, stage: str, started_before: datetime, *, after_id: int, limit: int
) -> list[Recording]:
    """Up to `limit` recordings of the account that started before the cut-off, still hold what `stage`
    removes, and no active hold covers; in row order after `after_id`."""
    query = select(recordings).where(
        recordings.c.account_id == account_id,
        recordings.c.start_time < started_before,
        recordings.c.id > after_id,
        ~held_clause(),
    )
    if stage == "media":
        query = query.where(
            or_(recordings.c.media_key.is_not(None), recordings.c.original_media_key.is_not(None))
        )
    elif stage == "transcript":
        has_transcript = exists().where(
            transcriptions.c.account_id == recordings.c.account_id,
            transcriptions.c.recording_id == recordings.c.recording_id,
        )
        query = query.where(has_transcript)
    return [recording_from_row(row) for row in conn.execute(query.order_by(recordings.c.id).limit(limit))]


def recordings_of_number(
    conn: Connection, account_id: str, number: str, *, after_id: int, limit: int
) -> list[Recording]:
    """The account's recordings from or to `number`, in row order after `after_id`."""
    query = (
        select(recordings)
        .where(
            recordings.c.account_id == account_id,
            or_(recordings.c.from_number == number, recordings.c.to_number == number),
            recordings.c.id > after_id,
        )
        .order_by(recordings.c.id)
        .limit(limit)
    )
    return [recording_from_row(row) for row in conn.execute(query)]


def insert_receipt(conn: Connection, receipt: ErasureReceipt, number_sha256: str) -> None:
    conn.execute(
        insert(erasure_receipts).values(
            receipt_id=receipt.receipt_id,
            account_id=receipt.account_id,
            number_sha256=number_sha256,
            number_hint=receipt.number_hint,
            requested_by=receipt.requested_by,
            created_at=receipt.created_at,
            receipt={
                "erased": receipt.erased,
                "held": receipt.held,
                "mediaRemoved": receipt.media_removed,
                "transcriptsRemoved": receipt.transcripts_removed,
            },
        )
    )


def _receipt(row: Any) -> ErasureReceipt:
    body = dict(row.receipt)
    return ErasureReceipt(
        receipt_id=row.receipt_id,
        account_id=row.account_id,
        number_hint=row.number_hint,
        requested_by=row.requested_by,
        created_at=row.created_at,
        erased=list(body.get("erased", [])),
        held={k: list(v) for k, v in dict(body.get("held", {})).items()},
        media_removed=int(body.get("mediaRemoved", 0)),
        transcripts_removed=int(body.get("transcriptsRemoved", 0)),
    )


def get_receipt(conn: Connection, account_id: str, receipt_id: str) -> ErasureReceipt | None:
    query = select(erasure_receipts).where(
        erasure_receipts.c.account_id == account_id, erasure_receipts.c.receipt_id == receipt_id
    )
    row = conn.execute(query).first()
    return _receipt(row) if row else None


def list_receipts(conn: Connection, account_id: str, *, limit: int = 1000) -> list[ErasureReceipt]:
    query = (
        select(erasure_receipts)
        .where(erasure_receipts.c.account_id == account_id)
        .order_by(erasure_receipts.c.created_at.desc(), erasure_receipts.c.id.desc())
        .limit(limit)
    )
    return [_receipt(row) for row in conn.execute(query)]
