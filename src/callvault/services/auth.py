"""Users, password hashing and credential checks."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from callvault.domain.errors import AccessDenied, AuthenticationFailed, Conflict, NotFound, ValidationFailed
from callvault.domain.ids import require_id
from callvault.domain.timefmt import utcnow
from callvault.store import users_repo
from callvault.store.database import MetadataStore

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("callvault-timing-equaliser")


@dataclass(frozen=True)
class Principal:
    name: str
    accounts: frozenset[str]

    def require_account(self, account_id: str) -> None:
        if account_id not in self.accounts:
            raise AccessDenied(f"User {self.name!r} has no access to account {account_id!r}")


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise ValidationFailed("Invalid password: use at least 8 characters")
    return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_VERIFYING_STRIPES = 64


def _digest(username: str, password: str) -> bytes:
    return hashlib.sha256(f"{username}\0{password}".encode()).digest()


class Authenticator:
    """Checks Basic credentials with argon2; remembers a verified credential briefly, in memory only."""

    def __init__(self, store: MetadataStore, cache_seconds: float) -> None:
        self._store = store
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, bytes, Principal]] = {}
        self._lock = threading.Lock()
        self._verifying = [threading.Lock() for _ in range(_VERIFYING_STRIPES)]

    def authenticate(self, username: str, password: str) -> Principal:
        digest = _digest(username, password)
        cached = self._cached(username, digest)
        if cached is not None:
            return cached
        # One verification per user at a time: requests that arrive together with the same uncached
        # credential wait for the first one's result instead of each paying for argon2.
        with self._verifying[hash(username) % len(self._verifying)]:
            cached = self._cached(username, digest)
            if cached is not None:
                return cached
            return self._check(username, password, digest)

    def _check(self, username: str, password: str, digest: bytes) -> Principal:
        with self._store.read() as conn:
            user = users_repo.get_user(conn, username)
        if user is None:
            _verify(_DUMMY_HASH, password)
            raise AuthenticationFailed("Invalid username or password")
        if not _verify(user.password_hash, password):
            raise AuthenticationFailed("Invalid username or password")
        principal = Principal(user.name, user.accounts)
        if self._cache_seconds > 0:
            with self._lock:
                self._cache[username] = (time.monotonic() + self._cache_seconds, digest, principal)
        return principal

    def cached(self, username: str, password: str) -> Principal | None:
        """The principal of a credential verified less than `cache_seconds` ago; no I/O, no hashing cost."""
        return self._cached(username, _digest(username, password))

    def _cached(self, username: str, digest: bytes) -> Principal | None:
        with self._lock:
            entry = self._cache.get(username)
        if entry is None:
            return None
        expires, cached_digest, principal = entry
        if time.monotonic() > expires or not hmac.compare_digest(cached_digest, digest):
            return None
        return principal


def add_user(store: MetadataStore, name: str, password: str, accounts: list[str]) -> None:
    require_id(name, "user name")
    if not accounts:
        raise ValidationFailed("A user needs at least one --account")
    for account in accounts:
        require_id(account, "account id")
    password_hash = hash_password(password)
    with store.write() as conn:
        if users_repo.get_user(conn, name) is not None:
            raise Conflict(f"User {name!r} already exists")
        users_repo.add_user(conn, name, password_hash, accounts, utcnow())


def change_password(store: MetadataStore, name: str, password: str) -> None:
    password_hash = hash_password(password)
    with store.write() as conn:
        if not users_repo.set_password(conn, name, password_hash):
            raise NotFound(f"No user {name!r}")


def remove_user(store: MetadataStore, name: str) -> None:
    with store.write() as conn:
        if not users_repo.remove_user(conn, name):
            raise NotFound(f"No user {name!r}")
