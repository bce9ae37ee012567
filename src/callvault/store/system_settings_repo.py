"""SQL for the shared system settings (name -> value)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from callvault.store.tables import system_settings

MEDIA_URL = "media_url"
PREVIOUS_MEDIA_URL = "previous_media_url"
TOKEN_SIGNING_KEY = "oauth2_token_signing_key"


def get(conn: Connection, name: str) -> str | None:
    row = conn.execute(select(system_settings.c.value).where(system_settings.c.name == name)).first()
    return str(row[0]) if row else None


def put(conn: Connection, name: str, value: str, now: datetime) -> None:
    updated = conn.execute(
        update(system_settings).where(system_settings.c.name == name).values(value=value, updated_at=now)
    )
    if updated.rowcount == 0:
        conn.execute(insert(system_settings).values(name=name, value=value, updated_at=now))


def remove(conn: Connection, name: str) -> None:
    conn.execute(delete(system_settings).where(system_settings.c.name == name))


def get_or_add(conn: Connection, name: str, value: str, now: datetime) -> str:
    """The stored value of `name`; `value` is stored first when there is none. Safe under a race: the
    first process to commit wins and every other one reads its value."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(
        dialect.insert(system_settings)
        .values(name=name, value=value, updated_at=now)
        .on_conflict_do_nothing(index_elements=[system_settings.c.name])
    )
    stored = get(conn, name)
    assert stored is not None
    return stored
