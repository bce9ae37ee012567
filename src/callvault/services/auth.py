"""Users, password hashing, credential checks, and the principal a request acts as (with the one
check of what it may do: `Principal.require`)."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from callvault.domain.audit import AccessEntry, Action, ActorKind
from callvault.domain.errors import (
    AccessDenied,
    AuthenticationFailed,
    Conflict,
    NotFound,
    RateLimited,
    ValidationFailed,
)
from callvault.domain.ids import require_id
from callvault.domain.roles import DEFAULT_ROLE, Permission, Role, allows, parse_role
from callvault.domain.timefmt import utcnow
from callvault.services.login_throttle import LoginThrottle
from callvault.store import users_repo
from callvault.store.database import MetadataStore

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("callvault-timing-equaliser")

AuditSink = Callable[[AccessEntry], None]
"""Where a service records what the access log must hold (`services.audit.AuditLog.record`)."""


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: a user (by name) or an API credential (by client_id), and its role in
    each account it may use."""

    name: str
    roles: Mapping[str, Role] = field(default_factory=dict, hash=False)
    kind: str = ActorKind.USER

    @property
    def accounts(self) -> frozenset[str]:
        return frozenset(self.roles)

    def require_account(self, account_id: str) -> None:
        if account_id not in self.roles:
            raise AccessDenied(f"{self._who()} has no access to account {account_id!r}")

    def may(self, account_id: str, permission: Permission) -> bool:
        role = self.roles.get(account_id)
        return role is not None and allows(role, permission)

    def require(self, account_id: str, permission: Permission) -> None:
        """403 unless this principal's role in the account grants `permission`: the one check every
        route, WebSocket, stream and console page makes (through `api.auth.permit`)."""
        self.require_account(account_id)
        role = self.roles[account_id]
        if not allows(role, permission):
            raise AccessDenied(
                f"{self._who()} has role {role.value} in account {account_id!r}, "
                f"which does not allow {permission.value}"
            )

    def _who(self) -> str:
        return f"Credential {self.name!r}" if self.kind == ActorKind.CREDENTIAL else f"User {self.name!r}"


def sign_in_failure(name: str, address: str, reason: str, account_id: str | None = None) -> AccessEntry:
    """The access-log entry of a failed sign-in (the name is what the caller claimed)."""
    return AccessEntry(
        at=utcnow(),
        actor=name[:128],
        actor_kind=ActorKind.UNKNOWN,
        action=Action.SIGN_IN_FAILED,
        result="401",
        account_id=account_id,
        address=address[:64],
        detail={"reason": reason},
    )


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
        audit: AuditSink | None = None,
    ) -> None:
        self._store = store
        self._audit = audit
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
            if self._audit is not None:
                self._audit(sign_in_failure(username, address, "wrong user name or password"))
            raise AuthenticationFailed("Invalid username or password")
        principal = Principal(user.name, user.roles)
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


def looks_like_client_id(name: str) -> bool:
    return name.startswith(CLIENT_ID_PREFIX)


CLIENT_ID_PREFIX = "cvc_"
"""What every API credential's client_id starts with (`services.credentials`); no user name may."""


def parse_account_roles(accounts: list[str], role: str | None = None) -> dict[str, Role]:
    """`["9900000", "9900001:auditor"]` -> {account: role}; an account without `:role` gets `role`
    (default member). ValidationFailed for a malformed account id or an unknown role."""
    default = parse_role(role) if role else DEFAULT_ROLE
    roles: dict[str, Role] = {}
    for value in accounts:
        account, sep, named = value.partition(":")
        require_id(account, "account id")
        roles[account] = parse_role(named) if sep else default
    return roles


def add_user(
    store: MetadataStore, name: str, password: str, accounts: list[str], role: str | None = None
) -> None:
    require_id(name, "user name")
    if looks_like_client_id(name):
        raise ValidationFailed(
            f"Invalid user name {name!r}: names starting {CLIENT_ID_PREFIX} are client ids"
        )
    if not accounts:
        raise ValidationFailed("A user needs at least one --account")
    roles = parse_account_roles(accounts, role)
    password_hash = hash_password(password)
    with store.write() as conn:
        if users_repo.get_user(conn, name) is not None:
            raise Conflict(f"User {name!r} already exists")
        users_repo.add_user(conn, name, password_hash, roles, utcnow())


def set_role(store: MetadataStore, name: str, account_id: str, role: str) -> Role:
    """Give user `name` the role in the account (adding the account to the user's accounts)."""
    require_id(account_id, "account id")
    parsed = parse_role(role)
    with store.write() as conn:
        user = users_repo.get_user(conn, name)
        if user is None:
            raise NotFound(f"No user {name!r}")
        users_repo.set_role(conn, user.id, account_id, parsed)
    return parsed


def change_password(store: MetadataStore, name: str, password: str) -> None:
    password_hash = hash_password(password)
    with store.write() as conn:
        if not users_repo.set_password(conn, name, password_hash):
            raise NotFound(f"No user {name!r}")


def remove_user(store: MetadataStore, name: str) -> None:
    with store.write() as conn:
        if not users_repo.remove_user(conn, name):
            raise NotFound(f"No user {name!r}")
