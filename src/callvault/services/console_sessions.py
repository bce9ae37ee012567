"""Console sign-in: the key that signs session cookies (shared by every process through the database)
and the user a session names, checked again on each request (a removed user or a changed password
ends every session of that user)."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy.exc import IntegrityError

from callvault.domain.errors import AuthenticationFailed
from callvault.domain.timefmt import utcnow
from callvault.services.auth import Authenticator, Principal
from callvault.store import system_settings_repo, users_repo
from callvault.store.database import MetadataStore

SESSION_KEY_SETTING = "console_session_key"


def session_key(store: MetadataStore) -> str:
    """The signing key, made on first use."""
    with store.read() as conn:
        existing = system_settings_repo.get(conn, SESSION_KEY_SETTING)
    if existing:
        return existing
    try:
        with store.write() as conn:
            existing = system_settings_repo.get(conn, SESSION_KEY_SETTING)
            if existing:
                return existing
            key = secrets.token_urlsafe(48)
            system_settings_repo.put(conn, SESSION_KEY_SETTING, key, utcnow())
            return key
    except IntegrityError:  # another process made it at the same moment
        with store.read() as conn:
            made = system_settings_repo.get(conn, SESSION_KEY_SETTING)
        assert made is not None
        return made


def _fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:24]


def sign_in(
    store: MetadataStore, authenticator: Authenticator, username: str, password: str, address: str
) -> tuple[Principal, str]:
    """Check the password (sent from client `address`); -> the principal and the fingerprint a session
    of it carries."""
    principal = authenticator.authenticate(username, password, address)
    with store.read() as conn:
        user = users_repo.get_user(conn, principal.name)
    if user is None:
        raise AuthenticationFailed("Invalid username or password")
    return principal, _fingerprint(user.password_hash)


def session_principal(store: MetadataStore, username: str, fingerprint: str) -> Principal:
    """The user of a session, as long as the user exists with the same password."""
    with store.read() as conn:
        user = users_repo.get_user(conn, username)
    if user is None or not secrets.compare_digest(_fingerprint(user.password_hash), fingerprint):
        raise AuthenticationFailed("Your session has ended: sign in again")
    return Principal(user.name, user.roles)
