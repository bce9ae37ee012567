"""SQL for recording sources: SIPREC clients, media-stream tokens, per-account recording settings."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from callvault.domain.sources import AccountRecordingSettings, SipSource, StreamToken
from callvault.store.tables import account_recording_settings, sip_sources, stream_tokens


class DuplicateSource(Exception):
    """A SIP source with that name or username exists."""


def add_sip_source(conn: Connection, source: SipSource, now: datetime) -> None:
    try:
        with conn.begin_nested():
            conn.execute(
                insert(sip_sources).values(
                    name=source.name,
                    account_id=source.account_id,
                    networks=list(source.networks),
                    username=source.username,
                    ha1=source.ha1,
                    created_at=now,
                )
            )
    except IntegrityError as exc:
        raise DuplicateSource(source.name) from exc


def remove_sip_source(conn: Connection, name: str) -> bool:
    return conn.execute(delete(sip_sources).where(sip_sources.c.name == name)).rowcount > 0


def list_sip_sources(conn: Connection) -> list[SipSource]:
    rows = conn.execute(select(sip_sources).order_by(sip_sources.c.name))
    return [
        SipSource(
            name=row.name,
            account_id=row.account_id,
            networks=tuple(row.networks or ()),
            username=row.username,
            ha1=row.ha1,
            created_at=row.created_at,
        )
        for row in rows
    ]


def add_stream_token(conn: Connection, name: str, account_id: str, token_sha256: str, now: datetime) -> int:
    result = conn.execute(
        insert(stream_tokens).values(
            name=name, account_id=account_id, token_sha256=token_sha256, created_at=now
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def _token(row: object) -> StreamToken:
    return StreamToken(
        token_id=row.id,  # type: ignore[attr-defined]
        name=row.name,  # type: ignore[attr-defined]
        account_id=row.account_id,  # type: ignore[attr-defined]
        created_at=row.created_at,  # type: ignore[attr-defined]
        revoked_at=row.revoked_at,  # type: ignore[attr-defined]
    )


def find_stream_token(conn: Connection, token_sha256: str) -> StreamToken | None:
    row = conn.execute(select(stream_tokens).where(stream_tokens.c.token_sha256 == token_sha256)).first()
    return _token(row) if row else None


def list_stream_tokens(conn: Connection, account_id: str | None = None) -> list[StreamToken]:
    query = select(stream_tokens).order_by(stream_tokens.c.id)
    if account_id is not None:
        query = query.where(stream_tokens.c.account_id == account_id)
    return [_token(row) for row in conn.execute(query)]


def revoke_stream_token(conn: Connection, token_id: int, now: datetime) -> bool:
    statement = (
        update(stream_tokens)
        .where(stream_tokens.c.id == token_id, stream_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return conn.execute(statement).rowcount > 0


def get_recording_settings(conn: Connection, account_id: str) -> AccountRecordingSettings:
    """The account's settings; the defaults when it has none."""
    row = conn.execute(
        select(account_recording_settings.c.settings).where(
            account_recording_settings.c.account_id == account_id
        )
    ).first()
    if row is None:
        return AccountRecordingSettings()
    known = {f.name for f in dataclasses.fields(AccountRecordingSettings)}
    return AccountRecordingSettings(**{k: v for k, v in dict(row[0]).items() if k in known})


def put_recording_settings(
    conn: Connection, account_id: str, settings: AccountRecordingSettings, now: datetime
) -> None:
    values = {"settings": dataclasses.asdict(settings), "updated_at": now}
    table = account_recording_settings
    if conn.execute(update(table).where(table.c.account_id == account_id).values(**values)).rowcount == 0:
        conn.execute(insert(table).values(account_id=account_id, **values))
