"""OAuth2 client-credentials access tokens (RFC 6749 §4.4), the scheme Bandwidth's SDKs use by default.

The client credentials are an API credential's client_id and secret (`services.credentials`), or a
user's own name and password. A token is a JWT (PyJWT, HS256) signed
with one key that every server process shares: it is created once and kept in the database's
`system_settings`, so `serve --workers N` and servers on several machines accept each other's tokens.
A token names its user and a fingerprint of the user's password hash. Verifying it needs no database
round trip: the signature and expiry are checked in memory, and the user's current fingerprint and
accounts come from a cache that is refreshed every `auth_cache_seconds`; so a token stops working
within that time once its user is removed or changes password, or its credential is revoked.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import jwt

from callvault.domain.errors import AuthenticationFailed, InvalidClient
from callvault.domain.timefmt import utcnow
from callvault.services.auth import Authenticator, Principal
from callvault.services.credentials import CredentialService, is_client_id
from callvault.store import system_settings_repo, users_repo
from callvault.store.database import MetadataStore

TOKEN_LIFETIME_SECONDS = 3600
ISSUER = "callvault"
ALGORITHM = "HS256"
_REQUIRED_CLAIMS = ["iss", "sub", "iat", "exp", "cred"]


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    token_type: str = "Bearer"


def credential_fingerprint(password_hash: str) -> str:
    """Changes whenever the password does (argon2 hashes carry a fresh salt), reveals nothing of it."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class _Current:
    expires: float
    fingerprint: str | None  # None: no such user
    principal: Principal | None


class TokenService:
    """Issues and verifies access tokens for one process."""

    def __init__(
        self,
        store: MetadataStore,
        authenticator: Authenticator,
        cache_seconds: float,
        clock: Callable[[], float] = time.time,
        credentials: CredentialService | None = None,
    ) -> None:
        self._store = store
        self._authenticator = authenticator
        self._credentials = credentials
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._key: bytes | None = None
        self._users: dict[str, _Current] = {}
        self._lock = threading.Lock()

    def issue(self, client_id: str, client_secret: str, address: str) -> IssuedToken:
        """A token for valid client credentials sent from client `address`; `InvalidClient` otherwise
        (and the authenticator's RateLimited while failed sign-ins are throttled)."""
        try:
            if self._credentials is not None and is_client_id(client_id):
                principal = self._credentials.authenticate(client_id, client_secret, address)
            else:
                principal = self._authenticator.authenticate(client_id, client_secret, address)
        except AuthenticationFailed:
            raise InvalidClient("Client authentication failed: unknown client_id or wrong secret") from None
        current = self._current(principal.name, refresh=True)
        assert current.fingerprint is not None
        now = int(self._clock())
        claims = {
            "iss": ISSUER,
            "sub": principal.name,
            "iat": now,
            "exp": now + TOKEN_LIFETIME_SECONDS,
            "jti": secrets.token_urlsafe(12),
            "cred": current.fingerprint,
        }
        return IssuedToken(jwt.encode(claims, self._signing_key(), ALGORITHM), TOKEN_LIFETIME_SECONDS)

    def verify(self, token: str) -> Principal:
        """The principal a valid token names; `AuthenticationFailed` for any other token."""
        try:
            claims = jwt.decode(
                token,
                self._signing_key(),
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": _REQUIRED_CLAIMS, "verify_iat": False},
                leeway=0,
            )
        except jwt.ExpiredSignatureError:
            raise AuthenticationFailed("The access token has expired: request a new one") from None
        except jwt.PyJWTError:
            raise AuthenticationFailed("Invalid access token") from None
        current = self._current(str(claims["sub"]))
        if current.principal is None or current.fingerprint != claims["cred"]:
            raise AuthenticationFailed(
                "The access token was revoked: its credential was revoked, "
                "or its user removed or changed password"
            )
        return current.principal

    def _current(self, username: str, *, refresh: bool = False) -> _Current:
        now = time.monotonic()
        with self._lock:
            cached = self._users.get(username)
        if cached is not None and not refresh and now < cached.expires:
            return cached
        if self._credentials is not None and is_client_id(username):
            fingerprint, principal = self._credentials.current(username)
            current = _Current(now + self._cache_seconds, fingerprint, principal)
            with self._lock:
                self._users[username] = current
            return current
        with self._store.read() as conn:
            user = users_repo.get_user(conn, username)
        if user is None:
            current = _Current(now + self._cache_seconds, None, None)
        else:
            current = _Current(
                now + self._cache_seconds,
                credential_fingerprint(user.password_hash),
                Principal(user.name, user.roles),
            )
        with self._lock:
            self._users[username] = current
        return current

    def _signing_key(self) -> bytes:
        if self._key is None:
            with self._store.read() as conn:
                stored = system_settings_repo.get(conn, system_settings_repo.TOKEN_SIGNING_KEY)
            if stored is None:
                stored = self._create_signing_key()
            self._key = stored.encode()
        return self._key

    def _create_signing_key(self) -> str:
        with self._store.write() as conn:
            return system_settings_repo.get_or_add(
                conn, system_settings_repo.TOKEN_SIGNING_KEY, secrets.token_urlsafe(48), utcnow()
            )
