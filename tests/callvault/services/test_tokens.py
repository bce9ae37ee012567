"""TokenService (services/tokens.py) on a real SQLite database: in-memory verification, one signing
key per database, expiry, revocation."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from sqlalchemy import event

from callvault.domain.errors import AuthenticationFailed, InvalidClient
from callvault.services.auth import Authenticator, add_user, change_password, remove_user
from callvault.services.tokens import TOKEN_LIFETIME_SECONDS, TokenService
from callvault.store.database import MetadataStore

PASSWORD = "alice-password-1"
ADDRESS = "127.0.0.1"


@pytest.fixture()
def store(tmp_path: Path) -> MetadataStore:
    store = MetadataStore(f"sqlite:///{tmp_path / 'callvault.sqlite3'}")
    store.upgrade_schema()
    add_user(store, "alice", PASSWORD, ["9900000"])
    return store


def service(store: MetadataStore, cache_seconds: float = 60, **kwargs: Any) -> TokenService:
    return TokenService(store, Authenticator(store, cache_seconds), cache_seconds, **kwargs)


def test_verifying_needs_no_database_round_trip(store: MetadataStore) -> None:
    tokens = service(store)
    token = tokens.issue("alice", PASSWORD, ADDRESS).access_token
    tokens.verify(token)
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

    for _ in range(200):
        assert tokens.verify(token).accounts == frozenset({"9900000"})

    assert statements == []


def test_processes_on_one_database_share_the_signing_key(store: MetadataStore, tmp_path: Path) -> None:
    first, second = service(store), service(MetadataStore(store.url))

    assert second.verify(first.issue("alice", PASSWORD, ADDRESS).access_token).name == "alice"
    assert first.verify(second.issue("alice", PASSWORD, ADDRESS).access_token).name == "alice"
    other = MetadataStore(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    other.upgrade_schema()
    add_user(other, "alice", PASSWORD, ["9900000"])
    with pytest.raises(AuthenticationFailed, match="Invalid access token"):
        service(other).verify(first.issue("alice", PASSWORD, ADDRESS).access_token)


def test_expired_token_is_refused(store: MetadataStore) -> None:
    issued_at = time.time() - TOKEN_LIFETIME_SECONDS - 1
    token = service(store, clock=lambda: issued_at).issue("alice", PASSWORD, ADDRESS).access_token

    with pytest.raises(AuthenticationFailed, match="expired"):
        service(store).verify(token)


def test_wrong_client_secret_is_invalid_client(store: MetadataStore) -> None:
    with pytest.raises(InvalidClient):
        service(store).issue("alice", PASSWORD + "x", ADDRESS)
    with pytest.raises(InvalidClient):
        service(store).issue("nobody", PASSWORD, ADDRESS)


def test_password_change_and_removal_revoke_after_the_cache(store: MetadataStore) -> None:
    tokens = service(store, cache_seconds=0.2)
    token = tokens.issue("alice", PASSWORD, ADDRESS).access_token
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["sub"] == "alice" and claims["exp"] - claims["iat"] == TOKEN_LIFETIME_SECONDS

    change_password(store, "alice", "alice-password-2")
    time.sleep(0.3)
    with pytest.raises(AuthenticationFailed, match="revoked"):
        tokens.verify(token)

    fresh = tokens.issue("alice", "alice-password-2", ADDRESS).access_token
    assert tokens.verify(fresh).name == "alice"
    remove_user(store, "alice")
    time.sleep(0.3)
    with pytest.raises(AuthenticationFailed, match="revoked"):
        tokens.verify(fresh)
