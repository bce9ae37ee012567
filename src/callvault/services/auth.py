"""Users, password hashing and credential checks."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from callvault.domain.errors import (
    AccessDenied,
    AuthenticationFailed,
    Conflict,
    NotFound,
    RateLimited,
    ValidationFailed,
)
from callvault.domain.ids import require_id
from callvault.domain.timefmt import utcnow
from callvault.services.login_throttle import LoginThrottle
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
    """Checks Basic credentials with argon2; remembers a verified credential briefly, in memory only.

    Order of checks: the cache of recently verified credentials (no hash), then the failed sign-in
    throttle (no hash), then argon2 with at most `max_concurrent_hashes` hashes at once (each holds
    64 MiB); a caller that waits `hash_wait_seconds` for a slot gets a 429 instead.
    """

    def __init__(
        self,
        store: MetadataStore,
        cache_seconds: float,
        *,
        throttle: LoginThrottle | None = None,
        max_concurrent_hashes: int = 2,
        hash_wait_seconds: float = 10.0,
    ) -> None:
        self._store = store
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, bytes, Principal]] = {}
        self._lock = threading.Lock()
        self._verifying = [threading.Lock() for _ in range(_VERIFYING_STRIPES)]
        self._throttle = throttle
        self._hash_slots = threading.BoundedSemaphore(max_concurrent_hashes)
        self._hash_wait_seconds = hash_wait_seconds
        self.failed_logins = 0
        """Wrong user names or passwords since start (for /metrics)."""

    def authenticate(self, username: str, password: str, address: str) -> Principal:
        """The principal of these credentials, sent from client `address`; AuthenticationFailed or
        RateLimited otherwise."""
        digest = _digest(username, password)
        cached, known = self._cached(username, digest)
        if cached is not None:
            return cached
        if self._throttle is not None and not known:
            self._throttle.check(username, address)
        # One verification per user at a time: requests that arrive together with the same uncached
        # credential wait for the first one's result instead of each paying for argon2.
        with self._verifying[hash(username) % len(self._verifying)]:
            cached, known = self._cached(username, digest)
            if cached is not None:
                return cached
            if self._throttle is not None and not known:
                self._throttle.check(username, address)  # failures recorded while this one waited count
            return self._check(username, password, address, digest)

    def _check(self, username: str, password: str, address: str, digest: bytes) -> Principal:
        with self._store.read() as conn:
            user = users_repo.get_user(conn, username)
        verified = self._verify_bounded(user.password_hash if user else _DUMMY_HASH, password)
        if user is None or not verified:
            with self._lock:
                self.failed_logins += 1
            if self._throttle is not None:
                self._throttle.record_failure(username, address)
            raise AuthenticationFailed("Invalid username or password")
        principal = Principal(user.name, user.accounts)
        if self._cache_seconds > 0:
            with self._lock:
                self._cache[username] = (time.monotonic() + self._cache_seconds, digest, principal)
        return principal

    def cached(self, username: str, password: str) -> Principal | None:
        """The principal of a credential verified less than `cache_seconds` ago; no I/O, no hashing cost."""
        return self._cached(username, _digest(username, password))[0]

    def _verify_bounded(self, password_hash: str, password: str) -> bool:
        if not self._hash_slots.acquire(timeout=self._hash_wait_seconds):
            raise RateLimited(
                "Too many sign-ins are being checked at once; try again in 1 s", headers={"Retry-After": "1"}
            )
        try:
            return _verify(password_hash, password)
        finally:
            self._hash_slots.release()

    def _cached(self, username: str, digest: bytes) -> tuple[Principal | None, bool]:
        """The principal while this credential's verification is fresh; and whether it was ever
        verified here (such a credential is checked again, but never throttled: a guesser cannot
        lock out a user who already signed in)."""
        with self._lock:
            entry = self._cache.get(username)
        if entry is None:
            return None, False
        expires, cached_digest, principal = entry
        if not hmac.compare_digest(cached_digest, digest):
            return None, False
        return (principal if time.monotonic() <= expires else None), True


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
