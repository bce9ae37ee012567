"""SQL for API credentials (client_id + the SHA-256 of the secret, per account and role)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from callvault.domain.roles import Role
from callvault.store.tables import api_credentials


@dataclass(frozen=True)
class StoredCredential:
    client_id: str
    account_id: str
    role: Role
    name: str | None
    secret_sha256: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


def _credential(row: object) -> StoredCredential:
    return StoredCredential(
        client_id=row.client_id,  # type: ignore[attr-defined]
        account_id=row.account_id,  # type: ignore[attr-defined]
        role=Role(row.role),  # type: ignore[attr-defined]
        name=row.name,  # type: ignore[attr-defined]
        secret_sha256=row.secret_sha256,  # type: ignore[attr-defined]
        created_at=row.created_at,  # type: ignore[attr-defined]
        revoked_at=row.revoked_at,  # type: ignore[attr-defined]
        last_used_at=row.last_used_at,  # type: ignore[attr-defined]
    )


def add(
    conn: Connection,
    client_id: str,
    account_id: str,
    role: Role,
    name: str | None,
    secret_sha256: str,
    now: datetime,
) -> None:
    conn.execute(
        insert(api_credentials).values(
            client_id=client_id,
            account_id=account_id,
            role=role.value,
            name=name,
            secret_sha256=secret_sha256,
            created_at=now,
        )
    )


def get(conn: Connection, client_id: str) -> StoredCredential | None:
    row = conn.execute(select(api_credentials).where(api_credentials.c.client_id == client_id)).first()
    return _credential(row) if row else None


def list_all(conn: Connection, account_id: str | None = None) -> list[StoredCredential]:
    query = select(api_credentials).order_by(api_credentials.c.account_id, api_credentials.c.created_at)
    if account_id is not None:
        query = query.where(api_credentials.c.account_id == account_id)
    return [_credential(row) for row in conn.execute(query)]


def revoke(conn: Connection, client_id: str, now: datetime) -> bool:
    """Whether a credential that was not revoked yet is revoked now."""
    result = conn.execute(
        update(api_credentials)
        .where(api_credentials.c.client_id == client_id, api_credentials.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return result.rowcount == 1


def mark_used(conn: Connection, client_id: str, now: datetime) -> None:
    conn.execute(
        update(api_credentials).where(api_credentials.c.client_id == client_id).values(last_used_at=now)
    )
