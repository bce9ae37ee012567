"""SQL for users, their accounts and their role in each."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select, update

from callvault.domain.records import User
from callvault.domain.roles import Role
from callvault.store.tables import user_accounts, users


def get_user(conn: Connection, name: str) -> User | None:
    row = conn.execute(select(users).where(users.c.name == name)).first()
    if row is None:
        return None
    accounts = conn.execute(
        select(user_accounts.c.account_id, user_accounts.c.role).where(user_accounts.c.user_id == row.id)
    )
    return User(
        id=row.id,
        name=row.name,
        password_hash=row.password_hash,
        roles={account: Role(role) for account, role in accounts},
    )


def add_user(
    conn: Connection, name: str, password_hash: str, roles: Mapping[str, Role], now: datetime
) -> None:
    result = conn.execute(insert(users).values(name=name, password_hash=password_hash, created_at=now))
    user_id = result.inserted_primary_key[0]  # type: ignore[index]
    for account in sorted(roles):
        conn.execute(
            insert(user_accounts).values(user_id=user_id, account_id=account, role=roles[account].value)
        )


def set_password(conn: Connection, name: str, password_hash: str) -> bool:
    result = conn.execute(update(users).where(users.c.name == name).values(password_hash=password_hash))
    return result.rowcount == 1


def set_role(conn: Connection, user_id: int, account_id: str, role: Role) -> None:
    """Give the user `role` in the account (adding the account when the user has not had it)."""
    updated = conn.execute(
        update(user_accounts)
        .where(user_accounts.c.user_id == user_id, user_accounts.c.account_id == account_id)
        .values(role=role.value)
    )
    if updated.rowcount == 0:
        conn.execute(insert(user_accounts).values(user_id=user_id, account_id=account_id, role=role.value))


def remove_user(conn: Connection, name: str) -> bool:
    row = conn.execute(select(users.c.id).where(users.c.name == name)).first()
    if row is None:
        return False
    conn.execute(delete(user_accounts).where(user_accounts.c.user_id == row.id))
    conn.execute(delete(users).where(users.c.id == row.id))
    return True


def list_users(conn: Connection) -> list[User]:
    names = [row.name for row in conn.execute(select(users.c.name).order_by(users.c.name))]
    return [u for u in (get_user(conn, n) for n in names) if u is not None]


def count_users(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(users)).scalar_one())
