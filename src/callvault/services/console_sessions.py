"""Console sign-in: the key that signs session cookies (shared by every process through the database),
and the sessions themselves, kept as rows so that every process sees one end: signing out removes the
session's row, "sign out everywhere" all of the user's rows. A session also ends when it expires, when
its user is removed, or when the user's password changes."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from callvault.domain.errors import AuthenticationFailed
from callvault.domain.timefmt import utcnow
from callvault.services.auth import Authenticator, Principal
from callvault.store import console_sessions_repo, system_settings_repo, users_repo
from callvault.store.database import MetadataStore

SESSION_KEY_SETTING = "console_session_key"
SESSION_LIFETIME = timedelta(hours=12)
ENDED = "Your session has ended: sign in again"


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


def _row_key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def sign_in(
    store: MetadataStore, authenticator: Authenticator, username: str, password: str, address: str
) -> tuple[Principal, str]:
    """Check the password (sent from client `address`) and start a session; -> the principal and the
    new session's id (for the cookie). Sessions that have expired meanwhile are removed here."""
    principal = authenticator.authenticate(username, password, address)
    session_id = secrets.token_urlsafe(32)
    now = utcnow()
    with store.write() as conn:
        user = users_repo.get_user(conn, principal.name)
        if user is None:
            raise AuthenticationFailed("Invalid username or password")
        console_sessions_repo.remove_expired(conn, now)
        console_sessions_repo.add(
            conn,
            _row_key(session_id),
            user.name,
            _fingerprint(user.password_hash),
            now,
            now + SESSION_LIFETIME,
        )
    return principal, session_id


def session_principal(store: MetadataStore, session_id: str) -> Principal:
    """The user of a live session (AuthenticationFailed once it has ended, for whatever reason)."""
    with store.read() as conn:
        session = console_sessions_repo.get(conn, _row_key(session_id))
        user = users_repo.get_user(conn, session.username) if session else None
    if session is None or user is None or session.expires_at <= utcnow():
        raise AuthenticationFailed(ENDED)
    if not secrets.compare_digest(_fingerprint(user.password_hash), session.password_fingerprint):
        raise AuthenticationFailed(ENDED)
    return Principal(user.name, user.roles)


def sign_out(store: MetadataStore, session_id: str) -> None:
    with store.write() as conn:
        console_sessions_repo.remove(conn, _row_key(session_id))


def sign_out_everywhere(store: MetadataStore, username: str) -> int:
    """End every session of the user, in every browser; -> how many there were."""
    with store.write() as conn:
        return console_sessions_repo.remove_for_user(conn, username)
