"""SQL for signed-in console sessions (rows keyed by the sha256 of the session id)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select

from callvault.store.tables import console_sessions


@dataclass(frozen=True)
class StoredSession:
    username: str
    password_fingerprint: str
    expires_at: datetime


def add(
    conn: Connection, id_sha256: str, username: str, fingerprint: str, now: datetime, expires_at: datetime
) -> None:
    conn.execute(
        insert(console_sessions).values(
            id_sha256=id_sha256,
            username=username,
            password_fingerprint=fingerprint,
            created_at=now,
            expires_at=expires_at,
        )
    )


def get(conn: Connection, id_sha256: str) -> StoredSession | None:
    row = conn.execute(
        select(
            console_sessions.c.username,
            console_sessions.c.password_fingerprint,
            console_sessions.c.expires_at,
        ).where(console_sessions.c.id_sha256 == id_sha256)
    ).first()
    return None if row is None else StoredSession(row.username, row.password_fingerprint, row.expires_at)


def remove(conn: Connection, id_sha256: str) -> None:
    conn.execute(delete(console_sessions).where(console_sessions.c.id_sha256 == id_sha256))


def remove_for_user(conn: Connection, username: str) -> int:
    return conn.execute(delete(console_sessions).where(console_sessions.c.username == username)).rowcount


def remove_expired(conn: Connection, now: datetime) -> int:
    return conn.execute(delete(console_sessions).where(console_sessions.c.expires_at <= now)).rowcount
