"""The authenticator (services/auth.py) on a real SQLite store: caching and one verification per user."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from callvault.domain.errors import AuthenticationFailed
from callvault.services import auth
from callvault.services.auth import Authenticator, add_user
from callvault.store.database import MetadataStore


@pytest.fixture
def store(tmp_path: Path) -> MetadataStore:
    store = MetadataStore(f"sqlite:///{tmp_path / 'auth.sqlite3'}")
    store.upgrade_schema()
    add_user(store, "alice", "alice-password-1", ["9900000"])
    return store


def _count_verifications(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    verify = auth._verify

    def counting(password_hash: str, password: str) -> bool:
        calls[0] += 1
        return verify(password_hash, password)

    monkeypatch.setattr(auth, "_verify", counting)
    return calls


def test_a_burst_of_the_same_new_credential_is_verified_once(
    store: MetadataStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count_verifications(monkeypatch)
    authenticator = Authenticator(store, cache_seconds=60)
    start = threading.Barrier(8)
    principals = []

    def sign_in() -> None:
        start.wait()
        principals.append(authenticator.authenticate("alice", "alice-password-1", "127.0.0.1"))

    threads = [threading.Thread(target=sign_in) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [p.name for p in principals] == ["alice"] * 8
    assert calls[0] == 1
    assert authenticator.cached("alice", "alice-password-1") == principals[0]
    assert authenticator.cached("alice", "another-password") is None


def test_a_wrong_password_is_verified_every_time_and_never_cached(
    store: MetadataStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count_verifications(monkeypatch)
    authenticator = Authenticator(store, cache_seconds=60)
    for _ in range(2):
        with pytest.raises(AuthenticationFailed):
            authenticator.authenticate("alice", "wrong-password", "127.0.0.1")
    assert calls[0] == 2
    assert authenticator.cached("alice", "wrong-password") is None
