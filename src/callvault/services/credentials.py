"""API credentials, like Bandwidth's: client_id/client_secret pairs per account and role, apart from
user passwords. The secret is shown once, when it is made; the database keeps its SHA-256 only.

Why SHA-256 and not argon2: a slow hash protects secrets a person chose, which can be guessed; a
client secret is 256 random bits, which no one can guess however fast each try is, so a fast hash
loses nothing, and checking one costs microseconds (argon2 costs ~50 ms and 64 MiB each time its
cache misses). A verified credential is cached for `auth_cache_seconds` like a password: revoking
one takes effect in every process within that time (at once in the process that revoked it). Its
last-used time is written when that cache is refreshed and the stored time is older than a minute,
never on every request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from callvault.domain.audit import ActorKind
from callvault.domain.errors import AuthenticationFailed, Conflict, NotFound, ValidationFailed
from callvault.domain.ids import require_id
from callvault.domain.roles import parse_role
from callvault.domain.timefmt import utcnow
from callvault.services.auth import CLIENT_ID_PREFIX, AuditSink, Principal, sign_in_failure
from callvault.store import credentials_repo
from callvault.store.credentials_repo import StoredCredential
from callvault.store.database import MetadataStore

_CLIENT_ID = re.compile(re.escape(CLIENT_ID_PREFIX) + r"[a-z0-9]{24}")
LAST_USED_RESOLUTION = timedelta(minutes=1)


def is_client_id(value: str) -> bool:
    return _CLIENT_ID.fullmatch(value) is not None


def require_client_id(value: str) -> str:
    if not is_client_id(value):
        raise ValidationFailed(
            f"Invalid client_id {value[:64]!r}: "
            f"a client_id is {CLIENT_ID_PREFIX} and 24 lower-case letters or digits"
        )
    return value


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def credential_fingerprint(stored: StoredCredential) -> str:
    """What an access token of this credential carries; a revoked credential has none."""
    return hashlib.sha256(f"credential\0{stored.secret_sha256}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class NewCredential:
    client_id: str
    client_secret: str
    account_id: str
    role: str
    name: str | None


def principal_of(stored: StoredCredential) -> Principal:
    return Principal(stored.client_id, {stored.account_id: stored.role}, kind=ActorKind.CREDENTIAL)


class CredentialService:
    """Makes, lists, revokes and checks API credentials for one process."""

    def __init__(self, store: MetadataStore, cache_seconds: float, audit: AuditSink | None = None) -> None:
        self._store = store
        self._cache_seconds = cache_seconds
        self._audit = audit
        self._cache: dict[str, tuple[float, StoredCredential]] = {}
        self._lock = threading.Lock()
        self.failed_sign_ins = 0

    def create(self, account_id: str, role: str, name: str | None = None) -> NewCredential:
        require_id(account_id, "account id")
        parsed = parse_role(role)
        if name is not None and (not name.strip() or len(name) > 128):
            raise ValidationFailed("Invalid name: use 1-128 characters")
        client_id = CLIENT_ID_PREFIX + secrets.token_hex(12)
        secret = secrets.token_urlsafe(32)
        with self._store.write() as conn:
            credentials_repo.add(conn, client_id, account_id, parsed, name, secret_digest(secret), utcnow())
        return NewCredential(client_id, secret, account_id, parsed.value, name)

    def list(self, account_id: str | None = None) -> list[StoredCredential]:
        if account_id is not None:
            require_id(account_id, "account id")
        with self._store.read() as conn:
            return credentials_repo.list_all(conn, account_id)

    def revoke(self, client_id: str, account_id: str | None = None) -> None:
        """Revoke a credential (of `account_id`, when given): NotFound for an unknown one, Conflict for
        one already revoked; nothing changes then."""
        require_client_id(client_id)
        with self._store.write() as conn:
            stored = credentials_repo.get(conn, client_id)
            if stored is None or (account_id is not None and stored.account_id != account_id):
                raise NotFound(f"No credential {client_id}")
            if stored.revoked_at is not None:
                raise Conflict(f"Credential {client_id} was already revoked")
            credentials_repo.revoke(conn, client_id, utcnow())
        with self._lock:
            self._cache.pop(client_id, None)

    def authenticate(self, client_id: str, secret: str, address: str) -> Principal:
        """The principal of a valid, unrevoked client_id and secret; AuthenticationFailed otherwise."""
        stored, fresh = self._stored(client_id) if is_client_id(client_id) else (None, False)
        if stored is None or stored.revoked_at is not None or not self._matches(stored, secret):
            self.failed_sign_ins += 1
            if self._audit is not None:
                reason = "revoked credential" if stored and stored.revoked_at else "wrong client_id or secret"
                self._audit(
                    sign_in_failure(client_id, address, reason, stored.account_id if stored else None)
                )
            raise AuthenticationFailed("Invalid client_id or client_secret")
        if fresh:
            self._mark_used(stored)
        return principal_of(stored)

    def cached(self, client_id: str, secret: str) -> Principal | None:
        """The principal when the credential is cached and the secret matches; no I/O."""
        with self._lock:
            entry = self._cache.get(client_id)
        if entry is None or time.monotonic() > entry[0]:
            return None
        stored = entry[1]
        if stored.revoked_at is not None or not self._matches(stored, secret):
            return None
        return principal_of(stored)

    def current(self, client_id: str) -> tuple[str | None, Principal | None]:
        """For access tokens (which cache the answer themselves): the credential's fingerprint and
        principal as stored now; (None, None) once revoked."""
        stored, fresh = self._stored(client_id, refresh=True) if is_client_id(client_id) else (None, False)
        if stored is None or stored.revoked_at is not None:
            return None, None
        if fresh:
            self._mark_used(stored)
        return credential_fingerprint(stored), principal_of(stored)

    @staticmethod
    def _matches(stored: StoredCredential, secret: str) -> bool:
        return hmac.compare_digest(stored.secret_sha256, secret_digest(secret))

    def _stored(self, client_id: str, *, refresh: bool = False) -> tuple[StoredCredential | None, bool]:
        """The credential, from the cache or (then `fresh` is True) from the database."""
        now = time.monotonic()
        with self._lock:
            entry = self._cache.get(client_id)
        if entry is not None and now <= entry[0] and not refresh:
            return entry[1], False
        with self._store.read() as conn:
            stored = credentials_repo.get(conn, client_id)
        if stored is not None:
            with self._lock:
                self._cache[client_id] = (now + self._cache_seconds, stored)
        return stored, True

    def _mark_used(self, stored: StoredCredential) -> None:
        """Write the last-used time, unless the stored one is less than a minute old."""
        now = utcnow()
        if stored.last_used_at is not None and now - stored.last_used_at < LAST_USED_RESOLUTION:
            return
        with self._store.write() as conn:
            credentials_repo.mark_used(conn, stored.client_id, now)
