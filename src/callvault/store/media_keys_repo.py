"""SQL for encryption at rest: each blob's wrapped data key, and accounts' public keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from callvault.store.tables import account_public_keys, media_keys, recordings, transcriptions


@dataclass(frozen=True)
class MediaKeyRow:
    blob_key: str
    master_key_id: str | None
    master_wrapped: bytes | None
    sealed_key_id: str | None
    sealed_wrapped: bytes | None


@dataclass(frozen=True)
class AccountPublicKey:
    account_id: str
    key_id: str
    public_key: str
    created_at: datetime


def _row(row: object) -> MediaKeyRow:
    return MediaKeyRow(*row)  # type: ignore[misc]


_COLUMNS = (
    media_keys.c.blob_key,
    media_keys.c.master_key_id,
    media_keys.c.master_wrapped,
    media_keys.c.sealed_key_id,
    media_keys.c.sealed_wrapped,
)


def insert_key(conn: Connection, blob_key: str, master_key_id: str, wrapped: bytes, now: datetime) -> None:
    conn.execute(
        insert(media_keys).values(
            blob_key=blob_key, master_key_id=master_key_id, master_wrapped=wrapped, created_at=now
        )
    )


def get_key(conn: Connection, blob_key: str) -> MediaKeyRow | None:
    row = conn.execute(select(*_COLUMNS).where(media_keys.c.blob_key == blob_key)).first()
    return _row(row) if row else None


def delete_key(conn: Connection, blob_key: str) -> None:
    conn.execute(delete(media_keys).where(media_keys.c.blob_key == blob_key))


def seal_key(
    conn: Connection, blob_key: str, master_key_id: str, sealed_key_id: str, sealed_wrapped: bytes
) -> bool:
    """Replace the master-wrapped copy by the sealed one; False when the row changed meanwhile."""
    result = conn.execute(
        update(media_keys)
        .where(and_(media_keys.c.blob_key == blob_key, media_keys.c.master_key_id == master_key_id))
        .values(
            master_key_id=None,
            master_wrapped=None,
            sealed_key_id=sealed_key_id,
            sealed_wrapped=sealed_wrapped,
        )
    )
    return result.rowcount == 1


def keys_not_wrapped_by(conn: Connection, master_key_id: str, limit: int) -> list[MediaKeyRow]:
    """Server-held data keys some other master key wraps (what a rotation still has to do)."""
    query = (
        select(*_COLUMNS)
        .where(and_(media_keys.c.master_key_id.is_not(None), media_keys.c.master_key_id != master_key_id))
        .order_by(media_keys.c.blob_key)
        .limit(limit)
    )
    return [_row(row) for row in conn.execute(query)]


def count_not_wrapped_by(conn: Connection, master_key_id: str) -> int:
    query = select(func.count()).where(
        and_(media_keys.c.master_key_id.is_not(None), media_keys.c.master_key_id != master_key_id)
    )
    return int(conn.execute(query).scalar_one())


def rewrap_key(conn: Connection, blob_key: str, old_key_id: str, new_key_id: str, wrapped: bytes) -> bool:
    result = conn.execute(
        update(media_keys)
        .where(and_(media_keys.c.blob_key == blob_key, media_keys.c.master_key_id == old_key_id))
        .values(master_key_id=new_key_id, master_wrapped=wrapped)
    )
    return result.rowcount == 1


def counts_by_master_key(conn: Connection) -> dict[str | None, int]:
    """Data keys per wrapping master key id (None: sealed to a customer key)."""
    query = select(media_keys.c.master_key_id, func.count()).group_by(media_keys.c.master_key_id)
    return {key_id: int(count) for key_id, count in conn.execute(query)}


def any_server_held(conn: Connection) -> bool:
    query = select(media_keys.c.blob_key).where(media_keys.c.master_key_id.is_not(None)).limit(1)
    return conn.execute(query).first() is not None


def transcription_pending(conn: Connection, account_id: str, recording_id: str) -> bool:
    """Whether a transcription of the recording is queued or running (sealing waits for it)."""
    query = select(transcriptions.c.id).where(
        and_(
            transcriptions.c.account_id == account_id,
            transcriptions.c.recording_id == recording_id,
            transcriptions.c.status == "processing",
        )
    )
    return conn.execute(query).first() is not None


def plaintext_media(conn: Connection, after_id: int, limit: int) -> list[tuple[int, str, str, str]]:
    """Recordings whose media has no data key (stored before encryption): (id, account, recording, key)."""
    query = (
        select(recordings.c.id, recordings.c.account_id, recordings.c.recording_id, recordings.c.media_key)
        .select_from(recordings.outerjoin(media_keys, media_keys.c.blob_key == recordings.c.media_key))
        .where(
            and_(
                recordings.c.id > after_id,
                recordings.c.media_key.is_not(None),
                media_keys.c.blob_key.is_(None),
            )
        )
        .order_by(recordings.c.id)
        .limit(limit)
    )
    return [(int(a), str(b), str(c), str(d)) for a, b, c, d in conn.execute(query)]


def count_plaintext_media(conn: Connection) -> tuple[int, int]:
    """(recordings, bytes) whose media has no data key."""
    query = (
        select(func.count(), func.coalesce(func.sum(recordings.c.media_size), 0))
        .select_from(recordings.outerjoin(media_keys, media_keys.c.blob_key == recordings.c.media_key))
        .where(and_(recordings.c.media_key.is_not(None), media_keys.c.blob_key.is_(None)))
    )
    count, size = conn.execute(query).one()
    return int(count), int(size)


def switch_recording_media(conn: Connection, recording_row_id: int, old_key: str, new_key: str) -> bool:
    """Point the recording at its encrypted copy, unless its media changed meanwhile."""
    result = conn.execute(
        update(recordings)
        .where(and_(recordings.c.id == recording_row_id, recordings.c.media_key == old_key))
        .values(media_key=new_key)
    )
    return result.rowcount == 1


def get_public_key(conn: Connection, account_id: str) -> AccountPublicKey | None:
    row = conn.execute(
        select(
            account_public_keys.c.account_id,
            account_public_keys.c.key_id,
            account_public_keys.c.public_key,
            account_public_keys.c.created_at,
        ).where(account_public_keys.c.account_id == account_id)
    ).first()
    return AccountPublicKey(*row) if row else None


def put_public_key(conn: Connection, account_id: str, key_id: str, pem: str, now: datetime) -> None:
    conn.execute(delete(account_public_keys).where(account_public_keys.c.account_id == account_id))
    conn.execute(
        insert(account_public_keys).values(
            account_id=account_id, key_id=key_id, public_key=pem, created_at=now
        )
    )


def remove_public_key(conn: Connection, account_id: str) -> bool:
    result = conn.execute(delete(account_public_keys).where(account_public_keys.c.account_id == account_id))
    return result.rowcount > 0


def recording_sha256(conn: Connection, recording_row_id: int) -> str | None:
    row = conn.execute(select(recordings.c.media_sha256).where(recordings.c.id == recording_row_id)).first()
    return str(row[0]) if row and row[0] else None
